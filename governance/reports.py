"""The monthly report (月报) of a township or a village: matters by kind and state, on time
and satisfaction, 逢十 visit compliance, points activity. A project-level module (it reads
every app), computed from grouped queries: one row per village, never the matters, visits
or ledger lines themselves.

Prepared on the first of each month for the month before (Celery beat, and
`manage.py prepare_monthly_reports`): each (place, month) is a MonthlyReport row, created
and then claimed before it is computed, so a rerun or a second worker prepares nothing
twice; each township's officials are told once, with a link.
"""

import datetime
import logging
from dataclasses import dataclass

from celery import shared_task
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.errors import Refused
from governance.models import MonthlyReport, Role
from governance.scoping import users_holding
from governance.services import notify
from governance.xlsx import Sheet, workbook_bytes
from grids.models import Township, Village
from grids.visits.fengshi import compliance, fengshi_days
from petitions import figures
from petitions.models import Kind, Matter, State
from points.models import Award, AwardStatus, Entry, EntryKind, Redemption

logger = logging.getLogger(__name__)

OFFICIAL_ROLES = (Role.TOWNSHIP_OFFICIAL, Role.TOWNSHIP_LEADER)
# No report before this month (the app holds nothing older); none after the current one.
FIRST_MONTH = datetime.date(2000, 1, 1)


@dataclass(frozen=True)
class Place:
    township: Township
    village: Village | None = None

    @property
    def name(self) -> str:
        return self.village.name if self.village else self.township.name

    @property
    def query(self) -> str:
        return f"village={self.village.pk}" if self.village else f"township={self.township.pk}"

    def villages(self) -> list[Village]:
        if self.village:
            return [self.village]
        return list(Village.objects.filter(township=self.township).order_by("code"))


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def previous_month(today: datetime.date) -> datetime.date:
    return month_start(month_start(today) - datetime.timedelta(days=1))


def parse_month(text: str) -> datetime.date:
    """YYYY-MM → its first day (ValueError otherwise)."""
    if len(text) != 7:
        raise ValueError(text)
    return datetime.date.fromisoformat(f"{text}-01")


def check_month(month: datetime.date, today: datetime.date, *, ended: bool = False) -> None:
    """Refuse (400 `month_out_of_range`) a month before FIRST_MONTH or after the current
    one; with `ended`, the current one too: a prepared report is final, so only a month
    that is over is prepared."""
    latest = month_start(today)
    if ended:
        latest = previous_month(today)
    if not FIRST_MONTH <= month_start(month) <= latest:
        raise Refused(
            _("Choose a month from %(first)s to %(last)s.")
            % {"first": f"{FIRST_MONTH:%Y-%m}", "last": f"{latest:%Y-%m}"},
            code="month_out_of_range",
            field="month",
        )


def _bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(month, datetime.time.min, tzinfo=tz)
    return start, datetime.datetime.combine(following, datetime.time.min, tzinfo=tz)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _matters(ids, start, end) -> dict:
    received = Matter.objects.filter(village_id__in=ids, created_at__gte=start, created_at__lt=end)
    per_village = {
        row["village_id"]: row
        for row in Matter.objects.filter(village_id__in=ids)
        .values("village_id")
        .annotate(
            received=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
            closed=Count("pk", filter=Q(closed_at__gte=start, closed_at__lt=end)),
            overdue=Count("pk", filter=Q(overdue_at__gte=start, overdue_at__lt=end)),
            rated=Count("pk", filter=Q(closed_at__gte=start, closed_at__lt=end) & ~Q(rating="")),
            satisfied=Count(
                "pk",
                filter=Q(
                    closed_at__gte=start,
                    closed_at__lt=end,
                    rating__in=figures.SATISFIED,
                ),
            ),
        )
        .order_by()
    }
    due = Matter.objects.filter(village_id__in=ids, deadline__gte=start, deadline__lt=end)
    on_time = {row["id"]: row for row in figures.on_time(due, by="village", now=end)}
    by_kind_state = list(received.values("kind", "state").annotate(n=Count("pk")).order_by("kind", "state"))
    return {"per_village": per_village, "on_time": on_time, "by_kind_state": by_kind_state}


