from django.urls import include, path
from rest_framework.routers import DefaultRouter

from governance import api as governance_api
from governance import job_api, pledge_api, staff_api
from grids import api as grids_api
from grids.campaigns import api as campaigns_api
from grids.visits import api as visits_api
from petitions import api as petitions_api

router = DefaultRouter()
router.register("townships", grids_api.TownshipViewSet, basename="township")
router.register("villages", grids_api.VillageViewSet, basename="village")
router.register("grids", grids_api.GridViewSet, basename="grid")
router.register("courtyards", grids_api.CourtyardViewSet, basename="courtyard")
router.register("households", grids_api.HouseholdViewSet, basename="household")
router.register("residents", grids_api.ResidentViewSet, basename="resident")
router.register("departments", governance_api.DepartmentViewSet, basename="department")
router.register("assignments", governance_api.AssignmentViewSet, basename="assignment")
router.register("areas", governance_api.AreaViewSet, basename="area")
router.register("staff", staff_api.StaffViewSet, basename="staff")
router.register("notifications", governance_api.NotificationViewSet, basename="notification")
router.register("pledges", pledge_api.PledgeViewSet, basename="pledge")
router.register("visits", visits_api.VisitViewSet, basename="visit")
router.register("campaigns", campaigns_api.CampaignViewSet, basename="campaign")
router.register("campaign-tasks", campaigns_api.TaskViewSet, basename="campaign-task")
router.register("campaign-photos", campaigns_api.AnswerPhotoViewSet, basename="campaign-photo")
router.register("campaign-templates", campaigns_api.TemplateViewSet, basename="campaign-template")
router.register("matter-categories", petitions_api.MatterCategoryViewSet, basename="matter-category")
router.register("time-limits", petitions_api.TimeLimitViewSet, basename="time-limit")
router.register("clock-limits", petitions_api.ClockLimitViewSet, basename="clock-limit")
router.register("calendar-days", petitions_api.CalendarDayViewSet, basename="calendar-day")
router.register("tags", grids_api.TagViewSet, basename="tag")
router.register("matters", petitions_api.MatterViewSet, basename="matter")
router.register("public/matters", petitions_api.PublicMatterViewSet, basename="public-matter")

urlpatterns = [
    path("auth/token/", governance_api.TokenView.as_view(), name="auth-token"),
    path("auth/password/", governance_api.PasswordView.as_view(), name="auth-password"),
    path("me/", governance_api.MeView.as_view(), name="me"),
    path("history/<slug:kind>/<int:pk>/", governance_api.HistoryView.as_view(), name="history"),
    path("jobs/<int:pk>/", job_api.JobView.as_view(), name="job-detail"),
    path("jobs/<int:pk>/result/", job_api.JobResultView.as_view(), name="job-result"),
    path("points/", include("points.api_urls")),
    path("", include("governance.civic.api_urls")),
    path("", include(router.urls)),
]
