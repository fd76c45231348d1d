from django.urls import path

from governance.files import private_photo_view
from grids.campaigns import views
from grids.campaigns.models import AnswerPhoto
from grids.campaigns.selectors import tasks_visible_to

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="campaign-list"),
    path("new/", views.campaign_create, name="campaign-create"),
    path("tasks/", views.task_list, name="campaign-tasks"),
    path("tasks/<int:pk>/", views.task_answer, name="campaign-answer"),
    # A photo answer, to whoever may see its task (its household); a 404 otherwise.
    path(
        "photos/<int:pk>/",
        private_photo_view(model=AnswerPhoto, parent="task", visible_to=tasks_visible_to),
        name="campaign-answer-photo",
    ),
    path("<int:pk>/", views.campaign_detail, name="campaign-detail"),
    # The form builder (a draft's questions), before the actions, whose <slug:action> would take these.
    # Adding has a path of its own, apart from the questions named under questions/.
    path("<int:pk>/questions/", views.campaign_questions, name="campaign-questions"),
    path("<int:pk>/new-question/", views.campaign_question, name="campaign-question-add"),
    path("<int:pk>/questions/<slug:question>/", views.campaign_question, name="campaign-question-edit"),
    path(
        "<int:pk>/questions/<slug:question>/<slug:action>/",
        views.campaign_question_step,
        name="campaign-question-step",
    ),
    path("<int:pk>/tasks/", views.campaign_task_list, name="campaign-task-list"),
    path("<int:pk>/<slug:action>/", views.campaign_action, name="campaign-action"),
]
