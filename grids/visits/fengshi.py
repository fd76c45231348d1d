"""逢十: the 10th, 20th and 30th of each month (the last day of a month with no 30th).

Three things hang off a 逢十 day (a "cycle"): the reminders the evening before and that
morning to everyone assigned to a grid or a courtyard on that day, the report the day after
to each village cadre of who logged no visit, and the compliance roll-up. A visit counts for
the day it is dated, whenever it arrived; assignments are taken as they were on the day.

力量沉底: a village's cadres, the township official sent down to it (包村) and the township
leader of a 片区 holding it (包片) go down to its grids too (VILLAGE_DUTY_ROLES). They are
reminded for their villages in the same one reminder per (person, cycle, kind), get the
report the day after for them, and are counted apart from the grid staff (`sent_down_roll`),
whose figures stay those of the grids and courtyards they are assigned to.
"""

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from governance.generations import cached
from governance.messaging.models import Kind as MessageKind
from governance.models import Assignment, Role
from governance.roles import (
    COMPLIANCE_READERS,
    FENGSHI_ROLES,
    GRID_ROLES,
    TOWNSHIP_ROLES,
    VILLAGE_DUTY_ROLES,
    VILLAGE_STAFF,
)
from governance.scoping import scope_for
from governance.services import notify_many
from grids.models import Area, Grid, Household, Township, Village
from grids.receivers import places_generation
from grids.visits.models import Reminder, Visit, not_superseded
from grids.visits.receivers import visits_generation

NOT_A_FENGSHI_DAY = gettext_lazy("Not a 逢十 day: choose the 10th, the 20th or the 30th (the last day of February).")
NAMES_PER_GRID = 8
CLAIM_BATCH = 500


def fengshi_days(year: int, month: int) -> list[datetime.date]:
    last = calendar.monthrange(year, month)[1]
    return [datetime.date(year, month, 10), datetime.date(year, month, 20), datetime.date(year, month, min(30, last))]


def is_fengshi_day(day: datetime.date) -> bool:
    return day in fengshi_days(day.year, day.month)


def latest_cycle(on: datetime.date) -> datetime.date:
    """The last 逢十 day on or before `on`."""
    candidates = [d for d in fengshi_days(on.year, on.month) if d <= on]
    if candidates:
        return candidates[-1]
    previous = on.replace(day=1) - datetime.timedelta(days=1)
    return fengshi_days(previous.year, previous.month)[-1]


