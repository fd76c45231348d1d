"""The places' pages (/manage/places/): a keeper's villages with their grids and courtyards, and
the forms that create, rename, merge and split them (grids.places).

Checked in the contract's order: a place out of the reader's sight 404 (the same selector as
the other pages), a role that does not keep it 403, a place merged into another 409 (the page
again with the message), the input 400 (next to the field). Each write is one service call,
once per form token (governance.forms.step_page).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from governance.errors import Conflict, Forbidden
from governance.forms import object_step, step_page
from governance.roles import PLACE_KEEPERS
from governance.scoping import require_any_role, scope_for
from grids import places, services
from grids.models import Courtyard, Grid
from grids.place_forms import CourtyardForm, GridForm, MergeForm, SplitForm
from grids.selectors import (
    grids_visible_to,
    kept_grids,
    may_keep,
    place_staff,
    villages_kept_by,
    villages_visible_to,
)

KEEPERS_ONLY = gettext_lazy("Only the village's cadres or the township's administrator keep its grids and courtyards.")

# action -> the message when done
GRID_ACTIONS = {
    "rename": gettext_lazy("The grid's new name is saved. The change is kept in its history."),
    "add-courtyard": gettext_lazy("Courtyard added."),
    "merge": gettext_lazy(
        "The grids are merged: every household moved here, on the record. The merged grid's staff no longer"
        " hold it: assign staff on the assignments page if needed."
    ),
}
COURTYARD_ACTIONS = {
    "rename": gettext_lazy("The courtyard's new name is saved. The change is kept in its history."),
    "merge": gettext_lazy("The courtyards are merged: every household moved here, on the record."),
}


@dataclass(frozen=True)
class _Kind:
    """What the keepers' pages of one kind of place (grid, courtyard) are made of."""

    actions: dict  # action -> the message when done
    load: Callable  # (user, pk) -> the place, 404 out of sight
    form: Callable  # (place, action, data=None) -> the action's form
    page: Callable  # (request, place, bound=None, status=200) -> the place's page
    url_name: str


def _retired_message(place) -> str:
    return _("%(place)s was merged into another: it is kept as it was.") % {"place": place.name}


def _check(user, place) -> None:
    """The role (403), then the place's state (409)."""
    if not may_keep(user, place):
        raise Forbidden(KEEPERS_ONLY)
    if place.retired_on is not None:
        raise Conflict(_retired_message(place))


def _with_staff(grids: list[Grid]) -> None:
    """Each grid's and each of its courtyards' staff today (`staff`), one query."""
    staff = place_staff(grid_ids=[g.pk for g in grids], courtyard_ids=[c.pk for g in grids for c in g.courtyard_list])
    for grid in grids:
        grid.staff = staff.get(("grid", grid.pk), [])
        for courtyard in grid.courtyard_list:
            courtyard.staff = staff.get(("courtyard", courtyard.pk), [])


@login_required
def place_list(request):
    """The villages the reader keeps, each with its grids (households, staff, courtyards) and
    the grids merged into others, each place linking its page and its history."""
    user = request.user
    require_any_role(user, PLACE_KEEPERS, KEEPERS_ONLY)
    villages = list(villages_kept_by(user))
    grids = kept_grids(village_ids=[v.pk for v in villages])
    _with_staff(grids)
    for village in villages:
        mine = [g for g in grids if g.village_id == village.pk]
        village.grid_list = [g for g in mine if g.retired_on is None]
        village.retired_list = [g for g in mine if g.retired_on is not None]
    return render(request, "grids/places/list.html", {"villages": villages})


# ---------------------------------------------------------------- grids


def _grid_for(user, pk) -> Grid:
    return get_object_or_404(grids_visible_to(user).select_related("merged_into", "village__township"), pk=pk)


def _grid_form(grid: Grid, action: str, data=None):
    if action == "rename":
        initial = {"name": grid.name, "number": grid.number}
        return GridForm(data, prefix=action, renaming=True, initial=initial)
    if action == "merge":
        others = Grid.objects.filter(village_id=grid.village_id).exclude(pk=grid.pk)
        return MergeForm(data, prefix=action, places=others.active().order_by("number"), accepts=others)
    return CourtyardForm(data, prefix=action)


