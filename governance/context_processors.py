from governance.models import Notification
from governance.scoping import GRID_ROLES, REGISTER_EDITORS, TOWNSHIP_ROLES, VILLAGE_ROLES, scope_for


def navigation(request):
    """What the navigation bar needs: the role's menu entries and the unread count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    return {
        "nav": {
            "unread": Notification.objects.filter(user=user, read_at__isnull=True).count(),
            "can_edit_register": scope.has_any_role(REGISTER_EDITORS),
            "is_township": scope.has_any_role(TOWNSHIP_ROLES),
            "is_village": scope.has_any_role(VILLAGE_ROLES),
            "is_grid": scope.has_any_role(GRID_ROLES),
            "sees_households": scope.is_superuser or any(r != "department_handler" for r in scope.roles),
        }
    }
