"""Who may assign whom, where: the one rule the assignment pages and the API ask.

A village cadre assigns the staff of their own village's grids and courtyards; the township
administrator, within their township, every role but their own; a superuser anything
(governance.roles.ASSIGNABLE_BY). A request is judged in the contract's order: a place the
caller does not see answers 404 as if it did not exist (`assignment_place`), a role the caller
may not give there 403 (`require_may_assign`, `require_may_end`), an ended assignment 409, the
input 400. The forms offer exactly what these functions allow (`assignable_places`,
`roles_assignable_at`, `assignable_users`), so a page and the API never disagree.

The 片区 (areas) a township's 包片 leaders answer for are kept by its administrator
(`require_keeps_areas`); whoever sees the township reads them.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.errors import Conflict, Forbidden, Refused
from governance.models import ROLE_LEVEL, SCOPE_LEVEL, Assignment, Department, Role, StaffAccount
from governance.roles import AREA_KEEPERS, ASSIGNABLE_BY, ASSIGNER_ROLES
from governance.scoping import scope_for
from governance.services import ALREADY_ENDED
from grids.models import Area, Courtyard, Grid, Township, Village, retired_message

# The places an assignment points at, by the `place_type` the API reads and writes (the level of
# the role, governance.models.ROLE_LEVEL), from the top down.
PLACE_MODELS = {
    "township": Township,
    "department": Department,
    "area": Area,
    "village": Village,
    "grid": Grid,
    "courtyard": Courtyard,
}
PLACE_TYPES = tuple(PLACE_MODELS)
PLACE_TYPE_LABELS = {
    "township": _("a township"),
    "department": _("a department"),
    "area": _("an area (片区)"),
    "village": _("a village"),
    "grid": _("a grid"),
    "courtyard": _("a courtyard"),
}

NOT_AN_ASSIGNER = _("Only a village cadre or the township administrator assigns staff.")
NOT_YOURS_TO_ASSIGN = _("Your role may not give this role here.")
NOT_YOURS_TO_END = _("Your role may not end this assignment.")
NOT_AN_AREA_KEEPER = _("Only the township administrator keeps its areas (片区).")
# How far from today an assignment given or ended in the pages and the API may reach (services,
# the demo and the tests record older history directly). A post recorded late starts or ends at
# most a month back: the 逢十 compliance of the days it covers changes with it, and a month is the
# period compliance is reported for. A start is planned at most a year ahead; a fixed term (a
# 村两委 term is five years) ends at most five years ahead.
MAX_DAYS_BACK = 31
MAX_DAYS_AHEAD = 366
MAX_TERM_DAYS_AHEAD = 5 * 366

NOT_YOURSELF = _("No one gives themselves a role: another cadre or the township administrator assigns you.")


def assigns_anything(user) -> bool:
    """Whether the user may give some role somewhere (a cadre, an administrator, a superuser)."""
    return scope_for(user).has_any_role(ASSIGNER_ROLES)


def assignable_roles(user) -> frozenset[str]:
    """Every role the user may give somewhere."""
    if user.is_superuser:
        return frozenset(Role)
    held = scope_for(user).roles
    return frozenset().union(*(roles for assigner, roles in ASSIGNABLE_BY.items() if assigner in held))


def roles_assignable_at(user, *, township_id: int, village_id: int | None = None) -> frozenset[str]:
    """The roles the user may give (or end) at a place of that township and village (no village:
    the township itself, one of its departments or areas)."""
    if user.is_superuser:
        return frozenset(Role)
    scope = scope_for(user)
    roles: set[str] = set()
    for assigner, assignable in ASSIGNABLE_BY.items():
        at = township_id if SCOPE_LEVEL[assigner] == "township" else village_id
        if at is not None and at in scope.by_role.get(assigner, frozenset()):
            roles |= assignable
    return frozenset(roles)


def _township_and_village(place) -> tuple[int, int | None]:
    if isinstance(place, Township):
        return place.pk, None
    if isinstance(place, Village):
        return place.township_id, place.pk
    return place.township_id, getattr(place, "village_id", None)


def roles_assignable_to(user, place) -> list[str]:
    """The roles the user may give at `place` that are held at a place of its kind, in the
    order of governance.models.Role (a form's choices)."""
    place_type = next(kind for kind, model in PLACE_MODELS.items() if isinstance(place, model))
    township_id, village_id = _township_and_village(place)
    allowed = roles_assignable_at(user, township_id=township_id, village_id=village_id)
    return [role for role in Role if role in allowed and ROLE_LEVEL[role] == place_type]


def places_in_sight(user, place_type: str):
    """The places of `place_type` the user sees by name: any other is "does not exist"."""
    scope = scope_for(user)
    queryset = PLACE_MODELS[place_type].objects.all()
    if place_type in ("area", "department"):
        return queryset if scope.is_superuser else queryset.filter(township_id__in=sorted(scope.township_ids))
    return scope.filter_places(queryset, place_type)


def areas_visible(user):
    """The 片区 of every township the user sees."""
    return places_in_sight(user, "area")


def assignable_places(user, place_type: str):
    """The places of `place_type` at which the user may give some role of that level: in use,
    a grid or courtyard merged into another takes no one."""
    queryset = places_in_sight(user, place_type)
    if place_type in ("grid", "courtyard"):
        queryset = queryset.active()
    if user.is_superuser:
        return queryset
    scope = scope_for(user)
    condition = Q(pk__in=[])
    for assigner, assignable in ASSIGNABLE_BY.items():
        ids = sorted(scope.by_role.get(assigner, frozenset()))
        if not ids or not any(ROLE_LEVEL[role] == place_type for role in assignable):
            continue
        level = SCOPE_LEVEL[assigner]  # the assigner's own place: a township or a village
        if place_type == level:
            condition |= Q(pk__in=ids)
        elif level == "township":
            condition |= Q(township_id__in=ids)
        elif place_type in ("grid", "courtyard"):
            condition |= Q(village_id__in=ids)
    return queryset.filter(condition)


def assignment_place(user, *, role: str, place_type: str, place_id: int):
    """The place a new assignment of `role` points at, if the user may give it there: Http404 for
    a place out of their sight, Forbidden for a role they may not give there, Refused (400, on
    `place_type`) for a place of another level than the role's."""
    place = places_in_sight(user, place_type).filter(pk=place_id).first()
    if place is None:
        raise Http404
    require_may_assign(user, role=role, place=place)
    level = ROLE_LEVEL[role]
    if level != place_type:
        raise Refused(
            _("%(role)s is assigned to %(place)s.") % {"role": Role(role).label, "place": PLACE_TYPE_LABELS[level]},
            code="wrong_place_type",
            field="place_type",
        )
    if getattr(place, "retired_on", None) is not None:
        raise Refused(retired_message(place), code="retired", field="place_id")
    return place


def check_assignment_day(day: datetime.date | None, *, ending: bool = False, today=None) -> None:
    """A day an assignment starts (or, with `ending`, ends) on, within the reach above; None
    (today, or open) passes. Raises ValidationError for the form's field or the API's."""
    if day is None:
        return
    today = today or timezone.localdate()
    if (today - day).days > MAX_DAYS_BACK:
        raise ValidationError(
            _("At most %(days)d days back: an older change goes to the district's administrator.")
            % {"days": MAX_DAYS_BACK},
            code="too_far_back",
        )
    ahead = MAX_TERM_DAYS_AHEAD if ending else MAX_DAYS_AHEAD
    if (day - today).days > ahead:
        raise ValidationError(
            _("At most %(days)d days ahead.") % {"days": ahead},
            code="too_far_ahead",
        )


def require_may_assign(user, *, role: str, place) -> None:
    township_id, village_id = _township_and_village(place)
    if role not in roles_assignable_at(user, township_id=township_id, village_id=village_id):
        raise Forbidden(NOT_YOURS_TO_ASSIGN, code="role_not_assignable")


def require_not_self(user, person_id: int) -> None:
    """Forbidden (403) for a role given to oneself: an administrator who made themselves a
    township official would read every person of the township (maker-checker)."""
    if person_id == user.pk and not user.is_superuser:
        raise Forbidden(NOT_YOURSELF, code="own_assignment")


def may_end(user, assignment: Assignment) -> bool:
    """Whether the user may end the assignment: the role is theirs to give at its place."""
    return assignment.role in roles_assignable_at(
        user, township_id=assignment.township_id, village_id=assignment.village_id
    )


def require_may_end(user, assignment: Assignment) -> None:
    """Forbidden (403) unless the user may end it; Conflict (409) when it has already ended."""
    if not may_end(user, assignment):
        raise Forbidden(NOT_YOURS_TO_END, code="role_not_assignable")
    if assignment.has_ended:
        raise Conflict(ALREADY_ENDED, code="assignment_ended")


def assignable_users(user):
    """The accounts the user may give a role to: active staff who hold or held a role at a place
    the user assigns at, and those who hold none today (a new account, someone between posts);
    never the user themselves (`require_not_self`), nor an account another township keeps."""
    accounts = get_user_model().objects.filter(is_active=True)
    if user.is_superuser:
        return accounts
    scope = scope_for(user)
    townships = sorted(scope.ids_for(r for r in ASSIGNER_ROLES if SCOPE_LEVEL[r] == "township"))
    villages = sorted(scope.ids_for(r for r in ASSIGNER_ROLES if SCOPE_LEVEL[r] == "village"))
    if not townships and not villages:
        return accounts.none()
    held_here = Assignment.objects.filter(Q(township_id__in=townships) | Q(village_id__in=villages))
    today = timezone.localdate()
    placed = Assignment.objects.filter(valid_from__lte=today).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
    # An account another township keeps (opened for it) is its own to place, even between posts:
    # not offered by name to, nor taken by, the staff of another township.
    own = set(townships) | set(Village.objects.filter(pk__in=villages).values_list("township_id", flat=True))
    kept_elsewhere = StaffAccount.objects.filter(township__isnull=False).exclude(township_id__in=sorted(own))
    return (
        accounts.filter(is_superuser=False)
        .exclude(pk=user.pk)
        .exclude(pk__in=kept_elsewhere.values("user_id"))
        .filter(Q(pk__in=held_here.values("user_id")) | ~Q(pk__in=placed.values("user_id")))
    )


def area_townships(user):
    """The townships whose 片区 the user keeps (creates, renames, gives villages)."""
    if user.is_superuser:
        return Township.objects.all()
    return Township.objects.filter(pk__in=sorted(scope_for(user).ids_for(AREA_KEEPERS)))


def keeps_areas_of(user, township_id: int) -> bool:
    return user.is_superuser or township_id in scope_for(user).ids_for(AREA_KEEPERS)


def require_keeps_areas(user, township_id: int) -> None:
    if not keeps_areas_of(user, township_id):
        raise Forbidden(NOT_AN_AREA_KEEPER)
