"""The monthly report's pages: /reports/monthly/?village=ID|township=ID&month=YYYY-MM, the
A4 print page, and the same as .xlsx.

Who reads it: a village's cadres (and the township's 包村 and 包片 sent down to it) their
village; the township's staff the township and its villages. A place the reader does not see
is a 404; a place they see but whose report is not theirs (a grid worker, a clerk, a
department) is a 403.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from governance.errors import Refused
from governance.job_kinds import REPORT_JOB
from governance.jobs import TooManyJobs, job_refused, job_submit
from governance.reports import (
    Place,
    check_month,
    labelled,
    parse_month,
    previous_month,
    report_export,
    report_filename,
    report_for,
)
from governance.roles import TOWNSHIP_ROLES, VILLAGE_BOARD_READERS
from governance.scoping import scope_for
from governance.xlsx import xlsx_response
from grids.models import Township, Village


def _int(value: str) -> int:
    number = int(value)
    if not 0 < number < 2**63:
        raise ValueError(value)
    return number


def _place(request) -> Place:
    if request.GET.get("village"):
        return place_for(request.user, village_id=_int(request.GET["village"]))
    return place_for(request.user, township_id=_int(request.GET["township"]))


def place_for(user, *, village_id: int | None = None, township_id: int | None = None) -> Place:
    """The village's (or else the township's) report place, if `user` may read its report:
    Http404 for a place they do not see, PermissionDenied for one whose report is not theirs."""
    scope = scope_for(user)
    if village_id:
        villages = scope.filter_places(Village.objects.select_related("township"), "village")
        village = villages.filter(pk=village_id).first()
        if village is None:
            raise Http404
        if not (
            scope.is_superuser
            or village.pk in scope.ids_for(VILLAGE_BOARD_READERS)
            or village.township_id in scope.ids_for(TOWNSHIP_ROLES)
        ):
            raise PermissionDenied(_("The monthly report is for the village's cadres and the township's staff."))
        return Place(village.township, village)
    township = scope.filter_places(Township.objects.all(), "township").filter(pk=township_id).first()
    if township is None:
        raise Http404
    if not (scope.is_superuser or township.pk in scope.ids_for(TOWNSHIP_ROLES)):
        raise PermissionDenied(_("The township's monthly report is for the township's staff."))
    return Place(township)


def _own_place_query(user) -> dict | None:
    """{"township": id} or {"village": id} when `user` reads exactly one township's (else
    one village's) report; None when there is no one place to choose for them."""
    scope = scope_for(user)
    if scope.is_superuser:
        return None
    townships = scope.ids_for(TOWNSHIP_ROLES)
    if townships:
        return {"township": str(next(iter(townships)))} if len(townships) == 1 else None
    villages = scope.ids_for(VILLAGE_BOARD_READERS)
    return {"village": str(next(iter(villages)))} if len(villages) == 1 else None


def _request_report(request) -> tuple[Place | None, object]:
    """(place, month) from the query; (None, message) when it is not well formed (400)."""
    today = timezone.localdate()
    try:
        month = parse_month(request.GET["month"]) if request.GET.get("month") else previous_month(today)
        if not (request.GET.get("village") or request.GET.get("township")):
            raise ValueError("no place")
        place = _place(request)
        check_month(month, today)
    except (ValueError, KeyError, OverflowError):
        return None, _("Give a village or township id and the month as YYYY-MM.")
    except Refused as error:
        return None, error.message
    return place, month


@login_required
def monthly_report(request):
    own = None if (request.GET.get("village") or request.GET.get("township")) else _own_place_query(request.user)
    if own:
        # /reports/monthly/ as typed or bookmarked: to the one place whose report is theirs.
        query = request.GET.copy()
        query.update(own)
        return redirect(f"{request.path}?{query.urlencode()}")
    place, month = _request_report(request)
    if place is None:
        return HttpResponseBadRequest(month)
    data, stored = report_for(place, month)
    context = {
        "report": labelled(data),
        "stored": stored,
        "place": place,
        "month": month,
        "export_query": f"{place.query}&month={month:%Y-%m}",
    }
    return render(request, "governance/monthly_report.html", context)


@login_required
@require_POST
def monthly_report_job(request):
    """The report as .xlsx, made in the background: to the job's page (governance.jobs)."""
    place, month = _request_report(request)
    if place is None:
        return HttpResponseBadRequest(month)
    parameters = {"township": place.township.pk, "village": place.village.pk if place.village else None}
    try:
        with transaction.atomic():
            job = job_submit(owner=request.user, kind=REPORT_JOB, parameters={**parameters, "month": f"{month:%Y-%m}"})
    except TooManyJobs as refusal:
        return job_refused(request, refusal)
    return redirect("governance:job-detail", pk=job.pk)


@login_required
def monthly_report_export(request):
    place, month = _request_report(request)
    if place is None:
        return HttpResponseBadRequest(month)
    data, _stored = report_for(place, month)
    return xlsx_response(report_export(data), report_filename(place, month))
