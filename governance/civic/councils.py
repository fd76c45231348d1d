"""The four councils (四会): who runs them, the reads, and every write.

A meeting is planned on the village's calendar (a date may lie ahead), changed or cancelled
while planned, and recorded once it has been held (never before its day):

    plan ──▶ planned ──record (on or after its day)──▶ held
                │ update (any number)
                └──cancel {reason}──▶ cancelled

What each council adds once held:

- 民情恳谈会 (concerns): each concern raised becomes a matter (petitions.services.matter_submit,
  source "meeting", in a grid of the village), linked to the meeting by a Concern row;
- 事务协调会 (coordination): names an open matter of the village and its parties (at planning);
- 道德评议会 (moral): links the village's 红黑榜 it decided (the board's own decide step stays
  in points); the 最美 selections it decided link to it from their side (Selection.meeting);
- 成效评议会 (results): rates handled matters of the village (the council's own figures, the
  matter is not changed) and pledges waiting for their 评诺, where the rating IS the pledge's
  评诺 (governance.pledges.pledge_rate, in the same transaction).

Only a village cadre of the meeting's village runs a council (COUNCIL_RUNNERS); the township
and the village's grid staff read it. Every service locks the meeting and checks in the
contract's order: the caller's role (403), the meeting's status (409), the input (400).
"""

import calendar as pycalendar
import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance import pledges as pledge_rules
from governance.civic.access import check_reach, reaches, visible
from governance.civic.models import Concern, CouncilKind, Meeting, MeetingStatus, ResultRating, Verdict
from governance.errors import Conflict, Forbidden
from governance.limits import too_early
from governance.models import Pledge, PledgeStatus
from governance.roles import COUNCIL_RUNNERS
from governance.scoping import reaches_village
from governance.steps import steps_allowed
from grids.models import Grid, Village
from petitions.models import OPEN_STATES, Matter, Source, State
from petitions.services import matter_submit
from points.models import Board

NOT_A_RUNNER = gettext_lazy("Only a village cadre of this village runs its councils (四会).")

# The states of a matter a 成效评议会 may rate: handled, waiting for or past its evaluation.
RATABLE_MATTER_STATES = (State.EVALUATING, State.CLOSED)
MAX_ATTENDEES = 200
MAX_PARTIES = 20


class CouncilStateError(Conflict):
    """Not possible in the meeting's current status, or not at this council (409)."""


# ---------------------------------------------------------------- who may do what

# action -> the statuses it leaves
STATUSES_FOR = {
    "update": frozenset({MeetingStatus.PLANNED}),
    "cancel": frozenset({MeetingStatus.PLANNED}),
    "record": frozenset({MeetingStatus.PLANNED}),
    "concern": frozenset({MeetingStatus.HELD}),
    "rating": frozenset({MeetingStatus.HELD}),
}
# action -> the council it belongs to (None: every council)
KIND_FOR = {"concern": CouncilKind.CONCERNS, "rating": CouncilKind.RESULTS}


def runs(user, meeting: Meeting) -> bool:
    """A village cadre of the meeting's village (or the superuser)."""
    return reaches(user, COUNCIL_RUNNERS, meeting)


def check(user, action: str, meeting: Meeting, *, today: datetime.date | None = None) -> None:
    """The caller's role (403), then the meeting's council and status (409)."""
    check_reach(user, COUNCIL_RUNNERS, meeting, NOT_A_RUNNER)
    kind = KIND_FOR.get(action)
    if kind is not None and meeting.kind != kind:
        raise CouncilStateError(
            _("Not possible at a %(council)s.") % {"council": meeting.get_kind_display()}, code=f"not_{kind}"
        )
    if meeting.status not in STATUSES_FOR[action]:
        raise CouncilStateError(
            _("Not possible while the meeting is “%(status)s”.") % {"status": meeting.get_status_display()},
            code="not_" + "_or_".join(sorted(STATUSES_FOR[action])),
        )
    if action == "record" and meeting.held_on > (today or timezone.localdate()):
        raise CouncilStateError(
            _("The meeting is on %(day)s: record it on that day or after.") % {"day": meeting.held_on.isoformat()},
            code="not_yet_held",
        )


def next_actions(user, meeting: Meeting) -> list[str]:
    """The steps the reader may take on the meeting now."""
    return steps_allowed(check, user, STATUSES_FOR, meeting)


def check_plan(user, village: Village) -> None:
    if not reaches_village(user, COUNCIL_RUNNERS, township_id=village.township_id, village_id=village.pk):
        raise Forbidden(NOT_A_RUNNER)


