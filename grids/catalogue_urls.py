"""The tags' pages, under /manage/catalogues/ in the catalogues: namespace (governance.page_urls)."""

from governance.catalogue_views import row_routes
from grids import catalogue_views as views

urlpatterns = row_routes(
    "tags", "tag", index=views.tag_list, create=views.tag_create, update=views.tag_update, delete=views.tag_delete
)
