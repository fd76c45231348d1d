"""Activities of a village's campaigns (邻里节, 孝老爱亲走访 ...): the record with its participants
and photos, and, where the village's rules allow, ONE points batch for the participants, which
goes through the maker-checker (公示, another cadre approves) like every proposal.

Who: the village's cadres, and grid staff for activities of their own village (a grid's
activity names the grid). Checked in the contract's order: role 403, state 409, input 400.
Photos are re-encoded (a JPEG without metadata, size-limited) and served only through the
scoped photo view (governance.files.private_photo_view): never public.
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.civic.access import check_reach, visible
from governance.civic.models import Activity, ActivityKind, ActivityPhoto
from governance.errors import Conflict, Forbidden
from governance.limits import too_early
from governance.photos import reencode_photo
from governance.roles import ACTIVITY_RECORDERS, CIVIC_READERS, GRID_ROLES
from governance.scoping import reaches_village, scope_for, villages_for
from grids.models import Grid, Resident, Village
from points.models import Rule
from points.services import award_propose_batch

MAX_PHOTOS = 12
MAX_PARTICIPANTS = 500
NOT_A_RECORDER = gettext_lazy("Only the village's cadres and grid staff record its activities.")


class ActivityPermissionError(Forbidden):
    """The caller's role may not do this for this activity (403)."""


class ActivityStateError(Conflict):
    """Not possible in the activity's current state (409)."""


# ---------------------------------------------------------------- reads


def activities_visible_to(user):
    """The activities of the villages the user's civic reader roles reach, latest first, with
    how many took part (`participant_count`) and how many photos (`photo_count`)."""
    return (
        visible(Activity.objects.all(), user, CIVIC_READERS)
        .select_related("village", "grid", "award_batch")
        .annotate(participant_count=Count("participants", distinct=True), photo_count=Count("photos", distinct=True))
        .order_by("-held_on", "-id")
    )


def activity_detail_queryset(user):
    return (
        activities_visible_to(user)
        .select_related("recorded_by", "award_batch__rule")
        .prefetch_related("photos", "participants__household")
    )


def may_record(user, activity: Activity) -> bool:
    try:
        check_reach(user, ACTIVITY_RECORDERS, activity, NOT_A_RECORDER)
    except Forbidden:
        return False
    return True


def activity_rules(village_id: int, user=None):
    """The rules an activity's participants may be proposed: active, earning (taking part is never
    a deduction), of the village, no evidence;
    given a user, only those one of their roles proposes (the points bank checks it again)."""
    rules = Rule.objects.filter(village_id=village_id, is_active=True, points__gt=0, requires_evidence=False).order_by(
        "order", "pk"
    )
    if user is None or user.is_superuser:
        return rules
    roles = scope_for(user).roles
    return rules.filter(pk__in=[rule.pk for rule in rules if set(rule.proposer_roles) & roles])


def participants_for(user):
    """The residents a recorder may name: those living in the villages their roles reach."""
    return (
        Resident.objects.filter(village__in=villages_for(user, ACTIVITY_RECORDERS).values("pk"))
        .exclude(status__in=(Resident.Status.MOVED_OUT, Resident.Status.DECEASED))
        .select_related("household")
        .order_by("village_id", "household__number", "name", "pk")
    )


# ---------------------------------------------------------------- writes


def _photos(activity: Activity, actor, photos, already: int = 0) -> None:
    photos = [p for p in (photos or []) if p]
    if already + len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("At most %(count)d photos per activity.") % {"count": MAX_PHOTOS}})
    encoded = [reencode_photo(upload, field="photos") for upload in photos]
    for data, width, height in encoded:
        photo = ActivityPhoto(activity=activity, width=width, height=height, size=len(data), uploaded_by=actor)
        photo.image.save("photo.jpg", ContentFile(data), save=False)
        photo.save()


