"""Pledges (提诺·亮诺·践诺·评诺): who may do what, the reads, and every write.

The cycle, one transition table (TRANSITIONS) and one guarded service per action:

    提诺 propose ──▶ submitted ──approve (审诺, 亮诺)──▶ published ──complete──▶ done ──rate (评诺)──▶ closed
                      ▲   │return                       │progress (践诺, any number)
                      └───┴──resubmit◀── returned

Each service locks the pledge row, checks in the contract's order (the caller's role: 403;
the pledge's status: 409; the input: 400), writes, and appends a PledgeEvent. Overdue is a
flag set once by the daily sweep (`pledges_flag_overdue`), not a status.

Who: the pledger is a staff user (their own pledge) or a resident of the village (a party
member without an account), for whom a village cadre of the village acts. The reviewer and
the one who records the rating are a village cadre of the village or the township, never the
pledger, and for review never who recorded the pledge (maker-checker).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pypinyin import Style, lazy_pinyin

from governance.errors import Conflict, Forbidden
from governance.limits import too_early
from governance.models import Pledge, PledgeEvent, PledgePhoto, PledgeProgress, PledgeStatus, Role
from governance.photos import reencode_photo
from governance.roles import (
    PEOPLE_READERS,
    PLEDGE_RATER_ROLES,
    PLEDGE_READERS,
    PLEDGE_RECORDER_ROLES,
    PLEDGE_REVIEWER_ROLES,
    PLEDGER_ROLES,
    TOWNSHIP_ROLES,
)
from governance.scoping import reaches_village, scope_for, users_holding, village_condition
from governance.services import notify_many
from governance.steps import steps_allowed
from grids.models import Resident, Village

MAX_PHOTOS_PER_LINE = 6
PARTY_MEMBER_TAG = "party_member"

# action -> (the statuses it leaves, the status it reaches)
TRANSITIONS = {
    "resubmit": (frozenset({PledgeStatus.RETURNED}), PledgeStatus.SUBMITTED),
    "approve": (frozenset({PledgeStatus.SUBMITTED}), PledgeStatus.PUBLISHED),
    "return": (frozenset({PledgeStatus.SUBMITTED}), PledgeStatus.RETURNED),
    "progress": (frozenset({PledgeStatus.PUBLISHED}), PledgeStatus.PUBLISHED),
    "complete": (frozenset({PledgeStatus.PUBLISHED}), PledgeStatus.DONE),
    "rate": (frozenset({PledgeStatus.DONE}), PledgeStatus.CLOSED),
}
# Not done: what the sweep flags once its due day has passed.
OPEN_STATUSES = (PledgeStatus.SUBMITTED, PledgeStatus.RETURNED, PledgeStatus.PUBLISHED)
PUBLIC_STATUSES = (PledgeStatus.PUBLISHED, PledgeStatus.DONE, PledgeStatus.CLOSED)

NOT_A_READER = gettext_lazy("Your role keeps the passbooks and the shop; pledges are read by the village's staff.")


class PledgePermissionError(Forbidden):
    """The caller's role may not take this step on this pledge (403)."""


class PledgeStateError(Conflict):
    """Not possible in the pledge's current status (409)."""


# ---------------------------------------------------------------- places


def reads_pledges(user) -> bool:
    """False for a user whose roles read no pledges (the shop clerk): pages and the API answer
    403. A user with no role at all gets the empty list."""
    scope = scope_for(user)
    return not scope.roles or scope.has_any_role(PLEDGE_READERS)


# ---------------------------------------------------------------- who may do what


def may_review(user, pledge: Pledge) -> bool:
    """A village cadre of the pledge's village or its township (whoever proposed it: see check)."""
    return reaches_village(user, PLEDGE_REVIEWER_ROLES, township_id=pledge.township_id, village_id=pledge.village_id)


def may_rate(user, pledge: Pledge) -> bool:
    return reaches_village(user, PLEDGE_RATER_ROLES, township_id=pledge.township_id, village_id=pledge.village_id)


