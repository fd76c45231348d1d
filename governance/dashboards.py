"""The dashboards (驾驶舱) of the home page: a village's and a township's figures.

Every figure is counted in the database (grouped queries, never rows into Python), over the
same queryset the matter list shows to the same user, and comes with the list's address: a
figure is the length of the list behind its link (tests/governance/test_dashboards.py follows
each one). The number of queries does not grow with the villages or the matters.

This module is part of the project's home pages, so it may read every app.
"""

import datetime
from urllib.parse import urlencode

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from governance.generations import bump, cached
from governance.scoping import scope_for
from grids.models import Grid, Township, Village
from grids.receivers import places_generation
from grids.visits.fengshi import counted_on, cycles_between, latest_cycle
from grids.visits.models import Visit, not_superseded
from grids.visits.receivers import visits_generation
from petitions.figures import ON_TIME, RATED, SATISFIED, decided
from petitions.filters import STEP_GROUPS, accept_overdue_q, overdue_q, unsigned_q
from petitions.models import OPEN_STATES, Kind, State
from petitions.queue import DISTRICT, township_generation, user_generation
from petitions.selectors import matters_visible_to

TREND_CYCLES = 6
TREND_MONTHS = 12


def matters_url(**params) -> str:
    """The matter list filtered as given (petitions.filters.MatterFilter and the list's form)."""
    pairs = []
    for key, value in params.items():
        for one in value if isinstance(value, list | tuple) else [value]:
            pairs.append((key, one))
    return f"{reverse('petitions:matter-list')}?{urlencode(pairs)}"


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


# ---------------------------------------------------------------- periods


