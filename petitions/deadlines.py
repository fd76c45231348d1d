"""Deadlines, the overdue sweep, escalation and the evaluation window.

The clock starts when a matter is classified, with the time limit of its kind and category
in working days (petitions.calendar); reclassification recomputes it from the same start;
`handle` may set an explicit deadline. A pause stops the clock and the resume extends the
deadline by the working days it lasted.

Acceptance (受理) and a department's sign-off (签收) run on clocks of their own, in working
days too (ClockLimit): a submitted matter is classified or rejected by `accept_by` (the
village clock, from submission); a 政事 is reviewed and accepted by the township by a new
`accept_by` (the township clock, from its classification as a 政事); a matter assigned to a
department is signed for by `sign_by`. The sweep warns at 80 % of the acceptance clock, marks
it overdue at its end and escalates it one level up after the grace period (accept_warn,
accept_overdue, accept_escalate), and flags a sign-off not done in time (sign_overdue): each
once per clock, claimed under the row lock by its own timestamp.

The sweep answers these questions from partial indexes and settles each matter it claims
(SKIP LOCKED) through the workflow's core as the system (petitions.workflow: warn,
mark_overdue, escalate, close_unevaluated), in the same transaction as the event and the
notifications: run it twice, or twice at once, and every warning, mark and escalation still
happens exactly once.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.models import Role
from governance.scoping import users_holding
from petitions import calendar, workflow
from petitions.models import CLOCK_STATES, ClockLimit, Kind, Matter, State, TimeLimit

logger = logging.getLogger(__name__)

DEFAULT_DAYS = {Kind.CIVIL: 7, Kind.VILLAGE: 30, Kind.GOVERNMENT: 10}
# 信访工作条例 (2022) art. 22/24 gives 15 days to decide whether to accept; we count working
# days, as every clock here, so the default is the more generous reading of that limit.
DEFAULT_CLOCK_DAYS = {
    ClockLimit.Clock.VILLAGE_ACCEPTANCE: 3,
    ClockLimit.Clock.TOWNSHIP_ACCEPTANCE: 15,
    ClockLimit.Clock.SIGN_OFF: 1,
}
# The states in which acceptance may be pending (before handling).
ACCEPTANCE_STATES = [State.SUBMITTED, State.CLASSIFIED, State.DELIBERATING]
# The review one level up (复查), whatever the kind, unless a TimeLimit of that stage says otherwise.
DEFAULT_REVIEW_DAYS = 20
SYSTEM = "system"


def time_limit_days(kind: str, category, stage: str = TimeLimit.Stage.HANDLING) -> int:
    """The category's own limit for this kind and stage, else the kind's, else the built-in default."""
    limits = TimeLimit.objects.filter(stage=stage, kind=kind)
    own = dict(limits.filter(category__in=[category] if category else []).values_list("category_id", "working_days"))
    if category is not None and category.pk in own:
        return own[category.pk]
    default = limits.filter(category__isnull=True).values_list("working_days", flat=True).first()
    if default:
        return default
    return DEFAULT_REVIEW_DAYS if stage == TimeLimit.Stage.REVIEW else DEFAULT_DAYS[kind]


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


def start_review_clock(matter: Matter, now: datetime.datetime) -> list[str]:
    """The review's own clock (复查), from now, with the review stage's time limit."""
    days = time_limit_days(matter.kind, matter.category, TimeLimit.Stage.REVIEW)
    matter.clock_started_at, matter.time_limit_days = now, days
    matter.deadline = calendar.deadline_after(now, days)
    matter.warn_at = _warn_at(now, matter.deadline)
    matter.paused_at, matter.pause_reason = None, ""
    fields = ["clock_started_at", "time_limit_days", "deadline", "warn_at", "paused_at", "pause_reason"]
    return fields + reset_flags(matter, now)


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


# ---------------------------------------------------------------- acceptance and sign-off


def clock_days(clock: str) -> int:
    """The working days of a clock: the admin's ClockLimit, else the built-in default."""
    days = ClockLimit.objects.filter(clock=clock).values_list("working_days", flat=True).first()
    return days or DEFAULT_CLOCK_DAYS[clock]


def acceptance_level(matter: Matter) -> str:
    """Whose acceptance is pending: the village's while submitted, else the township's (a 政事)."""
    return "village" if matter.state == State.SUBMITTED else "township"