# ---------------------------------------------------------------- reads


def meetings_visible_to(user):
    """The meetings of the villages the user's civic reader roles reach, latest day first."""
    return visible(Meeting.objects.select_related("village", "matter"), user)


def meeting_detail_queryset(user):
    """meetings_visible_to with what a meeting's page and minutes show."""
    return meetings_visible_to(user).prefetch_related(
        Prefetch("concerns", queryset=Concern.objects.select_related("matter")),
        Prefetch("ratings", queryset=ResultRating.objects.select_related("matter", "pledge")),
        "boards",
        "selections",
    )


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the month `month` falls in."""
    first = month.replace(day=1)
    last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
    return first, last


def calendar_month(user, month: datetime.date, *, village: Village | None = None) -> list[tuple]:
    """The village calendar: the planned and held meetings of the month, grouped by day:
    [(day, [meeting, ...]), ...] in date order. One query."""
    first, last = month_bounds(month)
    rows = meetings_visible_to(user).filter(
        held_on__range=(first, last), status__in=(MeetingStatus.PLANNED, MeetingStatus.HELD)
    )
    if village is not None:
        rows = rows.filter(village=village)
    days: dict[datetime.date, list] = {}
    for meeting in rows.order_by("held_on", "starts_at", "id"):
        days.setdefault(meeting.held_on, []).append(meeting)
    return list(days.items())


def village_grids(village: Village):
    """The village's grids in use (a concern raised at a meeting belongs to one)."""
    return Grid.objects.active().filter(village=village).order_by("number", "pk")


def open_matters(village: Village):
    """The matters a 事务协调会 may coordinate: the village's open ones."""
    return Matter.objects.filter(village=village, state__in=list(OPEN_STATES)).order_by("-id")


def ratable_matters(village: Village):
    """The matters a 成效评议会 may rate: the village's handled ones."""
    return Matter.objects.filter(village=village, state__in=RATABLE_MATTER_STATES).order_by("-id")


def ratable_pledges(village: Village):
    """The pledges a 成效评议会 may rate: the village's done ones, waiting for their 评诺."""
    return Pledge.objects.filter(village=village, status=PledgeStatus.DONE).order_by("due_on", "id")


def village_boards(village: Village):
    return Board.objects.filter(village=village).order_by("-year", "-quarter")


def verdict(*, raters: int, satisfied: int, basically_satisfied: int, unsatisfied: int = 0) -> str:
    """The council's verdict from its figures (never sent by the caller). Raters who did not
    rate count against, like the unsatisfied:

    - satisfied: more than two thirds of the raters satisfied or basically satisfied, and at
      least as many satisfied as basically satisfied;
    - basically satisfied: otherwise, more than half of them satisfied or basically satisfied;
    - unsatisfied: otherwise.
    """
    content = satisfied + basically_satisfied
    if 3 * content > 2 * raters and satisfied >= basically_satisfied:
        return Verdict.SATISFIED
    if 2 * content > raters:
        return Verdict.BASICALLY_SATISFIED
    return Verdict.UNSATISFIED


# ---------------------------------------------------------------- input


def _text(field: str, value, message, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: message})
    return value


def _names(field: str, values, message, *, required: bool, limit: int) -> list[str]:
    """A list of names, from a list or from text (one a line, or separated by 、,，;)."""
    if isinstance(values, str):
        for separator in ("、", "，", ",", ";", "；"):
            values = values.replace(separator, "\n")
        values = values.splitlines()
    names = []
    for name in values or []:
        name = str(name).strip()
        if name and name not in names:
            names.append(name[:50])
    if required and not names:
        raise ValidationError({field: message})
    if len(names) > limit:
        raise ValidationError({field: _("At most %(count)d names.") % {"count": limit}})
    return names


def _default_title(kind: str) -> str:
    """A meeting's title when none is given: its council's name, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(CouncilKind(kind).label)


def _check_day(held_on: datetime.date, today: datetime.date) -> None:
    if early := too_early(held_on, today):
        raise ValidationError({"held_on": early})


def _coordinated(village: Village, kind: str, matter: Matter | None, parties) -> tuple[Matter | None, list[str]]:
    """A 事务协调会's matter (an open one of the village) and parties; none for another council."""
    if kind != CouncilKind.COORDINATION:
        if matter is not None:
            raise ValidationError({"matter": _("Only an affairs coordination meeting (事务协调会) names a matter.")})
        return None, []
    if matter is None:
        raise ValidationError({"matter": _("Name the matter whose parties the meeting brings together.")})
    if matter.village_id != village.pk:
        raise ValidationError({"matter": _("This matter is not of the meeting's village.")})
    if matter.state not in OPEN_STATES:
        raise ValidationError({"matter": _("This matter is no longer open.")})
    return matter, _names("parties", parties, "", required=False, limit=MAX_PARTIES)


