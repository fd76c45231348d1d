"""The assignment pages (人员安排): who holds which post at each place, a post given, a post ended,
and the township's 片区 kept.

A village cadre sees their village's grids and courtyards with their staff and gives and ends
those posts; the township administrator the whole township: its own staff, its departments, its
片区 with their 包片 leaders, each village with its cadres and 包村 officials, and the grid staff.
What a page offers and what it accepts come from governance.assigning, the rule the API asks too:
a place out of sight is a 404, a post not the caller's to give a 403, an ended assignment a 409
(the page again with the message), the input a 400 (next to the field). Each write is one
service call, once per form token.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance import assigning as a
from governance.assignment_forms import AreaForm, AssignmentEndForm, AssignmentForm, parse_place, place_value
from governance.forms import save_form, step_page
from governance.models import SCOPE_LEVEL, Assignment, Department, Role
from governance.roles import ADMIN_ROLES, ASSIGNER_ROLES
from governance.scoping import assignments_visible, require_any_role, scope_for
from governance.services import area_create, area_update, assignment_create, assignment_end
from grids.models import Area, Courtyard, Grid, Township, Village

PLACE_GROUPS = {
    "township": gettext_lazy("Township"),
    "department": gettext_lazy("Departments"),
    "area": gettext_lazy("Areas (片区)"),
    "village": gettext_lazy("Villages"),
    "grid": gettext_lazy("Grids"),
    "courtyard": gettext_lazy("Courtyards"),
}


def _require_assigner(user) -> None:
    require_any_role(user, ASSIGNER_ROLES, a.NOT_AN_ASSIGNER)


def _manage_url(place_type: str | None = None, place=None) -> str:
    """The manage page, opened at a place (its village's section unfolded)."""
    url = reverse("governance:assignment-manage")
    if place is None:
        return url
    village_id = place.pk if place_type == "village" else getattr(place, "village_id", None)
    return f"{url}?village={village_id}#{place_type}-{place.pk}" if village_id else f"{url}#{place_type}-{place.pk}"


# ---------------------------------------------------------------- the board


def _row(user, assignment, today) -> dict:
    return {
        "assignment": assignment,
        "person": assignment.user,
        "upcoming": assignment.valid_from > today,
        "may_end": a.may_end(user, assignment),
    }


def _board(user) -> dict:
    """Every place the caller assigns at, with the posts held there today or from a later day.

    Eight queries whatever the township's size: townships, villages, grids, courtyards,
    departments, areas and their villages, the posts with their people; then grouped in memory."""
    scope = scope_for(user)
    today = timezone.localdate()
    if user.is_superuser:
        townships = list(Township.objects.order_by("code"))
    else:
        townships = list(Township.objects.filter(pk__in=sorted(scope.ids_for(ADMIN_ROLES))).order_by("code"))
    township_ids = [t.pk for t in townships]
    cadre_villages = sorted(scope.ids_for(r for r in ASSIGNER_ROLES if SCOPE_LEVEL[r] == "village"))
    villages = list(Village.objects.filter(Q(township_id__in=township_ids) | Q(pk__in=cadre_villages)).order_by("code"))
    village_ids = [v.pk for v in villages]
    # The places in use: one merged into another takes no one (its posts ended with the merge).
    grids = list(Grid.objects.active().filter(village_id__in=village_ids).order_by("village_id", "number"))
    courtyards = list(Courtyard.objects.active().filter(village_id__in=village_ids).order_by("grid_id", "name"))
    departments = list(Department.objects.filter(township_id__in=township_ids).order_by("name"))
    areas = list(Area.objects.filter(township_id__in=township_ids).prefetch_related("villages").order_by("name"))
    held = (
        Assignment.objects.filter(Q(township_id__in=township_ids) | Q(village_id__in=village_ids))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .select_related("user")
        .order_by("valid_from", "id")
    )
    by_place: dict[tuple[str, int], list[dict]] = {}
    order = {role: i for i, role in enumerate(Role)}
    for assignment in sorted(held, key=lambda x: order[Role(x.role)]):
        if assignment.courtyard_id:
            key = ("courtyard", assignment.courtyard_id)
        elif assignment.grid_id:
            key = ("grid", assignment.grid_id)
        elif assignment.village_id:
            key = ("village", assignment.village_id)
        elif assignment.area_id:
            key = ("area", assignment.area_id)
        elif assignment.department_id:
            key = ("department", assignment.department_id)
        else:
            key = ("township", assignment.township_id)
        by_place.setdefault(key, []).append(_row(user, assignment, today))

    def place(kind, obj, **extra):
        allowed = a.roles_assignable_to(user, obj)
        return {"kind": kind, "obj": obj, "staff": by_place.get((kind, obj.pk), []), "assigns": bool(allowed), **extra}

    yards: dict[int, list] = {}
    for courtyard in courtyards:
        yards.setdefault(courtyard.grid_id, []).append(place("courtyard", courtyard))
    grid_rows: dict[int, list] = {}
    for grid in grids:
        grid_rows.setdefault(grid.village_id, []).append(place("grid", grid, courtyards=yards.get(grid.pk, [])))
    village_rows: dict[int, list] = {}
    for village in villages:
        village_rows.setdefault(village.township_id, []).append(
            place("village", village, grids=grid_rows.get(village.pk, []))
        )
    own_villages = [
        row for township_id, rows in village_rows.items() if township_id not in township_ids for row in rows
    ]
    return {
        "townships": [
            place(
                "township",
                township,
                departments=[place("department", d) for d in departments if d.township_id == township.pk],
                areas=[place("area", x) for x in areas if x.township_id == township.pk],
                villages=village_rows.get(township.pk, []),
                keeps_areas=a.keeps_areas_of(user, township.pk),
            )
            for township in townships
        ],
        # A cadre's own villages, outside the townships whose books the caller keeps.
        "villages": own_villages,
    }


@login_required
def assignment_manage(request):
    """The caller's places and who holds which post there, with the posts they may give and end."""
    user = request.user
    _require_assigner(user)
    board = _board(user)
    open_village = request.GET.get("village", "")
    context = {
        **board,
        "open_village": int(open_village) if open_village.isdigit() and len(open_village) < 10 else None,
        "single": len(board["townships"]) + len(board["villages"]) == 1,
    }
    return render(request, "governance/assignments/manage.html", context)


# ---------------------------------------------------------------- a post given


def _place_choices(user) -> list:
    choices = []
    for place_type in a.PLACE_TYPES:
        places = a.assignable_places(user, place_type)
        if place_type == "grid":
            places = places.select_related("village")
        elif place_type == "courtyard":
            places = places.select_related("village", "grid")
        elif place_type == "department":
            places = places.select_related("township")
        options = [(place_value(place_type, p), _place_label(place_type, p)) for p in places]
        if options:
            choices.append((PLACE_GROUPS[place_type], options))
    return choices


def _place_label(place_type: str, place) -> str:
    if place_type == "courtyard":
        return f"{place.village.name} {place.grid.name} · {place.name}"
    return str(place)


def _fixed_place(user, value: str | None):
    """The place named in `?place=type:id`: 404 out of sight, 403 where the caller gives no post;
    None when none is named."""
    parsed = parse_place(value) if value else None
    if parsed is None:
        return None
    place_type, pk = parsed
    place = a.places_in_sight(user, place_type).filter(pk=pk).first()
    if place is None:
        raise Http404
    if not a.roles_assignable_to(user, place):
        raise PermissionDenied(str(a.NOT_YOURS_TO_ASSIGN))
    return place_type, place


def _initial_person(request) -> dict:
    """`?user=<pk>` (an account's page links "assign this person"): the person chosen at first.
    The form's own choices decide whether the caller may give them a post."""
    person = request.GET.get("user", "")
    return {"user": int(person)} if person.isdigit() and len(person) < 10 else {}


@login_required
def assignment_create_page(request):
    """Give a person a post: at the place named in `?place=type:id` (the manage page's links; the
    form posts back to the same address), or at a place chosen in the form."""
    user = request.user
    _require_assigner(user)
    posted = request.method == "POST"
    fixed = _fixed_place(user, request.GET.get("place"))
    if fixed:
        place_type, place = fixed
        roles = a.roles_assignable_to(user, place)
        places = [(PLACE_GROUPS[place_type], [(place_value(place_type, place), _place_label(place_type, place))])]
        fixed_value = place_value(place_type, place)
    else:
        assignable = a.assignable_roles(user)
        roles = [role for role in Role if role in assignable]
        places, fixed_value = _place_choices(user), None
    form = AssignmentForm(
        request.POST if posted else None,
        places=places,
        roles=roles,
        users=a.assignable_users(user).order_by("first_name", "username"),
        fixed_place=fixed_value,
        initial=_initial_person(request),
    )
    status = 200
    if posted and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("form_token")
        place_type, place_id = data.pop("place")

        def perform():
            place = a.assignment_place(user, role=data["role"], place_type=place_type, place_id=place_id)
            where = {"department": place} if place_type == "department" else {"place": place}
            assignment_create(user=data.pop("user"), **where, **data)
            return _manage_url(place_type, place)

        saved = save_form(request, form, perform=perform, done=_("Assigned: the person sees the place from now on."))
        if saved is not None:
            return saved
    if posted:
        status = 400
    context = {"form": form, "fixed": fixed, "place_name": _place_label(*fixed) if fixed else None}
    return render(request, "governance/assignments/form.html", context, status=status)


# ---------------------------------------------------------------- a post ended


def _assignment_for(user, pk):
    queryset = Assignment.objects.select_related(
        "user", "township", "village", "grid__village", "courtyard", "department__township", "area"
    )
    return get_object_or_404(assignments_visible(user, queryset), pk=pk)


def _end_page(request, assignment, form=None, status=200):
    user = request.user
    if form is None and a.may_end(user, assignment) and not assignment.has_ended:
        today = timezone.localdate()
        ends_on = max(today, assignment.valid_from)
        if assignment.valid_to is not None:
            ends_on = min(ends_on, assignment.valid_to)
        form = AssignmentEndForm(prefix="end", initial={"valid_to": ends_on})
    context = {"assignment": assignment, "form": form, "back": _manage_url()}
    return render(request, "governance/assignments/end.html", context, status=status)


@login_required
def assignment_end_page(request, pk):
    """End a post on a day (the person keeps it until that day's end); the row stays on record."""
    user = request.user
    assignment = _assignment_for(user, pk)
    if request.method != "POST":
        if not a.may_end(user, assignment):
            raise PermissionDenied(str(a.NOT_YOURS_TO_END))
        return _end_page(request, assignment)

    def perform(data):
        assignment_end(assignment=assignment, on=data["valid_to"])
        return _manage_url(*_place_of(assignment))

    return step_page(
        request,
        action="end",
        detail_url=_manage_url(),
        check=lambda: a.require_may_end(user, assignment),
        form=lambda: AssignmentEndForm(request.POST, prefix="end"),
        perform=perform,
        done=_("Ended: the person no longer holds the post after that day."),
        show=lambda bound, status: _end_page(request, _assignment_for(user, pk), form=bound, status=status),
    )


def _place_of(assignment) -> tuple[str, object]:
    for kind in ("courtyard", "grid", "village", "area", "department"):
        if getattr(assignment, f"{kind}_id"):
            return kind, getattr(assignment, kind)
    return "township", assignment.township


# ---------------------------------------------------------------- 片区


def _area_page(request, form, area=None, status=200):
    return render(request, "governance/assignments/area_form.html", {"form": form, "area": area}, status=status)


@login_required
def area_create_page(request):
    """A new 片区 of the township: its name and its villages."""
    user = request.user
    townships = a.area_townships(user).order_by("code")
    if not townships.exists():
        raise PermissionDenied(str(a.NOT_AN_AREA_KEEPER))
    villages = Village.objects.filter(township__in=townships).order_by("code")
    posted = request.method == "POST"
    form = AreaForm(request.POST if posted else None, townships=townships, villages=villages)
    if posted and form.is_valid():
        data = form.cleaned_data

        def perform():
            area = area_create(township=data["township"], name=data["name"], villages=data["villages"])
            return f"{_manage_url()}#area-{area.pk}"

        saved = save_form(request, form, perform=perform, done=_("Area saved."))
        if saved is not None:
            return saved
    return _area_page(request, form, status=400 if posted else 200)


@login_required
def area_update_page(request, pk):
    """Rename a 片区 or change its villages (its 包片 leaders' sight follows at once)."""
    user = request.user
    area = get_object_or_404(a.areas_visible(user).select_related("township"), pk=pk)
    if not a.keeps_areas_of(user, area.township_id):
        raise PermissionDenied(str(a.NOT_AN_AREA_KEEPER))
    villages = Village.objects.filter(township_id=area.township_id).order_by("code")
    posted = request.method == "POST"
    initial = {"name": area.name, "villages": list(area.villages.all())}
    form = AreaForm(request.POST if posted else None, townships=None, villages=villages, initial=initial)
    if posted and form.is_valid():
        data = form.cleaned_data

        def perform():
            area_update(area=area, name=data["name"], villages=data["villages"])
            return f"{_manage_url()}#area-{area.pk}"

        saved = save_form(request, form, perform=perform, done=_("Area saved."))
        if saved is not None:
            return saved
    return _area_page(request, form, area=area, status=400 if posted else 200)
