"""Pages of the household register: list and search, details, add, edit, move, and the
register in Excel (import, template, export).

Every page finds its object through a scoped selector first (out of scope: 404, as if it
did not exist), then checks what the covering role may do (not allowed: 403), then calls
one service. Service errors are shown next to the field they name.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from governance.errors import Refused
from governance.forms import form_page, save_form, submit_once
from governance.jobs import TooManyJobs, job_refused, job_submit
from governance.roles import HOUSEHOLD_MOVERS, ID_NUMBER_REVEALERS, REGISTER_EDITORS, REGISTER_IMPORTERS, VISITOR_ROLES
from governance.scoping import people_reader_required, require_any_role, scope_for
from governance.xlsx import xlsx_response
from grids import job_kinds as register_jobs
from grids import services
from grids.filters import HouseholdFilter
from grids.forms import HouseholdFilterForm, HouseholdForm, HouseholdMoveForm, RegisterImportForm, ResidentForm
from grids.idconflicts import IdRefusals
from grids.models import Courtyard, Grid, Resident, Village
from grids.panels import household_panels
from grids.register import COLUMNS, register_export, register_template
from grids.selectors import (
    grids_editable_by,
    grids_visible_to,
    household_detail_queryset,
    households_for_register_export,
    households_visible_to,
    may_reveal_id_numbers,
    residents_visible_to,
    villages_visible_to,
    with_member_counts,
)

HOUSEHOLDS_PER_PAGE = 20
# Up to this many households the masked export downloads at once (a link); past it the list
# offers a button that makes the file in the background (a job), as a full export always is.
EXPORT_INLINE_HOUSEHOLDS = 2000


def is_partial(request) -> bool:
    """An htmx request for a fragment (not a history restore, which needs the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def household_rows(user, households) -> list:
    """Evaluate `households` and mark the rows the user may edit (for each row's next action)."""
    scope = scope_for(user)
    rows = list(households)
    for household in rows:
        household.can_edit = scope.covers(household, REGISTER_EDITORS)
    return rows


def household_filter_form(user, data=None) -> HouseholdFilterForm:
    return HouseholdFilterForm(
        data,
        grids=grids_visible_to(user).active().order_by("village__code", "number"),
        villages=villages_visible_to(user).order_by("code"),
    )


def filtered_households(request):
    """(form, filters, households): the households the user sees, narrowed by the list's
    search and filters in the query string. The list and its Excel export both use it,
    so the file holds exactly the households the list shows. The form offers and checks
    the choices; the API's FilterSet applies them."""
    return filtered_households_for(request.user, request.GET)


def filtered_households_for(user, query):
    """`filtered_households` for a user and a query string (QueryDict): the background export
    (grids.job_kinds) applies the list's filters as they were when it was asked for."""
    form = household_filter_form(user, query or None)
    filters = form.filters() if form.is_bound else {}
    households = HouseholdFilter(_filterset_data(filters), queryset=households_visible_to(user)).qs
    return form, filters, households


def _filterset_data(filters: dict) -> dict:
    """The list form's valid choices in the API's query parameters (grids.filters.HouseholdFilter)."""
    data = {}
    if filters.get("q"):
        data["search"] = filters["q"]
    for name in ("village", "grid"):
        if filters.get(name):
            data[name] = filters[name].pk
    if filters.get("tag"):
        data["tag"] = filters["tag"].code
    return data


def _filter_query(request) -> str:
    """The list's query string without the page number (the export takes every page)."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@people_reader_required
def household_list(request):
    user = request.user
    form, filters, households = filtered_households(request)
    households = with_member_counts(households).order_by("village__code", "grid__number", "number", "pk")
    page = Paginator(households, HOUSEHOLDS_PER_PAGE).get_page(request.GET.get("page"))
    query = _filter_query(request)
    context = {
        "form": form,
        "page": page,
        "rows": household_rows(user, page.object_list),
        "filtered": any(filters.values()),
        "can_add": scope_for(user).has_any_role(REGISTER_EDITORS),
        "export_url": reverse("grids:household-export") + (f"?{query}" if query else ""),
        "can_reveal_export": may_reveal_id_numbers(user),
        "export_inline": EXPORT_INLINE_HOUSEHOLDS,
    }
    template = "grids/_household_results.html" if is_partial(request) else "grids/household_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _household_for(user, pk, roles=None, queryset=None, denied=None):
    """The household if the user sees it (else 404), and, with `roles`, may act on it (else 403)."""
    household = get_object_or_404(queryset if queryset is not None else households_visible_to(user), pk=pk)
    if roles is not None and not scope_for(user).covers(household, roles):
        raise PermissionDenied(denied or _("Your role may look at this household but not change it."))
    return household


def _resident_for(user, pk, roles=None, denied=None):
    resident = get_object_or_404(residents_visible_to(user), pk=pk)
    if roles is not None and not scope_for(user).covers(resident, roles):
        raise PermissionDenied(denied or _("Your role may look at this resident but not change the record."))
    return resident


@login_required
def household_detail(request, pk):
    user = request.user
    household = _household_for(user, pk, queryset=household_detail_queryset(user))
    scope = scope_for(user)
    can_edit = scope.covers(household, REGISTER_EDITORS)
    members = list(household.members.all())
    return render(
        request,
        "grids/household_detail.html",
        {
            "household": household,
            "members": members,
            "has_head": any(m.relation_to_head == Resident.Relation.HEAD for m in members),
            "moves": household.moves.all(),
            "can_edit": can_edit,
            "can_move": scope.covers(household, HOUSEHOLD_MOVERS),
            "can_visit": scope.covers(household, VISITOR_ROLES),
            "panels": household_panels(request, household),
        },
    )


def _household_form_page(request, form, household, perform, done):
    """The household form, new (`household` None) or edited; `perform(data)` as for form_page."""
    context = {"household": household}
    return form_page(request, form, perform=perform, done=done, template="grids/household_form.html", context=context)


@login_required
def household_create(request):
    user = request.user
    require_any_role(user, REGISTER_EDITORS, _("Only grid staff and village cadres add households."))
    grids = grids_editable_by(user)
    courtyards = Courtyard.objects.active().filter(grid__in=grids).select_related("grid").order_by("grid_id", "name")
    initial = {}
    grid_ids = set(grids.values_list("pk", flat=True))
    wanted = request.GET.get("grid", "")
    if len(grid_ids) == 1:
        initial["grid"] = next(iter(grid_ids))
    elif wanted.isdecimal() and int(wanted) in grid_ids:
        initial["grid"] = int(wanted)
    form = HouseholdForm(request.POST or None, grids=grids, courtyards=courtyards, initial=initial)

    def perform(data):
        household = services.household_create(
            grid=data["grid"],
            number=data["number"],
            courtyard=data.get("courtyard"),
            address=data["address"],
            phone=data["phone"],
            notes=data["notes"],
            tags=list(data.get("tags") or []),
        )
        return reverse("grids:resident-create", args=[household.pk]) + "?relation=head"

    return _household_form_page(request, form, None, perform, _("Household saved. Now add the head of the household."))


@login_required
def household_update(request, pk):
    user = request.user
    household = _household_for(user, pk, roles=REGISTER_EDITORS)
    courtyards = Courtyard.objects.active().filter(grid_id=household.grid_id).select_related("grid").order_by("name")
    initial = {
        "number": household.number,
        "courtyard": household.courtyard_id,
        "address": household.address,
        "phone": household.phone,
        "tags": list(household.tags.all()),
        "notes": household.notes,
    }
    form = HouseholdForm(
        request.POST or None, grids=Grid.objects.none(), courtyards=courtyards, with_grid=False, initial=initial
    )

    def perform(data):
        changes = {name: data[name] for name in ("number", "address", "phone", "notes", "tags") if name in data}
        if "tags" in changes:
            changes["tags"] = list(changes["tags"])
        if "courtyard" in form.fields:
            changes["courtyard"] = data.get("courtyard")
        services.household_update(household=household, **changes)
        return reverse("grids:household-detail", args=[household.pk])

    return _household_form_page(request, form, household, perform, _("Household details saved."))


@login_required
def household_move(request, pk):
    user = request.user
    household = _household_for(
        user, pk, roles=HOUSEHOLD_MOVERS, denied=_("Only a village cadre moves a household to another grid.")
    )
    grids = Grid.objects.active().filter(village_id=household.village_id).select_related("village").order_by("number")
    courtyards = (
        Courtyard.objects.active()
        .filter(village_id=household.village_id)
        .select_related("grid")
        .order_by("grid__number", "name")
    )
    form = HouseholdMoveForm(request.POST or None, grids=grids, courtyards=courtyards)

    def perform(data):
        services.household_move(
            household=household,
            to_grid=data["to_grid"],
            to_courtyard=data.get("to_courtyard"),
            moved_by=user,
            reason=data["reason"],
        )
        return reverse("grids:household-detail", args=[household.pk])

    return form_page(
        request,
        form,
        perform=perform,
        done=_("The household was moved. The move is kept in its history."),
        template="grids/household_move.html",
        context={"household": household},
    )


def _resident_page(request, resident, revealed_id_number=""):
    scope = scope_for(request.user)
    can_edit = scope.covers(resident, REGISTER_EDITORS)
    context = {
        "resident": resident,
        "household": resident.household,
        "can_edit": can_edit,
        "can_reveal": bool(resident.id_number_encrypted) and scope.covers(resident, ID_NUMBER_REVEALERS),
        "revealed_id_number": revealed_id_number,
    }
    return render(request, "grids/resident_detail.html", context)


@login_required
def resident_detail(request, pk):
    return _resident_page(request, _resident_for(request.user, pk))


@login_required
def resident_reveal_id_number(request, pk):
    """Show one resident's full ID number once, to a role allowed to see it, on the record.

    Only a POST reveals. A GET (the language switch or a reload coming back to this
    address) goes to the resident's page, where the number is masked again.
    """
    if request.method != "POST":
        return redirect("grids:resident-detail", pk=pk)
    resident = _resident_for(
        request.user,
        pk,
        roles=ID_NUMBER_REVEALERS,
        denied=_("Only village cadres and township staff may see full ID numbers."),
    )
    number = services.resident_reveal_id_number(resident=resident, user=request.user, channel="page")
    if not number:
        messages.info(request, _("No ID number is registered for this resident."))
        return redirect("grids:resident-detail", pk=resident.pk)
    response = _resident_page(request, resident, revealed_id_number=number)
    # The number must not stay in a cache or come back with the back button.
    add_never_cache_headers(response)
    return response


def _resident_changes(data) -> dict:
    changes = {
        name: data[name]
        for name in ("name", "relation_to_head", "gender", "birth_date", "phone", "status", "notes")
        if name in data
    }
    changes["ethnicity"] = data.get("ethnicity") or "汉族"
    if "tags" in data:
        changes["tags"] = list(data["tags"])
    if data.get("id_number"):
        changes["id_number"] = data["id_number"]
    return changes


def _resident_form_page(request, form, *, household, resident, save):
    """The resident form, new or edited: a valid post goes to `save(changes)` (which returns
    the URL to go to) through save_form. An ID number refused because someone out of the
    user's scope holds it is recorded once the attempt has rolled back."""
    if request.method == "POST" and form.is_valid():
        changes = _resident_changes(form.cleaned_data)
        refusals = IdRefusals()
        try:
            response = save_form(
                request, form, perform=refusals.watching(lambda: save(changes)), done=_("Resident saved.")
            )
        finally:
            refusals.record()
        if response:
            return response
    context = {"form": form, "household": household, "resident": resident}
    return render(request, "grids/resident_form.html", context)


@login_required
def resident_create(request, pk):
    user = request.user
    household = _household_for(user, pk, roles=REGISTER_EDITORS)
    has_head = (
        household.head_name != ""
        or Resident.objects.filter(household=household, relation_to_head=Resident.Relation.HEAD).exists()
    )
    relation = request.GET.get("relation")
    if relation not in Resident.Relation.values:
        relation = Resident.Relation.SPOUSE if has_head else Resident.Relation.HEAD
    form = ResidentForm(request.POST or None, initial={"relation_to_head": relation})

    def save(changes):
        services.resident_create(household=household, actor=user, channel="form", **changes)
        return reverse("grids:household-detail", args=[household.pk])

    return _resident_form_page(request, form, household=household, resident=None, save=save)


@login_required
def resident_update(request, pk):
    user = request.user
    resident = _resident_for(user, pk, roles=REGISTER_EDITORS)
    initial = {
        "name": resident.name,
        "relation_to_head": resident.relation_to_head,
        "gender": resident.gender,
        "birth_date": resident.birth_date,
        "phone": resident.phone,
        "ethnicity": resident.ethnicity,
        "status": resident.status,
        "tags": list(resident.tags.all()),
        "notes": resident.notes,
    }
    form = ResidentForm(request.POST or None, initial=initial, resident=resident)

    def save(changes):
        services.resident_update(resident=resident, actor=user, channel="form", **changes)
        return reverse("grids:resident-detail", args=[resident.pk])

    return _resident_form_page(request, form, household=resident.household, resident=resident, save=save)


# ---------------------------------------------------------------- the register in Excel


@login_required
@people_reader_required
@require_http_methods(["GET", "POST"])
def household_export(request):
    """The register of the households in the list, with the list's search and filters.

    A GET downloads it masked (ID numbers 5001**********1234, phones 158****9119) at once. A
    POST makes the file in the background (a job, governance.jobs) and goes to the job's
    page: masked with `masked=1`, else in full, for a role allowed to see full ID numbers
    only (a link cannot be followed, prefetched or shared into it). Every export is recorded.
    """
    user = request.user
    masked_job = request.method == "POST" and request.POST.get("masked") == "1"
    reveal = request.method == "POST" and not masked_job
    if reveal and not may_reveal_id_numbers(user):
        raise PermissionDenied(_("Only village cadres and township staff may export full ID numbers."))
    if request.method == "POST":
        # A post is done in the background (a township's register takes longer than a
        # request may): the job's page shows its progress, then the file.
        parameters = {"reveal": reveal, "query": request.GET.urlencode(), "via": "page"}
        try:
            with transaction.atomic():
                job = job_submit(owner=user, kind=register_jobs.EXPORT, parameters=parameters)
        except TooManyJobs as refusal:
            return job_refused(request, refusal)
        return redirect("governance:job-detail", pk=job.pk)
    _form, _filters, households = filtered_households(request)
    households = households_for_register_export(user, households, reveal=reveal)
    try:
        data = register_export(user=user, households=households, reveal=reveal)
    except Refused as refusal:  # more people than a sheet holds: narrow the list first
        messages.error(request, refusal.message)
        query = request.GET.urlencode()
        return redirect(reverse("grids:household-list") + (f"?{query}" if query else ""))
    stamp = f"{timezone.localdate():%Y%m%d}"
    name = f"户籍台账-{stamp}-完整身份证号.xlsx" if reveal else f"户籍台账-{stamp}.xlsx"
    response = xlsx_response(data, name)
    add_never_cache_headers(response)
    return response


@login_required
def register_template_download(request):
    """The blank register with its sheet of instructions (anyone signed in: grid staff
    collect households on it and hand the file to their village cadre)."""
    return xlsx_response(register_template(), "户籍台账-模板.xlsx")


def _import_villages(scope):
    """The villages the user may import into: None means every village (the superuser)."""
    return None if scope.is_superuser else scope.ids_for(REGISTER_IMPORTERS)


@login_required
def register_import_page(request):
    """Import the household register from Excel: all rows or none, in the background.

    The file is saved with a job (governance.jobs) and the page goes to the job's page,
    which shows the progress, then the counts, or every error by row and column with
    nothing written. A second submit of the same form goes to the same job.
    """
    user = request.user
    scope = scope_for(user)
    if not scope.has_any_role(REGISTER_IMPORTERS):
        raise PermissionDenied(_("Only a village cadre may import the household register."))
    village_ids = _import_villages(scope)
    posted = request.method == "POST"
    form = RegisterImportForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():

        def perform():
            job = job_submit(owner=user, kind=register_jobs.IMPORT, upload=form.cleaned_data["file"])
            return reverse("governance:job-detail", args=[job.pk])

        try:
            url, created = submit_once(request=request, token=form.cleaned_data["form_token"], perform=perform)
        except TooManyJobs as refusal:
            return job_refused(request, refusal)
        if not created:
            messages.info(request, _("This file had already been sent; it is imported once."))
        return redirect(url)
    villages = Village.objects.order_by("code")
    if village_ids is not None:
        villages = villages.filter(pk__in=sorted(village_ids))
    context = {
        "form": form,
        "villages": list(villages) if village_ids is not None else None,
        "columns": COLUMNS,
    }
    return render(request, "grids/register_import.html", context)
