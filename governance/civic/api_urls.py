"""三治's API under /api/v1/: teams, mediations, meetings (the four councils), selections and
activities, each scoped like everything else (governance.civic.access)."""

from rest_framework.routers import SimpleRouter

from governance.civic import mediation_api, team_api

router = SimpleRouter()
# ---------------------------------------------------------------- teams
router.register("teams", team_api.TeamViewSet, basename="civic-team")

# ---------------------------------------------------------------- mediations
router.register("mediations", mediation_api.MediationViewSet, basename="civic-mediation")

# ---------------------------------------------------------------- the four councils (四会)

# ---------------------------------------------------------------- 最美 selections

# ---------------------------------------------------------------- activities

urlpatterns = router.urls