def next_cycle(after: datetime.date) -> datetime.date:
    """The first 逢十 day after `after`."""
    upcoming = [d for d in fengshi_days(after.year, after.month) if d > after]
    if upcoming:
        return upcoming[0]
    following = (after.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return fengshi_days(following.year, following.month)[0]


def cycles_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    days, month = [], start.replace(day=1)
    while month <= end:
        days += [d for d in fengshi_days(month.year, month.month) if start <= d <= end]
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return days


def kinds_due(on: datetime.date) -> list[tuple[str, datetime.date]]:
    """What `send_fengshi_reminders` sends on `on`: (kind, cycle) pairs."""
    one = datetime.timedelta(days=1)
    due = []
    if is_fengshi_day(on + one):
        due.append((Reminder.Kind.EVE, on + one))
    if is_fengshi_day(on):
        due.append((Reminder.Kind.MORNING, on))
    if is_fengshi_day(on - one):
        due.append((Reminder.Kind.REPORT, on - one))
    return due


def _valid_on(day: datetime.date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


def duty_assignments(day: datetime.date, **place):
    """Grid and courtyard assignments in force on `day` (whose holders owe a 逢十 visit)."""
    return Assignment.objects.filter(_valid_on(day), role__in=list(FENGSHI_ROLES), user__is_active=True, **place)


# The order people on village duty are listed in: the township's first, then the village's.
VILLAGE_DUTY_ORDER = (Role.AREA_LEADER, Role.VILLAGE_LIAISON, Role.VILLAGE_CADRE)


def village_duty(day: datetime.date, village_ids=None) -> list[dict]:
    """Who goes down to a whole village on `day` (力量沉底): its cadres, its 包村 official and the
    包片 leader of an area holding it, as one row per person, role and village: an area's
    assignment stands as a row per village of the area, as governance.scoping reads it. Only
    the villages `village_ids`, when given. One query."""
    assignments = Assignment.objects.filter(_valid_on(day), role__in=sorted(VILLAGE_DUTY_ROLES), user__is_active=True)
    wanted = None
    if village_ids is not None:
        wanted = set(village_ids)
        in_areas = Area.villages.through.objects.filter(village_id__in=sorted(wanted)).values("area_id")
        assignments = assignments.filter(Q(village_id__in=sorted(wanted)) | Q(area_id__in=in_areas))
    rows = assignments.values(
        "user_id",
        "role",
        "village_id",
        "village__name",
        "area__name",
        "area__villages",
        "area__villages__name",
        "user__username",
        "user__first_name",
        "user__last_name",
    ).order_by("user_id", "pk", "area__villages__code")
    duty, seen = [], set()
    for row in rows:
        village_id = row["village_id"] or row["area__villages"]
        key = (row["user_id"], row["role"], village_id)
        if village_id is None or key in seen or (wanted is not None and village_id not in wanted):
            continue
        seen.add(key)
        duty.append(
            {
                "user_id": row["user_id"],
                "username": row["user__username"],
                "name": f"{row['user__last_name']}{row['user__first_name']}" or row["user__username"],
                "role": row["role"],
                "village_id": village_id,
                "village": row["village__name"] or row["area__villages__name"],
                "area": row["area__name"] or "",
            }
        )
    return duty


# Reminders


@dataclass
class SendResult:
    sent: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.sent)


def send_fengshi_reminders(*, on: datetime.date, kind: str | None = None) -> SendResult:
    """Send what is due on `on` (or only `kind`, if it is due). Each (person, cycle, kind)
    gets one reminder however often this runs, and however many run at once."""
    result = SendResult()
    for due_kind, cycle in kinds_due(on):
        if kind and due_kind != kind:
            continue
        if due_kind == Reminder.Kind.REPORT:
            messages = _report_messages(cycle)
        else:
            messages = _duty_messages(cycle, due_kind)
        result.sent[due_kind] = _deliver(cycle, due_kind, messages)
    return result


def _deliver(cycle: datetime.date, kind: str, messages: dict[int, tuple[str, str, str]]) -> int:
    """Insert the (person, cycle, kind) rows, then claim unsent ones in batches and write
    their notifications in the same transaction: a crash between the two sends nothing
    twice, and a second process skips the rows the first one holds."""
    Reminder.objects.bulk_create(
        [Reminder(user_id=user_id, cycle=cycle, kind=kind) for user_id in messages],
        ignore_conflicts=True,
        batch_size=1000,
    )
    users = get_user_model().objects.in_bulk(list(messages))
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                Reminder.objects.select_for_update(skip_locked=True)
                .filter(cycle=cycle, kind=kind, sent_at__isnull=True, user_id__in=list(messages))
                .order_by("pk")[:CLAIM_BATCH]
            )
            if not batch:
                return sent
            # Paced: the SMS of a district's 3 000 people spread under the provider's rate; keyed
            # by (cycle, kind, person), so that no rerun queues a message twice.
            notifications = notify_many(
                [(users[r.user_id], *messages[r.user_id]) for r in batch],
                kind=MessageKind.REMINDER,
                paced=True,
                keys=[f"fengshi:{cycle.isoformat()}:{kind}:{r.user_id}" for r in batch],
            )
            now = timezone.now()
            for reminder, notification in zip(batch, notifications, strict=True):
                reminder.sent_at, reminder.notification = now, notification
            Reminder.objects.bulk_update(batch, ["sent_at", "notification"])
            sent += len(batch)


def _due_names(cycle: datetime.date, *, grid_ids=(), courtyard_ids=()) -> tuple[dict, dict]:
    """Households due on `cycle` per grid and per courtyard: counts, and the first few names
    (never visited or longest overdue first)."""
    due = Q(visit_due_on__isnull=True) | Q(visit_due_on__lte=cycle)
    counts: dict[tuple[str, int], int] = {}
    names: dict[tuple[str, int], list[str]] = defaultdict(list)
    for level, ids in (("grid", grid_ids), ("courtyard", courtyard_ids)):
        if not ids:
            continue
        column = f"{level}_id"
        rows = Household.objects.filter(due, **{f"{column}__in": sorted(ids)})
        for row in rows.values(column).annotate(n=Count("pk")).order_by():
            counts[(level, row[column])] = row["n"]
        first = rows.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F(column)],
                order_by=[F("visit_due_on").asc(nulls_first=True), F("number").asc()],
            )
        ).filter(rank__lte=NAMES_PER_GRID)
        for row in first.values(column, "number", "head_name"):
            names[(level, row[column])].append(row["head_name"] or row["number"])
    return counts, names


