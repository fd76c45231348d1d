"""Scoped reads of matters."""

from django.db.models import F, Q, QuerySet

from governance.models import Role
from governance.roles import GRID_ROLES, TOWNSHIP_ROLES
from governance.scoping import scope_for
from petitions.models import Kind, Matter, MatterUserObjectPermission, State

# Queues and lists: overdue first, then the nearest deadline, then the oldest.
QUEUE_ORDER = ["-is_overdue", F("deadline").asc(nulls_last=True), "created_at", "id"]


def matters_visible_to(user) -> QuerySet[Matter]:
    """Matters in the user's places, assigned to their department or to them, or granted to
    them one by one (guardian)."""
    queryset = Matter.objects.select_related("village", "grid", "category", "department", "handler")
    scope = scope_for(user)
    if scope.is_superuser:
        return queryset
    granted = MatterUserObjectPermission.objects.filter(user=user, permission__codename="view_matter").values(
        "content_object_id"
    )
    return queryset.filter(scope.condition("matter") | Q(handler=user) | Q(pk__in=granted))


def matters_waiting_for(user) -> QuerySet[Matter]:
    """Open matters where the user acts next (their queue), in SQL, following the same rules
    as petitions.workflow.may: classify, deliberate/handle as owner, report, verify."""
    scope = scope_for(user)
    villages = sorted(scope.ids_for({Role.VILLAGE_CADRE}))
    leader_grids = sorted(scope.ids_for({Role.GRID_LEADER}))
    grids = sorted(scope.ids_for(GRID_ROLES))
    officials = sorted(scope.ids_for({Role.TOWNSHIP_OFFICIAL}))
    township = sorted(scope.ids_for(TOWNSHIP_ROLES))
    departments = sorted(scope.ids_for({Role.DEPARTMENT_HANDLER}))
    if scope.is_superuser:
        return Matter.objects.none()
    classify = Q(state=State.SUBMITTED) & (Q(village_id__in=villages) | Q(grid_id__in=leader_grids))
    own = Q(state__in=[State.CLASSIFIED, State.DELIBERATING]) & (
        (Q(kind=Kind.CIVIL) & (Q(grid_id__in=grids) | Q(village_id__in=villages)))
        | (Q(kind=Kind.VILLAGE) & Q(village_id__in=villages))
        | (Q(kind=Kind.GOVERNMENT) & Q(township_id__in=officials))
    )
    handle = Q(state=State.HANDLING) & (Q(handler=user) | Q(department_id__in=departments))
    verify = (
        Q(state=State.VERIFYING)
        & ((Q(kind=Kind.CIVIL) & Q(village_id__in=villages)) | (~Q(kind=Kind.CIVIL) & Q(township_id__in=township)))
        & ~Q(handler=user)
        & ~Q(reported_by=user)
    )
    return matters_visible_to(user).filter(classify | own | handle | verify).order_by(*QUEUE_ORDER)
