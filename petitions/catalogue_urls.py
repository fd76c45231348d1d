"""The matters' catalogue pages, under /manage/catalogues/ in the catalogues: namespace
(governance.page_urls lists them with the other apps' catalogue pages)."""

from django.urls import path

from governance.catalogue_views import row_routes
from petitions import catalogue_views as views

urlpatterns = [
    *row_routes(
        "categories",
        "category",
        index=views.category_list,
        create=views.category_create,
        update=views.category_update,
        delete=views.category_delete,
    ),
    *row_routes(
        "time-limits",
        "time-limit",
        index=views.time_limit_list,
        create=views.time_limit_create,
        update=views.time_limit_update,
        delete=views.time_limit_delete,
    ),
    path("clock-limits/", views.clock_limit_list, name="clock-limit-list"),
    path("clock-limits/<slug:clock>/", views.clock_limit_update, name="clock-limit-update"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/new/", views.calendar_day_create, name="calendar-day-create"),
    path("calendar/<int:pk>/delete/", views.calendar_day_delete, name="calendar-day-delete"),
    path("matter-settings/", views.matter_settings, name="matter-settings"),
]
