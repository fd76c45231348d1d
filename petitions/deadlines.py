"""Deadlines, the overdue sweep, escalation and the evaluation window.

The clock starts when a matter is classified, with the time limit of its kind and category
in working days (petitions.calendar); reclassification recomputes it from the same start;
`handle` may set an explicit deadline. A pause stops the clock and the resume extends the
deadline by the working days it lasted.

The sweep answers four questions from partial indexes and settles each matter with a
guarded UPDATE that must touch exactly one row ("claim"), in the same transaction as the
event and the notifications: run it twice, or twice at once, and every warning, mark and
escalation still happens exactly once.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.models import Role
from governance.scoping import users_holding
from governance.services import notify
from petitions import calendar
from petitions.models import Kind, Matter, MatterEvent, State, TimeLimit

logger = logging.getLogger(__name__)

CLOCK_STATES = [State.CLASSIFIED, State.DELIBERATING, State.HANDLING]
DEFAULT_DAYS = {Kind.CIVIL: 7, Kind.VILLAGE: 30, Kind.GOVERNMENT: 10}
SYSTEM = "system"


def time_limit_days(kind: str, category) -> int:
    """The category's own limit for this kind, else the kind's, else the built-in default."""
    limits = dict(
        TimeLimit.objects.filter(kind=kind, category__in=[category] if category else []).values_list(
            "category_id", "working_days"
        )
    )
    if category is not None and category.pk in limits:
        return limits[category.pk]
    default = TimeLimit.objects.filter(kind=kind, category__isnull=True).values_list("working_days", flat=True).first()
    return default or DEFAULT_DAYS[kind]


def _warn_at(start: datetime.datetime, deadline: datetime.datetime) -> datetime.datetime:
    return start + (deadline - start) * 0.8


def start_clock(matter: Matter, *, now: datetime.datetime | None = None) -> list[str]:
    """Set (or recompute) the deadline from the kind and category. Returns the changed fields."""
    start = matter.clock_started_at or now or timezone.now()
    days = time_limit_days(matter.kind, matter.category)
    matter.clock_started_at = start
    matter.time_limit_days = days
    matter.deadline = calendar.deadline_after(start, days)
    matter.warn_at = _warn_at(start, matter.deadline)
    return ["clock_started_at", "time_limit_days", "deadline", "warn_at"]


def set_deadline(matter: Matter, deadline: datetime.datetime) -> list[str]:
    """An explicit deadline given at handling replaces the computed one."""
    start = matter.clock_started_at or timezone.now()
    matter.clock_started_at, matter.deadline, matter.warn_at = start, deadline, _warn_at(start, deadline)
    return ["clock_started_at", "deadline", "warn_at"]


def reset_flags(matter: Matter, now: datetime.datetime) -> list[str]:
    """After a new deadline: warnings and the overdue mark apply afresh (escalation stays)."""
    matter.warned_at = None
    if matter.deadline and matter.deadline > now:
        matter.is_overdue, matter.overdue_at = False, None
    return ["warned_at", "is_overdue", "overdue_at"]


def time_left(matter: Matter, now: datetime.datetime | None = None) -> datetime.timedelta | None:
    """What remains before the deadline (negative when overdue); None without a clock."""
    if matter.deadline is None or matter.state not in CLOCK_STATES:
        return None
    reference = matter.paused_at or now or timezone.now()
    return matter.deadline - reference


# ---------------------------------------------------------------- the sweep


@dataclass
class SweepResult:
    warned: int = 0
    marked_overdue: int = 0
    escalated: int = 0
    closed_unevaluated: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _grace() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.MATTER_ESCALATION_GRACE_HOURS)


def _handlers(matter: Matter):
    if matter.handler_id:
        return [matter.handler]
    if matter.department_id:
        return list(users_holding({Role.DEPARTMENT_HANDLER}, department_id=matter.department_id))
    from petitions.services import _owners

    return list(_owners(matter))


def supervisors_at(matter: Matter, level: int):
    """Who is added at escalation `level` (1 or 2): the level above the owner, then the next."""
    if matter.kind == Kind.CIVIL:
        if level == 1:
            return users_holding({Role.VILLAGE_CADRE}, village_id=matter.village_id)
        return users_holding({Role.TOWNSHIP_OFFICIAL, Role.TOWNSHIP_LEADER}, township_id=matter.township_id)
    if level == 1:
        return users_holding({Role.TOWNSHIP_OFFICIAL}, township_id=matter.township_id)
    return users_holding({Role.TOWNSHIP_LEADER}, township_id=matter.township_id)


def _event(matter: Matter, action: str, payload: dict) -> None:
    MatterEvent.objects.create(
        matter=matter,
        actor=None,
        actor_label=SYSTEM,
        action=action,
        from_state=matter.state,
        to_state=matter.state,
        payload=payload,
    )


def _tell(users, matter: Matter, title: str, body: str) -> None:
    for user in users:
        notify(user=user, title=title, body=body, url=f"/matters/{matter.pk}/")


def _claim(pk: int, guard: dict, changes: dict) -> Matter | None:
    """Settle one matter: the guarded update must touch exactly one row, or someone else did it."""
    if Matter.objects.filter(pk=pk, **guard).update(**changes) != 1:
        return None
    return Matter.objects.select_related("handler").get(pk=pk)


def sweep(*, now: datetime.datetime | None = None, batch: int = 1000) -> SweepResult:
    """Warn at 80 %, mark overdue at 100 % (督办), escalate after the grace period, and close
    matters left unevaluated. Safe to run as often, and as concurrently, as you like."""
    now = now or timezone.now()
    result = SweepResult()
    running = {"state__in": CLOCK_STATES, "paused_at__isnull": True}

    # A matter first seen after its deadline is marked overdue, not warned.
    to_warn = Matter.objects.filter(warned_at__isnull=True, is_overdue=False, warn_at__lte=now, deadline__gt=now)
    for pk in _ids(to_warn.filter(**running), batch):
        with transaction.atomic():
            matter = _claim(pk, {"warned_at__isnull": True}, {"warned_at": now})
            if matter:
                _event(matter, "warn", {"deadline": matter.deadline.isoformat()})
                body = _("The deadline is %(deadline)s.") % {
                    "deadline": f"{timezone.localtime(matter.deadline):%Y-%m-%d}"
                }
                _tell(_handlers(matter), matter, _("Deadline near: %(title)s") % {"title": matter.title}, body)
                result.warned += 1

    for pk in _ids(Matter.objects.filter(is_overdue=False, deadline__lte=now, **running), batch):
        with transaction.atomic():
            matter = _claim(pk, {"is_overdue": False}, {"is_overdue": True, "overdue_at": now})
            if matter:
                note = _("Overdue: the time limit ended on %(deadline)s. Please finish it now.") % {
                    "deadline": f"{timezone.localtime(matter.deadline):%Y-%m-%d}"
                }
                MatterEvent.objects.create(
                    matter=matter,
                    actor=None,
                    actor_label=SYSTEM,
                    action="supervise",
                    from_state=matter.state,
                    to_state=matter.state,
                    payload={"note": note, "overdue": True},
                )
                people = {u.pk: u for u in [*_handlers(matter), *supervisors_at(matter, 1)]}
                _tell(people.values(), matter, _("Overdue (督办): %(title)s") % {"title": matter.title}, note)
                result.marked_overdue += 1

    grace = _grace()
    escalated_now = set()
    for level in (0, 1):
        # Level L+1 is due L+1 grace periods after the deadline; a matter climbs at most one
        # level per run, so a late sweep does not skip straight past the village.
        due = Matter.objects.filter(is_overdue=True, escalation_level=level, deadline__lte=now - grace * (level + 1))
        for pk in _ids(due.filter(**running), batch):
            if pk in escalated_now:
                continue
            with transaction.atomic():
                matter = _claim(pk, {"escalation_level": level, "is_overdue": True}, {"escalation_level": level + 1})
                if matter:
                    escalated_now.add(pk)
                    added = list(supervisors_at(matter, level + 1))
                    _event(matter, "escalate", {"level": level + 1, "supervisors": [u.pk for u in added]})
                    body = _("Still overdue after the grace period; you now supervise it.")
                    _tell(added, matter, _("Escalated to you (督办): %(title)s") % {"title": matter.title}, body)
                    result.escalated += 1

    window = datetime.timedelta(days=settings.MATTER_EVALUATION_DAYS)
    for pk in _ids(Matter.objects.filter(state=State.EVALUATING, evaluation_opened_at__lte=now - window), batch):
        with transaction.atomic():
            matter = _claim(pk, {"state": State.EVALUATING}, {"state": State.CLOSED, "closed_at": now})
            if matter:
                MatterEvent.objects.create(
                    matter=matter,
                    actor=None,
                    actor_label=SYSTEM,
                    action="close_unevaluated",
                    from_state=State.EVALUATING,
                    to_state=State.CLOSED,
                    payload={"days": settings.MATTER_EVALUATION_DAYS},
                )
                result.closed_unevaluated += 1
    return result


def _ids(queryset, batch: int):
    """Matter ids in batches, read before any is settled (the claim re-checks each)."""
    last = 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return
        yield from ids
        last = ids[-1]