def _keeper_forms(user, place, kind: _Kind, bound):
    """The forms a keeper may send on a place in use (none for a reader who does not keep it, or
    for a place merged into another), `bound` (the one sent) in place of its blank one."""
    if place.retired_on is not None or not may_keep(user, place):
        return {}
    forms = {action: kind.form(place, action) for action in kind.actions}
    if not forms["merge"].fields["into"].queryset.exists():
        del forms["merge"]  # no other place in use to merge into
    if bound is not None:
        forms[bound.prefix] = bound
    return forms


def _place_detail(request, pk, kind: _Kind):
    """A place's page for its keepers (403 to a reader who only sees it)."""
    place = kind.load(request.user, pk)
    if not may_keep(request.user, place):
        raise PermissionDenied(KEEPERS_ONLY)
    return kind.page(request, place)


def _place_action(request, pk, action: str, kind: _Kind, perform):
    """One of a place's forms sent: 404, 403, 409, 400, once; `perform(place, data)`."""
    user = request.user
    return object_step(
        request,
        pk,
        action,
        actions=kind.actions,
        load=kind.load,
        page=kind.page,
        url_name=kind.url_name,
        check=lambda place: _check(user, place),
        form=lambda place: kind.form(place, action, request.POST),
        perform=perform,
        done=kind.actions.get(action),
    )


def _grid_page(request, grid: Grid, bound=None, status=200):
    user = request.user
    (row,) = kept_grids(grid_ids=[grid.pk])
    _with_staff([row])
    context = {
        "grid": grid,
        "row": row,
        "forms": _keeper_forms(user, grid, GRID, bound),
        "retired_courtyards": Courtyard.objects.filter(grid=grid, retired_on__isnull=False).order_by("name"),
        "reads_people": scope_for(user).reads_people,
    }
    return render(request, "grids/places/grid.html", context, status=status)


GRID = _Kind(actions=GRID_ACTIONS, load=_grid_for, form=_grid_form, page=_grid_page, url_name="grids:place-grid")


@login_required
def grid_detail(request, pk):
    """One grid for its keepers: households, staff, courtyards, and the forms to change it."""
    return _place_detail(request, pk, GRID)


@login_required
@require_POST
def grid_action(request, pk, action):
    """Rename, merge, or add a courtyard: 404, 403, 409, 400, once."""
    user = request.user

    def perform(grid, data):
        if action == "rename":
            places.grid_update(grid=grid, name=data["name"], number=data["number"])
        elif action == "merge":
            merged = places.grid_merge(grid=grid, into=data["into"], actor=user)
            return reverse("grids:place-grid", args=[merged.into.pk])
        else:
            courtyard = services.courtyard_create(grid=grid, name=data["name"])
            return reverse("grids:place-courtyard", args=[courtyard.pk])

    return _place_action(request, pk, action, GRID, perform)


@login_required
def grid_create(request, village_pk):
    """A new grid of the village: its name, its number (the next free one by default)."""
    user = request.user
    village = get_object_or_404(villages_visible_to(user).select_related("township"), pk=village_pk)
    if request.method != "POST":
        if not villages_kept_by(user).filter(pk=village.pk).exists():
            raise PermissionDenied(KEEPERS_ONLY)
        return render(request, "grids/places/grid_create.html", {"village": village, "form": GridForm(prefix="create")})

    def check():
        if not villages_kept_by(user).filter(pk=village.pk).exists():
            raise Forbidden(KEEPERS_ONLY)

    form = GridForm(request.POST, prefix="create")

    def perform(data):
        grid = services.grid_create(village=village, name=data["name"], number=data.get("number"))
        return reverse("grids:place-grid", args=[grid.pk])

    return step_page(
        request,
        action="create",
        detail_url=reverse("grids:place-list"),
        check=check,
        form=lambda: form,
        perform=perform,
        done=_("Grid added. Assign its staff on the assignments page."),
        show=lambda bound, status: render(
            request, "grids/places/grid_create.html", {"village": village, "form": bound or form}, status=status
        ),
    )


def _split_households(grid: Grid):
    return grid.households.select_related("courtyard").order_by("courtyard__name", "number", "pk")


