"""Figures for the dashboards: on-time rate and the average time spent in each step, per
village or per department, computed in the database (one grouped query each).

Returns (退回) are counted per department from the send_back events.

A matter counts for the on-time rate once it has a deadline and either its result was
reported or its deadline has passed; it was on time when its first report came no later
than the deadline. The time in a step is from the event that entered a state to the next
event of the same matter.
"""

import datetime

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from governance.models import Department
from petitions.models import Matter, MatterEvent, Rating

GROUPS = {"village": ("village_id", "village__name"), "department": ("department_id", "department__name")}
STEP_STATES = ["submitted", "classified", "deliberating", "handling", "verifying", "evaluating"]


def decided(matters: QuerySet[Matter], now: datetime.datetime | None = None) -> QuerySet[Matter]:
    """The matters the on-time rate counts: with a deadline, and reported or past it."""
    now = now or timezone.now()
    return matters.filter(deadline__isnull=False).filter(Q(deadline__lt=now) | Q(first_reported_at__isnull=False))


ON_TIME = Q(first_reported_at__lte=F("deadline"))
# The satisfaction rate: of the rated matters (closed with a rating), the satisfied ones.
SATISFIED = [Rating.SATISFIED, Rating.BASICALLY_SATISFIED]
RATED = [*SATISFIED, Rating.UNSATISFIED]


def reported_on_time(decided_matters: QuerySet[Matter]) -> QuerySet[Matter]:
    """Of `decided(...)`, those whose first report came no later than the deadline."""
    return decided_matters.filter(ON_TIME)


def on_time(matters: QuerySet[Matter], *, by: str, now: datetime.datetime | None = None) -> list[dict]:
    """[{id, name, decided, on_time, rate}] for each village or department of `matters`."""
    key, name = GROUPS[by]
    rows = (
        decided(matters.exclude(**{f"{key}__isnull": True}), now)
        .values(key, name)
        .annotate(decided=Count("pk"), on_time=Count("pk", filter=ON_TIME))
        .order_by(name)
    )
    return [
        {
            "id": row[key],
            "name": row[name],
            "decided": row["decided"],
            "on_time": row["on_time"],
            "rate": round(row["on_time"] / row["decided"], 4) if row["decided"] else None,
        }
        for row in rows
    ]


def time_per_step(matters: QuerySet[Matter], *, by: str) -> list[dict]:
    """[{id, name, state, average_hours, count}]: how long matters stayed in each step."""
    key, name = GROUPS[by]
    next_event = Subquery(
        MatterEvent.objects.filter(matter=OuterRef("matter"), created_at__gt=OuterRef("created_at"))
        .order_by("created_at", "id")
        .values("created_at")[:1]
    )
    rows = (
        MatterEvent.objects.filter(matter__in=matters.exclude(**{f"{key}__isnull": True}), to_state__in=STEP_STATES)
        .exclude(to_state=F("from_state"))
        .annotate(left_at=next_event)
        .filter(left_at__isnull=False)
        .annotate(spent=ExpressionWrapper(F("left_at") - F("created_at"), output_field=DurationField()))
        .values(f"matter__{key}", f"matter__{name}", "to_state")
        .annotate(average=Avg("spent"), count=Count("pk"))
        .order_by(f"matter__{name}", "to_state")
    )
    return [
        {
            "id": row[f"matter__{key}"],
            "name": row[f"matter__{name}"],
            "state": row["to_state"],
            "average_hours": round(row["average"].total_seconds() / 3600, 2) if row["average"] is not None else None,
            "count": row["count"],
        }
        for row in rows
    ]


def returns(matters: QuerySet[Matter]) -> list[dict]:
    """[{id, name, returns}]: how often each department sent matters back (退回), a misrouting
    figure (counted from the send_back events, which keep the department)."""
    department = Cast(KT("payload__department"), IntegerField())
    name = Subquery(Department.objects.filter(pk=OuterRef("department_id")).values("name")[:1])
    rows = (
        MatterEvent.objects.filter(matter__in=matters, action="send_back")
        .annotate(department_id=department)
        .values("department_id")
        .annotate(returns=Count("pk"), name=name)
        .order_by("name", "department_id")
    )
    return [{"id": row["department_id"], "name": row["name"], "returns": row["returns"]} for row in rows]
