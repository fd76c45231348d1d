"""Bare floors for the HTTP benchmark (`manage.py bench_http`), routed beside the whole app.

Each answers what an endpoint answers with the same authentication, the same scope and the same
service, but straight from `.values()` rows (or the service's return) as JSON: no serializer,
filter set, pagination class or renderer. An endpoint's throughput against its floor's, in the
same run at the same concurrency, is the cost of our layers. Only `governance.bench_settings`
routes them; the running app never does.
"""

import json

from django.contrib.auth import get_user
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.urls import include, path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt

from grids.bench import PAGE, _user, bare_households, bare_residents
from grids.models import Household
from grids.visits.fengshi import compliance_for, latest_cycle
from grids.visits.selectors import households_to_visit
from grids.visits.services import visit_record
from petitions.models import MatterEvent
from petitions.selectors import matters_visible_to
from points import policy as points_policy
from points.selectors import accounts_visible_to, items_visible_to, ledger_of
from points.services import points_redeem

TODO_FIELDS = [
    "id",
    "number",
    "village_id",
    "grid_id",
    "grid__name",
    "courtyard_id",
    "address",
    "head_name",
    "visit_due_on",
]
MATTER_FIELDS = [
    "id",
    "title",
    "kind",
    "state",
    "source",
    "village_id",
    "grid_id",
    "household_id",
    "submitter_name",
    "created_at",
    "deadline",
    "is_overdue",
]


def bare_todo(request):
    """The first page of the caller's households by need."""
    user = _user(request)
    if user is None:
        return HttpResponseForbidden()
    rows = list(households_to_visit(user).values(*TODO_FIELDS)[:PAGE])
    return JsonResponse({"results": rows})


def bare_matters(request):
    """The first page of the caller's matters, newest first."""
    user = _user(request)
    if user is None:
        return HttpResponseForbidden()
    rows = list(matters_visible_to(user).order_by("-id").values(*MATTER_FIELDS)[:PAGE])
    return JsonResponse({"results": rows})


def bare_matter(request, pk):
    """One matter the caller sees, with its events."""
    user = _user(request)
    if user is None:
        return HttpResponseForbidden()
    row = matters_visible_to(user).filter(pk=pk).values(*MATTER_FIELDS, "description").first()
    if row is None:
        return JsonResponse({}, status=404)
    row["events"] = list(
        MatterEvent.objects.filter(matter_id=pk)
        .order_by("id")
        .values("id", "action", "from_state", "to_state", "created_at")
    )
    return JsonResponse(row)


@csrf_exempt
def bare_visit(request):
    """The visit service with the JSON body as it comes (no serializer)."""
    user = _user(request)
    if user is None:
        return HttpResponseForbidden()
    data = json.loads(request.body)
    try:
        household = Household.objects.get(pk=data["household"])
    except ObjectDoesNotExist:
        return HttpResponseBadRequest()
    visit, created = visit_record(
        author=user,
        client_uuid=data["client_uuid"],
        visited_at=parse_datetime(data["visited_at"]),
        method=data["method"],
        household=household,
        notes=data.get("notes", ""),
    )
    return JsonResponse({"id": visit.pk}, status=201 if created else 200)


@csrf_exempt
def bare_redemption(request):
    """The shop's service with the same scope and policy check (no serializer)."""
    user = _user(request)
    if user is None:
        return HttpResponseForbidden()
    data = json.loads(request.body)
    account = accounts_visible_to(user).filter(pk=data["account"]).first()
    item = items_visible_to(user).filter(pk=data["item"]).first()
    if account is None or item is None:
        return HttpResponseBadRequest()
    points_policy.check_redeem(user, account)
    redemption = points_redeem(actor=user, account=account, item=item, quantity=int(data.get("quantity", 1)))
    return JsonResponse({"id": redemption.pk}, status=201)


def bare_passbook(request, pk):
    """A passbook and the first page of its ledger."""
    user = _user(request)
    if user is None:
        return HttpResponseForbidden()
    account = accounts_visible_to(user).filter(pk=pk).first()
    if account is None:
        return JsonResponse({}, status=404)
    entries = list(ledger_of(account).values("id", "points", "kind", "created_at")[:PAGE])
    return JsonResponse({"id": account.pk, "balance": account.balance, "entries": entries})


def bare_compliance(request):
    """The compliance roll-up of the latest 逢十 day, as the service returns it."""
    user = _user(request)
    if user is None:
        return HttpResponseForbidden()
    roll = compliance_for(user, cycle=latest_cycle(timezone.localdate()), sent_down=True)
    return JsonResponse({"cycle": roll.cycle, "totals": roll.totals, "townships": roll.townships}, safe=False)


def bare_page(request):
    """The floor of a page: the session's user, a few lines of HTML, no template."""
    user = get_user(request)
    if not user.is_authenticated:
        return HttpResponseForbidden()
    return HttpResponse(f"<!doctype html><title>村治</title><p>{escape(user.get_username())}</p>")


urlpatterns = [
    path("bare/households/", bare_households),
    path("bare/residents/", bare_residents),
    path("bare/todo/", bare_todo),
    path("bare/matters/", bare_matters),
    path("bare/matters/<int:pk>/", bare_matter),
    path("bare/visits/", bare_visit),
    path("bare/redemptions/", bare_redemption),
    path("bare/passbooks/<int:pk>/", bare_passbook),
    path("bare/compliance/", bare_compliance),
    path("bare/page/", bare_page),
    path("", include("governance.urls")),
]
