from django.urls import path

from grids.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/", views.task_answer, name="answer"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.campaign_action, name="action"),
]
