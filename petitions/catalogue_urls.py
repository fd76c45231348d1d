"""The matters' catalogue pages, under /manage/catalogues/ in the catalogues: namespace
(governance.page_urls lists them with the other apps' catalogue pages)."""

from django.urls import path

from petitions import catalogue_views as views

urlpatterns = [
    path("categories/", views.category_list, name="category-list"),
    path("categories/new/", views.category_create, name="category-create"),
    path("categories/<int:pk>/", views.category_update, name="category-update"),
    path("categories/<int:pk>/delete/", views.category_delete, name="category-delete"),
    path("time-limits/", views.time_limit_list, name="time-limit-list"),
    path("time-limits/new/", views.time_limit_create, name="time-limit-create"),
    path("time-limits/<int:pk>/", views.time_limit_update, name="time-limit-update"),
    path("time-limits/<int:pk>/delete/", views.time_limit_delete, name="time-limit-delete"),
    path("clock-limits/", views.clock_limit_list, name="clock-limit-list"),
    path("clock-limits/<slug:clock>/", views.clock_limit_update, name="clock-limit-update"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/new/", views.calendar_day_create, name="calendar-day-create"),
    path("calendar/<int:pk>/delete/", views.calendar_day_delete, name="calendar-day-delete"),
    path("matter-settings/", views.matter_settings, name="matter-settings"),
]
