"""Scoped reads of places and the household register.

Lists and details use the same selector, so a row outside the caller's scope is a 404,
exactly like one that does not exist. Every selector returns a queryset with the joins
its usual callers need, so a list costs a constant number of queries whatever its length.
"""

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from governance.models import SCOPE_LEVEL, Assignment
from governance.roles import GRID_ROLES, ID_NUMBER_REVEALERS, PLACE_KEEPERS, REGISTER_EDITORS, VILLAGE_ROLES
from governance.scoping import current_assignments, scope_for
from grids.idnumbers import hash_id_number, looks_like_id_number
from grids.models import Courtyard, Grid, Household, HouseholdMove, Resident, Tag, Township, Village


def households_visible_to(user, *, roles=None) -> QuerySet[Household]:
    """Households the user may see (through `roles` only, when given), with grid, village and tags."""
    queryset = Household.objects.select_related("village", "grid__village", "courtyard").prefetch_related("tags")
    return scope_for(user).filter(queryset, "household", roles=roles)


def may_reveal_id_numbers(user) -> bool:
    """Whether some role the user holds may see full ID numbers (ID_NUMBER_REVEALERS)."""
    return scope_for(user).has_any_role(ID_NUMBER_REVEALERS)


def households_for_register_export(user, households: QuerySet[Household], *, reveal: bool) -> QuerySet[Household]:
    """The households an export of `households` (already scoped and filtered) may hold.

    Masked, all of them. With `reveal`, only those a role allowed to see full ID numbers
    covers: a cadre of one village who is also a grid worker elsewhere reveals only their
    village. The caller refuses `reveal` first when `may_reveal_id_numbers` is False; if it
    did not, nothing is exported rather than too much.
    """
    if not reveal:
        return households
    if not may_reveal_id_numbers(user):
        return households.none()
    return scope_for(user).filter(households, "household", roles=ID_NUMBER_REVEALERS)


def with_member_counts(households: QuerySet[Household]) -> QuerySet[Household]:
    """Annotate `member_count` (a correlated count: no GROUP BY over the household row)."""
    return households.annotate(member_count=_count_of(Resident, "household"))


def household_detail_queryset(user) -> QuerySet[Household]:
    """`households_visible_to` plus what one household's page shows: members and moves."""
    members = Resident.objects.prefetch_related("tags").order_by("id")
    moves = HouseholdMove.objects.select_related("from_grid", "to_grid", "moved_by").order_by("-moved_at", "-id")
    return households_visible_to(user).prefetch_related(
        Prefetch("members", queryset=members), Prefetch("moves", queryset=moves)
    )


def residents_visible_to(user, *, roles=None) -> QuerySet[Resident]:
    """Residents the user may see, with their household, grid and village, and tags."""
    queryset = Resident.objects.select_related("household__courtyard", "village", "grid__village").prefetch_related(
        "tags"
    )
    return scope_for(user).filter(queryset, "resident", roles=roles)


def _text_match(q: str, *, name: str, pinyin: str, initials: str) -> Q:
    # `contains`, not `icontains`: Chinese has no case, and PostgreSQL's trigram index serves
    # LIKE on the column itself but not on UPPER(column).
    condition = Q(**{f"{name}__contains": q})
    compact = q.replace(" ", "").lower()
    if compact.isascii() and compact.isalpha():
        # 张三 is found by "zhangsan", "zhang", "zs" and "z".
        condition |= Q(**{f"{pinyin}__startswith": compact}) | Q(**{f"{initials}__startswith": compact})
    return condition


def search_residents(queryset: QuerySet[Resident], q: str) -> QuerySet[Resident]:
    """Residents whose name (characters, pinyin, initials) or full ID number matches `q`."""
    q = (q or "").strip()
    if not q:
        return queryset
    if looks_like_id_number(q):
        return queryset.filter(id_number_hash=hash_id_number(q))
    return queryset.filter(_text_match(q, name="name", pinyin="name_pinyin", initials="name_initials"))


