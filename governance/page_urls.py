"""The server-rendered pages (the API lives under /api/v1/, see api_urls.py)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from governance import (
    assignment_views,
    catalogue_views,
    finance_views,
    hub,
    job_views,
    pledge_views,
    report_views,
    staff_views,
    views,
)
from governance.login import LoginView
from governance.messaging import views as messaging_views
from governance.passwords import PasswordChangeView
from grids import catalogue_urls as grids_catalogues
from petitions import catalogue_urls as petitions_catalogues

governance_patterns = (
    [
        path("", views.home, name="home"),
        path("dashboard/villages/<int:pk>/", views.village_dashboard, name="village-dashboard"),
        path("dashboard/townships/<int:pk>/", views.township_dashboard, name="township-dashboard"),
        path("notifications/", views.notification_list, name="notification-list"),
        path("notifications/settings/", messaging_views.preferences, name="notification-preferences"),
        path("history/<slug:kind>/<int:pk>/", views.history, name="history"),
        path("reports/monthly/", report_views.monthly_report, name="monthly-report"),
        path("reports/monthly/export.xlsx", report_views.monthly_report_export, name="monthly-report-export"),
        path("reports/monthly/export/", report_views.monthly_report_job, name="monthly-report-job"),
        path("affairs/", views.affairs, name="affairs"),
        path("jobs/", job_views.job_list, name="job-list"),
        path("jobs/<int:pk>/", job_views.job_detail, name="job-detail"),
        path("jobs/<int:pk>/result/", job_views.job_result, name="job-result"),
        path("jobs/<int:pk>/input/", job_views.job_input, name="job-input"),
        path("finance/", finance_views.finance_list, name="finance-list"),
        path("finance/new/", finance_views.finance_create, name="finance-create"),
        path("finance/settings/", finance_views.finance_settings, name="finance-settings"),
        path("finance/template.xlsx", finance_views.finance_template, name="finance-template"),
        path("finance/<int:pk>/", finance_views.finance_detail, name="finance-detail"),
        path("finance/<int:pk>/lines/", finance_views.finance_line_add, name="finance-line-add"),
        path("finance/<int:pk>/discard/", finance_views.finance_discard, name="finance-discard"),
        path(
            "finance/<int:pk>/lines/<int:line_id>/remove/",
            finance_views.finance_line_remove,
            name="finance-line-remove",
        ),
        path("finance/<int:pk>/import/", finance_views.finance_import, name="finance-import"),
        path("finance/<int:pk>/post/", finance_views.finance_post, name="finance-post"),
        path("pledges/", pledge_views.pledge_list, name="pledge-list"),
        path("pledges/new/", pledge_views.pledge_create, name="pledge-create"),
        path("pledges/<int:pk>/", pledge_views.pledge_detail, name="pledge-detail"),
        path("pledges/<int:pk>/<str:action>/", pledge_views.pledge_action, name="pledge-action"),
        path("pledge-photos/<int:pk>/", pledge_views.pledge_photo, name="pledge-photo"),
        # 管理: the township administrator's hub and the books it keeps.
        path("manage/", hub.hub, name="manage"),
        path("manage/staff/", staff_views.staff_list, name="staff-list"),
        path("manage/staff/new/", staff_views.staff_create, name="staff-create"),
        path("manage/staff/import/", staff_views.staff_import, name="staff-import"),
        path("manage/staff/import/template.xlsx", staff_views.staff_template, name="staff-template"),
        path("manage/staff/<int:pk>/", staff_views.staff_detail, name="staff-detail"),
        path("manage/staff/<int:pk>/<slug:action>/", staff_views.staff_action, name="staff-action"),
        path("manage/assignments/", assignment_views.assignment_manage, name="assignment-manage"),
        path("manage/assignments/new/", assignment_views.assignment_create_page, name="assignment-create"),
        path("manage/assignments/<int:pk>/end/", assignment_views.assignment_end_page, name="assignment-end"),
        path("manage/areas/new/", assignment_views.area_create_page, name="area-create"),
        path("manage/areas/<int:pk>/edit/", assignment_views.area_update_page, name="area-update"),
        path("notifications/read-all/", views.notification_read_all, name="notification-read-all"),
        path("notifications/<int:pk>/read/", views.notification_read, name="notification-read"),
    ],
    "governance",
)

# The catalogues and settings (/manage/catalogues/): the overview, and each app's own pages in
# one namespace (catalogues:category-list, catalogues:tag-list ...).
catalogue_patterns = (
    [
        path("", catalogue_views.overview, name="overview"),
        *petitions_catalogues.urlpatterns,
        *grids_catalogues.urlpatterns,
    ],
    "catalogues",
)

urlpatterns = [
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("captcha/", include("captcha.urls")),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", PasswordChangeView.as_view(), name="password-change"),
    path("public/points/", include("points.public_urls")),
    path("public/sms/", include("governance.messaging.urls")),
    path("public/", include("petitions.public_urls")),
    path("public/", include("governance.public_urls")),
    path("", include(governance_patterns)),
    path("manage/catalogues/", include(catalogue_patterns)),
    path("", include("grids.urls")),
    path("matters/", include("petitions.urls")),
    path("compact/", include("petitions.compact_urls")),
    path("points/", include("points.urls")),
    path("campaigns/", include("grids.campaigns.urls")),
    path("", include("governance.civic.urls")),
    # Photos are served by governance's private photo view, each app wiring its own scope.
    path("", include("petitions.photo_urls")),
    path("", include("grids.visits.photo_urls")),
]