def acts_as_pledger(user, pledge: Pledge) -> bool:
    """The pledger themself, or for a resident's pledge a village cadre of the village."""
    if not user.is_authenticated:
        return False
    if pledge.pledger_user_id is not None:
        return pledge.pledger_user_id == user.pk
    return reaches_village(user, PLEDGE_RECORDER_ROLES, township_id=pledge.township_id, village_id=pledge.village_id)


def _is_own(user, pledge: Pledge, action: str) -> bool:
    """Maker-checker: the pledger never reviews or rates their own pledge; the cadre who
    recorded a resident's pledge reviews and rates it neither, nor does the one who recorded
    it done (they acted for the pledger)."""
    if pledge.pledger_user_id == user.pk or pledge.created_by_id == user.pk:
        return True
    return action == "rate" and pledge.completed_by_id == user.pk


def check(user, action: str, pledge: Pledge) -> None:
    """The step's role (403), then the pledge's status (409). The input is the service's."""
    if action in ("approve", "return"):
        allowed = may_review(user, pledge)
        message = _("Only a village cadre of this village or the township may review a pledge.")
    elif action == "rate":
        allowed = may_rate(user, pledge)
        message = _("Only a village cadre of this village or the township may record the rating.")
    else:
        allowed = acts_as_pledger(user, pledge)
        message = _("Only the pledger (or a village cadre, for a resident's pledge) may do this.")
    if not allowed:
        raise PledgePermissionError(message)
    if action in ("approve", "return", "rate") and _is_own(user, pledge, action):
        raise PledgePermissionError(
            _("You made or recorded this pledge: another cadre or the township must do this (maker-checker)."),
            code="own_pledge",
        )
    leaves, _reaches_status = TRANSITIONS[action]
    if pledge.status not in leaves:
        raise PledgeStateError(
            _("Not possible while the pledge is “%(status)s”.") % {"status": pledge.get_status_display()},
            code=f"not_{'_or_'.join(sorted(leaves))}",
        )


def next_actions(user, pledge: Pledge) -> list[str]:
    """The steps the reader may take on the pledge now, in the cycle's order."""
    return steps_allowed(check, user, TRANSITIONS, pledge)


def check_propose(user, *, village: Village, resident: Resident | None) -> None:
    """提诺: one's own pledge where one holds a frontline role (a cadre, grid or courtyard
    staff); a resident's pledge only by a village cadre of the resident's village."""
    if resident is not None:
        if not reaches_village(user, PLEDGE_RECORDER_ROLES, township_id=village.township_id, village_id=village.pk):
            raise PledgePermissionError(_("Only a village cadre of this village may record a resident's pledge."))
    elif not reaches_village(user, PLEDGER_ROLES, township_id=village.township_id, village_id=village.pk):
        raise PledgePermissionError(_("Your role may not make a pledge in this village."))


# ---------------------------------------------------------------- reads


def pledges_visible_to(user):
    """The pledges of the villages the user's reader roles reach (a township role: its
    township's), and their own; newest first."""
    queryset = Pledge.objects.select_related("village", "pledger_user", "pledger_resident__household")
    if user.is_superuser:
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(village_condition(user, PLEDGE_READERS) | Q(pledger_user=user))


def pledge_detail_queryset(user):
    """pledges_visible_to with the timeline's rows (events, progress lines and their photos)."""
    return pledges_visible_to(user).prefetch_related(
        Prefetch("events", queryset=PledgeEvent.objects.select_related("actor")),
        Prefetch("progress", queryset=PledgeProgress.objects.select_related("recorded_by").prefetch_related("photos")),
    )


def initials(name: str) -> str:
    """张三 → Z.S.: the letters of a name in pinyin. A staff account's name may start with its
    place ("七星村 陈书记"): only its last word counts."""
    words = (name or "").split()
    letters = "".join(lazy_pinyin(words[-1], style=Style.FIRST_LETTER, errors="ignore")).upper() if words else ""
    return ".".join(letters) + "." if letters else "—"


def _resident_initials(resident: Resident) -> str:
    letters = (resident.name_initials or "").upper()
    return ".".join(letters) + "." if letters else "—"


