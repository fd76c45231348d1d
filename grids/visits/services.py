"""Visits (走访): recording them and keeping what is due (the reads are in selectors.py).

A visit is append-only and keyed by the phone's UUID, unique per author. The same UUID
with the same body is a replay (the phone lost the answer and sent again): the stored
visit is returned and nothing is written. The same UUID with another body is a conflict.

Each household carries the day it was last visited and the day its next visit is due
(`households_refresh_visit_due`), so the grid worker's list, the reminders and the bench
sort and count on an index instead of aggregating every visit ever made.
"""

import datetime
import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.errors import Conflict
from governance.models import Role
from governance.photos import reencode_photo
from governance.roles import GRID_ROLES, VILLAGE_DUTY_ROLES, VISITOR_ROLES
from governance.scoping import scope_for
from grids.models import Courtyard, Grid, Household, Resident, retired_message
from grids.visits.models import Visit, VisitPhoto, not_superseded


class VisitConflict(Conflict):
    """The same client UUID arrived with a different visit, or a visit was already corrected."""


def _fingerprint(fields: dict) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _covers_grid(scope, grid: Grid) -> bool:
    return (
        scope.is_superuser
        or grid.pk in scope.ids_for(GRID_ROLES)
        or grid.village_id in scope.ids_for(VILLAGE_DUTY_ROLES)
    )


def _covers_courtyard(scope, courtyard: Courtyard) -> bool:
    return courtyard.pk in scope.by_role.get(Role.COURTYARD_HELPER, frozenset()) or _covers_grid(scope, courtyard.grid)


def _refuse_merged_before(place: Grid | Courtyard, day: datetime.date) -> None:
    """A walk of a grid or courtyard after the day it was merged into another is refused (400):
    it has no households and no staff any more. One dated up to that day, sent late from a
    phone that was offline, still counts for its cycle."""
    if place.retired_on is not None and day > place.retired_on:
        field = "courtyard" if isinstance(place, Courtyard) else "grid"
        raise ValidationError({field: retired_message(place)})


def _place_of(scope, *, method, household, grid, courtyard) -> tuple[Grid, Courtyard | None, Household | None]:
    """The grid, courtyard and household the visit is about, checked against the author's
    places: a place outside them is a field error (400), as for any invalid choice."""
    if household is not None:
        if not scope.covers(household, VISITOR_ROLES):
            raise ValidationError({"household": _("This household is not in your grids.")})
        return household.grid, household.courtyard, household
    if method == Visit.Method.COURTYARD or courtyard is not None:
        if courtyard is None:
            raise ValidationError({"courtyard": _("Choose the courtyard you walked.")})
        if not _covers_courtyard(scope, courtyard):
            raise ValidationError({"courtyard": _("This courtyard is not in your grids.")})
        return courtyard.grid, courtyard, None
    if method in (Visit.Method.HOME, Visit.Method.SIT_DOWN):
        raise ValidationError({"household": _("Choose the household you visited.")})
    if grid is None:
        raise ValidationError({"grid": _("Choose the household you visited, or the grid you walked.")})
    if not _covers_grid(scope, grid):
        raise ValidationError({"grid": _("This grid is not one of yours.")})
    return grid, None, None


def _check_visited_at(visited_at: datetime.datetime, now: datetime.datetime) -> None:
    if timezone.is_naive(visited_at):
        raise ValidationError({"visited_at": _("Give the time with its time zone.")})
    tolerance = datetime.timedelta(minutes=settings.VISIT_FUTURE_TOLERANCE_MINUTES)
    if visited_at > now + tolerance:
        raise ValidationError(
            {"visited_at": _("The visit time is in the future. Check the date and the clock of your phone.")}
        )


def _coordinate(value, limit: int, field: str):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except ArithmeticError:
        raise ValidationError({field: _("Not a valid coordinate.")})
    if not -limit <= number <= limit:
        raise ValidationError({field: _("Not a valid coordinate.")})
    return number


