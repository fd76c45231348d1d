"""Places kept by their village: grids and courtyards renamed, merged and split.

(Creating one is `grids.services.grid_create` / `courtyard_create`.) Who may keep a village's
places is the caller's business (grids.selectors.PLACE_KEEPERS, checked by the pages and the
API); these functions check the places' state under row locks.

Households change place only through `grids.services.household_move`, so every one is on the
record (HouseholdMove) and the apps built on grids follow it (grids.signals). A merged grid or
courtyard is retired, not deleted: it stays, empty, with its history, its visits and its past
compliance, and takes nothing new. The assignments to it end on the day of the merge; a
courtyard helper whose courtyard moves to another grid keeps the courtyard under a new
assignment (an assignment carries its grid), the old one ending that day.

Each function runs in one transaction and locks the rows two keepers could act on at once in
one order: the village (where numbers and names are claimed), the grids (by id), the
courtyards, the households. A second merge of a grid waits for the first and then finds it
retired (Conflict, 409).
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.errors import Conflict
from governance.models import Assignment
from governance.services import assignment_create, assignment_end
from grids.models import Courtyard, Grid, Household, HouseholdMove, Village
from grids.services import grid_create, household_move, place_name
from grids.signals import grid_merged

# The reasons the household moves of these operations carry (data, like the register import's).
GRID_MERGE_REASON = "合并网格"
GRID_SPLIT_REASON = "拆分网格"
COURTYARD_MERGE_REASON = "合并院落"


@dataclass
class Merged:
    """What a merge did: the place retired, the one that took its households, their moves, the
    courtyards that went along (a grid's) and those renamed on the way (old name, new name), and
    how many assignments ended."""

    place: Grid | Courtyard
    into: Grid | Courtyard
    moves: list[HouseholdMove] = field(default_factory=list)
    courtyards: list[Courtyard] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    ended: int = 0


@dataclass
class Split:
    """What a split did: the new grid, the moves of the households it took, and the courtyards
    that went along whole."""

    grid: Grid
    moves: list[HouseholdMove]
    courtyards: list[Courtyard]


def _locked(model, *pks: int) -> dict[int, Grid | Courtyard]:
    """Rows locked in id order, so that two keepers taking the same rows never deadlock."""
    return {row.pk: row for row in model.objects.select_for_update().filter(pk__in=sorted(set(pks))).order_by("pk")}


def _refuse_retired(place, message, code="retired") -> None:
    if place.retired_on is not None:
        raise Conflict(message, code=code)


def _open_assignments(today: datetime.date, **place):
    """The assignments to a place that still run after today (those ending today end anyway)."""
    return (
        Assignment.objects.filter(**place)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today))
        .select_related("user")
        .order_by("pk")
    )


def _end(assignments, today: datetime.date) -> int:
    """End the assignments today (or on the day they start, for one not started yet)."""
    ended = 0
    for assignment in assignments:
        assignment_end(assignment=assignment, on=max(today, assignment.valid_from))
        ended += 1
    return ended


def _merge_locked(model, place, into, parent: str, *, already: str, into_retired: str, elsewhere: str) -> Merged:
    """A merge of `place` into `into` begun: both rows locked, refused if either is retired
    (409; `into_retired` names `into` by the model's name, e.g. %(grid)s) or if they belong to
    different parents (`parent`, 400 on `into`)."""
    rows = _locked(model, place.pk, into.pk)
    source, target = rows[place.pk], rows[into.pk]
    _refuse_retired(source, already)
    _refuse_retired(target, into_retired % {model._meta.model_name: target.name}, code="into_retired")
    if getattr(target, parent) != getattr(source, parent):
        raise ValidationError({"into": elsewhere})
    return Merged(place=source, into=target)


def _retire(merged: Merged, today: datetime.date, **place) -> None:
    """The merge finished: the assignments to the place end today and it is retired into the other."""
    merged.ended = _end(_open_assignments(today, **place), today)
    source = merged.place
    source.retired_on, source.merged_into = today, merged.into
    source.save()


def _move_households(households, *, to_grid: Grid, courtyards: dict, actor, reason: str) -> list[HouseholdMove]:
    """Each household moved to `to_grid` through `household_move`, into the courtyard that
    `courtyards` maps its own to (none where it maps nothing)."""
    return [
        household_move(
            household=household,
            to_grid=to_grid,
            to_courtyard=courtyards.get(household.courtyard_id),
            moved_by=actor,
            reason=reason,
        )
        for household in households
    ]


def _staff_follow(courtyard: Courtyard, today: datetime.date) -> None:
    """The courtyard moved to another grid: each assignment to it ends today and a new one,
    with the same role, title and end, starts on the same day in its new grid."""
    for old in _open_assignments(today, courtyard=courtyard).exclude(grid_id=courtyard.grid_id):
        start = max(today, old.valid_from)
        assignment_end(assignment=old, on=start)
        assignment_create(
            user=old.user, role=old.role, place=courtyard, valid_from=start, valid_to=old.valid_to, title=old.title
        )


def _free_name(name: str, grid_name: str, taken: set[str]) -> str:
    """A courtyard's name that no courtyard in use of its new grid holds: its own, else its
    old grid's name beside it (and a number, should that be taken too)."""
    if name not in taken:
        return name
    base = (_("%(name)s (%(grid)s)") % {"name": name, "grid": grid_name})[:100]
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base[:96]} {n}", n + 1
    return candidate


@transaction.atomic
def grid_update(*, grid: Grid, name: str | None = None, number: int | None = None) -> Grid:
    """Rename a grid in use, or give it another number no grid in use of its village holds."""
    Village.objects.select_for_update().get(pk=grid.village_id)
    grid = _locked(Grid, grid.pk)[grid.pk]
    _refuse_retired(grid, _("This grid was merged into another: it is kept as it was."))
    others = Grid.objects.active().filter(village_id=grid.village_id).exclude(pk=grid.pk)
    if name is not None:
        grid.name = place_name(name)
        if others.filter(name=grid.name).exists():
            raise ValidationError({"name": _("Another grid of the village has this name.")})
    if number is not None:
        if others.filter(number=number).exists():
            raise ValidationError({"number": _("Another grid of the village has this number.")})
        grid.number = number
    grid.save()
    return grid


@transaction.atomic
def grid_merge(*, grid: Grid, into: Grid, actor) -> Merged:
    """Merge `grid` into `into`, a grid in use of the same village: each household moves through
    `household_move` (reason 合并网格), the courtyards in use go along (one whose name `into`
    already has is renamed after its old grid), the assignments to `grid` end today, and `grid`
    is retired. What else points at `grid` follows through grids.signals.grid_merged."""
    if grid.pk == into.pk:
        raise Conflict(_("A grid cannot be merged into itself."), code="same_place")
    merged = _merge_locked(
        Grid,
        grid,
        into,
        "village_id",
        already=_("This grid was already merged into another."),
        into_retired=_("%(grid)s was merged into another grid; choose a grid in use."),
        elsewhere=_("A grid can only be merged into a grid of its own village."),
    )
    source, target, today = merged.place, merged.into, timezone.localdate()
    taken = set(Courtyard.objects.active().filter(grid=target).values_list("name", flat=True))
    courtyards = {}
    for courtyard in Courtyard.objects.active().select_for_update().filter(grid=source).order_by("pk"):
        name = _free_name(courtyard.name, source.name, taken)
        if name != courtyard.name:
            merged.renamed.append((courtyard.name, name))
        courtyard.grid, courtyard.name = target, name
        courtyard.save()
        taken.add(name)
        _staff_follow(courtyard, today)
        courtyards[courtyard.pk] = courtyard
    merged.courtyards = list(courtyards.values())
    # Locked before they are moved: a household moved elsewhere meanwhile is no longer listed.
    merged.moves = _move_households(
        Household.objects.select_for_update().filter(grid=source).order_by("pk"),
        to_grid=target,
        courtyards=courtyards,
        actor=actor,
        reason=GRID_MERGE_REASON,
    )
    _retire(merged, today, grid=source)
    grid_merged.send(sender=Grid, grid=source, into=target, actor=actor)
    return merged


@transaction.atomic
def grid_split(*, grid: Grid, name: str, households, actor, number: int | None = None) -> Split:
    """A new grid of the village (`name`, the next number unless `number`) taking the chosen
    households of `grid`, each moved through `household_move` (reason 拆分网格). A courtyard
    whose households all go moves along with its helpers; from any other the households go
    without their courtyard."""
    ids = sorted({getattr(h, "pk", h) for h in households})
    if not ids:
        raise ValidationError({"households": _("Choose the households that go to the new grid.")})
    Village.objects.select_for_update().get(pk=grid.village_id)
    source = _locked(Grid, grid.pk)[grid.pk]
    _refuse_retired(source, _("This grid was merged into another: it cannot be split."))
    chosen = list(Household.objects.select_for_update().filter(grid=source, pk__in=ids).order_by("pk"))
    if len(chosen) != len(ids):
        raise ValidationError(
            {
                "households": _("%(count)d of the households chosen are not in this grid (any more).")
                % {"count": len(ids) - len(chosen)}
            }
        )
    new = grid_create(village=source.village, name=name, number=number)
    today = timezone.localdate()
    going = Counter(h.courtyard_id for h in chosen if h.courtyard_id)
    sizes = dict(
        Household.objects.filter(courtyard_id__in=sorted(going))
        .values("courtyard_id")
        .annotate(n=Count("pk"))
        .values_list("courtyard_id", "n")
    )
    whole = [pk for pk, n in going.items() if sizes.get(pk) == n]
    courtyards = {}
    for courtyard in Courtyard.objects.select_for_update().filter(pk__in=sorted(whole)).order_by("pk"):
        courtyard.grid = new
        courtyard.save()
        _staff_follow(courtyard, today)
        courtyards[courtyard.pk] = courtyard
    moves = _move_households(chosen, to_grid=new, courtyards=courtyards, actor=actor, reason=GRID_SPLIT_REASON)
    return Split(grid=new, moves=moves, courtyards=list(courtyards.values()))


@transaction.atomic
def courtyard_update(*, courtyard: Courtyard, name: str) -> Courtyard:
    """Rename a courtyard in use; names are unique among its grid's courtyards in use."""
    _locked(Grid, courtyard.grid_id)
    courtyard = _locked(Courtyard, courtyard.pk)[courtyard.pk]
    _refuse_retired(courtyard, _("This courtyard was merged into another: it is kept as it was."))
    courtyard.name = place_name(name)
    others = Courtyard.objects.active().filter(grid_id=courtyard.grid_id).exclude(pk=courtyard.pk)
    if others.filter(name=courtyard.name).exists():
        raise ValidationError({"name": _("Another courtyard of this grid has this name.")})
    courtyard.save()
    return courtyard


@transaction.atomic
def courtyard_merge(*, courtyard: Courtyard, into: Courtyard, actor) -> Merged:
    """Merge `courtyard` into `into`, a courtyard in use of the same grid: each household moves
    through `household_move` (reason 合并院落), the assignments to `courtyard` end today, and
    `courtyard` is retired."""
    if courtyard.pk == into.pk:
        raise Conflict(_("A courtyard cannot be merged into itself."), code="same_place")
    _locked(Grid, courtyard.grid_id, into.grid_id)
    merged = _merge_locked(
        Courtyard,
        courtyard,
        into,
        "grid_id",
        already=_("This courtyard was already merged into another."),
        into_retired=_("%(courtyard)s was merged into another courtyard; choose one in use."),
        elsewhere=_("A courtyard can only be merged into a courtyard of its own grid."),
    )
    source, target, today = merged.place, merged.into, timezone.localdate()
    grid = Grid.objects.get(pk=source.grid_id)
    merged.moves = _move_households(
        Household.objects.select_for_update().filter(courtyard=source).order_by("pk"),
        to_grid=grid,
        courtyards={source.pk: target},
        actor=actor,
        reason=COURTYARD_MERGE_REASON,
    )
    _retire(merged, today, courtyard=source)
    return merged
