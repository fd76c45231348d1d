"""The passbooks' entries in the navigation bar (see governance.nav)."""

from django.utils import timezone

from governance.nav import register_badges
from governance.roles import ACCOUNT_READER_ROLES, DECIDER_ROLES
from points.selectors import awards_waiting_for


@register_badges
def points_badges(request, scope) -> dict:
    # 积分: who sees passbooks, and the cadre's entries ready for approval (one COUNT).
    sees = scope.has_any_role(ACCOUNT_READER_ROLES)
    waiting = 0
    if sees and not scope.is_superuser and scope.has_any_role(DECIDER_ROLES):
        waiting = awards_waiting_for(request.user).filter(objection_until__lte=timezone.now()).order_by().count()
    return {"sees_points": sees, "points_waiting": waiting}
