"""Who sees what: the caller's scope, built from their current assignments in one query.

A scope maps each role the user holds today to the ids of the places (or departments) it
is assigned to. Visibility is the union over roles; what the user may *do* is decided by
the role that covers the object. Lists and details both filter through `Scope.filter`, so
an object out of scope is a 404 exactly like one that does not exist.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from governance.models import SCOPE_LEVEL, Assignment, Role
from governance.roles import (  # noqa: F401
    ADMIN_ROLES,
    GRID_ROLES,
    MATTER_READERS,
    PEOPLE_READERS,
    TOWNSHIP_ROLES,
    VILLAGE_ROLES,
)
from grids.models import Area, Village

# For each kind of personal row, the field that holds the id at each level. The
# department level is absent: a department sees the rows its own work names, which the app
# that owns that work adds with `register_department_rule`.
PERSON_FIELDS = {
    "matter": {
        "township": "township_id",
        "village": "village_id",
        "grid": "grid_id",
        "courtyard": "household__courtyard_id",
    },
    "household": {
        "township": "township_id",
        "village": "village_id",
        "grid": "grid_id",
        "courtyard": "courtyard_id",
    },
    "resident": {
        "township": "township_id",
        "village": "village_id",
        "grid": "grid_id",
        "courtyard": "household__courtyard_id",
    },
    # A campaign's task (grids.campaigns): read by whoever reads its household.
    "task": {
        "township": "township_id",
        "village": "village_id",
        "grid": "grid_id",
        "courtyard": "household__courtyard_id",
    },
}

# kind -> fn(department_ids) -> Q: what a department handler sees of that kind of row.
_department_rules: dict[str, Callable[[list[int]], Q]] = {}


def register_department_rule(kind: str, rule: Callable[[list[int]], Q]) -> None:
    """Say how a department sees rows of `kind` ("matter", "household", "resident").

    The app whose records tie departments to people registers it (petitions: the matters
    assigned to the department, and the households and residents they name), from a module
    that `GovernanceConfig.ready` autodiscovers. A kind with no rule shows a department nothing.
    """
    if kind not in PERSON_FIELDS:
        raise ValueError(kind)
    _department_rules[kind] = rule


# (kind, role) -> fn(place_ids) -> Q: a role outside PEOPLE_READERS that sees part of a kind
# of row at its places (the supervision committee: its village's 村事).
_role_rules: dict[tuple[str, str], Callable[[list[int]], Q]] = {}


def register_role_rule(kind: str, role: str, rule: Callable[[list[int]], Q]) -> None:
    """Say what `role` sees of rows of `kind` at the places it is assigned to, for a role that
    reads no people otherwise (petitions: the supervision committee sees its village's 村事).

    Like `register_department_rule`, registered by the app that owns the rows; a role without
    a rule for a kind sees none of it unless it is one of PEOPLE_READERS.
    """
    if kind not in PERSON_FIELDS:
        raise ValueError(kind)
    if role in PEOPLE_READERS:
        raise ValueError(f"{role} reads people already: its rows follow PERSON_FIELDS")
    _role_rules[(kind, role)] = rule


def _department_condition(kind: str, department_ids: list[int]) -> Q:
    rule = _department_rules.get(kind)
    return rule(department_ids) if rule else Q(pk__in=[])


@dataclass(frozen=True)
class Scope:
    is_superuser: bool = False
    # role -> ids of the place (or department) at that role's level
    by_role: dict[str, frozenset[int]] = field(default_factory=dict)
    # every township the user works in, whatever the role
    township_ids: frozenset[int] = frozenset()
    # the village of every grid/courtyard/village assignment (for place lists)
    village_ids: frozenset[int] = frozenset()
    grid_ids: frozenset[int] = frozenset()
    # townships of department assignments: handlers see their township's places by name
    _department_townships: frozenset[int] = frozenset()

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.by_role)

    def has_any_role(self, roles) -> bool:
        return self.is_superuser or bool(self.roles & set(roles))

    @property
    def reads_people(self) -> bool:
        """Whether some role the user holds may read households, residents, matters or visits."""
        return self.has_any_role(PEOPLE_READERS)

    @property
    def reads_matters(self) -> bool:
        """Whether some role the user holds may read matters (the people readers, and the
        supervision committee: its village's 村事)."""
        return self.has_any_role(MATTER_READERS)

    def key(self) -> tuple:
        """What a figure counted over this scope depends on (part of a cache key)."""
        return (self.is_superuser, sorted((role, sorted(ids)) for role, ids in self.by_role.items()))

    def ids_for(self, roles) -> set[int]:
        ids: set[int] = set()
        for role in roles:
            ids |= self.by_role.get(role, frozenset())
        return ids

    def filter(self, queryset, kind: str, roles=None):
        """Households or residents (`kind`) this scope covers, optionally only through `roles`."""
        if self.is_superuser:
            return queryset
        return queryset.filter(self.condition(kind, roles))

    def condition(self, kind: str, roles=None) -> Q:
        """The Q behind `filter`, for callers that add their own alternatives.

        Only PEOPLE_READERS count, with or without `roles`, and the roles with a rule for
        `kind` (register_role_rule), which see what their rule says.
        """
        fields = PERSON_FIELDS[kind]
        readers = PEOPLE_READERS if roles is None else PEOPLE_READERS & set(roles)
        condition = Q(pk__in=[])
        for role, ids in self.by_role.items():
            rule = _role_rules.get((kind, role))
            if rule is not None and (roles is None or role in roles):
                condition |= rule(sorted(ids))
                continue
            if role not in readers:
                continue
            level = SCOPE_LEVEL[role]
            if level == "department":
                condition |= _department_condition(kind, sorted(ids))
                continue
            lookup = fields.get(level)
            if lookup:
                condition |= Q(**{f"{lookup}__in": sorted(ids)})
        return condition

    def filter_places(self, queryset, kind: str):
        """Townships, villages, grids or courtyards (`kind`) the user may see by name.

        Township-level staff and department handlers see every place of their township;
        everyone else sees the places on the way down to their own.
        """
        if self.is_superuser:
            return queryset
        township_wide = sorted(self.ids_for(TOWNSHIP_ROLES | ADMIN_ROLES) | self._department_townships)
        if kind == "township":
            return queryset.filter(pk__in=sorted(self.township_ids))
        condition = Q(township_id__in=township_wide)
        if kind == "village":
            condition |= Q(pk__in=sorted(self.village_ids))
        elif kind == "grid":
            condition |= Q(village_id__in=sorted(self.ids_for(VILLAGE_ROLES))) | Q(pk__in=sorted(self.grid_ids))
        elif kind == "courtyard":
            condition |= (
                Q(village_id__in=sorted(self.ids_for(VILLAGE_ROLES)))
                | Q(grid_id__in=sorted(self.ids_for(GRID_ROLES)))
                | Q(pk__in=sorted(self.by_role.get(Role.COURTYARD_HELPER, frozenset())))
            )
        else:
            raise ValueError(kind)
        return queryset.filter(condition)

    def covers(self, obj, roles) -> bool:
        """Whether one of `roles` covers `obj` (a Household or Resident-like row with place ids)."""
        if self.is_superuser:
            return True
        for role in roles:
            ids = self.by_role.get(role)
            if not ids:
                continue
            level = SCOPE_LEVEL[role]
            if level == "courtyard":
                courtyard_id = getattr(obj, "courtyard_id", None)
                if courtyard_id is None and getattr(obj, "household", None) is not None:
                    courtyard_id = obj.household.courtyard_id
                if courtyard_id in ids:
                    return True
            elif level != "department" and getattr(obj, f"{level}_id", None) in ids:
                return True
        return False


def current_assignments(user, on=None):
    day = on or timezone.localdate()
    return (
        Assignment.objects.filter(user=user, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .select_related("township", "village", "grid", "courtyard", "department")
    )


def assignment_rows(user, on=None) -> list[dict]:
    """The user's current assignments (on `on`) as rows of role and place ids, one query (two
    with an area): an area assignment (包片) stands as one row per village of its area, so every
    reader of places sees a 片区 leader at the villages the area holds."""
    rows = list(
        current_assignments(user, on).values(
            "role", "township_id", "village_id", "grid_id", "courtyard_id", "department_id", "area_id"
        )
    )
    area_ids = sorted({row["area_id"] for row in rows if row["area_id"]})
    if not area_ids:
        return rows
    villages: dict[int, list[int]] = {}
    for area_id, village_id in Area.villages.through.objects.filter(area_id__in=area_ids).values_list(
        "area_id", "village_id"
    ):
        villages.setdefault(area_id, []).append(village_id)
    expanded = [row for row in rows if not row["area_id"]]
    for row in rows:
        if row["area_id"]:
            expanded += [{**row, "village_id": village_id} for village_id in villages.get(row["area_id"], [])]
    return expanded


def scope_for(user, on=None) -> Scope:
    """The user's scope today (or on `on`). Cached on the user object for one request."""
    if not user.is_authenticated:
        return Scope()
    if on is None and hasattr(user, "_cunzhi_scope"):
        return user._cunzhi_scope
    by_role: dict[str, set[int]] = {}
    townships, villages, grids, department_townships = set(), set(), set(), set()
    for a in assignment_rows(user, on):
        level = SCOPE_LEVEL[a["role"]]
        place_id = a[f"{level}_id"]
        by_role.setdefault(a["role"], set()).add(place_id)
        townships.add(a["township_id"])
        if level == "department":
            department_townships.add(a["township_id"])
        if a["village_id"]:
            villages.add(a["village_id"])
        if a["grid_id"]:
            grids.add(a["grid_id"])
    scope = Scope(
        is_superuser=user.is_superuser,
        by_role={role: frozenset(ids) for role, ids in by_role.items()},
        township_ids=frozenset(townships),
        village_ids=frozenset(villages),
        grid_ids=frozenset(grids),
        _department_townships=frozenset(department_townships),
    )
    if on is None:
        user._cunzhi_scope = scope
    return scope


def _village_places(user) -> dict[str, tuple[frozenset[int], frozenset[int]]]:
    """role -> (township ids, village ids) of the user's current assignments, read once per
    request (cached on the user like the scope). A grid or courtyard assignment carries its
    village id, so grid staff reach their village's records (pledges, councils, teams)."""
    cached = getattr(user, "_cunzhi_village_places", None)
    if cached is not None:
        return cached
    places: dict[str, tuple[set[int], set[int]]] = {}
    for row in assignment_rows(user):
        townships, villages = places.setdefault(row["role"], (set(), set()))
        townships.add(row["township_id"])
        if row["village_id"]:
            villages.add(row["village_id"])
    result = {role: (frozenset(t), frozenset(v)) for role, (t, v) in places.items()}
    user._cunzhi_village_places = result
    return result


def places_reached(user, roles) -> tuple[set[int], set[int]]:
    """(township ids, village ids) that one of `roles` of the user reaches: a township role its
    township, any other role its village."""
    townships: set[int] = set()
    villages: set[int] = set()
    for role, (t, v) in _village_places(user).items():
        if role not in roles:
            continue
        if role in TOWNSHIP_ROLES:
            townships |= t
        else:
            villages |= v
    return townships, villages


def reaches_village(user, roles, *, township_id: int, village_id: int | None) -> bool:
    """Whether one of `roles` the user holds reaches the village (a record of a village-level
    book: a pledge, a council meeting, a team): a township role its township, any other role
    the village itself. A township's own record (`village_id` None) only a township role."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    townships, villages = places_reached(user, roles)
    return township_id in townships or (village_id is not None and village_id in villages)


def village_condition(user, roles) -> Q:
    """The Q over rows with `township_id` and `village_id` that `reaches_village` describes."""
    townships, villages = places_reached(user, roles)
    return Q(township_id__in=sorted(townships)) | Q(village_id__in=sorted(villages))


def villages_for(user, roles):
    """The villages one of `roles` of the user reaches (a form's choices, the API's check)."""
    if user.is_superuser:
        return Village.objects.all()
    townships, villages = places_reached(user, roles)
    return Village.objects.filter(Q(pk__in=sorted(villages)) | Q(township_id__in=sorted(townships)))


def assignments_visible(user, queryset=None):
    """Assignments, past and present, the user sees: their own; a township's for its leaders,
    officials and administrator; a village's for its cadres."""
    queryset = Assignment.objects.all() if queryset is None else queryset
    scope = scope_for(user)
    if scope.is_superuser:
        return queryset
    return queryset.filter(
        Q(user=user)
        | Q(township_id__in=sorted(scope.ids_for(TOWNSHIP_ROLES | ADMIN_ROLES)))
        | Q(village_id__in=sorted(scope.ids_for({Role.VILLAGE_CADRE})))
    )


def users_holding(roles, *, on=None, **place):
    """Active users who hold one of `roles` today at the given place (township_id=,
    village_id=, grid_id=, department_id=): the people to notify for a step."""
    from django.contrib.auth import get_user_model

    day = on or timezone.localdate()
    assignments = (
        Assignment.objects.filter(role__in=list(roles), valid_from__lte=day, **place)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .values("user_id")
    )
    return get_user_model().objects.filter(pk__in=assignments, is_active=True).order_by("pk")


def require_any_role(user, roles, message) -> None:
    """A page's role check: PermissionDenied (the 403 page, saying `message`) unless `user`
    holds one of `roles` somewhere."""
    if not scope_for(user).has_any_role(roles):
        raise PermissionDenied(message)


def people_reader_required(view=None, *, matters: bool = False):
    """Pages over households, residents, matters or visits: a 403 for a user whose roles read
    none of them (the shop clerk), rather than an empty list with filters of the village.
    With `matters=True` (the matters' pages) the supervision committee, which reads matters
    only, passes too."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not reads_people(request.user, matters=matters):
                raise PermissionDenied(not_a_reader_message(request.user))
            return view(request, *args, **kwargs)

        return wrapped

    return decorate if view is None else decorate(view)


NOT_A_PEOPLE_READER = gettext_lazy("Your role keeps the passbooks and the shop, not the register, matters or visits.")
MATTERS_ONLY_READER = gettext_lazy(
    "Your role supervises the village's affairs (村事): it sees their matters, not the register or visits."
)


def not_a_reader_message(user) -> str:
    """Why a page or list over people is refused: the supervision committee reads matters only;
    the shop clerk keeps the passbooks and the shop."""
    return MATTERS_ONLY_READER if scope_for(user).reads_matters else NOT_A_PEOPLE_READER


def reads_people(user, *, matters: bool = False) -> bool:
    """False for a user whose roles read none of households, residents, matters or visits (the
    shop clerk): pages and the API answer 403 rather than an empty list. A user with no role
    at all gets the empty list (nothing of theirs to refuse). With `matters=True`, whether the
    user reads matters (the supervision committee does; it reads nothing else)."""
    scope = scope_for(user)
    return not scope.roles or (scope.reads_matters if matters else scope.reads_people)
