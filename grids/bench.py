"""Bare views for the benchmark: the same authentication, scoping and search as the API,
answered straight from `.values()` as JSON. Their throughput against the API's is the cost of
our framework layers (serializers, filters, pagination, renderers). Only `bench_urls` routes
them; the running app never does.
"""

from django.http import HttpResponseForbidden, JsonResponse
from django.urls import include, path
from rest_framework.authtoken.models import Token

from governance.scoping import scope_for
from grids.models import Household, Resident
from grids.selectors import search_households, search_residents

PAGE = 50


def _user(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    key = header.removeprefix("Token ").strip()
    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token and token.user.is_active else None


def _with_tags(rows: list[dict], through, key: str) -> list[dict]:
    """Attach tags the way the API shows them, in one query for the page."""
    tags = {}
    links = through.objects.filter(**{f"{key}__in": [r["id"] for r in rows]}).values(
        key, "tag__code", "tag__name", "tag__is_key_group"
    )
    for link in links:
        tags.setdefault(link[key], []).append(
            {"code": link["tag__code"], "name": link["tag__name"], "is_key_group": link["tag__is_key_group"]}
        )
    for row in rows:
        row["tags"] = tags.get(row["id"], [])
    return rows


# The same columns the API returns, so that the ratio measures our layers, not the payload.
HOUSEHOLD_FIELDS = [
    "id",
    "number",
    "township_id",
    "village_id",
    "village__name",
    "grid_id",
    "grid__name",
    "courtyard_id",
    "courtyard__name",
    "address",
    "phone",
    "head_name",
    "notes",
    "created_at",
    "updated_at",
]
RESIDENT_FIELDS = [
    "id",
    "name",
    "household_id",
    "household__number",
    "township_id",
    "village_id",
    "village__name",
    "grid_id",
    "grid__name",
    "relation_to_head",
    "gender",
    "birth_date",
    "id_number_masked",
    "phone",
    "ethnicity",
    "status",
    "notes",
    "created_at",
    "updated_at",
]


def _bare_list(request, model, search, kind: str, fields: list[str]):
    """The first page of the user's rows of `model` found by ?search, with their tags."""
    user = _user(request)
    if user is None:
        return HttpResponseForbidden()
    rows = search(scope_for(user).filter(model.objects.all(), kind), request.GET.get("search"))
    page = list(rows.order_by("id").values(*fields)[:PAGE])
    return JsonResponse({"results": _with_tags(page, model.tags.through, f"{kind}_id")})


def bare_households(request):
    return _bare_list(request, Household, search_households, "household", HOUSEHOLD_FIELDS)


def bare_residents(request):
    return _bare_list(request, Resident, search_residents, "resident", RESIDENT_FIELDS)


urlpatterns = [
    path("bare/households/", bare_households),
    path("bare/residents/", bare_residents),
    path("", include("governance.urls")),
]