def start_acceptance(matter: Matter, clock: str, *, now: datetime.datetime | None = None) -> list[str]:
    """Start an acceptance clock (at submission; when a 政事 reaches the township): a fresh
    deadline, and the sweep's warning, mark and escalation apply afresh."""
    now = now or timezone.now()
    matter.accept_by = calendar.deadline_after(now, clock_days(clock))
    matter.accept_warn_at = _warn_at(now, matter.accept_by)
    matter.accept_warned_at = matter.accept_overdue_at = matter.accept_escalated_at = None
    return ["accept_by", "accept_warn_at", "accept_warned_at", "accept_overdue_at", "accept_escalated_at"]


def end_acceptance(matter: Matter) -> list[str]:
    """Accepted, rejected or withdrawn: no acceptance is pending any more."""
    matter.accept_by = matter.accept_warn_at = None
    return ["accept_by", "accept_warn_at"]


def start_sign_off(matter: Matter, *, now: datetime.datetime | None = None) -> list[str]:
    """Assigned to a department: one of its handlers signs for it within the sign-off clock."""
    now = now or timezone.now()
    matter.sign_by = calendar.deadline_after(now, clock_days(ClockLimit.Clock.SIGN_OFF))
    matter.signed_at = matter.signed_by = matter.sign_overdue_at = None
    return ["sign_by", "signed_at", "signed_by", "sign_overdue_at"]


def clear_sign_off(matter: Matter) -> list[str]:
    """Not (or no longer) with a department: no sign-off clock."""
    matter.sign_by = matter.signed_at = matter.signed_by = matter.sign_overdue_at = None
    return ["sign_by", "signed_at", "signed_by", "sign_overdue_at"]


# ---------------------------------------------------------------- the sweep


@dataclass
class SweepResult:
    warned: int = 0
    marked_overdue: int = 0
    escalated: int = 0
    closed_unevaluated: int = 0
    acceptance_warned: int = 0
    acceptance_overdue: int = 0
    acceptance_escalated: int = 0
    sign_off_overdue: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _grace() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.MATTER_ESCALATION_GRACE_HOURS)


def _handlers(matter: Matter):
    if matter.handler_id or matter.department_id:
        return list(workflow.handlers_of(matter))
    return list(workflow.owners_of(matter))


supervisors_at = workflow.supervisors_at


class _People:
    """Who to tell, looked up once per place for the whole run (a sweep may settle thousands)."""

    def __init__(self):
        self.cache = {}
        self.users = {}

    def supervisors(self, matter: Matter, level: int) -> list:
        civil = matter.kind == Kind.CIVIL
        key = (civil, level, matter.village_id if civil and level == 1 else None, matter.township_id)
        if key not in self.cache:
            self.cache[key] = list(supervisors_at(matter, level))
        return self.cache[key]

    def handlers(self, matter: Matter) -> list:
        if matter.state == State.REVIEWING:  # the review's clock is the reviewers'
            key = ("reviewers", matter.kind, matter.village_id, matter.township_id)
            if key not in self.cache:
                self.cache[key] = list(workflow.reviewers_of(matter))
            return self.cache[key]
        if matter.handler_id:
            if matter.handler_id not in self.users:
                self.users[matter.handler_id] = get_user_model().objects.get(pk=matter.handler_id)
            return [self.users[matter.handler_id]]
        key = ("handlers", matter.department_id, matter.kind, matter.grid_id, matter.village_id, matter.township_id)
        if key not in self.cache:
            self.cache[key] = _handlers(matter)
        return self.cache[key]

    def acceptors(self, matter: Matter) -> list:
        """Who accepts it now: the village's classifiers, or the township's officials."""
        if acceptance_level(matter) == "township":
            key = ("accept", Role.TOWNSHIP_OFFICIAL, matter.township_id)
            roles, place = {Role.TOWNSHIP_OFFICIAL}, {"township_id": matter.township_id}
        else:
            key = ("accept", matter.village_id, matter.grid_id)
            if key not in self.cache:
                self.cache[key] = list(workflow.classifiers_of(matter))
            return self.cache[key]
        if key not in self.cache:
            self.cache[key] = list(users_holding(roles, **place))
        return self.cache[key]

    def above_acceptors(self, matter: Matter) -> list:
        """One level up from the acceptors: the township's officials above a village, its
        leaders above its officials."""
        role = Role.TOWNSHIP_LEADER if acceptance_level(matter) == "township" else Role.TOWNSHIP_OFFICIAL
        key = ("above", role, matter.township_id)
        if key not in self.cache:
            self.cache[key] = list(users_holding({role}, township_id=matter.township_id))
        return self.cache[key]

    def department(self, matter: Matter) -> list:
        key = ("department", matter.department_id)
        if key not in self.cache:
            self.cache[key] = list(users_holding({Role.DEPARTMENT_HANDLER}, department_id=matter.department_id))
        return self.cache[key]


