"""The transition table of 提分议办督评, and who may take each action.

Every action is checked in the contract's order: the caller's role first (403), then the
matter's state (409); the services then validate the payload (400). One table, read by the
services, the API (which actions to offer) and the pages (which buttons to show).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from governance.errors import Conflict, DomainError, Forbidden
from governance.models import Role
from governance.roles import GRID_ROLES, TOWNSHIP_ROLES
from governance.scoping import Scope, scope_for
from petitions.models import OPEN_STATES, Kind, Matter, State


class MatterError(DomainError):
    """Any refusal of the matters' services (governance.errors)."""


class MatterPermissionError(Forbidden, MatterError):
    """The caller's role may not take this action on this matter (403)."""


class MatterStateError(Conflict, MatterError):
    """The action is not possible in the matter's current state (409)."""


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    label: str


TRANSITIONS = {
    t.action: t
    for t in [
        Transition("classify", frozenset({State.SUBMITTED}), _("Classify")),
        Transition("reject", frozenset({State.SUBMITTED, State.CLASSIFIED, State.DELIBERATING}), _("Reject")),
        Transition("withdraw", frozenset({State.SUBMITTED, State.CLASSIFIED, State.DELIBERATING}), _("Withdraw")),
        Transition("reclassify", frozenset({State.CLASSIFIED, State.DELIBERATING}), _("Reclassify")),
        Transition("deliberate", frozenset({State.CLASSIFIED, State.DELIBERATING}), _("Record deliberation")),
        Transition("handle", frozenset({State.DELIBERATING}), _("Assign for handling")),
        Transition("report", frozenset({State.HANDLING}), _("Report the result")),
        Transition("verify", frozenset({State.VERIFYING}), _("Verify")),
        Transition("evaluate", frozenset({State.EVALUATING}), _("Record the evaluation")),
        Transition("supervise", OPEN_STATES, _("Supervise (督办)")),
    ]
}


def _covers(scope: Scope, matter: Matter, roles) -> bool:
    return scope.covers(matter, roles)


def classifiers_cover(scope: Scope, matter: Matter) -> bool:
    """The village cadre of its village, or the grid leader of its grid."""
    return _covers(scope, matter, {Role.VILLAGE_CADRE, Role.GRID_LEADER})


def owner_covers(scope: Scope, matter: Matter) -> bool:
    """The owner by kind: civil → the grid's staff (or the village cadre); village → the
    village cadre; government → the township official."""
    if matter.kind == Kind.CIVIL:
        return _covers(scope, matter, GRID_ROLES | {Role.VILLAGE_CADRE})
    if matter.kind == Kind.VILLAGE:
        return _covers(scope, matter, {Role.VILLAGE_CADRE})
    if matter.kind == Kind.GOVERNMENT:
        return _covers(scope, matter, {Role.TOWNSHIP_OFFICIAL})
    return classifiers_cover(scope, matter)


def verifiers_cover(scope: Scope, matter: Matter) -> bool:
    """The level that assigned it: civil → village cadre; village and government → township."""
    if matter.kind == Kind.CIVIL:
        return _covers(scope, matter, {Role.VILLAGE_CADRE})
    return _covers(scope, matter, TOWNSHIP_ROLES)


def supervisors_cover(scope: Scope, matter: Matter) -> bool:
    """Anyone above the owner."""
    if matter.kind == Kind.GOVERNMENT:
        return _covers(scope, matter, {Role.TOWNSHIP_LEADER})
    if matter.kind == Kind.VILLAGE:
        return _covers(scope, matter, TOWNSHIP_ROLES)
    return _covers(scope, matter, TOWNSHIP_ROLES | {Role.VILLAGE_CADRE})


def is_handler(user, matter: Matter) -> bool:
    """The assigned person, or a member of the assigned department (its guardian grant)."""
    if matter.handler_id and matter.handler_id == user.pk:
        return True
    return bool(matter.department_id) and user.has_perm("petitions.handle_matter", matter)


def may(user, action: str, matter: Matter) -> bool:
    """Whether `user`'s role allows `action` on `matter`, whatever its state."""
    if not user.is_authenticated:
        return False
    scope = scope_for(user)
    if action in ("classify",):
        return classifiers_cover(scope, matter)
    if action == "reject":
        return classifiers_cover(scope, matter) or (bool(matter.kind) and owner_covers(scope, matter))
    if action == "withdraw":
        return matter.created_by_id == user.pk or classifiers_cover(scope, matter)
    if action in ("reclassify", "deliberate", "handle"):
        return owner_covers(scope, matter)
    if action == "report":
        return is_handler(user, matter)
    if action == "verify":
        return verifiers_cover(scope, matter) and user.pk not in (matter.handler_id, matter.reported_by_id)
    if action == "evaluate":
        # Staff record the resident's answer on a return visit (回访).
        return _covers(scope, matter, GRID_ROLES | {Role.COURTYARD_HELPER, Role.VILLAGE_CADRE} | TOWNSHIP_ROLES)
    if action == "supervise":
        return supervisors_cover(scope, matter)
    raise KeyError(action)


def check(user, action: str, matter: Matter) -> None:
    """403 before 409: the role, then the state."""
    if user is not None and not may(user, action, matter):
        raise MatterPermissionError(_("Your role may not take this action on this matter."))
    if matter.state not in TRANSITIONS[action].sources:
        raise MatterStateError(
            _("This matter is %(state)s: “%(action)s” is not possible now.")
            % {"state": matter.get_state_display(), "action": TRANSITIONS[action].label}
        )


def available_actions(user, matter: Matter) -> list[str]:
    """The actions `user` may take on `matter` now (for buttons and the API)."""
    return [a for a, t in TRANSITIONS.items() if matter.state in t.sources and may(user, a, matter)]
