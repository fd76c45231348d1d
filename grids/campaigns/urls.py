from django.urls import path

from grids.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="campaign-list"),
    path("new/", views.campaign_create, name="campaign-create"),
    path("tasks/", views.task_list, name="campaign-tasks"),
    path("tasks/<int:pk>/", views.task_answer, name="campaign-answer"),
    path("<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("<int:pk>/tasks/", views.campaign_task_list, name="campaign-task-list"),
    path("<int:pk>/<slug:action>/", views.campaign_action, name="campaign-action"),
]