def _duty_messages(cycle: datetime.date, kind: str) -> dict[int, tuple[str, str, str]]:
    """Each person's one reminder: a line per grid or courtyard they hold, then a line per
    village they go down to (a cadre, 包村, 包片), however many of each they hold."""
    assignments = list(
        duty_assignments(cycle)
        .select_related("grid", "grid__village", "courtyard")
        .order_by("user_id", "grid_id", "courtyard_id")
    )
    villages = village_duty(cycle)
    village_grids: dict[int, list[dict]] = defaultdict(list)
    for grid in (
        Grid.objects.active()
        .filter(village_id__in=sorted({d["village_id"] for d in villages}))
        .order_by("village_id", "number")
        .values("pk", "name", "village_id")
    ):
        village_grids[grid["village_id"]].append(grid)
    counts, names = _due_names(
        cycle,
        grid_ids={a.grid_id for a in assignments if a.courtyard_id is None}
        | {g["pk"] for grids in village_grids.values() for g in grids},
        courtyard_ids={a.courtyard_id for a in assignments if a.courtyard_id},
    )
    day = _("%(month)d月%(day)d日") % {"month": cycle.month, "day": cycle.day}
    if kind == Reminder.Kind.EVE:
        title = _("Tomorrow (%(day)s) is a 逢十 visiting day") % {"day": day}
    else:
        title = _("Today (%(day)s) is a 逢十 visiting day") % {"day": day}
    url = reverse("grids:visit-todo")
    lines: dict[int, list[str]] = defaultdict(list)
    for a in assignments:
        key = ("courtyard", a.courtyard_id) if a.courtyard_id else ("grid", a.grid_id)
        place = f"{a.grid.village.name} {a.grid.name}" + (f" {a.courtyard.name}" if a.courtyard_id else "")
        count = counts.get(key, 0)
        if count:
            shown = "、".join(names[key])
            more = _(" and %(n)d more") % {"n": count - len(names[key])} if count > len(names[key]) else ""
            lines[a.user_id].append(
                _("%(place)s: %(count)d households due: %(names)s%(more)s")
                % {"place": place, "count": count, "names": shown, "more": more}
            )
        else:
            lines[a.user_id].append(_("%(place)s: no household is due; walk the grid.") % {"place": place})
    told = set()
    for d in villages:
        if (d["user_id"], d["village_id"]) in told:
            continue
        told.add((d["user_id"], d["village_id"]))
        place = f"{d['area']} {d['village']}" if d["area"] else d["village"]
        due = [(g["name"], counts.get(("grid", g["pk"]), 0)) for g in village_grids[d["village_id"]]]
        count = sum(n for _name, n in due)
        if count:
            detail = "、".join(f"{name} {n}" for name, n in due if n)
            lines[d["user_id"]].append(
                _("%(place)s: %(count)d households due across its grids: %(detail)s")
                % {"place": place, "count": count, "detail": detail}
            )
        else:
            lines[d["user_id"]].append(_("%(place)s: no household is due; walk its grids.") % {"place": place})
    return {user_id: (title, "\n".join(body), url) for user_id, body in lines.items()}


