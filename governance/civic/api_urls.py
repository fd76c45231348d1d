"""三治's API under /api/v1/: teams, mediations, meetings (the four councils), selections and
activities, each scoped like everything else (governance.civic.access)."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()
# ---------------------------------------------------------------- teams

# ---------------------------------------------------------------- mediations

# ---------------------------------------------------------------- the four councils (四会)

# ---------------------------------------------------------------- 最美 selections

# ---------------------------------------------------------------- activities

urlpatterns = router.urls
