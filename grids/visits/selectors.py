"""Visits (走访): who may see which, and which households are due."""

import datetime
from collections import defaultdict

from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Coalesce
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


# The to-visit order as a key of columns, the API's pages go by it (KeysetPagination): a
# household never visited has no due day and sorts before every real one.
TODO_ORDER = ("due_key", "grid_id", "number", "id")


def households_to_visit(user, *, courtyard_id=None, tag_id=None) -> QuerySet[Household]:
    """The caller's households by need: never visited first, then the longest overdue, then
    the soonest due (TODO_ORDER); a village cadre gets the whole village. Their tags are
    `household_tags` of a page's ids (one query, not a prefetch per household)."""
    households = scope_for(user).filter(Household.objects.all(), "household", roles=VISITOR_ROLES)
    if courtyard_id:
        households = households.filter(courtyard_id=courtyard_id)
    if tag_id:
        households = households.filter(Q(tags=tag_id) | Q(members__tags=tag_id)).distinct()
    return (
        households.select_related("grid", "courtyard")
        .annotate(due_key=Coalesce("visit_due_on", Value(datetime.date.min)))
        .order_by(*TODO_ORDER)
    )


def household_tags(household_ids) -> dict[int, list[dict]]:
    """{household id: [{id, code, name, is_key_group}, ...] in code order}: one query."""
    tags = defaultdict(list)
    rows = (
        Household.tags.through.objects.filter(household_id__in=list(household_ids))
        .order_by("tag__code")
        .values_list("household_id", "tag_id", "tag__code", "tag__name", "tag__is_key_group")
    )
    for household_id, pk, code, name, key in rows:
        tags[household_id].append({"id": pk, "code": code, "name": name, "is_key_group": key})
    return tags


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
