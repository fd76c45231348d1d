"""The township and district dashboards' tallies (Tally): a district's matters counted per
village, department and month, and its grids, households and residents per village, by a
Celery beat task every five minutes, so that a dashboard adds up a few hundred rows instead of
grouping a million matters on every request (issue 14, item 8).

The figures follow the matter list's filters exactly (the same Q objects): a tally is the
length of the list behind its link as it was at `counted_at`, which the dashboard shows. A
township official sees every matter of their township (governance.scoping), so a village's
rows are what they see of it. When the last count is older than settings.TALLY_MAX_AGE (beat
stopped, or a new database), the reader counts them first. One count at a time: each holds
the TallyRun row's lock, and one that waited for another's finds it fresh.
"""

import datetime
import logging
import time
import zoneinfo
from collections import Counter, defaultdict

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Count, DateField, F, IntegerField, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone

from governance.models import Department, Tally, TallyRun
from grids.models import Grid, Household, Resident
from petitions.figures import ON_TIME, RATED, SATISFIED, decided
from petitions.filters import overdue_q
from petitions.models import OPEN_STATES, Kind, Matter, MatterEvent, State

logger = logging.getLogger(__name__)

FIGURES = [f.name for f in Tally._meta.concrete_fields if isinstance(f, IntegerField) and f.name != "id"]
PLACE = ("township_id", "village_id", "department_id")


def _month(field: str) -> TruncMonth:
    return TruncMonth(field, output_field=DateField(), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def _count(now: datetime.datetime) -> dict[tuple, Counter]:
    """{(township, village, department, month or None): Counter of FIGURES}: four grouped
    queries over the matters, one over the send-back events, three over the places."""
    cells: dict[tuple, Counter] = defaultdict(Counter)

    def add(queryset, month: str | None, **counts):
        names = list(PLACE)
        if month:
            queryset, names = queryset.annotate(month=_month(month)), [*names, "month"]
        for row in queryset.values(*names).annotate(**counts).order_by():
            key = (*(row[name] for name in PLACE), row.get("month"))
            cells[key].update({name: row[name] for name in counts})

    matters = Matter.objects.all()
    add(matters, "created_at", received=Count("pk"))
    add(
        matters.filter(closed_at__isnull=False),
        "closed_at",
        closed=Count("pk", filter=Q(state=State.CLOSED)),
        rated=Count("pk", filter=Q(rating__in=RATED)),
        satisfied=Count("pk", filter=Q(rating__in=SATISFIED)),
    )
    add(decided(matters, now), "deadline", decided=Count("pk"), on_time=Count("pk", filter=ON_TIME))
    # As the list's filters: `supervised` (given a 督办 note), `escalated`, `signed_on_time`.
    supervised = Q(pk__in=MatterEvent.objects.filter(action="supervise").values("matter_id"))
    add(
        matters,
        None,
        held=Count("pk", filter=Q(state__in=sorted(OPEN_STATES), kind=Kind.GOVERNMENT)),
        overdue=Count("pk", filter=overdue_q()),
        escalated=Count("pk", filter=Q(escalation_level__gt=0)),
        supervised=Count("pk", filter=supervised),
        signed_on_time=Count("pk", filter=Q(signed_at__isnull=False, signed_at__lte=F("sign_by"))),
    )
    # Returns (退回): the matters each department sent back, a matter returned twice once (as
    # the list's `returned_by` shows it), in the returning department's row.
    departments = set(Department.objects.values_list("pk", flat=True))
    returns = (
        MatterEvent.objects.filter(action="send_back")
        .annotate(by=Cast(KT("payload__department"), IntegerField()))
        .values("matter__township_id", "matter__village_id", "by")
        .annotate(n=Count("matter_id", distinct=True))
        .order_by()
    )
    for row in returns:
        if row["by"] in departments:
            cells[(row["matter__township_id"], row["matter__village_id"], row["by"], None)]["returned"] += row["n"]
    # The places: every village has its own row, matters or not.
    for model, name in ((Grid, "grids"), (Household, "households"), (Resident, "residents")):
        for row in model.objects.values("township_id", "village_id").annotate(n=Count("pk")).order_by():
            cells[(row["township_id"], row["village_id"], None, None)][name] = row["n"]
    return cells


def _fresh(run: TallyRun, now: datetime.datetime, max_age: int) -> bool:
    """Counted less than `max_age` seconds ago. A count dated further ahead than that (a clock
    moved forward, then back) is stale too: it would otherwise stand until its date came."""
    age = datetime.timedelta(seconds=max_age)
    return run.counted_at is not None and now - age < run.counted_at < now + age


def count_tallies(*, now: datetime.datetime | None = None, max_age: int | None = None) -> TallyRun:
    """Count every tally again, unless they were counted less than `max_age` seconds ago
    (a count that waited for another one's lock then finds them fresh)."""
    now = now or timezone.now()
    with transaction.atomic():
        run, _created = TallyRun.objects.select_for_update().get_or_create(pk=1)
        if max_age is not None and _fresh(run, now, max_age):
            return run
        started = time.perf_counter()
        cells = _count(now)
        Tally.objects.all().delete()
        Tally.objects.bulk_create(
            (
                Tally(township_id=t, village_id=v, department_id=d, month=m, **counts)
                for (t, v, d, m), counts in cells.items()
            ),
            batch_size=2000,
        )
        run.counted_at = now
        run.took_ms = round((time.perf_counter() - started) * 1000)
        run.matters = sum(counts["received"] for counts in cells.values())
        run.save()
    logger.info("tallies: %s rows for %s matters in %s ms", len(cells), run.matters, run.took_ms)
    return run


def fresh_run(now: datetime.datetime | None = None) -> TallyRun:
    """The last count, counted again first when it is older than settings.TALLY_MAX_AGE."""
    now = now or timezone.now()
    max_age = settings.TALLY_MAX_AGE
    run = TallyRun.objects.filter(pk=1).first()
    if run is None or not _fresh(run, now, max_age):
        run = count_tallies(now=now, max_age=max_age)
    return run


@shared_task
def count_tallies_task() -> int:
    """Beat, every five minutes: count the tallies again; the number of matters counted."""
    return count_tallies().matters