def visit_record(
    *,
    author,
    client_uuid,
    visited_at: datetime.datetime,
    method: str,
    household: Household | None = None,
    grid: Grid | None = None,
    courtyard: Courtyard | None = None,
    met: str = "",
    notes: str = "",
    action_taken: str = "",
    result: str = Visit.Result.NOTHING,
    latitude=None,
    longitude=None,
    supersedes: Visit | None = None,
    raise_matter: bool = False,
    matter_title: str = "",
    now: datetime.datetime | None = None,
) -> tuple[Visit, bool]:
    """Record a visit, or find the one already stored under this author's UUID.

    Returns (visit, created). A replay with the same body returns the stored visit; the
    same UUID with another body raises VisitConflict. With `raise_matter`, the finding is
    also recorded as a matter (source: a visit) in the same transaction.
    """
    now = now or timezone.now()
    body = {
        "household": household.pk if household else None,
        "grid": grid.pk if grid and household is None else None,
        "courtyard": courtyard.pk if courtyard and household is None else None,
        "visited_at": visited_at.astimezone(datetime.UTC).isoformat() if timezone.is_aware(visited_at) else "",
        "method": method,
        "met": met,
        "notes": notes.strip(),
        "action_taken": action_taken.strip(),
        "result": result,
        "latitude": str(latitude) if latitude not in (None, "") else None,
        "longitude": str(longitude) if longitude not in (None, "") else None,
        "supersedes": supersedes.pk if supersedes else None,
        "raise_matter": bool(raise_matter),
        "matter_title": matter_title.strip(),
    }
    fingerprint = _fingerprint(body)
    stored = _stored(author, client_uuid, fingerprint)
    if stored is not None:
        return stored, False
    _check_visited_at(visited_at, now)
    if method not in Visit.Method.values:
        raise ValidationError({"method": _("Choose how you visited.")})
    place_grid, place_courtyard, place_household = _place_of(
        scope_for(author), method=method, household=household, grid=grid, courtyard=courtyard
    )
    if place_household is None:
        _refuse_merged_before(place_courtyard or place_grid, timezone.localdate(visited_at))
    try:
        with transaction.atomic():
            visit = _create(
                author=author,
                client_uuid=client_uuid,
                fingerprint=fingerprint,
                grid=place_grid,
                courtyard=place_courtyard,
                household=place_household,
                visited_at=visited_at,
                method=method,
                met=met,
                notes=body["notes"],
                action_taken=body["action_taken"],
                result=result,
                latitude=_coordinate(latitude, 90, "latitude"),
                longitude=_coordinate(longitude, 180, "longitude"),
                supersedes=supersedes,
                raise_matter=raise_matter,
                matter_title=body["matter_title"],
            )
    except IntegrityError:
        # Two sends of one visit raced: the loser returns what the winner stored.
        stored = _stored(author, client_uuid, fingerprint)
        if stored is None:
            raise
        return stored, False
    return visit, True


def _stored(author, client_uuid, fingerprint: str) -> Visit | None:
    visit = Visit.objects.filter(author=author, client_uuid=client_uuid).first()
    if visit is not None and visit.fingerprint != fingerprint:
        raise VisitConflict(_("A different visit was already sent with this client UUID."), code="visit_uuid_reused")
    return visit


