"""The demo's season of 逢十 visits (seed_demo calls it after the places and people)."""

import datetime
import uuid

from django.contrib.auth import get_user_model
from django.utils import timezone

from governance.models import Assignment, Role
from governance.roles import TOWNSHIP_ROLES
from governance.services import assignment_create
from grids.models import Household, Village
from grids.visits.fengshi import cycles_between, latest_cycle
from grids.visits.models import Visit
from grids.visits.services import visit_record

# 逢十 visits of the last season in 七星村: who goes, and on which cycles they do not.
VISIT_SEASON_CYCLES = 9
VISITORS = {
    "qixing_grid1": {"misses": {2}, "per_cycle": 4},
    "qixing_leader1": {"misses": {0, 3, 5}, "per_cycle": 2},
    "qixing_grid2": {"misses": {1, 4, 6}, "per_cycle": 3},
}
# 力量沉底: 渭沱镇's official 黄园园 answers for 七星村 (包村) since some months back and goes down on
# the 逢十 days too: to grid 3, which has no grid worker of its own, on the last two of them.
LIAISON = "weituo_official"
LIAISON_VILLAGE = "500117101001"  # 七星村
LIAISON_GRID = 3
LIAISON_SINCE_DAYS = 120
LIAISON_VISITS = {-1: 2, -2: 1}  # the last 逢十 day: two households; the one before: one
FINDINGS = [
    ("", "nothing", ""),
    ("老人腿脚不便，想办理残疾证。", "follow_up", "讲解了办理流程，下次带表格来。"),
    ("院坝排水沟堵了，下雨积水。", "solved", "叫上邻居一起清理了。"),
    ("孩子在外打工，老人独居，身体尚可。", "nothing", "留了网格员电话。"),
    ("反映村道路灯坏了两盏。", "follow_up", "记下位置，报村委会。"),
]


def seed_visits(log=print, *, today: datetime.date | None = None) -> None:
    """A season of 逢十 visits in 七星村 (the last nine cycles), with gaps: some people skip
    some cycles, so compliance has something to show. Idempotent: every visit has a UUID
    derived from who, when and where, so a rerun replays instead of adding."""
    today = today or timezone.localdate()
    last = latest_cycle(today)
    cycles = cycles_between(last - datetime.timedelta(days=95), last)[-VISIT_SEASON_CYCLES:]
    User = get_user_model()
    before = Visit.objects.count()
    for username, plan in VISITORS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        grid = Assignment.objects.filter(user=user, grid__isnull=False).values_list("grid", flat=True).first()
        households = list(Household.objects.filter(grid_id=grid).order_by("number"))
        for index, cycle in enumerate(cycles):
            if index in plan["misses"] or not households:
                continue
            for n in range(plan["per_cycle"]):
                household = households[(index * plan["per_cycle"] + n) % len(households)]
                notes, result, action = FINDINGS[(index + n) % len(FINDINGS)]
                visited_at = timezone.make_aware(datetime.datetime.combine(cycle, datetime.time(9 + n, 15)))
                visit_record(
                    author=user,
                    client_uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"cunzhi-demo/{username}/{cycle}/{household.number}"),
                    visited_at=visited_at,
                    household=household,
                    method=["sit-down", "home"][n % 2],
                    met="head" if n % 3 else "member",
                    notes=notes,
                    result=result,
                    action_taken=action,
                    now=visited_at + datetime.timedelta(hours=1),
                )
    _seed_liaison(today, cycles)
    log(f"visits: {Visit.objects.count() - before} added over {len(cycles)} 逢十 days, {Visit.objects.count()} in all")


def _seed_liaison(today: datetime.date, cycles: list[datetime.date]) -> None:
    """The 包村 official of 七星村 and their visits on the last two 逢十 days (idempotent: the
    assignment is made once, the visits carry UUIDs derived from who, when and where)."""
    user = get_user_model().objects.filter(username=LIAISON).first()
    village = Village.objects.filter(code=LIAISON_VILLAGE).first()
    if user is None or village is None:
        return
    liaison = Assignment.objects.filter(user=user, role=Role.VILLAGE_LIAISON, village=village).first()
    if liaison is None:
        township_role = (
            Assignment.objects.filter(user=user, role__in=sorted(TOWNSHIP_ROLES), township_id=village.township_id)
            .order_by("valid_from")
            .first()
        )
        if township_role is None:
            return
        # Some months back, but never before the official's own township role began.
        since = max(township_role.valid_from, (today - datetime.timedelta(days=LIAISON_SINCE_DAYS)).replace(day=1))
        liaison = assignment_create(
            user=user, role=Role.VILLAGE_LIAISON, place=village, valid_from=since, title="七星村包村干部"
        )
    households = list(Household.objects.filter(village=village, grid__number=LIAISON_GRID).order_by("number"))
    for index, count in LIAISON_VISITS.items():
        if len(cycles) < -index or cycles[index] < liaison.valid_from:
            continue
        cycle = cycles[index]
        for n, household in enumerate(households[(-index - 1) * 2 :][:count]):
            visited_at = timezone.make_aware(datetime.datetime.combine(cycle, datetime.time(14 + n, 30)))
            notes, result, action = FINDINGS[(n + 1) % len(FINDINGS)]
            visit_record(
                author=user,
                client_uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"cunzhi-demo/{LIAISON}/{cycle}/{household.number}"),
                visited_at=visited_at,
                household=household,
                method="sit-down",
                met="head",
                notes=notes,
                result=result,
                action_taken=action,
                now=visited_at + datetime.timedelta(hours=1),
            )
