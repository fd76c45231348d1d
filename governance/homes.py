"""What each role's home puts first (issue 14, item 3), beside the dashboards.

- The grid worker's phone home: households waiting for a visit, the next 逢十 day, the
  visits logged since the last one, the open matters they recorded, the campaign households
  (专项排查) left to answer, and the two things they do all day (登记走访, 上报事项) one
  tap away. The township's staff sent down (包村, 包片) get
  the same for their villages: they go down to the grids on the 逢十 days too (力量沉底).
- A department handler's home is their queue: what waits for their sign-off (签收), what is
  in hand, what is overdue, each figure a link to its list.
- A shop clerk (and nothing else) starts at the counter.
- A township administrator (and nothing else) starts at the hub (管理): they keep the books,
  not the work, and read no people, matters or visits.

Every figure is one aggregate query; every count links to the list that yields it.
"""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from governance.dashboards import matters_url
from governance.models import Role
from governance.roles import ADMIN_ROLES, FENGSHI_ROLES, INTAKE_ROLES, SENT_DOWN_ROLES
from governance.scoping import scope_for
from grids.campaigns.selectors import open_tasks_for
from grids.visits.selectors import field_today
from petitions.filters import awaiting_sign_q, overdue_q, unsigned_q
from petitions.models import OPEN_STATES, State
from petitions.selectors import matters_visible_to


def field_home(user, today: datetime.date | None = None) -> dict | None:
    """The grid worker's day, or a 包村 official's or 包片 leader's over their villages (None
    for a user with neither a grid or courtyard duty nor a village sent down to)."""
    scope = scope_for(user)
    if scope.is_superuser or not scope.has_any_role(FENGSHI_ROLES | SENT_DOWN_ROLES):
        return None
    today = today or timezone.localdate()
    mine = matters_visible_to(user).filter(created_by=user, state__in=sorted(OPEN_STATES))
    counts = mine.aggregate(open=Count("pk"), overdue=Count("pk", filter=overdue_q()))
    return {
        **field_today(user, today),
        "matters_open": counts["open"],
        "matters_overdue": counts["overdue"],
        "matters_url": matters_url(mine="true", state="open"),
        "matters_overdue_url": matters_url(mine="true", overdue="true"),
        # 专项排查: the households of the campaigns under way still to answer (the to-do page's rows).
        "campaign_tasks": open_tasks_for(user).order_by().count(),
        "can_report": scope.has_any_role(INTAKE_ROLES),
        # Whose day it is: a grid's staff, or someone sent down to whole villages.
        "sent_down": not scope.has_any_role(FENGSHI_ROLES),
    }


def department_home(user, departments: list) -> dict | None:
    """A department handler's queue at a glance, over the matters of their departments."""
    if not departments:
        return None
    now = timezone.now()
    ids = sorted(d.pk for d in departments)
    # One department: its matters, and the lists say department=; several: every matter the
    # handler sees (theirs, and any granted one by one), as the unfiltered lists show them.
    place = {"department": ids[0]} if len(ids) == 1 else {}
    matters = matters_visible_to(user).filter(state__in=sorted(OPEN_STATES))
    if place:
        matters = matters.filter(department_id=ids[0])
    counts = matters.aggregate(
        to_sign=Count("pk", filter=awaiting_sign_q()),
        late_sign=Count("pk", filter=unsigned_q(now)),
        in_hand=Count("pk", filter=Q(state=State.HANDLING)),
        overdue=Count("pk", filter=overdue_q()),
    )
    return {
        **counts,
        "to_sign_url": matters_url(**place, awaiting_sign="true"),
        "late_sign_url": matters_url(**place, unsigned="true", state="open"),
        "in_hand_url": matters_url(**place, state=State.HANDLING),
        "overdue_url": matters_url(**place, overdue="true"),
    }


def counter_only(user) -> bool:
    """A shop clerk with no other role: their home is the shop counter."""
    scope = scope_for(user)
    return not scope.is_superuser and bool(scope.roles) and scope.roles <= {Role.SHOP_CLERK}


def manager_only(user) -> bool:
    """A township administrator with no other role: their home is the hub (管理)."""
    scope = scope_for(user)
    return not scope.is_superuser and bool(scope.roles) and scope.roles <= ADMIN_ROLES
