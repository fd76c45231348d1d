from governance.catalogues import sees_catalogues
from governance.hub import shows_hub
from governance.models import Notification
from governance.nav import badges_for
from governance.passwords import must_change
from governance.roles import AFFAIRS_ROLES, ASSIGNER_ROLES, GRID_ROLES, PLEDGE_READERS, TOWNSHIP_ROLES, VILLAGE_ROLES
from governance.scoping import scope_for


def navigation(request):
    """What the navigation bar needs: the role's menu entries and the unread count.

    Each app adds its own entries and counts through `governance.nav` (its `nav.py`).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if must_change(request):
        # Only the password page answers (governance.passwords): no menu to lead elsewhere.
        return {"nav": {"must_change_password": True}}
    scope = scope_for(user)
    return {
        "nav": {
            "unread": Notification.objects.filter(user=user, read_at__isnull=True).count(),
            "is_township": scope.has_any_role(TOWNSHIP_ROLES),
            "is_village": scope.has_any_role(VILLAGE_ROLES),
            "is_grid": scope.has_any_role(GRID_ROLES),
            "sees_affairs": scope.has_any_role(AFFAIRS_ROLES),
            # 提诺·亮诺·践诺: the village's staff and its township (not the shop clerk).
            "sees_pledges": scope.has_any_role(PLEDGE_READERS),
            "sees_catalogues": sees_catalogues(scope),
            # 人员安排: a village cadre (its grids' staff), the township administrator, the superuser.
            "assigns": scope.has_any_role(ASSIGNER_ROLES),
            # 管理 (governance.hub): the township administrator's books.
            "manages": shows_hub(scope),
            **badges_for(request, scope),
        }
    }
