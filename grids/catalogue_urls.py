"""The tags' pages, under /manage/catalogues/ in the catalogues: namespace (governance.page_urls)."""

from django.urls import path

from grids import catalogue_views as views

urlpatterns = [
    path("tags/", views.tag_list, name="tag-list"),
    path("tags/new/", views.tag_create, name="tag-create"),
    path("tags/<int:pk>/", views.tag_update, name="tag-update"),
    path("tags/<int:pk>/delete/", views.tag_delete, name="tag-delete"),
]