def _report_messages(cycle: datetime.date) -> dict[int, tuple[str, str, str]]:
    """For each person on village duty today (its cadres, 包村, 包片): who of the grid staff in
    their villages logged no visit on `cycle`, one report however many villages they hold. The
    report is about the grid staff the village answers for; the cadres' and the township's own
    visits are on the compliance page (`sent_down_roll`), for the township to watch."""
    today = cycle + datetime.timedelta(days=1)
    by_village: dict[int, set[int]] = defaultdict(set)
    for d in village_duty(today):
        by_village[d["village_id"]].add(d["user_id"])
    if not by_village:
        return {}
    roll = compliance(cycle=cycle, village_ids=sorted(by_village))
    day = _("%(month)d月%(day)d日") % {"month": cycle.month, "day": cycle.day}
    url = reverse("grids:visit-compliance") + f"?cycle={cycle.isoformat()}"
    parts: dict[int, list[tuple[str, list[str]]]] = defaultdict(list)
    for township in roll.townships:
        for village in township["villages"]:
            missing = [
                _("%(name)s (%(grid)s)") % {"name": person["name"], "grid": grid["name"]}
                for grid in village["grids"]
                for person in grid["people"]
                if not person["visited"]
            ]
            for user_id in sorted(by_village.get(village["id"], ())):
                parts[user_id].append((village["name"], missing))
    messages: dict[int, tuple[str, str, str]] = {}
    for user_id, villages in parts.items():
        count = sum(len(missing) for _name, missing in villages)
        if count:
            title = _("逢十 %(day)s: %(count)d people logged no visit") % {"day": day, "count": count}
        else:
            title = _("逢十 %(day)s: everyone logged a visit") % {"day": day}
        lines = []
        for name, missing in villages:
            if not missing:
                lines.append(_("Every grid and courtyard in %(village)s was visited.") % {"village": name})
            elif len(villages) == 1:
                lines += missing
            else:
                lines.append(_("%(village)s: %(names)s") % {"village": name, "names": "、".join(missing)})
        messages[user_id] = (title, "\n".join(lines), url)
    return messages


# Compliance

COMPLIANCE_TTL = 60  # seconds: what a lost generation (Redis restarted) could leave stale


@dataclass
class Compliance:
    cycle: datetime.date
    townships: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    # The village cadres and the township's staff sent down (包村, 包片), apart from the grid
    # staff: {"people": [...], "totals": {...}} when asked for (compliance_for(sent_down=True)).
    sent_down: dict = field(default_factory=dict)


def counted_on(cycle: datetime.date) -> Q:
    """The grids a 逢十 day's compliance counts: those in use, and one merged into another
    (grids.places) on a later day. One merged on that day itself counts only if it was visited
    before its merge: it has no staff and no households left, and is no 0 % grid."""
    visited = Visit.objects.filter(not_superseded(), visited_on=cycle, grid_id=OuterRef("pk"))
    return Q(retired_on__isnull=True) | Q(retired_on__gt=cycle) | (Q(retired_on=cycle) & Exists(visited))


def compliance(*, cycle: datetime.date, township_ids=None, village_ids=None, grid_ids=None) -> Compliance:
    """Per grid and per person on duty on `cycle`: visited or not, visits, households covered;
    rolled up per village and township. A handful of queries whatever the size. A grid merged
    into another counts up to the day of its merge, when its staff's duty ended (counted_on)."""
    grids = Grid.objects.filter(counted_on(cycle))
    if grid_ids is not None:
        grids = grids.filter(pk__in=list(grid_ids))
    if village_ids is not None:
        grids = grids.filter(village_id__in=list(village_ids))
    if township_ids is not None:
        grids = grids.filter(township_id__in=list(township_ids))
    grid_rows = list(grids.order_by("township_id", "village_id", "number").values("pk", "name", "village_id"))
    ids = [g["pk"] for g in grid_rows]
    villages = Village.objects.in_bulk({g["village_id"] for g in grid_rows})
    townships = Township.objects.in_bulk({v.township_id for v in villages.values()})
    households = dict(
        Household.objects.filter(grid_id__in=ids).values("grid_id").annotate(n=Count("pk")).values_list("grid_id", "n")
    )
    effective = Visit.objects.filter(not_superseded(), visited_on=cycle, grid_id__in=ids)
    per_grid = {
        row["grid_id"]: row
        for row in effective.values("grid_id")
        .annotate(visits=Count("pk"), covered=Count("household_id", distinct=True))
        .order_by()
    }
    per_author = {
        (row["grid_id"], row["author_id"]): row
        for row in effective.values("grid_id", "author_id")
        .annotate(visits=Count("pk"), covered=Count("household_id", distinct=True))
        .order_by()
    }
    people: dict[int, dict[int, dict]] = defaultdict(dict)
    duty = duty_assignments(cycle, grid_id__in=ids).values(
        "grid_id", "user_id", "role", "user__first_name", "user__last_name", "user__username"
    )
    for a in duty.order_by("grid_id", "user_id"):
        if a["user_id"] in people[a["grid_id"]]:
            continue
        done = per_author.get((a["grid_id"], a["user_id"]), {"visits": 0, "covered": 0})
        people[a["grid_id"]][a["user_id"]] = {
            "id": a["user_id"],
            "username": a["user__username"],
            "name": f"{a['user__last_name']}{a['user__first_name']}" or a["user__username"],
            "role": a["role"],
            "visited": done["visits"] > 0,
            "visits": done["visits"],
            "households_covered": done["covered"],
        }
    tree: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for g in grid_rows:
        done = per_grid.get(g["pk"], {"visits": 0, "covered": 0})
        persons = list(people[g["pk"]].values())
        village = villages[g["village_id"]]
        tree[village.township_id][village.pk].append(
            {
                "id": g["pk"],
                "name": f"{village.name} {g['name']}",
                "visited": done["visits"] > 0,
                "visits": done["visits"],
                "households": households.get(g["pk"], 0),
                "households_covered": done["covered"],
                "people": persons,
                # the roll-up counters of a single grid
                "grids_count": 1,
                "grids_visited": int(done["visits"] > 0),
                "people_total": len(persons),
                "people_visited": sum(p["visited"] for p in persons),
            }
        )
    result = Compliance(cycle=cycle)
    for township_id, village_map in tree.items():
        village_rows = []
        for village_id, grid_list in village_map.items():
            row = {"id": village_id, "name": villages[village_id].name, "grids": grid_list}
            row.update(_rollup(grid_list))
            village_rows.append(row)
        township = {"id": township_id, "name": townships[township_id].name, "villages": village_rows}
        township.update(_rollup(village_rows))
        result.townships.append(township)
    result.totals = _rollup(result.townships)
    return result


