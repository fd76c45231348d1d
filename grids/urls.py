from django.urls import path

from grids import place_views, views
from grids.visits.urls import urlpatterns as visit_patterns

app_name = "grids"

urlpatterns = [
    path("households/", views.household_list, name="household-list"),
    path("households/new/", views.household_create, name="household-create"),
    path("households/export/", views.household_export, name="household-export"),
    path("households/import/", views.register_import_page, name="register-import"),
    path("households/import/template/", views.register_template_download, name="register-template"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", views.household_update, name="household-update"),
    path("households/<int:pk>/move/", views.household_move, name="household-move"),
    path("households/<int:pk>/residents/new/", views.resident_create, name="resident-create"),
    path("residents/<int:pk>/", views.resident_detail, name="resident-detail"),
    path("residents/<int:pk>/edit/", views.resident_update, name="resident-update"),
    path("residents/<int:pk>/reveal-id-number/", views.resident_reveal_id_number, name="resident-reveal-id-number"),
    # Places, for their keepers (grids.place_views).
    path("manage/places/", place_views.place_list, name="place-list"),
    path("manage/places/villages/<int:village_pk>/grids/new/", place_views.grid_create, name="place-grid-create"),
    path("manage/places/grids/<int:pk>/", place_views.grid_detail, name="place-grid"),
    path("manage/places/grids/<int:pk>/split/", place_views.grid_split, name="place-grid-split"),
    path("manage/places/grids/<int:pk>/<slug:action>/", place_views.grid_action, name="place-grid-action"),
    path("manage/places/courtyards/<int:pk>/", place_views.courtyard_detail, name="place-courtyard"),
    path(
        "manage/places/courtyards/<int:pk>/<slug:action>/",
        place_views.courtyard_action,
        name="place-courtyard-action",
    ),
    # The visit pages keep their names in this namespace (grids:visit-*).
    *visit_patterns,
]
