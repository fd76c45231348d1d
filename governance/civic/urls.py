"""三治's pages, in the `civic:` namespace (URL names `civic:<entity>-<action>`)."""

from django.urls import path

from governance.civic import mediation_views, team_views, views

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
    # ------------------------------------------------------------ 最美 selections
    # ------------------------------------------------------------ activities
]
