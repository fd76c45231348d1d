"""三治's pages, in the `civic:` namespace (URL names `civic:<entity>-<action>`)."""

from django.urls import path

from governance.civic import activity_views, selection_views, views

app_name = "civic"

urlpatterns = [
    path("civic/", views.home, name="home"),
    # ------------------------------------------------------------ teams (治委会, 协商议事团, 调解队)
    # ------------------------------------------------------------ mediations (人民调解)
    # ------------------------------------------------------------ the four councils (四会)
    # ------------------------------------------------------------ 最美 selections
    path("civic/selections/", selection_views.selection_list, name="selection-list"),
    path("civic/selections/new/", selection_views.selection_create, name="selection-create"),
    path("civic/selections/<int:pk>/", selection_views.selection_detail, name="selection-detail"),
    path("civic/selections/<int:pk>/<str:action>/", selection_views.selection_action, name="selection-action"),
    # ------------------------------------------------------------ activities
    path("civic/activities/", activity_views.activity_list, name="activity-list"),
    path("civic/activities/new/", activity_views.activity_create, name="activity-create"),
    path("civic/activities/<int:pk>/", activity_views.activity_detail, name="activity-detail"),
    path("civic/activities/<int:pk>/<str:action>/", activity_views.activity_action, name="activity-action"),
    path("civic/activities/photos/<int:pk>/", activity_views.activity_photo, name="activity-photo"),
]
