from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from governance.security import ApiDocsPermission, api_docs_page, csp_for_api_docs

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[ApiDocsPermission]), name="schema"),
    path(
        "api/docs/",
        api_docs_page(csp_for_api_docs(SpectacularSwaggerSplitView.as_view(url_name="schema"))),
        name="api-docs",
    ),
    path("api/v1/", include("governance.api_urls")),
    path("", include("governance.page_urls")),
]

handler400 = "governance.request_limits.bad_request"
handler404 = "governance.request_limits.not_found"
