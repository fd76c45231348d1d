"""Scoped reads of matters."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from governance.models import Assignment, Role
from governance.roles import GRID_ROLES, HANDLER_ROLES, SUPERVISION_ROLES, TOWNSHIP_ROLES
from governance.scoping import scope_for
from petitions.models import (
    DecisionRule,
    Deliberation,
    Kind,
    Matter,
    MatterUserObjectPermission,
    State,
    VillageAffairsVerifiers,
)
from petitions.queue import cached_queue

# Queues and lists: overdue first, then the nearest deadline, then the oldest.
QUEUE_ORDER = ["-is_overdue", F("deadline").asc(nulls_last=True), "created_at", "id"]


# What a row of a matter list shows besides the matter: its places, category and handlers.
MATTER_ROW_RELATED = ("village", "village__matter_settings", "grid", "category", "department", "handler")


def matters_visible_to(user, *, read_ahead: bool = True) -> QuerySet[Matter]:
    """Matters in the user's places, assigned to their department or to them, or granted to
    them one by one (guardian). The village comes with its matter settings: who verifies a
    村事 (petitions.workflow.verifiers_cover) is then known without a query.

    The matters the user reaches beyond their places (as handler, or by a grant) are read
    ahead (matters_beyond_places, once per request) and OR-ed in as literal ids, only when
    there are any. An OR of the places with another column or a subquery keeps the planner
    from the places' indexes: a list walks the whole table backwards by id and a count reads
    all of it (100-300 ms each at district scale, against 1 ms).

    `read_ahead=False` says the same in one statement (the handler and the grants OR-ed in
    as they are): for the queue (matters_waiting_for), which the navigation's badge reads on
    every page, where reading ahead would cost every page a query, and whose own conditions
    keep the planner on the indexes of the states it waits in. So does a user who reaches
    more than BEYOND_INLINE matters beyond their places (a department's handler of years):
    planning a list of half a million literal ids took a second."""
    queryset = Matter.objects.select_related(*MATTER_ROW_RELATED)
    scope = scope_for(user)
    if scope.is_superuser:
        return queryset
    places = scope.condition("matter")
    beyond = matters_beyond_places(user, places) if read_ahead else MANY
    if beyond is MANY:
        return queryset.filter(places | Q(handler=user) | Q(pk__in=_granted(user)))
    return queryset.filter(places | Q(pk__in=beyond) if beyond else places)


BEYOND_CACHE = "_cunzhi_matters_beyond"
# At most this many ids beyond one's places are written into a matter query; more, and the
# query reads them itself (MANY).
BEYOND_INLINE = 1000
MANY = "many"


def matters_beyond_places(user, places: Q) -> list[int] | str:
    """The ids of the matters the user sees outside `places` (their scope's condition): those
    they handle elsewhere, and those granted to them (view_matter); usually none, and MANY
    past BEYOND_INLINE. One query per request, cached on the user like its scope
    (governance.scoping.scope_for); petitions.workflow.matter_transition forgets it for the
    people an action names."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, BEYOND_CACHE, None)
    if cached is None:
        handled = Matter.objects.filter(handler=user).exclude(places).order_by().values_list("pk", flat=True)
        ids = set(handled.union(_granted(user))[: BEYOND_INLINE + 1])
        cached = MANY if len(ids) > BEYOND_INLINE else sorted(ids)
        setattr(user, BEYOND_CACHE, cached)
    return cached


def _granted(user):
    """The ids of the matters granted to the user one by one (guardian's view_matter)."""
    return (
        MatterUserObjectPermission.objects.filter(user=user, permission__codename="view_matter")
        .order_by()
        .values_list("content_object_id", flat=True)
    )


def forget_matters_beyond(*users) -> None:
    """Drop the cached matters_beyond_places of `users` (an action made one their handler,
    took it from them, or granted it)."""
    for user in users:
        getattr(user, "__dict__", {}).pop(BEYOND_CACHE, None)


def matters_waiting_for(user) -> QuerySet[Matter]:
    """Open matters where the user acts next (their queue), in SQL, following the same rules
    as petitions.workflow.may: classify, deliberate/handle as owner, report, verify, decide a
    review (复查) one level up, decide an extension."""
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
        & (
            (Q(kind=Kind.CIVIL) & Q(village_id__in=villages))
            | (Q(kind=Kind.GOVERNMENT) & Q(township_id__in=township))
            | (Q(kind=Kind.VILLAGE) & _village_affairs_verifier(township, sorted(scope.ids_for(SUPERVISION_ROLES))))
        )
        & ~Q(handler=user)
        & ~Q(reported_by=user)
    )
    leaders = sorted(scope.ids_for({Role.TOWNSHIP_LEADER}))
    review = (
        Q(state=State.REVIEWING)
        & (
            (Q(kind=Kind.CIVIL) & (Q(village_id__in=villages) | Q(township_id__in=township)))
            | (Q(kind=Kind.VILLAGE) & Q(township_id__in=township))
            | (Q(kind=Kind.GOVERNMENT) & Q(township_id__in=leaders))
        )
        & ~Q(handler=user)
        & ~Q(reported_by=user)
        & ~Q(verified_by=user)
    )
    approve = Q(township_id__in=township) & (_awaiting_approval() | _awaiting_filing())
    # An extension request is decided by the level above (petitions.workflow.level_above_covers):
    # the township for a 村事 and a 政事; for a 民事 the village cadre or the township.
    extension = (
        Q(pending_extension__isnull=False)
        & (Q(township_id__in=township) | (Q(kind=Kind.CIVIL) & Q(village_id__in=villages)))
        & ~Q(pending_extension__requested_by=user)
        & ~Q(handler=user)
        & ~Q(department_id__in=departments)
    )
    return (
        matters_visible_to(user, read_ahead=False)
        .filter(classify | own | handle | verify | review | approve | extension)
        .select_related("pending_extension")
        .order_by(*QUEUE_ORDER)
    )


def waiting_ids(request) -> list[int]:
    """The ids of the matters waiting for the request's user, in queue order: one query per
    request, which the menu's badge and the home's queue card both read, and kept in the
    cache until a matter of the user's changes (petitions.queue: planning the queue's long OR
    of conditions costs PostgreSQL more than running it, 25-30 ms for a township official at
    district scale, on every page)."""
    if not hasattr(request, "_cunzhi_waiting_ids"):
        user = request.user
        request._cunzhi_waiting_ids = cached_queue(
            user, scope_for(user), lambda: list(matters_waiting_for(user).values_list("pk", flat=True))
        )
    return request._cunzhi_waiting_ids


def matters_by_ids(ids: list[int]) -> list[Matter]:
    """These matters, in this order, with what a row of a list shows. Loading a queue's first
    rows by id spares the planner joining every related table over all the queue's
    candidates (it estimates the long OR of conditions at a row or two)."""
    rows = Matter.objects.select_related(*MATTER_ROW_RELATED, "pending_extension").in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


def awaiting_township_approval(matters) -> set[int]:
    """The ids among `matters` (a list) of land adjustments that wait for the township's
    approval now, in one query (none when no row can be one)."""
    ids = [
        m.pk
        for m in matters
        if m.state == State.DELIBERATING and m.kind == Kind.VILLAGE and m.township_approval == "" and m.category_id
    ]
    if not ids:
        return set()
    return set(Matter.objects.filter(pk__in=ids).filter(_awaiting_approval()).values_list("pk", flat=True))


def _published_after_latest_vote() -> Q:
    """Step 6 (决议公开) recorded after the matter's latest vote (step 6 is only recorded after
    a vote that carried)."""
    latest_vote = (
        Deliberation.objects.filter(matter=OuterRef(OuterRef("pk")), step=5)
        .order_by()
        .values("matter")
        .annotate(last=Max("id"))
        .values("last")
    )
    return Q(Exists(Deliberation.objects.filter(matter=OuterRef("pk"), step=6, id__gt=latest_vote)))


def _awaiting_approval() -> Q:
    """Land contract adjustments whose resolution was published (step 6) after their latest
    vote, not decided by the township since (petitions.procedure.awaiting_approval, in SQL: a
    new vote clears the decision)."""
    return (
        Q(
            state=State.DELIBERATING,
            kind=Kind.VILLAGE,
            category__decision_rule=DecisionRule.LAND,
            township_approval="",
        )
        & _published_after_latest_vote()
    )


def _awaiting_filing() -> Q:
    """Village compacts whose resolution was published after their latest vote, neither filed
    (备案) nor returned by the township since (petitions.procedure.awaiting_filing, in SQL)."""
    return (
        Q(
            state=State.DELIBERATING,
            kind=Kind.VILLAGE,
            category__decision_rule=DecisionRule.COMPACT,
            filed_on__isnull=True,
            filing_returned_at__isnull=True,
        )
        & _published_after_latest_vote()
    )


def _village_affairs_verifier(township_ids: list[int], supervised_village_ids: list[int]) -> Q:
    """The 村事 a township's staff or a village's supervision committee verifies, by the
    village's setting (a village without a settings row: either of them)."""
    setting = "village__matter_settings__village_affairs_verifiers"
    condition = Q(pk__in=[])
    if township_ids:
        condition |= Q(township_id__in=township_ids) & ~Q(**{setting: VillageAffairsVerifiers.SUPERVISORS})
    if supervised_village_ids:
        condition |= Q(village_id__in=supervised_village_ids) & ~Q(**{setting: VillageAffairsVerifiers.TOWNSHIP})
    return condition


def handler_candidates(matter: Matter):
    """Who may be named to handle `matter` (the page offers them, the API and the service
    accept no one else): for a civil matter the grid's staff and courtyard helpers and the
    village cadres; for a village matter the village's cadres, grid staff and courtyard
    helpers; for a government matter the township's staff (or one of its departments)."""
    day = timezone.localdate()
    current = Assignment.objects.filter(valid_from__lte=day).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
    if matter.kind == Kind.GOVERNMENT:
        where = Q(township_id=matter.township_id, role__in=sorted(TOWNSHIP_ROLES))
    elif matter.kind == Kind.CIVIL and matter.grid_id:
        where = Q(grid_id=matter.grid_id, role__in=sorted(GRID_ROLES | {Role.COURTYARD_HELPER})) | Q(
            village_id=matter.village_id, role=Role.VILLAGE_CADRE
        )
    else:
        where = Q(village_id=matter.village_id, role__in=sorted(HANDLER_ROLES))
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=current.filter(where).values("user_id"))
        .order_by("first_name", "username")
    )
