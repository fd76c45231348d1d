"""The visit pages. grids.urls lists them inside its namespace, so their names stay
`grids:visit-*` (the navigation marks the current page by that prefix)."""

from django.urls import path

from grids.visits import views

urlpatterns = [
    path("visits/", views.visit_todo, name="visit-todo"),
    path("visits/new/", views.visit_create, name="visit-create"),
    path("visits/log/", views.visit_list, name="visit-list"),
    path("visits/<int:pk>/", views.visit_detail, name="visit-detail"),
    path("visits/sw.js", views.service_worker, name="visit-service-worker"),
    path("manifest.webmanifest", views.web_manifest, name="web-manifest"),
    path("visits/compliance/", views.visit_compliance, name="visit-compliance"),
    path("visits/compliance/export.xlsx", views.visit_compliance_export, name="visit-compliance-export"),
]
