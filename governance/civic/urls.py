"""三治's pages, in the `civic:` namespace (URL names `civic:<entity>-<action>`)."""

from django.urls import path

from governance.civic import activity_views as _activity
from governance.civic import selection_views as _selection
from governance.civic import views

app_name = "civic"

urlpatterns = [
    path("civic/", views.home, name="home"),
    # ------------------------------------------------------------ teams (治委会, 协商议事团, 调解队)
    # ------------------------------------------------------------ mediations (人民调解)
    # ------------------------------------------------------------ the four councils (四会)
    # ------------------------------------------------------------ 最美 selections
    path("civic/selections/", _selection.selection_list, name="selection-list"),
    path("civic/selections/new/", _selection.selection_create, name="selection-create"),
    path("civic/selections/<int:pk>/", _selection.selection_detail, name="selection-detail"),
    path("civic/selections/<int:pk>/<str:action>/", _selection.selection_action, name="selection-action"),
    # ------------------------------------------------------------ activities
    path("civic/activities/", _activity.activity_list, name="activity-list"),
    path("civic/activities/new/", _activity.activity_create, name="activity-create"),
    path("civic/activities/<int:pk>/", _activity.activity_detail, name="activity-detail"),
    path("civic/activities/<int:pk>/<str:action>/", _activity.activity_action, name="activity-action"),
    path("civic/activities/photos/<int:pk>/", _activity.activity_photo, name="activity-photo"),
]
