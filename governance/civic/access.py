"""Who reads and who keeps the 三治 books, one home for every civic feature.

Every civic row carries `township_id` and `village_id` (a township team has no village), so
a list is one filter (`visible`), and a write is checked against the village the row
belongs to (`check_reach`): out of sight 404 (the same selector as the list), a role that
may not act 403.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from governance.errors import Forbidden
from governance.roles import CIVIC_READERS
from governance.scoping import reaches_village, scope_for, village_condition

NOT_A_READER = _("Your role does not keep the councils, teams, mediations or selections of a village.")


def reads_civic(user) -> bool:
    """Whether some role of the user reads the civic books (pages answer 403 otherwise)."""
    return scope_for(user).has_any_role(CIVIC_READERS)


def require_civic_reader(user) -> None:
    """The civic pages' first check: a user whose roles read none of the books gets the 403 page."""
    if not reads_civic(user):
        raise PermissionDenied(NOT_A_READER)


def visible(queryset, user, roles=CIVIC_READERS):
    """The rows of `queryset` (with township_id and village_id) the user's `roles` reach."""
    if user.is_superuser:
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(village_condition(user, roles))


def reaches(user, roles, row) -> bool:
    """Whether one of `roles` of the user reaches the row's village (or, for a township's own
    row, its township)."""
    return reaches_village(user, roles, township_id=row.township_id, village_id=row.village_id)


def check_reach(user, roles, row, message) -> None:
    """Forbidden (403) with `message` unless one of `roles` reaches the row."""
    if not reaches(user, roles, row):
        raise Forbidden(message)
