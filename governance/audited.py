"""The changes governance keeps (governance.history): staff accounts, their assignments, the
township's departments, and a village's finance settings."""

from django.contrib.auth import get_user_model
from django.db.models import Q

from governance.history import keep_history
from governance.models import Assignment, Department, VillageFinanceSettings
from governance.scoping import assignments_visible, scope_for
from grids.models import Village


def _accounts(user):
    """A staff account's history: the account's own, and those whose assignments the caller sees."""
    accounts = get_user_model().objects.all()
    if user.is_superuser:
        return accounts
    return accounts.filter(Q(pk=user.pk) | Q(pk__in=assignments_visible(user).values("user_id")))


def _departments(user):
    scope = scope_for(user)
    return (
        Department.objects.all()
        if scope.is_superuser
        else Department.objects.filter(township_id__in=scope.township_ids)
    )


def _finance_settings(user):
    villages = scope_for(user).filter_places(Village.objects.all(), "village")
    return VillageFinanceSettings.objects.filter(village__in=villages)


keep_history(get_user_model(), kind="account", readable=_accounts, exclude=("password", "last_login"))
keep_history(Assignment, kind="assignment", readable=lambda user: assignments_visible(user))
keep_history(Department, kind="department", readable=_departments)
keep_history(VillageFinanceSettings, kind="finance-settings", readable=_finance_settings)
