"""The points API under /api/v1/points/."""

from rest_framework.routers import SimpleRouter

from points import api

router = SimpleRouter()
router.register("accounts", api.AccountViewSet, basename="points-account")
router.register("rules", api.RuleViewSet, basename="points-rule")
router.register("awards", api.AwardViewSet, basename="points-award")
# The old name of `awards`, deprecated: removed in the next release.
router.register("entries", api.EntryViewSet, basename="points-entry")
router.register("objections", api.ObjectionViewSet, basename="points-objection")
router.register("items", api.ItemViewSet, basename="points-item")
router.register("redemptions", api.RedemptionViewSet, basename="points-redemption")
router.register("boards", api.BoardViewSet, basename="points-board")

urlpatterns = router.urls
