"""Visits (走访): who may see which, and which households are due."""

import datetime

from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from governance.models import Role
from governance.roles import VISITOR_ROLES
from governance.scoping import scope_for
from grids.models import Household
from grids.visits.models import Visit, not_superseded


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


def todo_counts(households: QuerySet[Household], today: datetime.date) -> dict:
    """{total, never, due}: how many households, never visited, and due by `today` (one query)."""
    return households.order_by().aggregate(
        total=Count("pk", distinct=True),
        never=Count("pk", distinct=True, filter=Q(visit_due_on__isnull=True)),
        due=Count("pk", distinct=True, filter=Q(visit_due_on__lte=today)),
    )


def field_today(user, today: datetime.date) -> dict:
    """The grid worker's day at a glance (the phone home): the households waiting for a visit
    (never visited or due by today), the next 逢十 day, and the visits the user logged since
    the last one; two queries."""
    from grids.visits.fengshi import latest_cycle, next_cycle

    counts = todo_counts(households_to_visit(user), today)
    since = latest_cycle(today)
    mine = Visit.objects.filter(not_superseded(), author=user, visited_on__gte=since)
    next_day = next_cycle(today)
    return {
        "waiting": counts["never"] + counts["due"],
        "never": counts["never"],
        "total": counts["total"],
        "next_day": next_day,
        "days_to_next": (next_day - today).days,
        "since": since,
        "visits": mine.count(),
        "visits_url": f"{reverse('grids:visit-list')}?{urlencode({'author': user.pk, 'date_from': since.isoformat()})}",
    }
