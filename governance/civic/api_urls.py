"""三治's API under /api/v1/: teams, mediations, meetings (the four councils), selections and
activities, each scoped like everything else (governance.civic.access)."""

from rest_framework.routers import SimpleRouter

from governance.civic import council_api

router = SimpleRouter()
# ---------------------------------------------------------------- teams

# ---------------------------------------------------------------- mediations

# ---------------------------------------------------------------- the four councils (四会)
router.register("meetings", council_api.MeetingViewSet, basename="meeting")

# ---------------------------------------------------------------- 最美 selections

# ---------------------------------------------------------------- activities

urlpatterns = router.urls