def _settle(due, action: str, batch: int, order: str, **payload) -> int:
    """Settle due matters in batches, each in one transaction: lock rows no other sweep holds
    (SKIP LOCKED) and take `action` on each as the system (workflow.matter_transition: its
    effect, event and notifications; on the rows as locked here, without reading each again).
    A settled row no longer matches `due`, so nothing happens twice."""
    settled = 0
    while True:
        with transaction.atomic():
            # Ordered by the column of the partial index that answers `due`: ordering by pk
            # would walk the whole table when little is due.
            rows = list(due.select_for_update(skip_locked=True).order_by(order)[:batch])
            if not rows:
                return settled
            for matter in rows:
                workflow.matter_transition(matter=matter, actor=workflow.SYSTEM, action=action, locked=True, **payload)
        settled += len(rows)


def _day(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d}"


@workflow.effect("warn")
def _warn(matter: Matter, actor, *, now, people: _People) -> workflow.Change:
    body = _("The deadline is %(deadline)s.") % {"deadline": _day(matter.deadline)}
    title = _("Deadline near: %(title)s") % {"title": matter.title}
    matter.warned_at = now
    told = [(people.handlers(matter), title, body)]
    return workflow.Change({"deadline": matter.deadline.isoformat()}, ["warned_at"], {"told": told})


@workflow.effect("mark_overdue")
def _mark_overdue(matter: Matter, actor, *, now, people: _People) -> workflow.Change:
    note = _("Overdue: the time limit ended on %(deadline)s. Please finish it now.") % {
        "deadline": _day(matter.deadline)
    }
    matter.is_overdue, matter.overdue_at = True, now
    users = [*people.handlers(matter), *people.supervisors(matter, 1)]
    told = [(users, _("Overdue (督办): %(title)s") % {"title": matter.title}, note)]
    return workflow.Change({"note": note, "overdue": True}, ["is_overdue", "overdue_at"], {"told": told})


@workflow.effect("escalate")
def _escalate(matter: Matter, actor, *, now, people: _People, level: int) -> workflow.Change:
    added = people.supervisors(matter, level + 1)
    body = _("Still overdue after the grace period; you now supervise it.")
    told = [(added, _("Escalated to you (督办): %(title)s") % {"title": matter.title}, body)]
    matter.escalation_level = level + 1
    payload = {"level": level + 1, "supervisors": [u.pk for u in added]}
    return workflow.Change(payload, ["escalation_level"], {"told": told})


@workflow.effect("close_unevaluated")
def _close_unevaluated(matter: Matter, actor, *, now, people: _People) -> workflow.Change:
    matter.closed_at = now
    return workflow.Change({"days": settings.MATTER_EVALUATION_DAYS}, ["closed_at"])


@workflow.effect("accept_warn")
def _accept_warn(matter: Matter, actor, *, now, people: _People) -> workflow.Change:
    body = _("Accept (classify) or reject it by %(deadline)s.") % {"deadline": _day(matter.accept_by)}
    title = _("Acceptance due soon (受理): %(title)s") % {"title": matter.title}
    matter.accept_warned_at = now
    level = acceptance_level(matter)
    told = [(people.acceptors(matter), title, body)]
    payload = {"level": level, "accept_by": matter.accept_by.isoformat()}
    return workflow.Change(payload, ["accept_warned_at"], {"told": told})


@workflow.effect("accept_overdue")
def _accept_overdue(matter: Matter, actor, *, now, people: _People) -> workflow.Change:
    note = _("Not accepted in time: the time limit for acceptance ended on %(deadline)s.") % {
        "deadline": _day(matter.accept_by)
    }
    matter.accept_overdue_at = now
    told = [(people.acceptors(matter), _("Acceptance overdue (督办): %(title)s") % {"title": matter.title}, note)]
    payload = {"level": acceptance_level(matter), "note": note, "accept_by": matter.accept_by.isoformat()}
    return workflow.Change(payload, ["accept_overdue_at"], {"told": told})


@workflow.effect("accept_escalate")
def _accept_escalate(matter: Matter, actor, *, now, people: _People) -> workflow.Change:
    added = people.above_acceptors(matter)
    body = _("Still not accepted after the grace period; you now supervise its acceptance.")
    told = [(added, _("Acceptance escalated to you (督办): %(title)s") % {"title": matter.title}, body)]
    matter.accept_escalated_at = now
    payload = {"level": acceptance_level(matter), "supervisors": [u.pk for u in added]}
    return workflow.Change(payload, ["accept_escalated_at"], {"told": told})


