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
from governance.civic.selection_api import SelectionViewSet  # noqa: E402

router.register("selections", SelectionViewSet, basename="selection")

# ---------------------------------------------------------------- activities
from governance.civic.activity_api import ActivityViewSet  # noqa: E402

router.register("activities", ActivityViewSet, basename="activity")

urlpatterns = router.urls