def _rollup(rows) -> dict:
    keys = ("grids_count", "grids_visited", "visits", "households", "households_covered")
    total = {key: sum(row[key] for row in rows) for key in (*keys, "people_total", "people_visited")}
    total["grid_rate"] = round(total["grids_visited"] / total["grids_count"], 3) if total["grids_count"] else None
    total["people_rate"] = round(total["people_visited"] / total["people_total"], 3) if total["people_total"] else None
    return total


def month_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and the last day of `day`'s month."""
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def sent_down_roll(*, cycle: datetime.date, villages: list[dict]) -> dict:
    """The village cadres, 包村 officials and 包片 leaders on duty on `cycle` at `villages` (the
    roll's village rows, {id, name}), apart from the grid staff: per person their villages
    among these, whether they went on `cycle`, their visits and the households they visited
    that day and in its month. A visit counts for them when they logged it in one of their
    villages. Two queries (none without villages; one when nobody is on duty)."""
    order = {village["id"]: index for index, village in enumerate(villages)}
    duty = village_duty(cycle, list(order)) if order else []
    people: dict[int, dict] = {}
    for d in duty:
        person = people.setdefault(
            d["user_id"],
            {
                "id": d["user_id"],
                "username": d["username"],
                "name": d["name"],
                "roles": [],
                "places": [],
                "visited": False,
                "visits": 0,
                "households_covered": 0,
                "month_visits": 0,
                "month_households_covered": 0,
            },
        )
        if d["role"] not in person["roles"]:
            person["roles"].append(d["role"])
        if all(place["village"] != d["village_id"] for place in person["places"]):
            person["places"].append(
                {
                    "village": d["village_id"],
                    "name": d["village"],
                    "role": d["role"],
                    "role_display": str(Role(d["role"]).label),
                    "area": d["area"],
                }
            )
    if people:
        first, last = month_of(cycle)
        on_cycle = Q(visited_on=cycle)
        done = (
            Visit.objects.filter(
                not_superseded(),
                author_id__in=sorted(people),
                village_id__in=sorted(order),
                visited_on__gte=first,
                visited_on__lte=last,
            )
            .values("author_id", "village_id")
            .annotate(
                visits=Count("pk", filter=on_cycle),
                covered=Count("household_id", distinct=True, filter=on_cycle),
                month_visits=Count("pk"),
                month_covered=Count("household_id", distinct=True),
            )
            .order_by()
        )
        # A household is in one village: the per-village counts of distinct households add up.
        for row in done:
            person = people[row["author_id"]]
            if all(place["village"] != row["village_id"] for place in person["places"]):
                continue
            person["visits"] += row["visits"]
            person["households_covered"] += row["covered"]
            person["month_visits"] += row["month_visits"]
            person["month_households_covered"] += row["month_covered"]
    rank = {role: index for index, role in enumerate(VILLAGE_DUTY_ORDER)}
    rows = sorted(
        people.values(),
        key=lambda p: (
            min(rank[role] for role in p["roles"]),
            min(order[place["village"]] for place in p["places"]),
            p["name"],
        ),
    )
    for person in rows:
        person["visited"] = person["visits"] > 0
        # The places as said aloud: each role (and area) once, with its villages.
        duties: dict[tuple[str, str], dict] = {}
        for place in person["places"]:
            duty = duties.setdefault(
                (place["role"], place["area"]),
                {"role": place["role"], "role_display": place["role_display"], "area": place["area"], "villages": []},
            )
            duty["villages"].append(place["name"])
        person["duties"] = list(duties.values())
    visited = sum(person["visited"] for person in rows)
    totals = {
        "people_total": len(rows),
        "people_visited": visited,
        "people_rate": round(visited / len(rows), 3) if rows else None,
        **{
            key: sum(person[key] for person in rows)
            for key in ("visits", "households_covered", "month_visits", "month_households_covered")
        },
    }
    return {"month": month_of(cycle)[0], "people": rows, "totals": totals}


