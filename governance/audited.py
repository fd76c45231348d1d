"""The changes governance keeps (governance.history): staff accounts (the user's fields and what
the township administrator keeps beside them, in one history), their assignments, the
township's departments, and a village's finance settings."""

from django.contrib.auth import get_user_model
from django.db.models import Q

from governance.accounts import accounts_managed_by
from governance.history import keep_history
from governance.models import Assignment, Department, StaffAccount, VillageFinanceSettings
from governance.scoping import assignments_visible, scope_for
from grids.models import Village


def _accounts(user):
    """A staff account's history: the account's own, those whose assignments the caller sees,
    and those the caller keeps (a township administrator's, governance.accounts)."""
    accounts = get_user_model().objects.all()
    if user.is_superuser:
        return accounts
    return accounts.filter(
        Q(pk=user.pk)
        | Q(pk__in=assignments_visible(user).values("user_id"))
        | Q(pk__in=accounts_managed_by(user).values("pk"))
    )


def _staff_accounts(user):
    return StaffAccount.objects.filter(user__in=_accounts(user))


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


keep_history(
    get_user_model(),
    kind="account",
    readable=_accounts,
    exclude=("password", "last_login"),
    parts=lambda user: StaffAccount.objects.filter(user=user),
)
keep_history(StaffAccount, kind="staff-account", readable=_staff_accounts, mask=("phone",))
keep_history(Assignment, kind="assignment", readable=lambda user: assignments_visible(user))
keep_history(Department, kind="department", readable=_departments)
keep_history(VillageFinanceSettings, kind="finance-settings", readable=_finance_settings)
