"""The demo's season of 逢十 visits (seed_demo calls it after the places and people)."""

import datetime
import uuid

from django.contrib.auth import get_user_model
from django.utils import timezone

from governance.models import Assignment
from grids.models import Household
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
    log(f"visits: {Visit.objects.count() - before} added over {len(cycles)} 逢十 days, {Visit.objects.count()} in all")