def pledger_name(user, pledge: Pledge) -> str:
    """A staff pledger's name; a resident's name to those who read that resident in the
    register, else the initials (select_related pledger_resident__household for a list)."""
    if pledge.pledger_user_id:
        return pledge.pledger_user.get_full_name() or pledge.pledger_user.username
    if scope_for(user).covers(pledge.pledger_resident, PEOPLE_READERS):
        return pledge.pledger_resident.name
    return pledge.pledger_initials


def pledges_public(village: Village) -> list[dict]:
    """The village's published pledges (亮诺) as the public board shows them: the pledger's title
    and initials, never a name, phone or ID number; the content, due date, status, progress
    lines (text and date, no photos) and the rating's summary. Two queries."""
    rows = (
        Pledge.objects.filter(village=village, status__in=PUBLIC_STATUSES)
        .only(*PUBLIC_FIELDS)
        .prefetch_related(Prefetch("progress", queryset=PledgeProgress.objects.only("pledge_id", "note", "created_at")))
        .order_by("due_on", "id")
    )
    return [_public(pledge) for pledge in rows]


PUBLIC_FIELDS = (
    "id",
    "village_id",
    "pledger_title",
    "pledger_initials",
    "title",
    "description",
    "period_label",
    "due_on",
    "status",
    "published_at",
    "completed_at",
    "is_overdue",
    "rated_on",
    "raters",
    "satisfied",
    "basically_satisfied",
    "unsatisfied",
)


def _public(pledge: Pledge) -> dict:
    rating = None
    if pledge.status == PledgeStatus.CLOSED:
        rating = {
            "held_on": pledge.rated_on,
            "raters": pledge.raters,
            "satisfied": pledge.satisfied,
            "basically_satisfied": pledge.basically_satisfied,
            "unsatisfied": pledge.unsatisfied,
            "satisfaction_rate": pledge.satisfaction_rate,
        }
    return {
        "id": pledge.pk,
        "pledger_title": pledge.pledger_title,
        "pledger_initials": pledge.pledger_initials,
        "title": pledge.title,
        "content": pledge.description,
        "period": pledge.period_label,
        "due_on": pledge.due_on,
        "status": pledge.status,
        "status_label": pledge.get_status_display(),
        "is_overdue": pledge.is_overdue,
        "published_on": timezone.localdate(pledge.published_at) if pledge.published_at else None,
        "completed_on": timezone.localdate(pledge.completed_at) if pledge.completed_at else None,
        "progress": [{"on": timezone.localdate(line.created_at), "text": line.note} for line in pledge.progress.all()],
        "rating": rating,
    }


# ---------------------------------------------------------------- writes


def _url(pledge: Pledge) -> str:
    return reverse("governance:pledge-detail", args=[pledge.pk])


def _event(pledge: Pledge, actor, action: str, from_status: str, note: str = "", **payload) -> PledgeEvent:
    return PledgeEvent.objects.create(
        pledge=pledge,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=pledge.status,
        note=note,
        payload=payload,
    )


def _locked(pledge: Pledge) -> Pledge:
    return Pledge.objects.select_for_update(of=("self",)).get(pk=pledge.pk)


