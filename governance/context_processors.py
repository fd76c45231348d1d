from governance.models import Notification
from governance.roles import GRID_ROLES, REGISTER_EDITORS, REGISTER_IMPORTERS, TOWNSHIP_ROLES, VILLAGE_ROLES
from governance.scoping import scope_for


def navigation(request):
    """What the navigation bar needs: the role's menu entries and the unread count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    # The shop clerk keeps passbooks and the shop: no register, matters or visits.
    sees_matters = scope.reads_people
    return {
        "nav": {
            "unread": Notification.objects.filter(user=user, read_at__isnull=True).count(),
            "can_edit_register": scope.has_any_role(REGISTER_EDITORS),
            "can_import_register": scope.has_any_role(REGISTER_IMPORTERS),
            "is_township": scope.has_any_role(TOWNSHIP_ROLES),
            "is_village": scope.has_any_role(VILLAGE_ROLES),
            "is_grid": scope.has_any_role(GRID_ROLES),
            "sees_households": scope.is_superuser
            or any(r not in ("department_handler", "shop_clerk") for r in scope.roles),
            "sees_matters": sees_matters,
            # 走访: visitors get the list of households to visit, township staff the log.
            **_visit_flags(scope),
            # The menu's count of matters waiting for the user (one COUNT over indexed columns).
            "matters_waiting": _matters_waiting(user) if sees_matters and not scope.is_superuser else 0,
            # 积分: who sees passbooks, and the cadre's entries ready for approval (one COUNT).
            **_points_flags(user, scope),
        }
    }


def _visit_flags(scope) -> dict:
    from governance.roles import VISIT_READERS, VISITOR_ROLES

    return {"visits": scope.has_any_role(VISITOR_ROLES), "visit_log": scope.has_any_role(VISIT_READERS)}


def _matters_waiting(user) -> int:
    from petitions.selectors import matters_waiting_for

    return matters_waiting_for(user).order_by().count()


def _points_flags(user, scope) -> dict:
    from django.utils import timezone

    from governance.roles import ACCOUNT_READER_ROLES, DECIDER_ROLES
    from points.selectors import awards_waiting_for

    sees = scope.has_any_role(ACCOUNT_READER_ROLES)
    waiting = 0
    if sees and not scope.is_superuser and scope.has_any_role(DECIDER_ROLES):
        waiting = awards_waiting_for(user).filter(objection_until__lte=timezone.now()).order_by().count()
    return {"sees_points": sees, "points_waiting": waiting}