def quarter_of(day: datetime.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def previous_quarter(day: datetime.date) -> str:
    first = datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return quarter_of(first - datetime.timedelta(days=1))


def last_months(today: datetime.date, count: int = TREND_MONTHS) -> list[datetime.date]:
    """The first days of the last `count` months, this one last."""
    months = []
    year, month = today.year, today.month
    for _step in range(count):
        months.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def month_key(day: datetime.date) -> str:
    return f"{day.year}-{day.month:02d}"


def window(months: list[datetime.date]) -> str:
    return f"{month_key(months[0])}..{month_key(months[-1])}"


# ---------------------------------------------------------------- shared figures


def _rates(matters, place: dict, period: str, *, closed_period: str | None = None) -> dict:
    """On-time (deadline in `period`) and satisfaction (closed in the period with a rating)."""
    from petitions.filters import period_bounds

    start, end = period_bounds(period)
    due = decided(matters.filter(deadline__gte=start, deadline__lt=end)).aggregate(
        decided=Count("pk"), on_time=Count("pk", filter=ON_TIME)
    )
    start, end = period_bounds(closed_period or period)
    rated = matters.filter(closed_at__gte=start, closed_at__lt=end, rating__in=RATED).aggregate(
        rated=Count("pk"), satisfied=Count("pk", filter=Q(rating__in=SATISFIED))
    )
    return {"period": period, **_rate_figures({**due, **rated}, place, period, closed_period or period)}


def _rate_figures(f: dict, place: dict, due: str, closed: str) -> dict:
    """On time (deadline in `due`) and satisfied (closed in `closed`), with their lists."""
    return {
        "decided": f["decided"],
        "on_time": f["on_time"],
        "on_time_rate": rate(f["on_time"], f["decided"]),
        "decided_url": matters_url(**place, due=due, timeliness="decided"),
        "on_time_url": matters_url(**place, due=due, timeliness="on_time"),
        "rated": f["rated"],
        "satisfied": f["satisfied"],
        "satisfaction": rate(f["satisfied"], f["rated"]),
        "rated_url": matters_url(**place, closed=closed, rating=RATED),
        "satisfied_url": matters_url(**place, closed=closed, rating=SATISFIED),
    }


def compliance_url(cycle: datetime.date, **place) -> str:
    """The 逢十 roll-up of `cycle`, narrowed to the place (village= or township=)."""
    return f"{reverse('grids:visit-compliance')}?{urlencode({'cycle': cycle.isoformat(), **place})}"


def _compliance_trend(grids, cycles: list[datetime.date], group: str | None = None, place: dict | None = None) -> dict:
    """{group id or None: [{cycle, grids, visited, rate}]}: grids with at least one effective
    visit on each 逢十 day (as grids/visits/fengshi.compliance counts them), in two queries."""
    grid_ids = grids.values("pk")
    # Per cycle, the grids that cycle counts (a grid merged into another counts up to its merge).
    per_cycle = {f"c{i}": Count("pk", filter=counted_on(cycle)) for i, cycle in enumerate(cycles)}
    if group:
        totals = {row[group]: row for row in grids.values(group).annotate(**per_cycle).order_by()}
    else:
        totals = {None: grids.aggregate(**per_cycle)}
    visited = Visit.objects.filter(not_superseded(), visited_on__in=cycles, grid_id__in=grid_ids)
    # A visit carries its grid's village and township ids: grouped on its own columns, with no
    # join to the grids (whose misestimated join made the district's query take seconds).
    values = ("visited_on", group) if group else ("visited_on",)
    done = {}
    for row in visited.values(*values).annotate(n=Count("grid_id", distinct=True)).order_by():
        done[(row.get(group) if group else None, row["visited_on"])] = row["n"]
    trend = {}
    for owner, total in totals.items():
        trend[owner] = [
            {
                "cycle": cycle,
                "grids": total[f"c{i}"],
                "visited": done.get((owner, cycle), 0),
                "rate": rate(done.get((owner, cycle), 0), total[f"c{i}"]),
                "url": compliance_url(cycle, **({group.removesuffix("_id"): owner} if group else place or {})),
            }
            for i, cycle in enumerate(cycles)
        ]
    return trend


def recent_cycles(today: datetime.date, count: int = TREND_CYCLES) -> list[datetime.date]:
    last = latest_cycle(today)
    return cycles_between(last - datetime.timedelta(days=11 * count), last)[-count:]


# ---------------------------------------------------------------- a village


KIND_ROWS = [
    (Kind.CIVIL, Kind.CIVIL.label),
    (Kind.VILLAGE, Kind.VILLAGE.label),
    (Kind.GOVERNMENT, Kind.GOVERNMENT.label),
]


def _waiting_by_kind(matters, place: dict) -> dict:
    """Open matters per kind and stage (事前/事中/事后), with the overdue ones: one query."""
    rows = (
        matters.filter(state__in=sorted(OPEN_STATES))
        .values("kind", "state")
        .annotate(n=Count("pk"), late=Count("pk", filter=overdue_q()))
        .order_by()
    )
    cells = {}
    for row in rows:
        cells[(row["kind"], row["state"])] = (row["n"], row["late"])
    kinds = [*KIND_ROWS, ("", _("not classified yet"))]
    table = []
    for kind, label in kinds:
        kind_param = kind or "unclassified"
        groups = []
        for group, (_label, states) in STEP_GROUPS.items():
            count = sum(cells.get((kind, state), (0, 0))[0] for state in states)
            groups.append(
                {"key": group, "count": count, "url": matters_url(**place, kind=kind_param, step_group=group)}
            )
        total = sum(cells.get((kind, state), (0, 0))[0] for state in OPEN_STATES)
        late = sum(cells.get((kind, state), (0, 0))[1] for state in OPEN_STATES)
        if not kind and not total:
            continue
        table.append(
            {
                "kind": kind_param,
                "label": label,
                "groups": groups,
                "total": total,
                "total_url": matters_url(**place, kind=kind_param, state="open"),
                "overdue": late,
                "overdue_url": matters_url(**place, kind=kind_param, overdue=1),
            }
        )
    totals = []
    for index, (group, (label, _states)) in enumerate(STEP_GROUPS.items()):
        totals.append(
            {
                "key": group,
                "label": label,
                "count": sum(row["groups"][index]["count"] for row in table),
                "url": matters_url(**place, step_group=group),
            }
        )
    return {
        "rows": table,
        "groups": totals,
        "total": sum(row["total"] for row in table),
        "total_url": matters_url(**place, state="open"),
        "overdue": sum(row["overdue"] for row in table),
        "overdue_url": matters_url(**place, overdue=1),
    }


def _clocks(matters, place: dict, now) -> dict:
    row = matters.aggregate(
        accept_pending=Count("pk", filter=Q(accept_by__isnull=False)),
        accept_overdue=Count("pk", filter=accept_overdue_q(now)),
        sign_pending=Count("pk", filter=Q(sign_by__isnull=False, signed_at__isnull=True)),
        unsigned=Count("pk", filter=unsigned_q(now)),
    )
    row["accept_overdue_url"] = matters_url(**place, accept_overdue=1)
    row["unsigned_url"] = matters_url(**place, unsigned=1)
    return row


def _grid_rows(village_id: int, matters, cycle: datetime.date) -> list[dict]:
    # Today's grids: one merged into another has no households, staff or open matters left.
    grids = Grid.objects.active().filter(village_id=village_id)
    counts = {
        row["grid_id"]: row
        for row in matters.filter(state__in=sorted(OPEN_STATES), grid__isnull=False)
        .values("grid_id")
        .annotate(open=Count("pk"), late=Count("pk", filter=overdue_q()))
        .order_by()
    }
    visited = dict(
        Visit.objects.filter(not_superseded(), visited_on=cycle, grid__village_id=village_id)
        .values("grid_id")
        .annotate(n=Count("pk"))
        .values_list("grid_id", "n")
        .order_by()
    )
    village_compliance_url = compliance_url(cycle, village=village_id)
    rows = []
    for grid in grids.order_by("number").values("pk", "name"):
        row = counts.get(grid["pk"], {"open": 0, "late": 0})
        rows.append(
            {
                "id": grid["pk"],
                "name": grid["name"],
                "visits": visited.get(grid["pk"], 0),
                "visited": grid["pk"] in visited,
                "compliance_url": village_compliance_url,
                "open": row["open"],
                "open_url": matters_url(grid=grid["pk"], state="open"),
                "overdue": row["late"],
                "overdue_url": matters_url(grid=grid["pk"], overdue=1),
                "households_url": f"{reverse('grids:household-list')}?grid={grid['pk']}",
            }
        )
    return rows


def _points(user, village_id: int, today: datetime.date) -> dict:
    from points.models import Account, Redemption, VillagePointsSettings
    from points.selectors import awards_waiting_for

    default = VillagePointsSettings._meta.get_field("benefit_floor").default
    floor = Coalesce(F("village__points_settings__benefit_floor"), Value(default))
    month = today.replace(day=1)
    redeemed = Redemption.objects.filter(village_id=village_id, created_at__date__gte=month).aggregate(
        count=Count("pk"), points=Coalesce(Sum("points"), 0)
    )
    return {
        "awards_waiting": awards_waiting_for(user).filter(village_id=village_id).count(),
        "awards_url": reverse("points:queue"),
        "redemptions": redeemed["count"],
        "redeemed_points": redeemed["points"],
        "below_floor": Account.objects.filter(village_id=village_id, balance__lt=floor).count(),
        "below_floor_url": f"{reverse('points:account-list')}?below_floor=on",
    }


def village_dashboard(user, village: Village, *, now: datetime.datetime | None = None) -> dict:
    """村级驾驶舱: what waits and what is late, by kind and stage; the acceptance and sign-off
    clocks; 逢十 compliance per grid and over six cycles; points; this quarter against the last."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    place = {"village": village.pk}
    matters = matters_visible_to(user).filter(village_id=village.pk)
    cycles = recent_cycles(today)
    grids = Grid.objects.filter(village_id=village.pk)
    trend = _compliance_trend(grids, cycles, place={"village": village.pk})[None]
    this_quarter, last_quarter = quarter_of(today), previous_quarter(today)
    board = {
        "village": village,
        "waiting": _waiting_by_kind(matters, place),
        "clocks": _clocks(matters, place, now),
        "cycle": cycles[-1],
        "grids": _grid_rows(village.pk, matters, cycles[-1]),
        "trend": trend,
        "quarters": [_rates(matters, place, last_quarter), _rates(matters, place, this_quarter)],
    }
    if _may_see_points(user, village.pk):
        board["points"] = _points(user, village.pk, today)
    board["charts"] = village_charts(board)
    return board


def _may_see_points(user, village_id: int) -> bool:
    from governance.roles import DECIDER_ROLES

    scope = scope_for(user)
    return scope.is_superuser or village_id in scope.ids_for(DECIDER_ROLES)


def chart(categories: list[str], series: list[dict], *, unit: str, kind: str = "bar", stack: bool = False) -> dict:
    """What a chart draws and the table under it shows: series are {name, data, urls}; the
    table's rows are the categories, one cell per series, each linking to its list."""
    rows = []
    for index, label in enumerate(categories):
        cells = []
        for one in series:
            urls = one.get("urls")
            cells.append({"value": one["data"][index], "url": urls[index] if urls else ""})
        rows.append({"label": label, "cells": cells})
    return {"categories": categories, "series": series, "unit": unit, "kind": kind, "stack": stack, "rows": rows}


def village_charts(board: dict) -> dict:
    """The data each chart draws (and its table shows), for json_script."""
    kinds = board["waiting"]["rows"]
    return {
        "stages": chart(
            [str(row["label"]) for row in kinds],
            [
                {
                    "name": str(group["label"]),
                    "data": [row["groups"][i]["count"] for row in kinds],
                    "urls": [row["groups"][i]["url"] for row in kinds],
                }
                for i, group in enumerate(board["waiting"]["groups"])
            ],
            unit=_("matters"),
            stack=True,
        ),
        "compliance": chart(
            [f"{c['cycle'].month}月{c['cycle'].day}日" for c in board["trend"]],
            [
                {
                    "name": _("grids visited (%)"),
                    "data": [_pct(c["rate"]) for c in board["trend"]],
                    "urls": [c["url"] for c in board["trend"]],
                },
                {"name": _("grids visited"), "data": [c["visited"] for c in board["trend"]], "hidden": True},
                {"name": _("grids"), "data": [c["grids"] for c in board["trend"]], "hidden": True},
            ],
            unit="%",
            kind="line",
        ),
    }


# ---------------------------------------------------------------- a township


# The township and district boards read the tallies (governance.tallies): figures of a time
# window summed over its months, figures of now from the rows of now.
WINDOW_FIGURES = ("received", "closed", "decided", "on_time", "rated", "satisfied")
NOW_FIGURES = ("held", "overdue", "escalated", "supervised", "signed_on_time", "returned")
PLACE_FIGURES = ("grids", "households", "residents")
EMPTY = dict.fromkeys(WINDOW_FIGURES + NOW_FIGURES + PLACE_FIGURES, 0)


def _sums(tallies, by: str, months: list[datetime.date]) -> dict:
    """{township, village, department or month: its figures}: one grouped query."""
    window = Q(month__gte=months[0], month__lte=months[-1])
    figures = {name: Coalesce(Sum(name, filter=window), 0) for name in WINDOW_FIGURES}
    if by == "month":
        return {row[by]: row for row in tallies.filter(window).values(by).annotate(**figures).order_by()}
    now = Q(month__isnull=True)
    figures |= {name: Coalesce(Sum(name, filter=now), 0) for name in NOW_FIGURES + PLACE_FIGURES}
    return {row[by]: row for row in tallies.filter(window | now).values(by).annotate(**figures).order_by()}


def _place_row(f: dict, place: dict, twelve: str, households: int, compliance: dict) -> dict:
    """A village's or a township's row: its figures and the lists behind them."""
    return {
        "households": households,
        "grids": compliance["grids"],
        "grids_visited": compliance["visited"],
        "compliance": compliance["rate"],
        "compliance_url": compliance["url"],
        "received": f["received"],
        "received_url": matters_url(**place, created=twelve),
        "per_100": round(f["received"] * 100 / households, 1) if households else None,
        **_rate_figures(f, place, twelve, twelve),
        "overdue": f["overdue"],
        "overdue_url": matters_url(**place, overdue=1),
        "supervised": f["supervised"],
        "supervised_url": matters_url(**place, supervised=1),
        "escalated": f["escalated"],
        "escalated_url": matters_url(**place, escalated=1),
    }


NO_COMPLIANCE = {"grids": 0, "visited": 0, "rate": None, "url": ""}


def _village_rows(tallies, villages, months: list[datetime.date], cycle) -> list[dict]:
    figures = _sums(tallies, "village_id", months)
    trend = _compliance_trend(Grid.objects.filter(village_id__in=[v.pk for v in villages]), [cycle], "village_id")
    rows = []
    for village in villages:
        compliance = trend.get(village.pk, [NO_COMPLIANCE])[0]
        row = _place_row(
            figures.get(village.pk, EMPTY), {"village": village.pk}, window(months), village.household_count, compliance
        )
        row.update(village=village, dashboard_url=reverse("governance:village-dashboard", args=[village.pk]))
        rows.append(row)
    return rows


def _township_rows(tallies, townships, months: list[datetime.date], cycle) -> list[dict]:
    """The district's townships side by side: their households from the tallies, as counted."""
    figures = _sums(tallies, "township_id", months)
    trend = _compliance_trend(Grid.objects.all(), [cycle], "township_id")
    rows = []
    for township in townships:
        f = figures.get(township.pk, EMPTY)
        compliance = trend.get(township.pk, [NO_COMPLIANCE])[0]
        row = _place_row(f, {"township": township.pk}, window(months), f["households"], compliance)
        row.update(
            township=township,
            residents=f["residents"],
            dashboard_url=reverse("governance:township-dashboard", args=[township.pk]),
        )
        rows.append(row)
    return rows


def _department_rows(tallies, departments, months: list[datetime.date], place: dict) -> list[dict]:
    twelve = window(months)
    figures = _sums(tallies.filter(department__isnull=False), "department_id", months)
    rows = []
    for department in departments:
        f = figures.get(department.pk, EMPTY)
        dep = {**place, "department": department.pk}
        rows.append(
            {
                "department": department,
                "held": f["held"],
                "held_url": matters_url(**dep, kind=Kind.GOVERNMENT, state="open"),
                "signed_on_time": f["signed_on_time"],
                "signed_on_time_url": matters_url(**dep, signed_on_time=1),
                "returns": f["returned"],
                "returns_url": matters_url(**place, returned_by=department.pk),
                "decided": f["decided"],
                "on_time": f["on_time"],
                "on_time_rate": rate(f["on_time"], f["decided"]),
                "on_time_url": matters_url(**dep, due=twelve, timeliness="on_time"),
                "decided_url": matters_url(**dep, due=twelve, timeliness="decided"),
            }
        )
    return rows


def _monthly(tallies, months: list[datetime.date], place: dict) -> list[dict]:
    """Received and closed per month (as the list's `created` and `closed` filters)."""
    figures = _sums(tallies, "month", months)
    rows = []
    for month in months:
        f = figures.get(month, EMPTY)
        key = month_key(month)
        rows.append(
            {
                "month": month,
                "key": key,
                "received": f["received"],
                "received_url": matters_url(**place, created=key),
                "closed": f["closed"],
                "closed_url": matters_url(**place, closed=key, state=State.CLOSED),
            }
        )
    return rows


def _board_frame(now, run=None) -> dict:
    from governance.tallies import fresh_run

    now = now or timezone.now()
    today = timezone.localdate(now)
    months = last_months(today)
    run = run or fresh_run(now)
    return {
        "months": months,
        "twelve": window(months),
        "first_month": months[0],
        "cycle": latest_cycle(today),
        "counted_at": run.counted_at,
    }


def counted_villages(township_ids: list[int] | None = None, *, village_ids: list[int] | None = None) -> list[Village]:
    """The townships' villages with their grids, households and residents as the tallies
    counted them at the last run (read after governance.tallies.fresh_run), as grids.selectors'
    villages_with_counts gives them live: what the township's board and cards show, in one
    light query instead of counting the residents of every village."""
    from governance.models import Tally

    own = Tally.objects.filter(village_id=OuterRef("pk"), department__isnull=True, month__isnull=True)
    counted = {
        f"{name}_count": Coalesce(Subquery(own.values(field)[:1]), 0)
        for name, field in (("grid", "grids"), ("household", "households"), ("resident", "residents"))
    }
    villages = Village.objects.select_related("township")
    if township_ids is not None:
        villages = villages.filter(township_id__in=sorted(township_ids))
    if village_ids is not None:
        villages = villages.filter(pk__in=sorted(village_ids))
    return list(villages.annotate(**counted).order_by("code"))


def township_dashboard(township, *, now: datetime.datetime | None = None, run=None) -> dict:
    """镇街驾驶舱 of one township, for its staff and superusers (who see every matter of it):
    the villages and the departments side by side over the last twelve months, the
    twelve-month trend, each village's own dashboard one click away; from the tallies
    (governance.tallies; the board says when they were counted), the villages' counts too
    (each row's `village` carries them, for the page's cards)."""
    from governance.models import Department, Tally

    frame = _board_frame(now, run)
    months = frame.pop("months")
    tallies = Tally.objects.filter(township_id=township.pk)
    villages = counted_villages([township.pk])
    departments = Department.objects.filter(township_id=township.pk).order_by("name")
    place = {"township": township.pk}
    board = {
        **frame,
        "township": township,
        "villages": _village_rows(tallies, villages, months, frame["cycle"]),
        "departments": _department_rows(tallies, list(departments), months, place),
        "months": _monthly(tallies, months, place),
        "households": sum(village.household_count for village in villages),
    }
    board["charts"] = township_charts(board)
    return board


def villages_board(village_ids: list[int], *, now: datetime.datetime | None = None, run=None) -> dict:
    """The villages a 包片 leader (or a 包村 official of several) answers for, side by side as
    the township's board shows its villages, each village's own dashboard one click away; from
    the tallies, like the township's board."""
    from governance.models import Tally

    frame = _board_frame(now, run)
    months = frame.pop("months")
    villages = counted_villages(village_ids=village_ids)
    tallies = Tally.objects.filter(village_id__in=sorted(village_ids))
    return {**frame, "villages": _village_rows(tallies, villages, months, frame["cycle"])}


def district_dashboard(townships: list, *, user=None, now: datetime.datetime | None = None, run=None) -> dict:
    """The townships side by side, for a superuser or someone on the staff of several (each
    township's own dashboard one click away), and the twelve-month trend, from the tallies.
    The trend's figures link to the unfiltered list (one township a filter) only when `user`
    sees no matter beyond these townships (a grant, a village elsewhere): that list would hold
    more than the figure counts, so the figures are then shown without a link."""
    from governance.models import Tally

    frame = _board_frame(now, run)
    months = frame.pop("months")
    ids = sorted(township.pk for township in townships)
    tallies = Tally.objects.filter(township_id__in=ids)
    rows = _township_rows(tallies, townships, months, frame["cycle"])
    monthly = _monthly(tallies, months, {})
    if user is not None and not user.is_superuser and matters_visible_to(user).exclude(township_id__in=ids).exists():
        for month in monthly:
            month["received_url"] = month["closed_url"] = ""
    board = {
        **frame,
        "townships": rows,
        "months": monthly,
        "households": sum(row["households"] for row in rows),
    }
    board["charts"] = township_charts(board)
    return board


def township_charts(board: dict) -> dict:
    """The trend and the places side by side (a township's villages, a district's townships)."""
    months = board["months"]
    places = board["villages"] if "villages" in board else board["townships"]
    names = [(row["village"] if "village" in row else row["township"]).name for row in places]
    return {
        "months": chart(
            [_month_label(m["month"], first=i == 0) for i, m in enumerate(months)],
            [
                {
                    "name": _("received"),
                    "data": [m["received"] for m in months],
                    "urls": [m["received_url"] for m in months],
                },
                {"name": _("closed"), "data": [m["closed"] for m in months], "urls": [m["closed_url"] for m in months]},
            ],
            unit=_("matters"),
            kind="line",
        ),
        "places": chart(
            names,
            [
                {
                    "name": _("逢十 compliance (%)"),
                    "data": [_pct(row["compliance"]) for row in places],
                    "urls": [row["compliance_url"] for row in places],
                },
                {
                    "name": _("on time (%)"),
                    "data": [_pct(row["on_time_rate"]) for row in places],
                    "urls": [row["decided_url"] for row in places],
                },
                {
                    "name": _("satisfied (%)"),
                    "data": [_pct(row["satisfaction"]) for row in places],
                    "urls": [row["rated_url"] for row in places],
                },
            ],
            unit="%",
        ),
    }


def _month_label(month: datetime.date, *, first: bool) -> str:
    return f"{month.year}年{month.month}月" if first or month.month == 1 else f"{month.month}月"


def _pct(value: float | None) -> int | None:
    return round(value * 100) if value is not None else None


# ---------------------------------------------------------------- the boards the pages show


# A board is kept in the cache for the minute it was counted in, under the generations
# (governance.generations) of what it counts: a matter, a visit, a grid or a points record
# written in its places makes the next reader count afresh. What follows the clock alone (a
# clock passing its deadline, a new quarter) is at most a minute late; the township's and the
# district's figures are the tallies' anyway (counted every five minutes, the board says when).
BOARD_TTL = 60  # seconds


def forget_boards() -> None:
    """Every board and 逢十 roll-up is counted afresh by its next reader (the bench and the tests count a board's
    own queries and time so)."""

    bump(*(places_generation(pk) for pk in Township.objects.values_list("pk", flat=True)))


def _kept(prefix: str, names, parts, compute, now):
    minute = timezone.localtime(now or timezone.now()).strftime("%Y-%m-%dT%H:%M")
    return cached(f"board:{prefix}", names, (*parts, get_language(), minute), compute, timeout=BOARD_TTL)


def _viewer(user) -> tuple:
    """Who reads: a board counts the matters `user` sees, so their places are in its key."""
    return (user.pk, *scope_for(user).key())


def _township_names(township_ids) -> list[str]:
    names = []
    for township_id in sorted(township_ids):
        names += [township_generation(township_id), visits_generation(township_id), places_generation(township_id)]
    return names


def village_cards(village_ids, township_ids, *, now: datetime.datetime | None = None) -> tuple[list, list]:
    """The village staff's cards on the home page: their villages and the villages' grids in use,
    each with its household and resident counts, kept for the minute while the places of their
    townships (`township_ids`, which hold the villages) stay."""
    from grids.selectors import grids_with_counts, villages_with_counts

    ids = sorted(village_ids)
    return _kept(
        "cards:" + ",".join(map(str, ids)),
        [places_generation(pk) for pk in sorted(township_ids)],
        (),
        lambda: (list(villages_with_counts(village_ids=ids)), list(grids_with_counts(village_ids=ids))),
        now,
    )


def village_board(user, village: Village, *, now: datetime.datetime | None = None) -> dict:
    """village_dashboard, kept for the minute (BOARD_TTL) while nothing it counts changes."""
    from points.receivers import points_generation

    names = [DISTRICT, user_generation(user.pk), *_township_names([village.township_id])]
    names.append(points_generation(village.pk))
    return _kept(f"village:{village.pk}", names, _viewer(user), lambda: village_dashboard(user, village, now=now), now)


def township_board(township, *, now: datetime.datetime | None = None) -> dict:
    """township_dashboard, kept for the minute while its tallies, visits and grids stay."""
    from governance.tallies import fresh_run

    run = fresh_run(now)
    return _kept(
        f"township:{township.pk}",
        _township_names([township.pk]),
        (run.counted_at,),
        lambda: township_dashboard(township, now=now, run=run),
        now,
    )


def sent_down_board(village_ids: list[int], township_ids, *, now: datetime.datetime | None = None) -> dict:
    """villages_board (a 包片 leader's villages), kept like the township's."""
    from governance.tallies import fresh_run

    run = fresh_run(now)
    ids = sorted(village_ids)
    return _kept(
        "villages:" + ",".join(map(str, ids)),
        _township_names(township_ids),
        (run.counted_at,),
        lambda: villages_board(ids, now=now, run=run),
        now,
    )


def district_board(townships: list, *, user, now: datetime.datetime | None = None) -> dict:
    """district_dashboard for `user`, kept like the township's."""
    from governance.tallies import fresh_run

    run = fresh_run(now)
    ids = [township.pk for township in townships]
    # Its links hang on the matters the user sees beyond these townships (a village elsewhere).
    return _kept(
        "district",
        [DISTRICT, user_generation(user.pk), *_township_names({*ids, *scope_for(user).township_ids})],
        (run.counted_at, ids, *_viewer(user)),
        lambda: district_dashboard(townships, user=user, now=now, run=run),
        now,
    )


def fengshi_summary(user, *, now: datetime.datetime | None = None) -> dict:
    """The last 逢十 day's roll-up over the user's places (kept as compliance_for keeps it) and
    the next 逢十 day."""
    from grids.visits.fengshi import compliance_for, next_cycle

    today = timezone.localdate(now)
    last = latest_cycle(today)
    return {"last": last, "next": next_cycle(today), "totals": compliance_for(user, cycle=last).totals}