def _required(field: str, value: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _check_dates(*, period_start, period_end, due_on, today: datetime.date) -> None:
    errors = {}
    if period_end < period_start:
        errors["period_end"] = _("The period cannot end before it starts.")
    elif not period_start <= due_on <= period_end:
        errors["due_on"] = _("The due date must fall within the period.")
    if "due_on" not in errors and due_on < today:
        errors["due_on"] = _("The due date cannot be in the past.")
    if early := too_early(period_start, today):
        errors["period_start"] = early
    if errors:
        raise ValidationError(errors)


def _content(*, title, description, period_label, period_start, period_end, due_on, today) -> dict:
    _check_dates(period_start=period_start, period_end=period_end, due_on=due_on, today=today)
    return {
        "title": _required("title", title, _("Say what you pledge.")),
        "description": _required("description", description, _("Say what you will do.")),
        "period_label": _required("period_label", period_label, _("Name the period, e.g. 2026年度.")),
        "period_start": period_start,
        "period_end": period_end,
        "due_on": due_on,
    }


def _tell(users, actor, title: str, pledge: Pledge) -> None:
    """Notify each of `users` once, never the actor."""
    seen = {actor.pk} if actor is not None else set()
    items = []
    for user in users:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        items.append((user, title, pledge.title, _url(pledge)))
    if items:
        notify_many(items)


def _reviewers(pledge: Pledge):
    """Who reviews: the village's cadres, or the township's staff when the village has no other."""
    cadres = [
        u
        for u in users_holding({Role.VILLAGE_CADRE}, village_id=pledge.village_id)
        if u.pk not in (pledge.pledger_user_id, pledge.created_by_id)
    ]
    return cadres or list(users_holding(TOWNSHIP_ROLES, township_id=pledge.township_id))


@transaction.atomic
def pledge_propose(
    *,
    actor,
    village: Village,
    title: str,
    description: str,
    period_label: str,
    period_start: datetime.date,
    period_end: datetime.date,
    due_on: datetime.date,
    pledger_title: str = "",
    resident: Resident | None = None,
    now: datetime.datetime | None = None,
) -> Pledge:
    """提诺: the actor's own pledge, or a resident's recorded by a village cadre. It waits for
    review (审诺) by someone else."""
    now = now or timezone.now()
    check_propose(actor, village=village, resident=resident)
    if resident is not None and resident.village_id != village.pk:
        raise ValidationError({"resident": _("This resident does not live in this village.")})
    if resident is not None and not resident.tags.filter(code=PARTY_MEMBER_TAG).exists():
        raise ValidationError(
            {"resident": _("Only a party member (tagged so in the register) may pledge without an account.")}
        )
    content = _content(
        title=title,
        description=description,
        period_label=period_label,
        period_start=period_start,
        period_end=period_end,
        due_on=due_on,
        today=timezone.localdate(now),
    )
    if resident is not None:
        pledger_initials = _resident_initials(resident)
    else:
        pledger_initials = initials(actor.get_full_name() or actor.username)
    default_title = _default_title(actor, village, resident)
    pledge = Pledge.objects.create(
        township_id=village.township_id,
        village=village,
        pledger_user=None if resident is not None else actor,
        pledger_resident=resident,
        pledger_title=(pledger_title or "").strip()[:50] or default_title,
        pledger_initials=pledger_initials,
        created_by=actor,
        **content,
    )
    _event(pledge, actor, "propose", "")
    _tell(_reviewers(pledge), actor, _("A pledge waits for your review (审诺)"), pledge)
    return pledge


def _default_title(actor, village: Village, resident) -> str:
    """The pledger's title when none is given, by what they are in the village, in the site's
    language (the public board shows it to everyone, whatever language the pledger used)."""
    scope = scope_for(actor)
    if resident is not None:
        title = gettext_lazy("party member")
    elif village.pk in scope.ids_for({Role.VILLAGE_CADRE}):
        title = gettext_lazy("village cadre")
    elif scope.has_any_role({Role.GRID_LEADER}):
        title = gettext_lazy("grid leader (网格长)")
    elif scope.has_any_role({Role.GRID_WORKER}):
        title = gettext_lazy("grid worker (网格员)")
    else:
        title = gettext_lazy("courtyard helper (包院落)")
    with translation.override(settings.LANGUAGE_CODE):
        return str(title)


@transaction.atomic
def pledge_resubmit(*, pledge: Pledge, actor, now: datetime.datetime | None = None, **changes) -> Pledge:
    """A returned pledge, edited and sent for review again. `changes` are any of the content's
    fields (title, description, period_label, period_start, period_end, due_on, pledger_title)."""
    now = now or timezone.now()
    pledge = _locked(pledge)
    check(actor, "resubmit", pledge)
    fields = ("title", "description", "period_label", "period_start", "period_end", "due_on")
    merged = {name: changes.get(name, getattr(pledge, name)) for name in fields}
    content = _content(**merged, today=timezone.localdate(now))
    for name, value in content.items():
        setattr(pledge, name, value)
    if (changes.get("pledger_title") or "").strip():
        pledge.pledger_title = changes["pledger_title"].strip()[:50]
    before = pledge.status
    pledge.status = PledgeStatus.SUBMITTED
    pledge.save()
    _event(pledge, actor, "resubmit", before)
    _tell(_reviewers(pledge), actor, _("A pledge waits for your review (审诺)"), pledge)
    return pledge


def _pledger_side(pledge: Pledge) -> list:
    """Who hears of a decision: the pledger (a user), or whoever recorded a resident's pledge."""
    return [pledge.pledger_user] if pledge.pledger_user_id else [pledge.created_by]


@transaction.atomic
def pledge_approve(*, pledge: Pledge, actor, note: str = "", now: datetime.datetime | None = None) -> Pledge:
    """审诺 passed: the pledge is published (亮诺) on the village's public board."""
    now = now or timezone.now()
    pledge = _locked(pledge)
    check(actor, "approve", pledge)
    before = pledge.status
    pledge.status = PledgeStatus.PUBLISHED
    pledge.reviewed_by, pledge.reviewed_at, pledge.review_note = actor, now, (note or "").strip()
    pledge.published_at = now
    pledge.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note", "published_at", "updated_at"])
    _event(pledge, actor, "approve", before, pledge.review_note)
    _tell(_pledger_side(pledge), actor, _("Your pledge was approved and published (亮诺)"), pledge)
    return pledge


@transaction.atomic
def pledge_return(*, pledge: Pledge, actor, reason: str, now: datetime.datetime | None = None) -> Pledge:
    """审诺 not passed: back to the pledger with the reason, to be edited and sent again."""
    now = now or timezone.now()
    pledge = _locked(pledge)
    check(actor, "return", pledge)
    reason = _required("reason", reason, _("Say why it goes back."))
    before = pledge.status
    pledge.status = PledgeStatus.RETURNED
    pledge.reviewed_by, pledge.reviewed_at, pledge.review_note = actor, now, reason
    pledge.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note", "updated_at"])
    _event(pledge, actor, "return", before, reason)
    _tell(_pledger_side(pledge), actor, _("Your pledge was returned for changes"), pledge)
    return pledge


def _add_line(pledge: Pledge, actor, note: str, photos, *, completes: bool) -> PledgeProgress:
    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS_PER_LINE:
        raise ValidationError({"photos": _("At most %(count)d photos per line.") % {"count": MAX_PHOTOS_PER_LINE}})
    encoded = [reencode_photo(upload, field="photos") for upload in photos]
    line = PledgeProgress.objects.create(pledge=pledge, note=note, completes=completes, recorded_by=actor)
    for data, width, height in encoded:
        photo = PledgePhoto(pledge=pledge, progress=line, width=width, height=height, size=len(data), uploaded_by=actor)
        photo.image.save("photo.jpg", ContentFile(data), save=False)
        photo.save()
    return line


@transaction.atomic
def pledge_progress(*, pledge: Pledge, actor, note: str, photos=()) -> PledgeProgress:
    """践诺: a line of what was done, with optional photos (staff only, never public)."""
    pledge = _locked(pledge)
    check(actor, "progress", pledge)
    note = _required("note", note, _("Say what was done."))
    line = _add_line(pledge, actor, note, photos, completes=False)
    _event(pledge, actor, "progress", pledge.status, note, line=line.pk)
    return line


@transaction.atomic
def pledge_complete(*, pledge: Pledge, actor, note: str, photos=(), now: datetime.datetime | None = None) -> Pledge:
    """践诺 done: the last line with its evidence; the pledge waits for its rating (评诺)."""
    now = now or timezone.now()
    pledge = _locked(pledge)
    check(actor, "complete", pledge)
    note = _required("note", note, _("Say what was achieved, with the evidence."))
    line = _add_line(pledge, actor, note, photos, completes=True)
    before = pledge.status
    pledge.status, pledge.completed_at, pledge.completed_by = PledgeStatus.DONE, now, actor
    pledge.save(update_fields=["status", "completed_at", "completed_by", "updated_at"])
    _event(pledge, actor, "complete", before, note, line=line.pk)
    raters = users_holding({Role.VILLAGE_CADRE}, village_id=pledge.village_id)
    _tell(raters, actor, _("A pledge is done: record its rating (评诺)"), pledge)
    return pledge


def _check_rating(*, held_on, period_start, raters, satisfied, basically_satisfied, unsatisfied, today) -> None:
    errors = {}
    if held_on > today:
        errors["held_on"] = _("The meeting cannot be in the future.")
    elif held_on < period_start:
        errors["held_on"] = _(
            "The rating is held once the pledge's period has started or it was done, whichever came first (%(start)s)."
        ) % {"start": period_start.isoformat()}
    if raters < 1:
        errors["raters"] = _("At least one rater.")
    elif satisfied + basically_satisfied + unsatisfied != raters:
        errors["raters"] = _("Satisfied, basically satisfied and unsatisfied must add up to the raters.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def pledge_rate(
    *,
    pledge: Pledge,
    actor,
    held_on: datetime.date,
    raters: int,
    satisfied: int,
    basically_satisfied: int,
    unsatisfied: int,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Pledge:
    """评诺: the 成效评议会's (residents' representatives') figures, recorded by a village cadre
    or the township (not the pledger). The 满意率 is kept; the pledge is closed."""
    now = now or timezone.now()
    pledge = _locked(pledge)
    check(actor, "rate", pledge)
    # A pledge done before its period started (kept early) is rated from the day it was done.
    done_on = timezone.localdate(pledge.completed_at) if pledge.completed_at else pledge.period_start
    _check_rating(
        held_on=held_on,
        period_start=min(pledge.period_start, done_on),
        raters=raters,
        satisfied=satisfied,
        basically_satisfied=basically_satisfied,
        unsatisfied=unsatisfied,
        today=timezone.localdate(now),
    )
    before = pledge.status
    pledge.status = PledgeStatus.CLOSED
    pledge.rated_on, pledge.raters = held_on, raters
    pledge.satisfied, pledge.basically_satisfied, pledge.unsatisfied = satisfied, basically_satisfied, unsatisfied
    pledge.rating_note, pledge.rated_by, pledge.closed_at = (note or "").strip(), actor, now
    pledge.save()
    _event(
        pledge,
        actor,
        "rate",
        before,
        pledge.rating_note,
        held_on=held_on.isoformat(),
        raters=raters,
        satisfied=satisfied,
        basically_satisfied=basically_satisfied,
        unsatisfied=unsatisfied,
        satisfaction_rate=pledge.satisfaction_rate,
    )
    _tell(_pledger_side(pledge), actor, _("Your pledge was rated (评诺)"), pledge)
    return pledge


def pledges_flag_overdue(*, now: datetime.datetime | None = None) -> int:
    """The daily sweep: flag every pledge past its due day and not done, once. Each pledge is
    claimed by a guarded UPDATE (is_overdue still false), so a rerun or a second worker flags
    and notifies nothing twice. Tells the pledger (a user) and the village's cadres."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    flagged = 0
    candidates = Pledge.objects.filter(status__in=OPEN_STATUSES, is_overdue=False, due_on__lt=today)
    for pledge_id in candidates.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            claimed = Pledge.objects.filter(pk=pledge_id, is_overdue=False, status__in=OPEN_STATUSES).update(
                is_overdue=True, overdue_at=now
            )
            if not claimed:
                continue
            pledge = Pledge.objects.select_related("pledger_user", "created_by").get(pk=pledge_id)
            _event(pledge, None, "overdue", pledge.status, due_on=pledge.due_on.isoformat())
            cadres = list(users_holding({Role.VILLAGE_CADRE}, village_id=pledge.village_id))
            people = [pledge.pledger_user, *cadres] if pledge.pledger_user_id else cadres
            _tell(people, None, _("A pledge is overdue"), pledge)
            flagged += 1
    return flagged