def search_households(queryset: QuerySet[Household], q: str) -> QuerySet[Household]:
    """Households whose head or any member matches `q` (name, pinyin, initials, full ID
    number), or whose number or address contains it."""
    q = (q or "").strip()
    if not q:
        return queryset
    # A correlated EXISTS probes each in-scope household's members through the household_id
    # index, instead of searching every resident of the district first.
    member = Exists(search_residents(Resident.objects.filter(household_id=OuterRef("pk")), q))
    if looks_like_id_number(q):
        return queryset.filter(member)
    condition = (
        _text_match(q, name="head_name", pinyin="head_name_pinyin", initials="head_name_initials")
        | Q(number__icontains=q)
        | Q(address__contains=q)
        | member
    )
    return queryset.filter(condition)


def _count_of(model, field: str, rows=None):
    """A correlated COUNT(*) of `model` rows (of `rows`, when given) whose `field` is the outer
    row: no join fan-out."""
    rows = (model.objects.all() if rows is None else rows).filter(**{field: OuterRef("pk")})
    rows = rows.order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def grids_visible_to(user) -> QuerySet[Grid]:
    return scope_for(user).filter_places(Grid.objects.select_related("village"), "grid")


def villages_visible_to(user) -> QuerySet[Village]:
    return scope_for(user).filter_places(Village.objects.all(), "village")


def grids_editable_by(user) -> QuerySet[Grid]:
    """Grids in use in which the user may add or edit households (REGISTER_EDITORS)."""
    scope = scope_for(user)
    grids = Grid.objects.active().select_related("village").order_by("village__code", "number")
    if scope.is_superuser:
        return grids
    village_ids = sorted(scope.ids_for(REGISTER_EDITORS & VILLAGE_ROLES))
    grid_ids = sorted(scope.ids_for(REGISTER_EDITORS & GRID_ROLES))
    return grids.filter(Q(village_id__in=village_ids) | Q(pk__in=grid_ids))


def grids_with_counts(*, village_ids=None, grid_ids=None) -> QuerySet[Grid]:
    """Grids in use (of villages, or by id) with their household and resident counts, in one
    query."""
    grids = (
        Grid.objects.active()
        .select_related("village")
        .annotate(household_count=_count_of(Household, "grid"), resident_count=_count_of(Resident, "grid"))
    )
    condition = Q(pk__in=[])
    if village_ids:
        condition |= Q(village_id__in=sorted(village_ids))
    if grid_ids:
        condition |= Q(pk__in=sorted(grid_ids))
    return grids.filter(condition).order_by("village__code", "number")


def villages_with_counts(*, village_ids=None, township_ids=None) -> QuerySet[Village]:
    """Villages with their grid (in use), household and resident counts, in one query."""
    villages = Village.objects.select_related("township").annotate(
        grid_count=_count_of(Grid, "village", Grid.objects.active()),
        household_count=_count_of(Household, "village"),
        resident_count=_count_of(Resident, "village"),
    )
    if village_ids is None and township_ids is None:
        return villages.order_by("code")
    condition = Q(pk__in=sorted(village_ids or []))
    if township_ids:
        condition |= Q(township_id__in=sorted(township_ids))
    return villages.filter(condition).order_by("code")


def townships_for(ids=None) -> QuerySet[Township]:
    townships = Township.objects.order_by("code")
    return townships if ids is None else townships.filter(pk__in=sorted(ids))


def assignments_of(user) -> QuerySet[Assignment]:
    """The user's current assignments, with their places (for the home page)."""
    return current_assignments(user).select_related("grid__village", "courtyard__grid", "department__township")


def tag_households(tag: Tag) -> set[int]:
    """Households whose target a change of `tag` may move: tagged themselves or through a member."""
    return set(tag.households.values_list("pk", flat=True)) | set(tag.residents.values_list("household_id", flat=True))