@transaction.atomic
def activity_record(
    *,
    actor,
    village: Village,
    kind: str,
    title: str,
    held_on: datetime.date,
    description: str,
    participants=(),
    grid: Grid | None = None,
    place: str = "",
    photos=(),
    now: datetime.datetime | None = None,
) -> Activity:
    """Record an activity that took place, with the residents who took part and its photos."""
    now = now or timezone.now()
    if not reaches_village(actor, ACTIVITY_RECORDERS, township_id=village.township_id, village_id=village.pk):
        raise ActivityPermissionError(NOT_A_RECORDER)
    errors = {}
    if kind not in ActivityKind.values:
        errors["kind"] = _("Choose the kind of activity.")
    if not (title or "").strip():
        errors["title"] = _("Give the activity a title, e.g. 2026年邻里节.")
    if not (description or "").strip():
        errors["description"] = _("Say what was done.")
    if held_on > timezone.localdate(now):
        errors["held_on"] = _("Record an activity once it has taken place.")
    elif early := too_early(held_on, timezone.localdate(now)):
        errors["held_on"] = early
    if grid is not None and grid.village_id != village.pk:
        errors["grid"] = _("This grid is not in the village.")
    people = list({r.pk: r for r in participants}.values())
    if len(people) > MAX_PARTICIPANTS:
        errors["participants"] = _("At most %(count)d participants.") % {"count": MAX_PARTICIPANTS}
    elif any(r.village_id != village.pk for r in people):
        errors["participants"] = _("Participants are residents of the village.")
    elif any(r.status in (Resident.Status.MOVED_OUT, Resident.Status.DECEASED) for r in people):
        errors["participants"] = _("A resident who has moved out or died cannot be named as taking part.")
    if errors:
        raise ValidationError(errors)
    scope = scope_for(actor)
    if (
        grid is None
        and not actor.is_superuser
        and not reaches_village(
            actor, ACTIVITY_RECORDERS - GRID_ROLES, township_id=village.township_id, village_id=village.pk
        )
    ):
        # Grid staff record their grid's activities: the first grid of theirs in the village.
        grid = Grid.objects.active().filter(village=village, pk__in=scope.ids_for(GRID_ROLES)).order_by("pk").first()
    activity = Activity.objects.create(
        township_id=village.township_id,
        village=village,
        grid=grid,
        kind=kind,
        title=title.strip(),
        held_on=held_on,
        place=(place or "").strip(),
        description=description.strip(),
        recorded_by=actor,
    )
    activity.participants.set(people)
    _photos(activity, actor, photos)
    return activity


def _locked(activity: Activity) -> Activity:
    return Activity.objects.select_for_update(of=("self",)).get(pk=activity.pk)


@transaction.atomic
def activity_add_photos(*, activity: Activity, actor, photos) -> Activity:
    """More photos of an activity (the recorders of its village)."""
    activity = _locked(activity)
    check_reach(actor, ACTIVITY_RECORDERS, activity, NOT_A_RECORDER)
    if not [p for p in (photos or []) if p]:
        raise ValidationError({"photos": _("Choose at least one photo.")})
    _photos(activity, actor, photos, already=activity.photos.count())
    return activity


@transaction.atomic
def activity_propose_points(
    *, activity: Activity, actor, rule: Rule, note: str = "", now: datetime.datetime | None = None
) -> Activity:
    """ONE points batch for the participants (each one's household once), dated the day it was
    held; it waits for its 公示 and another cadre's approval. A second batch is refused (409)."""
    activity = _locked(activity)
    check_reach(actor, ACTIVITY_RECORDERS, activity, NOT_A_RECORDER)
    if activity.award_batch_id is not None:
        raise ActivityStateError(
            _("This activity's participants have already been proposed points."), code="already_proposed"
        )
    if rule is None or not activity_rules(activity.village_id).filter(pk=rule.pk).exists():
        raise ValidationError({"rule": _("Choose an active earning rule of this village that needs no evidence.")})
    residents = list(activity.participants.order_by("pk"))
    if not residents:
        raise ActivityStateError(_("This activity names no participants."), code="no_participants")
    activity.award_batch = award_propose_batch(
        actor=actor,
        rule=rule,
        residents=residents,
        occurred_on=activity.held_on,
        note=(note or "").strip() or activity.title,
        now=now,
    )
    activity.save(update_fields=["award_batch"])
    return activity
