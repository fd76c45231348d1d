"""Visits (走访): who may see which, and which households are due."""

from django.db.models import F, Q, QuerySet

from governance.models import Role
from governance.roles import VISITOR_ROLES
from governance.scoping import scope_for
from grids.models import Household
from grids.visits.models import Visit


def visits_visible_to(user) -> QuerySet[Visit]:
    """Visits in the caller's places (corrections included; `superseded_by` tells them apart)."""
    scope = scope_for(user)
    visits = Visit.objects.all()
    if not scope.is_superuser:
        condition = scope.condition("household", roles=scope.roles - {Role.DEPARTMENT_HANDLER})
        # A grid or courtyard walk has no household: the courtyard field on the visit itself
        # stands in (PERSON_FIELDS of a household name the same columns a visit carries).
        visits = visits.filter(condition | Q(author=user))
    return visits.select_related(
        "author", "grid", "grid__village", "courtyard", "household", "superseded_by"
    ).prefetch_related("photos")


def households_to_visit(user, *, courtyard_id=None, tag_id=None) -> QuerySet[Household]:
    """The caller's households by need: never visited first, then the longest overdue, then
    the soonest due; a village cadre gets the whole village."""
    households = scope_for(user).filter(Household.objects.all(), "household", roles=VISITOR_ROLES)
    if courtyard_id:
        households = households.filter(courtyard_id=courtyard_id)
    if tag_id:
        households = households.filter(Q(tags=tag_id) | Q(members__tags=tag_id)).distinct()
    return (
        households.select_related("grid", "courtyard")
        .prefetch_related("tags")
        .order_by(F("visit_due_on").asc(nulls_first=True), "grid_id", "number")
    )