def compliance_for(
    user,
    *,
    cycle: datetime.date,
    township: int | None = None,
    village: int | None = None,
    sent_down: bool = False,
) -> Compliance:
    """The roll-up over the places the caller may see: a township for its officials, a
    village for its cadres (and its 包村, 包片), their own grids for grid staff; narrowed to one
    township or village of those when given (a dashboard's figure opens its own place's
    roll-up). With `sent_down`, also the village cadres and the township's staff sent down, of
    the villages the caller sees whole: the township its villages', a village its own; grid
    staff see none (`sent_down_roll`).

    Kept for a minute while the visits and the places of the caller's townships stay
    (governance.generations: a visit, a grid, a household or a post written there makes the
    next reader count afresh)."""
    scope = scope_for(user)
    # A superuser's roll-up is every township's, whatever their own posts.
    townships = Township.objects.values_list("pk", flat=True) if scope.is_superuser else scope.township_ids
    names = [name for pk in sorted(townships) for name in (visits_generation(pk), places_generation(pk))]
    parts = (user.pk, *scope.key(), cycle.isoformat(), township, village, sent_down, get_language())
    return cached(
        "compliance",
        names,
        parts,
        lambda: _count_compliance(scope, cycle=cycle, township=township, village=village, sent_down=sent_down),
        timeout=COMPLIANCE_TTL,
    )


def _count_compliance(scope, *, cycle, township, village, sent_down) -> Compliance:
    narrow = {
        "township_ids": None if township is None else [township],
        "village_ids": None if village is None else [village],
    }
    if scope.is_superuser:
        roll = compliance(cycle=cycle, **narrow)
    else:
        roll = compliance(cycle=cycle, grid_ids=_grid_ids(scope), **narrow)
    if sent_down:
        townships, villages = scope.ids_for(TOWNSHIP_ROLES), scope.ids_for(VILLAGE_DUTY_ROLES)
        whole = [
            {"id": village["id"], "name": village["name"]}
            for row in roll.townships
            for village in row["villages"]
            if scope.is_superuser or row["id"] in townships or village["id"] in villages
        ]
        roll.sent_down = sent_down_roll(cycle=cycle, villages=whole)
    return roll


def _grid_ids(scope) -> list[int]:
    condition = Q(pk__in=[])
    if township := scope.ids_for(TOWNSHIP_ROLES):
        condition |= Q(township_id__in=sorted(township))
    if village := scope.ids_for(VILLAGE_STAFF | VILLAGE_DUTY_ROLES):
        condition |= Q(village_id__in=sorted(village))
    if grid := scope.ids_for(GRID_ROLES):
        condition |= Q(pk__in=sorted(grid))
    if courtyard := scope.by_role.get(Role.COURTYARD_HELPER):
        condition |= Q(courtyards__in=sorted(courtyard))
    return list(Grid.objects.filter(condition).values_list("pk", flat=True).distinct())


def may_see_compliance(user) -> bool:
    return scope_for(user).has_any_role(COMPLIANCE_READERS)
