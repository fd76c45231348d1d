"""三治's API under /api/v1/: teams, mediations, meetings (the four councils), selections and
activities, each scoped like everything else (governance.civic.access)."""

from rest_framework.routers import SimpleRouter

from governance.civic import activity_api, council_api, mediation_api, selection_api, team_api

router = SimpleRouter()
router.register("teams", team_api.TeamViewSet, basename="team")
router.register("mediations", mediation_api.MediationViewSet, basename="mediation")
router.register("meetings", council_api.MeetingViewSet, basename="meeting")
router.register("selections", selection_api.SelectionViewSet, basename="selection")
router.register("activities", activity_api.ActivityViewSet, basename="activity")

urlpatterns = router.urls