# A grid smaller than this is too easy to pin a household down in: public pages leave its name out.
PUBLIC_GRID_MIN_HOUSEHOLDS = 30


def _grid_sizes(village_id: int):
    return Grid.objects.filter(village_id=village_id).annotate(n=Count("households")).values_list("pk", "name", "n")


def public_grid_names(village_id: int) -> dict[int, str | None]:
    """The village's grids as a public page may name them (one query): the grid's name, or
    None for a grid of fewer than PUBLIC_GRID_MIN_HOUSEHOLDS households."""
    return {pk: (name if n >= PUBLIC_GRID_MIN_HOUSEHOLDS else None) for pk, name, n in _grid_sizes(village_id)}


def private_grid_names(village_id: int) -> list[str]:
    """The names of the village's grids that a public page may not show, those
    public_grid_names gives as None (one query): for grids.public.public_text to take out of
    free text."""
    return [name for _pk, name, n in _grid_sizes(village_id) if n < PUBLIC_GRID_MIN_HOUSEHOLDS]


# ---------------------------------------------------------------- places kept (grids.places)


def _kept(user, village_column: str) -> Q | None:
    """The condition on rows of the villages the user keeps (None: every village, for the
    superuser); `village_column` holds the row's village id ("pk" for villages themselves)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return None
    condition = Q(pk__in=[])
    for role in PLACE_KEEPERS:
        column = village_column if SCOPE_LEVEL[role] == "village" else "township_id"
        condition |= Q(**{f"{column}__in": sorted(scope.by_role.get(role, ()))})
    return condition


def villages_kept_by(user) -> QuerySet[Village]:
    """The villages whose places the user keeps (PLACE_KEEPERS), in code order."""
    villages = Village.objects.select_related("township").order_by("code")
    condition = _kept(user, "pk")
    return villages if condition is None else villages.filter(condition)


def may_keep(user, place: Grid | Courtyard) -> bool:
    """Whether a role of the user keeps the grid's or courtyard's village (PLACE_KEEPERS)."""
    return scope_for(user).covers(place, PLACE_KEEPERS)


def kept_grids(*, village_ids=(), grid_ids=()) -> list[Grid]:
    """The villages' grids (or the grids), in use and retired, by number, with their household
    counts, and their courtyards in use (`courtyard_list`, by name, with household counts): two
    queries."""
    grids = list(
        Grid.objects.filter(Q(village_id__in=sorted(village_ids)) | Q(pk__in=sorted(grid_ids)))
        .select_related("merged_into")
        .annotate(household_count=_count_of(Household, "grid"))
        .order_by("village_id", "number", "pk")
    )
    courtyards: dict[int, list[Courtyard]] = {}
    for courtyard in (
        Courtyard.objects.active()
        .filter(grid_id__in=[g.pk for g in grids])
        .annotate(household_count=_count_of(Household, "courtyard"))
        .order_by("name", "pk")
    ):
        courtyards.setdefault(courtyard.grid_id, []).append(courtyard)
    for grid in grids:
        grid.courtyard_list = courtyards.get(grid.pk, [])
    return grids


def place_staff(*, grid_ids=(), courtyard_ids=()) -> dict[tuple[str, int], list[Assignment]]:
    """The staff assigned today to grids (their grid staff) and courtyards (their helpers):
    {("grid", id) or ("courtyard", id): [assignments with their users]}, one query."""
    today = timezone.localdate()
    rows = (
        Assignment.objects.filter(Q(grid_id__in=sorted(grid_ids)) | Q(courtyard_id__in=sorted(courtyard_ids)))
        .filter(valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .select_related("user")
        .order_by("role", "user__first_name", "user__username", "pk")
    )
    staff: dict[tuple[str, int], list[Assignment]] = {}
    for row in rows:
        key = ("courtyard", row.courtyard_id) if row.courtyard_id else ("grid", row.grid_id)
        staff.setdefault(key, []).append(row)
    return staff