def _locked(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update(of=("self",)).select_related("village").get(pk=meeting.pk)


# ---------------------------------------------------------------- writes


@transaction.atomic
def meeting_plan(
    *,
    actor,
    village: Village,
    kind: str,
    held_on: datetime.date,
    place: str,
    agenda: str,
    title: str = "",
    starts_at: datetime.time | None = None,
    matter: Matter | None = None,
    parties=(),
    now: datetime.datetime | None = None,
) -> Meeting:
    """Put a meeting of one of the four councils on the village's calendar (its day may lie
    ahead). A 事务协调会 names an open matter of the village and its parties."""
    now = now or timezone.now()
    check_plan(actor, village)
    if kind not in CouncilKind.values:
        raise ValidationError({"kind": _("Choose one of the four councils.")})
    _check_day(held_on, timezone.localdate(now))
    matter, parties = _coordinated(village, kind, matter, parties)
    return Meeting.objects.create(
        township_id=village.township_id,
        village=village,
        kind=kind,
        title=_text("title", title, "", required=False)[:200] or _default_title(kind),
        held_on=held_on,
        starts_at=starts_at,
        place=_text("place", place, _("Say where the meeting is held."))[:100],
        agenda=_text("agenda", agenda, _("Write the agenda: what the meeting is about.")),
        matter=matter,
        parties=parties,
        created_by=actor,
    )


UPDATABLE = ("title", "held_on", "starts_at", "place", "agenda", "matter", "parties")


@transaction.atomic
def meeting_update(*, meeting: Meeting, actor, now: datetime.datetime | None = None, **changes) -> Meeting:
    """Change a planned meeting: any of its title, day, time, place, agenda, and (事务协调会)
    matter and parties. The others stay as they were."""
    now = now or timezone.now()
    meeting = _locked(meeting)
    check(actor, "update", meeting)
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise TypeError(f"meeting_update: unknown fields {sorted(unknown)}")
    merged = {name: changes.get(name, getattr(meeting, name)) for name in UPDATABLE}
    if "held_on" in changes:
        _check_day(merged["held_on"], timezone.localdate(now))
    matter, parties = _coordinated(meeting.village, meeting.kind, merged["matter"], merged["parties"])
    meeting.title = _text("title", merged["title"], "", required=False)[:200] or _default_title(meeting.kind)
    meeting.held_on, meeting.starts_at = merged["held_on"], merged["starts_at"]
    meeting.place = _text("place", merged["place"], _("Say where the meeting is held."))[:100]
    meeting.agenda = _text("agenda", merged["agenda"], _("Write the agenda: what the meeting is about."))
    meeting.matter, meeting.parties = matter, parties
    meeting.save()
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, actor, reason: str) -> Meeting:
    """A planned meeting that will not be held, with the reason (it stays in the list)."""
    meeting = _locked(meeting)
    check(actor, "cancel", meeting)
    meeting.cancel_reason = _text("reason", reason, _("Say why the meeting is cancelled."))[:200]
    meeting.status = MeetingStatus.CANCELLED
    meeting.save(update_fields=["cancel_reason", "status"])
    return meeting


@transaction.atomic
def meeting_record(
    *,
    meeting: Meeting,
    actor,
    chaired_by: str,
    attendees,
    minutes: str,
    decisions: str = "",
    parties=None,
    boards=(),
    now: datetime.datetime | None = None,
) -> Meeting:
    """The meeting was held: who chaired it, who attended, what it decided, the minutes. Not
    before its day, and once (planned → held). A 事务协调会 may correct its parties; a
    道德评议会 links the village's 红黑榜 it decided (`boards`)."""
    now = now or timezone.now()
    meeting = _locked(meeting)
    check(actor, "record", meeting, today=timezone.localdate(now))
    meeting.chaired_by = _text("chaired_by", chaired_by, _("Who chaired the meeting?"))[:50]
    meeting.attendees = _names("attendees", attendees, _("Name who attended."), required=True, limit=MAX_ATTENDEES)
    meeting.minutes = _text("minutes", minutes, _("Write the minutes: what was said."))
    meeting.decisions = _text("decisions", decisions, "", required=False)
    boards = list(boards or [])
    if boards and meeting.kind != CouncilKind.MORAL:
        raise ValidationError(
            {"boards": _("Only a moral review council (道德评议会) decides the red and black board.")}
        )
    if any(board.village_id != meeting.village_id for board in boards):
        raise ValidationError({"boards": _("This board is not of the meeting's village.")})
    if parties is not None and meeting.kind == CouncilKind.COORDINATION:
        meeting.parties = _names("parties", parties, "", required=False, limit=MAX_PARTIES)
    meeting.status = MeetingStatus.HELD
    meeting.recorded_by, meeting.recorded_at = actor, now
    meeting.save()
    if boards:
        meeting.boards.set(boards)
    return meeting