@workflow.effect("sign_overdue")
def _sign_overdue(matter: Matter, actor, *, now, people: _People) -> workflow.Change:
    note = _("Not signed for (签收) by %(deadline)s.") % {"deadline": _day(matter.sign_by)}
    matter.sign_overdue_at = now
    users = [*people.department(matter), *([matter.assigned_by] if matter.assigned_by_id else [])]
    told = [(users, _("Sign-off overdue: %(title)s") % {"title": matter.title}, note)]
    payload = {"department": matter.department_id, "note": note, "sign_by": matter.sign_by.isoformat()}
    return workflow.Change(payload, ["sign_overdue_at"], {"told": told})


def _sweep_acceptance(result: SweepResult, now, batch: int, people: _People) -> None:
    """Acceptance: warn at 80 %, mark at 100 %, one level up after the grace period, each once
    per clock (the sweep's own timestamps, set under the row lock)."""
    pending = Matter.objects.filter(state__in=ACCEPTANCE_STATES, accept_by__isnull=False)
    to_warn = pending.filter(
        accept_warned_at__isnull=True, accept_overdue_at__isnull=True, accept_warn_at__lte=now, accept_by__gt=now
    )
    result.acceptance_warned = _settle(to_warn, "accept_warn", batch, "accept_by", now=now, people=people)
    late = pending.filter(accept_overdue_at__isnull=True, accept_by__lte=now)
    result.acceptance_overdue = _settle(late, "accept_overdue", batch, "accept_by", now=now, people=people)
    stuck = pending.filter(
        accept_overdue_at__isnull=False, accept_escalated_at__isnull=True, accept_by__lte=now - _grace()
    )
    result.acceptance_escalated = _settle(stuck, "accept_escalate", batch, "accept_by", now=now, people=people)


def sweep_one(matter: Matter, action: str, *, now: datetime.datetime | None = None) -> Matter:
    """Take one of the sweep's actions on one matter, as the sweep would (the demo)."""
    now = now or timezone.now()
    return workflow.matter_transition(matter=matter, actor=workflow.SYSTEM, action=action, now=now, people=_People())[0]


def sweep(*, now: datetime.datetime | None = None, batch: int = 500) -> SweepResult:
    """Warn at 80 %, mark overdue at 100 % (督办), escalate after the grace period, and close
    matters left unevaluated; the same for acceptance (受理), and flag late sign-offs (签收).
    Safe to run as often, and as concurrently, as you like."""
    now = now or timezone.now()
    result = SweepResult()
    people = _People()
    running = Matter.objects.filter(state__in=CLOCK_STATES, paused_at__isnull=True)

    # A matter first seen after its deadline is marked overdue, not warned.
    to_warn = running.filter(warned_at__isnull=True, is_overdue=False, warn_at__lte=now, deadline__gt=now)
    result.warned = _settle(to_warn, "warn", batch, "warn_at", now=now, people=people)

    overdue = running.filter(is_overdue=False, deadline__lte=now)
    result.marked_overdue = _settle(overdue, "mark_overdue", batch, "deadline", now=now, people=people)

    grace = _grace()
    for level in (1, 0):
        # Level L+1 is due L+1 grace periods after the deadline. Level 1 goes first, so that a
        # matter climbs at most one level per run and a late sweep never skips the village.
        due = running.filter(is_overdue=True, escalation_level=level, deadline__lte=now - grace * (level + 1))
        result.escalated += _settle(due, "escalate", batch, "deadline", now=now, people=people, level=level)

    window = datetime.timedelta(days=settings.MATTER_EVALUATION_DAYS)
    unevaluated = Matter.objects.filter(state=State.EVALUATING, evaluation_opened_at__lte=now - window)
    result.closed_unevaluated = _settle(
        unevaluated, "close_unevaluated", batch, "evaluation_opened_at", now=now, people=people
    )

    _sweep_acceptance(result, now, batch, people)
    unsigned = Matter.objects.filter(
        state=State.HANDLING,
        department__isnull=False,
        signed_at__isnull=True,
        sign_overdue_at__isnull=True,
        sign_by__lte=now,
    )
    result.sign_off_overdue = _settle(unsigned, "sign_overdue", batch, "sign_by", now=now, people=people)
    return result
