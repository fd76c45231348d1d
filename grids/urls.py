from django.urls import path

from grids import views
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
    # The visit pages keep their names in this namespace (grids:visit-*).
    *visit_patterns,
]
