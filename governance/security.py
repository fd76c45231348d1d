"""The API docs' gate, the exceptions to the site's Content-Security-Policy (with reasons),
and how long public pages may be cached."""

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from rest_framework.permissions import BasePermission

# Swagger UI (the API docs) sets inline styles as it draws; its script is served as a file
# (SpectacularSwaggerSplitView), so scripts stay 'self' only.
csp_for_api_docs = csp_update({"style-src": ["'unsafe-inline'"]})


class ApiDocsPermission(BasePermission):
    """The OpenAPI schema needs a login unless API_DOCS_PUBLIC is on (read per request)."""

    def has_permission(self, request, view):
        return settings.API_DOCS_PUBLIC or bool(request.user and request.user.is_authenticated)


def api_docs_page(view):
    """The interactive docs: a signed-out visitor is sent to the login page first, unless
    API_DOCS_PUBLIC is on."""

    def page(request, *args, **kwargs):
        if not settings.API_DOCS_PUBLIC and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return page


def public_cache(request, response, seconds: int):
    """A public page (no login) may be kept by any cache for `seconds`; a signed-in user's
    copy is made private by SignedInPagesArePrivate."""
    response["Cache-Control"] = f"public, max-age={seconds}"
    return response


class SignedInPagesArePrivate:
    """A response to a signed-in user names them (the header) and carries their CSRF token:
    no shared cache may keep it. Where the view said nothing, or said `public` (the public
    pages, for anonymous visitors), it becomes `private, no-cache`; a view's own private or
    no-store answer stands."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            control = response.get("Cache-Control", "")
            if not control or "public" in control:
                response["Cache-Control"] = "private, no-cache"
        return response