def _create(*, author, supersedes, raise_matter, matter_title, **fields) -> Visit:
    if supersedes is not None:
        supersedes = Visit.objects.select_for_update().get(pk=supersedes.pk)
        if supersedes.author_id != author.pk:
            raise ValidationError({"supersedes": _("You can only correct your own visits.")})
        if Visit.objects.filter(supersedes=supersedes).exists():
            raise VisitConflict(_("This visit was already corrected."), code="visit_already_corrected")
    if fields["result"] not in Visit.Result.values:
        raise ValidationError({"result": _("Choose a result.")})
    if fields["met"] and fields["met"] not in Visit.Met.values:
        raise ValidationError({"met": _("Choose who you met.")})
    if raise_matter and not fields["notes"]:
        raise ValidationError({"notes": _("Write down what was found, so the matter can be followed up.")})
    visited_at = fields["visited_at"]
    visit = Visit(
        author=author,
        township_id=fields["grid"].township_id,
        village_id=fields["grid"].village_id,
        visited_on=timezone.localdate(visited_at),
        supersedes=supersedes,
        **fields,
    )
    if raise_matter:
        visit.matter = _raise_matter(visit, author=author, title=matter_title)
        visit.result = Visit.Result.REPORTED
    visit.save()
    affected = {visit.household_id, supersedes.household_id if supersedes else None} - {None}
    households_refresh_visit_due(affected)
    return visit


def _raise_matter(visit: Visit, *, author, title: str):
    from petitions.models import Source
    from petitions.services import matter_submit

    household = visit.household
    return matter_submit(
        actor=author,
        title=title or visit.notes.splitlines()[0][:60],
        description=visit.notes,
        grid=visit.grid,
        household=household,
        source=Source.VISIT,
        submitter_name=(household.head_name if household else "") or author.get_full_name() or author.username,
        on_behalf=household is not None,
    )


MAX_VISIT_PHOTOS = 6


@transaction.atomic
def visit_add_photo(*, visit: Visit, actor, upload) -> VisitPhoto:
    """Attach a photo to one's own visit (re-encoded without EXIF, like matter photos)."""
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.author_id != actor.pk:
        raise PermissionDenied(_("Only the visitor may add photos to a visit."))
    if visit.photos.count() >= MAX_VISIT_PHOTOS:
        raise ValidationError({"image": _("A visit may have at most %(count)d photos.") % {"count": MAX_VISIT_PHOTOS}})
    data, width, height = reencode_photo(upload)
    photo = VisitPhoto(visit=visit, width=width, height=height, size=len(data))
    photo.image.save("photo.jpg", ContentFile(data), save=False)
    photo.save()
    return photo


def households_refresh_visit_due(household_ids) -> int:
    """Recompute last_visited_on and visit_due_on for these households.

    The target is the shortest `visit_every_days` among the tags of the household and of its
    members still living there (or away), else VISIT_DEFAULT_EVERY_DAYS. Called whenever a
    visit, a tag or a tag's target changes.
    """
    ids = sorted(set(household_ids))
    if not ids:
        return 0
    default = settings.VISIT_DEFAULT_EVERY_DAYS
    last = dict(
        Visit.objects.filter(not_superseded(), household_id__in=ids)
        .values("household_id")
        .annotate(last=Max("visited_on"))
        .values_list("household_id", "last")
    )
    every: dict[int, int] = {}
    household_tags = Household.tags.through.objects.filter(
        household_id__in=ids, tag__visit_every_days__isnull=False
    ).values_list("household_id", "tag__visit_every_days")
    resident_tags = Resident.tags.through.objects.filter(
        resident__household_id__in=ids,
        resident__status__in=[Resident.Status.RESIDENT, Resident.Status.AWAY],
        tag__visit_every_days__isnull=False,
    ).values_list("resident__household_id", "tag__visit_every_days")
    for household_id, days in [*household_tags, *resident_tags]:
        every[household_id] = min(days, every.get(household_id, days))
    rows = []
    for household in Household.objects.filter(pk__in=ids).only("pk", "last_visited_on", "visit_due_on"):
        visited = last.get(household.pk)
        due = visited + datetime.timedelta(days=every.get(household.pk, default)) if visited else None
        if (household.last_visited_on, household.visit_due_on) != (visited, due):
            household.last_visited_on, household.visit_due_on = visited, due
            rows.append(household)
    Household.objects.bulk_update(rows, ["last_visited_on", "visit_due_on"], batch_size=1000)
    return len(rows)
