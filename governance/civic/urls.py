"""三治's pages, in the `civic:` namespace (URL names `civic:<entity>-<action>`)."""

from django.urls import path

from governance.civic import activity_views, council_views, mediation_views, selection_views, team_views, views

app_name = "civic"

urlpatterns = [
    path("civic/", views.home, name="home"),
    # ------------------------------------------------------------ teams (治委会, 协商议事团, 调解队)
    path("civic/teams/", team_views.team_list, name="team-list"),
    path("civic/teams/new/", team_views.team_create, name="team-create"),
    path("civic/teams/<int:pk>/", team_views.team_detail, name="team-detail"),
    path("civic/teams/<int:pk>/members/", team_views.member_add, name="team-member-add"),
    path("civic/teams/<int:pk>/members/<int:member_id>/leave/", team_views.member_leave, name="team-member-leave"),
    path("civic/consultations/", team_views.consultation_list, name="consultation-list"),
    path("civic/consultations/<int:pk>/", team_views.consultation_members, name="consultation-members"),
    # ------------------------------------------------------------ mediations (人民调解)
    path("civic/mediations/", mediation_views.mediation_list, name="mediation-list"),
    path("civic/mediations/new/", mediation_views.mediation_create, name="mediation-create"),
    path("civic/mediations/<int:pk>/", mediation_views.mediation_detail, name="mediation-detail"),
    path("civic/mediations/<int:pk>/agreement/", mediation_views.mediation_agreement, name="mediation-agreement"),
    path("civic/mediations/<int:pk>/<slug:action>/", mediation_views.mediation_action, name="mediation-action"),
    # ------------------------------------------------------------ the four councils (四会)
    path("civic/councils/", council_views.meeting_calendar, name="meeting-calendar"),
    path("civic/councils/meetings/", council_views.meeting_list, name="meeting-list"),
    path("civic/councils/meetings/new/", council_views.meeting_create, name="meeting-create"),
    path("civic/councils/meetings/<int:pk>/", council_views.meeting_detail, name="meeting-detail"),
    path("civic/councils/meetings/<int:pk>/minutes/", council_views.meeting_minutes, name="meeting-minutes"),
    path("civic/councils/meetings/<int:pk>/<str:action>/", council_views.meeting_action, name="meeting-action"),
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