@transaction.atomic
def concern_raise(
    *,
    meeting: Meeting,
    actor,
    raised_by: str,
    title: str,
    description: str,
    grid: Grid,
    submitter_phone: str = "",
) -> Concern:
    """A concern raised at a held 民情恳谈会 becomes a matter (提) of the village, from the
    meeting (source "meeting", the one who raised it as its submitter), in the grid chosen;
    the village's classifiers are told, as for any matter recorded by staff."""
    meeting = _locked(meeting)
    check(actor, "concern", meeting)
    if grid is None or grid.village_id != meeting.village_id:
        raise ValidationError({"grid": _("Choose a grid of the meeting's village.")})
    matter = matter_submit(
        actor=actor,
        title=title,
        description=description,
        grid=grid,
        source=Source.MEETING,
        submitter_name=raised_by,
        submitter_phone=submitter_phone,
    )
    order = meeting.concerns.count() + 1
    return Concern.objects.create(meeting=meeting, matter=matter, raised_by=matter.submitter_name, order=order)


def _check_figures(*, raters: int, satisfied: int, basically_satisfied: int, unsatisfied: int) -> None:
    if raters is None or raters < 1:
        raise ValidationError({"raters": _("At least one rater.")})
    if min(satisfied, basically_satisfied, unsatisfied) < 0:
        raise ValidationError({"satisfied": _("The figures cannot be negative.")})
    if satisfied + basically_satisfied + unsatisfied > raters:
        raise ValidationError(
            {"raters": _("Satisfied, basically satisfied and unsatisfied add up to more than the raters.")}
        )


@transaction.atomic
def rating_record(
    *,
    meeting: Meeting,
    actor,
    raters: int,
    satisfied: int,
    basically_satisfied: int,
    unsatisfied: int,
    matter: Matter | None = None,
    pledge: Pledge | None = None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> ResultRating:
    """A 成效评议会 rates one handled matter of the village (its own figures: the matter is not
    changed) or one pledge waiting for its 评诺 (the rating is the pledge's 评诺, recorded on the
    pledge through governance.pledges.pledge_rate on the meeting's day). The verdict follows
    from the figures (`verdict`). Raters who did not vote may leave the figures short of the
    raters, except for a pledge, whose 评诺 counts every rater."""
    meeting = _locked(meeting)
    check(actor, "rating", meeting)
    if (matter is None) == (pledge is None):
        raise ValidationError({"matter": _("Rate one handled matter or one pledge.")})
    figures = {
        "raters": raters,
        "satisfied": satisfied,
        "basically_satisfied": basically_satisfied,
        "unsatisfied": unsatisfied,
    }
    note = _text("note", note, "", required=False)
    if matter is not None:
        if matter.village_id != meeting.village_id:
            raise ValidationError({"matter": _("This matter is not of the meeting's village.")})
        if matter.state not in RATABLE_MATTER_STATES:
            raise ValidationError({"matter": _("Only a handled matter (awaiting evaluation or closed) is rated.")})
        if meeting.ratings.filter(matter=matter).exists():
            raise ValidationError({"matter": _("This meeting has rated this matter already.")})
    else:
        if pledge.village_id != meeting.village_id:
            raise ValidationError({"pledge": _("This pledge is not of the meeting's village.")})
        if pledge.status != PledgeStatus.DONE:
            raise ValidationError({"pledge": _("Only a pledge that is done and waits for its rating (评诺) is rated.")})
    _check_figures(**figures)
    if pledge is not None:
        pledge_rules.pledge_rate(pledge=pledge, actor=actor, held_on=meeting.held_on, note=note, now=now, **figures)
    return ResultRating.objects.create(
        meeting=meeting, matter=matter, pledge=pledge, verdict=verdict(**figures), note=note, **figures
    )
