from django.urls import path

from grids import views, visit_views

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
    path("visits/", visit_views.visit_todo, name="visit-todo"),
    path("visits/new/", visit_views.visit_create, name="visit-create"),
    path("visits/log/", visit_views.visit_list, name="visit-list"),
    path("visits/<int:pk>/", visit_views.visit_detail, name="visit-detail"),
    path("visits/sw.js", visit_views.service_worker, name="visit-service-worker"),
    path("manifest.webmanifest", visit_views.web_manifest, name="web-manifest"),
    path("visits/compliance/", views.visit_compliance, name="visit-compliance"),
]