def _split_page(request, grid: Grid, form: SplitForm, status=200):
    """The split form with the grid's households to choose from, grouped by courtyard."""
    households = list(_split_households(grid))
    chosen = form.chosen_ids()
    groups: dict = {}
    for household in households:
        household.chosen = household.pk in chosen
        groups.setdefault(household.courtyard, []).append(household)
    context = {
        "grid": grid,
        "form": form,
        "groups": [
            {"courtyard": courtyard, "households": rows, "open": len(groups) == 1 or any(h.chosen for h in rows)}
            for courtyard, rows in groups.items()
        ],
        "count": len(households),
        "reads_people": scope_for(request.user).reads_people,
    }
    return render(request, "grids/places/split.html", context, status=status)


@login_required
def grid_split(request, pk):
    """Split the grid: a new grid of the village taking the households chosen."""
    user = request.user
    grid = _grid_for(user, pk)
    if request.method != "POST":
        if not may_keep(user, grid):
            raise PermissionDenied(KEEPERS_ONLY)
        if grid.retired_on is not None:
            messages.error(request, _retired_message(grid))
            return _grid_page(request, grid, status=409)
        return _split_page(request, grid, SplitForm(prefix="split", households=_split_households(grid)))
    form = SplitForm(request.POST, prefix="split", households=_split_households(grid))

    def perform(data):
        split = places.grid_split(
            grid=grid, name=data["name"], number=data.get("number"), households=list(data["households"]), actor=user
        )
        return reverse("grids:place-grid", args=[split.grid.pk])

    def show(bound, status):
        fresh = _grid_for(user, pk)
        if bound is None:
            return _grid_page(request, fresh, status=status)
        return _split_page(request, fresh, bound, status=status)

    return step_page(
        request,
        action="split",
        detail_url=reverse("grids:place-grid", args=[grid.pk]),
        check=lambda: _check(user, grid),
        form=lambda: form,
        perform=perform,
        done=_(
            "The new grid is made and the households chosen moved to it, on the record. Assign its staff on the"
            " assignments page."
        ),
        show=show,
    )


# ---------------------------------------------------------------- courtyards


def _courtyard_for(user, pk) -> Courtyard:
    queryset = scope_for(user).filter_places(
        Courtyard.objects.select_related("grid__village", "merged_into"), "courtyard"
    )
    return get_object_or_404(queryset, pk=pk)


def _courtyard_form(courtyard: Courtyard, action: str, data=None):
    if action == "rename":
        return CourtyardForm(data, prefix=action, initial={"name": courtyard.name})
    others = Courtyard.objects.filter(grid_id=courtyard.grid_id).exclude(pk=courtyard.pk)
    return MergeForm(data, prefix=action, places=others.active().order_by("name"), accepts=others)


def _courtyard_page(request, courtyard: Courtyard, bound=None, status=200):
    user = request.user
    context = {
        "courtyard": courtyard,
        "household_count": courtyard.households.count(),
        "staff": place_staff(courtyard_ids=[courtyard.pk]).get(("courtyard", courtyard.pk), []),
        "forms": _keeper_forms(user, courtyard, COURTYARD, bound),
    }
    return render(request, "grids/places/courtyard.html", context, status=status)


COURTYARD = _Kind(
    actions=COURTYARD_ACTIONS,
    load=_courtyard_for,
    form=_courtyard_form,
    page=_courtyard_page,
    url_name="grids:place-courtyard",
)


@login_required
def courtyard_detail(request, pk):
    """One courtyard for its keepers: households, helpers, and the forms to change it."""
    return _place_detail(request, pk, COURTYARD)


@login_required
@require_POST
def courtyard_action(request, pk, action):
    """Rename, or merge into another courtyard of the grid: 404, 403, 409, 400, once."""
    user = request.user

    def perform(courtyard, data):
        if action == "rename":
            places.courtyard_update(courtyard=courtyard, name=data["name"])
            return None
        merged = places.courtyard_merge(courtyard=courtyard, into=data["into"], actor=user)
        return reverse("grids:place-courtyard", args=[merged.into.pk])

    return _place_action(request, pk, action, COURTYARD, perform)