def _points(ids, month: datetime.date, start, end) -> dict:
    entries = Entry.objects.filter(
        village_id__in=ids, occurred_on__year=month.year, occurred_on__month=month.month
    ).exclude(kind=EntryKind.OPENING)
    per_village = {
        row["village_id"]: row
        for row in entries.values("village_id")
        .annotate(
            issued=Sum("points", filter=Q(kind=EntryKind.EARN), default=0),
            deducted=Sum("points", filter=Q(kind=EntryKind.DEDUCT), default=0),
            spent=Sum("points", filter=Q(kind=EntryKind.REDEEM), default=0),
        )
        .order_by()
    }
    awards = dict(
        Award.objects.filter(village_id__in=ids, status=AwardStatus.APPROVED, decided_at__gte=start, decided_at__lt=end)
        .values("village_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("village_id", "n")
    )
    redemptions = dict(
        Redemption.objects.filter(village_id__in=ids, created_at__gte=start, created_at__lt=end)
        .values("village_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("village_id", "n")
    )
    return {"per_village": per_village, "awards": awards, "redemptions": redemptions}


def _visits(place: Place, month: datetime.date) -> tuple[list[dict], dict]:
    """Per 逢十 day the totals; per village the sums over the month's three days."""
    days, per_village = [], {}
    keys = ("grids_count", "grids_visited", "people_total", "people_visited", "visits", "households_covered")
    for cycle in fengshi_days(month.year, month.month):
        if place.village:
            roll = compliance(cycle=cycle, village_ids=[place.village.pk])
        else:
            roll = compliance(cycle=cycle, township_ids=[place.township.pk])
        totals = {key: roll.totals.get(key, 0) for key in keys}
        days.append(
            {"cycle": cycle.isoformat(), **totals, "grid_rate": _rate(totals["grids_visited"], totals["grids_count"])}
        )
        for township in roll.townships:
            for village in township["villages"]:
                row = per_village.setdefault(village["id"], dict.fromkeys(keys, 0))
                for key in keys:
                    row[key] += village[key]
    return days, per_village


def _village_row(village, matters, points, visits) -> dict:
    m = matters["per_village"].get(village.pk, {})
    on_time = matters["on_time"].get(village.pk, {})
    p = points["per_village"].get(village.pk, {})
    v = visits.get(village.pk, {})
    return {
        "id": village.pk,
        "name": village.name,
        "received": m.get("received", 0),
        "closed": m.get("closed", 0),
        "overdue": m.get("overdue", 0),
        "decided": on_time.get("decided", 0),
        "on_time": on_time.get("on_time", 0),
        "rated": m.get("rated", 0),
        "satisfied": m.get("satisfied", 0),
        "grids_count": v.get("grids_count", 0),
        "grids_visited": v.get("grids_visited", 0),
        "people_total": v.get("people_total", 0),
        "people_visited": v.get("people_visited", 0),
        "visits": v.get("visits", 0),
        "awards": points["awards"].get(village.pk, 0),
        "redemptions": points["redemptions"].get(village.pk, 0),
        "points_issued": p.get("issued", 0),
        "points_deducted": -p.get("deducted", 0),
        "points_spent": -p.get("spent", 0),
    }


SUMMED = (
    "received",
    "closed",
    "overdue",
    "decided",
    "on_time",
    "rated",
    "satisfied",
    "grids_count",
    "grids_visited",
    "people_total",
    "people_visited",
    "visits",
    "awards",
    "redemptions",
    "points_issued",
    "points_deducted",
    "points_spent",
)


def _with_rates(row: dict) -> dict:
    row["on_time_rate"] = _rate(row["on_time"], row["decided"])
    row["satisfaction_rate"] = _rate(row["satisfied"], row["rated"])
    row["grid_rate"] = _rate(row["grids_visited"], row["grids_count"])
    row["people_rate"] = _rate(row["people_visited"], row["people_total"])
    return row


def monthly_report(place: Place, month: datetime.date) -> dict:
    """The figures of `place` (a township with its villages, or one village) for `month`
    (its first day), as plain data (stored as JSON by the prepared report)."""
    month = month_start(month)
    start, end = _bounds(month)
    villages = place.villages()
    ids = [v.pk for v in villages]
    matters = _matters(ids, start, end)
    points = _points(ids, month, start, end)
    days, per_village = _visits(place, month)
    rows = [_with_rates(_village_row(v, matters, points, per_village)) for v in villages]
    totals = _with_rates({key: sum(row[key] for row in rows) for key in SUMMED})
    return {
        "place": {"kind": "village" if place.village else "township", "id": (place.village or place.township).pk},
        "name": place.name,
        "month": f"{month:%Y-%m}",
        "by_kind_state": matters["by_kind_state"],
        "totals": totals,
        "villages": rows,
        "fengshi": days,
    }


# ---------------------------------------------------------------- reading it back


def _kind_label(kind: str) -> str:
    return Kind(kind).label if kind in Kind.values else _("not classified yet")


def _state_label(state: str) -> str:
    return State(state).label if state in State.values else state


def labelled(report: dict) -> dict:
    """The report with the words a page or a sheet shows (in the reader's language)."""
    kinds = sorted({row["kind"] for row in report["by_kind_state"]})
    states = [s for s in State.values if any(row["state"] == s for row in report["by_kind_state"])]
    counts = {(row["kind"], row["state"]): row["n"] for row in report["by_kind_state"]}
    grid = [
        {"label": _kind_label(kind), "counts": [counts.get((kind, s), 0) for s in states]}
        | {"total": sum(counts.get((kind, s), 0) for s in states)}
        for kind in kinds
    ]
    return {**report, "state_labels": [_state_label(s) for s in states], "kind_rows": grid}


def report_for(place: Place, month: datetime.date) -> tuple[dict, MonthlyReport | None]:
    """The prepared report if there is one, else the figures computed now (not stored)."""
    stored = MonthlyReport.objects.filter(
        township=place.township, village=place.village, month=month_start(month), prepared_at__isnull=False
    ).first()
    if stored is not None:
        return stored.data, stored
    return monthly_report(place, month), None


def _pct(rate) -> str:
    return "" if rate is None else f"{rate * 100:.1f}%"


def report_filename(place: Place, month: datetime.date) -> str:
    """The report's file name in the reader's language (渭沱镇月报-2026-11.xlsx): the name
    a cadre finds it by among the downloads, not the place's code."""
    return _("%(place)s monthly report %(month)s.xlsx") % {"place": place.name, "month": f"{month:%Y-%m}"}


def report_export(report: dict) -> bytes:
    """The report as .xlsx: the villages side by side, matters by kind and state, the 逢十 days."""
    report = labelled(report)
    headers = [
        _("Village"),
        _("Matters received"),
        _("Closed"),
        _("Became overdue"),
        _("Due this month"),
        _("On time"),
        _("On-time rate"),
        _("Rated"),
        _("Satisfied"),
        _("Satisfaction"),
        _("Grids visited"),
        _("Grids"),
        _("People who went"),
        _("People on duty"),
        _("Visits"),
        _("Awards approved"),
        _("Redemptions"),
        _("Points issued"),
        _("Points deducted"),
        _("Points spent"),
    ]

    def row(name, r):
        return [
            name,
            r["received"],
            r["closed"],
            r["overdue"],
            r["decided"],
            r["on_time"],
            _pct(r["on_time_rate"]),
            r["rated"],
            r["satisfied"],
            _pct(r["satisfaction_rate"]),
            r["grids_visited"],
            r["grids_count"],
            r["people_visited"],
            r["people_total"],
            r["visits"],
            r["awards"],
            r["redemptions"],
            r["points_issued"],
            r["points_deducted"],
            r["points_spent"],
        ]

    summary = [row(v["name"], v) for v in report["villages"]] + [row(_("Total"), report["totals"])]
    kinds = [[k["label"], *k["counts"], k["total"]] for k in report["kind_rows"]]
    days = [
        [d["cycle"], d["grids_visited"], d["grids_count"], d["people_visited"], d["people_total"], d["visits"]]
        for d in report["fengshi"]
    ]
    return workbook_bytes(
        Sheet(_("Monthly report %(month)s") % {"month": report["month"]}, headers, summary),
        Sheet(_("Matters by kind and state"), [_("Kind"), *report["state_labels"], _("Total")], kinds),
        Sheet(
            _("逢十 days"),
            [_("逢十 day"), _("Grids visited"), _("Grids"), _("People who went"), _("People on duty"), _("Visits")],
            days,
        ),
    )


# ---------------------------------------------------------------- preparing them


def _claim(row: MonthlyReport, now) -> bool:
    return MonthlyReport.objects.filter(pk=row.pk, prepared_at__isnull=True).update(prepared_at=now) == 1


def _prepare(place: Place, month: datetime.date, now) -> bool:
    """Prepare one report unless it was prepared already; True if this call did."""
    with transaction.atomic():
        # Created if missing, without failing when another run created it at the same time.
        MonthlyReport.objects.bulk_create(
            [MonthlyReport(township=place.township, village=place.village, month=month)], ignore_conflicts=True
        )
        row = MonthlyReport.objects.get(township=place.township, village=place.village, month=month)
        if not _claim(row, now):
            return False
        row.data = monthly_report(place, month)
        row.save(update_fields=["data"])
    return True


def _tell_officials(township: Township, month: datetime.date) -> int:
    url = f"{reverse('governance:monthly-report')}?township={township.pk}&month={month:%Y-%m}"
    title = _("The monthly report of %(place)s for %(month)s is ready") % {
        "place": township.name,
        "month": f"{month:%Y-%m}",
    }
    users = list(users_holding(OFFICIAL_ROLES, township_id=township.pk))
    for user in users:
        notify(user=user, title=title, url=url)
    return len(users)


def prepare_monthly_reports(*, month: datetime.date | None = None) -> dict:
    """Prepare (store) each township's and village's report for `month` (default: last
    month; a month not over yet is refused) that is not prepared yet, and tell each
    township's officials once."""
    today = timezone.localdate()
    month = month_start(month or previous_month(today))
    check_month(month, today, ended=True)
    now = timezone.now()
    prepared, told = 0, 0
    for township in Township.objects.order_by("code"):
        for village in Village.objects.filter(township=township).order_by("code"):
            prepared += _prepare(Place(township, village), month, now)
        with transaction.atomic():
            if _prepare(Place(township), month, now):
                prepared += 1
                told += _tell_officials(township, month)
    logger.info("monthly reports %s: %s prepared, %s officials told", f"{month:%Y-%m}", prepared, told)
    return {"month": f"{month:%Y-%m}", "prepared": prepared, "told": told}


@shared_task(name="governance.reports.prepare_monthly_reports")
def prepare_monthly_reports_task(month: str | None = None) -> dict:
    return prepare_monthly_reports(month=parse_month(month) if month else None)
