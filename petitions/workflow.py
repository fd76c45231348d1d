"""The transition table of 提分议办督评: every action on a matter, in one place.

Each entry of TRANSITIONS says, for one action: the states it starts from (`sources`, and
`when` for a further condition of the matter), the state it leads to (`target`: a state, a
function of the change, or None for "unchanged"), who may take it (`allows`, one predicate
over the user and the matter; `public` for the submitter by tracking code, `system` for the
deadline sweep), who is told (`told`: (people, title, body) messages), its wording (the
button, the panel's title, the message once done, the timeline's line, the public page's
step) and its input (`input`: the name of the API's serializer in petitions.serializers;
the page's form, named by `form`, hands the service the same fields, see ActionForm.payload).

One core, `matter_transition(matter=..., actor=..., action=..., **payload)`: it locks the
row, checks the role (403) before the state (409), runs the action's own effect (the part
unique to it, registered with `@effect("name")` in petitions.services or petitions.deadlines,
which validates the payload, 400, and changes the matter's fields), sets the state, records
the MatterEvent and tells the people the entry names (inbox rows in the same transaction;
e-mail after commit, governance.services.notify). The API's endpoints
(/api/v1/matters/{id}/{action}/), the matter page's forms and buttons, the timeline and the
public page all read this table.

How to add an action:

1. Add a `_step(...)` to TRANSITIONS below: name, sources, target, `allows`, `told` and
   wording. Its input is the serializer named after it in petitions.serializers (`classify`
   → ClassifySerializer) and, for the page, the ActionForm of the same name in
   petitions.forms (ClassifyForm), whose fields carry the serializer's names.
2. Write its effect in petitions.services: `@workflow.effect("name") def _name(matter, actor,
   **payload) -> Change`, validating the payload and setting the matter's fields.
3. Add a line for it in templates/petitions/matter_detail.html if the page shows something
   of its own (the form itself is rendered from the table).

The API endpoint, the page's URL, its panel and its timeline line then follow from the
entry; tests/petitions/test_transitions.py checks that every entry is complete.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from governance.errors import Conflict, DomainError, Forbidden
from governance.messaging.models import Kind as MessageKind
from governance.models import Role
from governance.roles import (
    GRID_ROLES,
    REVIEW_ROLES_BY_KIND,
    REVISIT_ROLES_BY_KIND,
    SUPERVISION_ROLES,
    TOWNSHIP_ROLES,
    VILLAGE_AFFAIRS_OVERSIGHT,
    VILLAGE_AFFAIRS_VERIFIERS,
)
from governance.scoping import Scope, scope_for, users_holding
from governance.services import notify_many
from petitions.models import (
    CLOCK_STATES,
    HANDLING_CLOCK_STATES,
    OPEN_STATES,
    Deliberation,
    Kind,
    Matter,
    MatterEvent,
    Rating,
    State,
    VillageAffairsVerifiers,
    village_affairs_verifiers,
)
from petitions.procedure import VILLAGE_STEPS, VOTE_STEP, awaiting_approval, awaiting_filing
from petitions.resident_sms import resident_told
from petitions.selectors import forget_matters_beyond


class MatterError(DomainError):
    """Any refusal of the matters' services (governance.errors)."""


class MatterPermissionError(Forbidden, MatterError):
    """The caller's role may not take this action on this matter (403)."""


class MatterStateError(Conflict, MatterError):
    """The action is not possible in the matter's current state (409)."""


class _System:
    """The deadline sweep as an actor: no account, recorded as "system"."""

    pk = None
    is_authenticated = False

    def __repr__(self):
        return "SYSTEM"


SYSTEM = _System()
SUBMITTER = "submitter"
ALL_STATES = frozenset(State.values)


# ---------------------------------------------------------------- who may


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
    """The level that assigned it: civil → village cadre; government → township; village →
    the village's setting: the township, the supervision committee (村务监督委员会) or either."""
    if matter.kind == Kind.CIVIL:
        return _covers(scope, matter, {Role.VILLAGE_CADRE})
    if matter.kind == Kind.VILLAGE:
        if not scope.has_any_role(VILLAGE_AFFAIRS_OVERSIGHT):
            return False  # no setting can make the caller a verifier: spare its query
        return _covers(scope, matter, VILLAGE_AFFAIRS_VERIFIERS[village_affairs_verifiers(matter)])
    return _covers(scope, matter, TOWNSHIP_ROLES)


def supervisors_cover(scope: Scope, matter: Matter) -> bool:
    """Anyone above the owner; for a 村事 also the supervision committee (村务监督委员会), whose
    work is watching over the village's affairs."""
    if matter.kind == Kind.GOVERNMENT:
        return _covers(scope, matter, {Role.TOWNSHIP_LEADER})
    if matter.kind == Kind.VILLAGE:
        return _covers(scope, matter, VILLAGE_AFFAIRS_OVERSIGHT)
    return _covers(scope, matter, TOWNSHIP_ROLES | {Role.VILLAGE_CADRE})


def is_handler(user, matter: Matter) -> bool:
    """The assigned person, or a member of the assigned department (its guardian grant)."""
    if matter.handler_id and matter.handler_id == user.pk:
        return True
    return bool(matter.department_id) and user.has_perm("petitions.handle_matter", matter)


def may_see_contact(user, matter: Matter) -> bool:
    """The submitter's phone in full, on the page and in the API: for whoever recorded it
    and those who act on the matter (classify it, own it, or handle it: a department member
    has to reach the resident); masked for the rest."""
    scope = scope_for(user)
    return (
        matter.created_by_id == user.pk
        or classifiers_cover(scope, matter)
        or owner_covers(scope, matter)
        or is_handler(user, matter)
    )


def may_see_tracking_code(user, matter: Matter) -> bool:
    """The code is the submitter's secret: the staff member who recorded the matter hands it
    over, and the village's classifiers may look it up for a resident who lost it."""
    return matter.created_by_id == user.pk or classifiers_cover(scope_for(user), matter)


def _classifier(user, matter):
    """The village cadre of its village, or the grid leader of its grid."""
    return classifiers_cover(scope_for(user), matter)


def _owner(user, matter):
    """The owner: civil → the grid's staff or village cadre; village → village cadre; government → township official."""
    return owner_covers(scope_for(user), matter)


def _rejecter(user, matter):
    """A classifier, or the owner once the matter has a kind."""
    scope = scope_for(user)
    return classifiers_cover(scope, matter) or (bool(matter.kind) and owner_covers(scope, matter))


def _recorder_or_classifier(user, matter):
    """The staff member who recorded it, or a classifier."""
    return matter.created_by_id == user.pk or _classifier(user, matter)


def _verifier(user, matter):
    """Civil → village cadre; village → its setting's (监委会, township); else township; not the handler or reporter."""
    return verifiers_cover(scope_for(user), matter) and user.pk not in (matter.handler_id, matter.reported_by_id)


def level_above_covers(scope: Scope, matter: Matter) -> bool:
    """Those who keep the matter's clock from above (pause it, decide an extension): whoever may
    verify or supervise it. For a 村事 that is the township: the supervision committee
    (村务监督委员会) watches the village's affairs but does not manage their time."""
    if matter.kind == Kind.VILLAGE:
        return _covers(scope, matter, TOWNSHIP_ROLES)
    return verifiers_cover(scope, matter) or supervisors_cover(scope, matter)


def revisitors_cover(scope: Scope, matter: Matter) -> bool:
    """The roles that record a return visit (回访) of the matter's kind (governance.roles)."""
    return _covers(scope, matter, REVISIT_ROLES_BY_KIND.get(matter.kind, frozenset()))


def took_part(user, matter: Matter) -> bool:
    """Whether `user` handled, reported or verified the matter (not independent of the work)."""
    return user.pk in (matter.handler_id, matter.reported_by_id, matter.verified_by_id) or is_handler(user, matter)


def _revisitor(user, matter):
    """Independent of the work: civil → village cadre or township; village → 监委会 or township; government →
    township; never the handler, reporter or verifier."""
    return revisitors_cover(scope_for(user), matter) and not took_part(user, matter)


def _not_independent(user, matter):
    if revisitors_cover(scope_for(user), matter) and took_part(user, matter):
        return MatterPermissionError(
            _(
                "You handled, reported or verified this matter: the resident's answer is recorded by "
                "the resident or by someone independent of the work."
            ),
            code="not_independent",
        )
    return None


# Whose clock it is before the matter is assigned: the owner's own role by kind (a civil
# matter's cadre is the level above its grid staff, not an owner of its clock).
CLOCK_OWNER_ROLES = {
    Kind.CIVIL: GRID_ROLES,
    Kind.VILLAGE: frozenset({Role.VILLAGE_CADRE}),
    Kind.GOVERNMENT: frozenset({Role.TOWNSHIP_OFFICIAL}),
}


def keeps_the_clock(user, matter: Matter) -> bool:
    """Whether the running clock is `user`'s own: the handler's while handling, before that the
    owner's (a township official owns a 政事 until it assigns it)."""
    if is_handler(user, matter):
        return True
    if matter.state not in (State.CLASSIFIED, State.DELIBERATING):
        return False
    scope = scope_for(user)
    return not scope.is_superuser and _covers(scope, matter, CLOCK_OWNER_ROLES.get(matter.kind, frozenset()))


def _level_above(user, matter):
    """The level above: those who may verify or supervise the matter, never whose clock it is
    (its handler; before it is assigned, its owner)."""
    return level_above_covers(scope_for(user), matter) and not keeps_the_clock(user, matter)


def _extension_requester(user, matter):
    """The handler while handling; before that, the owner."""
    if matter.state == State.HANDLING:
        return is_handler(user, matter)
    return _owner(user, matter)


def _extension_decider(user, matter):
    """The level above (who may verify or supervise it), never the handler nor the requester."""
    if not _level_above(user, matter):
        return False
    return matter.pending_extension_id is None or matter.pending_extension.requested_by_id != user.pk


def _own_extension(user, matter):
    if matter.pending_extension_id and matter.pending_extension.requested_by_id == user.pk:
        return MatterPermissionError(
            _("You asked for this extension: the level above decides it."), code="own_extension"
        )
    return None


def reviewers_cover(scope: Scope, matter: Matter) -> bool:
    """The roles one level up that decide a review (复查) of the matter's kind (governance.roles)."""
    return _covers(scope, matter, REVIEW_ROLES_BY_KIND.get(matter.kind, frozenset()))


def review_asked_by(matter: Matter) -> int | None:
    """The staff member who asked for the matter's review on the resident's behalf (by
    `request_review`, or by recording an unsatisfied answer), or None (the resident)."""
    if matter.state != State.REVIEWING:
        return None
    event = (
        MatterEvent.objects.filter(matter=matter, to_state=State.REVIEWING)
        .exclude(from_state=State.REVIEWING)
        .order_by("-created_at", "-id")
        .first()
    )
    return event.actor_id if event else None


def _reviewer(user, matter):
    """One level up: civil → village cadre (or township); village → township; government → township leader;
    never who handled, reported or verified the work (the review judges the verification too), nor
    who asked for the review on the resident's behalf."""
    return (
        reviewers_cover(scope_for(user), matter) and not took_part(user, matter) and review_asked_by(matter) != user.pk
    )


def _not_independent_reviewer(user, matter):
    if reviewers_cover(scope_for(user), matter):
        return MatterPermissionError(
            _(
                "You handled, reported or verified this matter, or asked for its review: the review is "
                "decided by someone else one level up."
            ),
            code="not_independent",
        )
    return None


def _review_requester(user, matter):
    """The revisitor, on the resident's behalf (the resident asks by tracking code)."""
    return _revisitor(user, matter)


def _supervisor(user, matter):
    """Above the owner: government → township leader; village → township, 监委会; civil → township, village cadre."""
    return supervisors_cover(scope_for(user), matter)


def _resumer(user, matter):
    """The owner, the handler or the level above."""
    return _owner(user, matter) or is_handler(user, matter) or level_above_covers(scope_for(user), matter)


def department_member(user, matter: Matter) -> bool:
    """A handler of the department the matter is assigned to (by assignment, not by grant)."""
    if not matter.department_id:
        return False
    scope = scope_for(user)
    return scope.is_superuser or matter.department_id in scope.by_role.get(Role.DEPARTMENT_HANDLER, ())


def _department_handler(user, matter):
    """A handler of the department the matter is assigned to."""
    return department_member(user, matter)


def _awaiting_sign_off(matter):
    """assigned to a department and not yet signed for"""
    return bool(matter.department_id) and matter.signed_at is None


def _held_by_department(matter):
    """assigned to a department and its result not yet reported"""
    return bool(matter.department_id) and matter.reported_by_id is None


def _acceptance_pending(matter):
    """its acceptance is pending"""
    return matter.accept_by is not None


def _accept_warn_due(matter):
    """its acceptance is pending, not yet warned nor overdue"""
    return _acceptance_pending(matter) and matter.accept_warned_at is None and matter.accept_overdue_at is None


def _accept_overdue_due(matter):
    """its acceptance is pending and not yet marked overdue"""
    return _acceptance_pending(matter) and matter.accept_overdue_at is None


def _accept_escalate_due(matter):
    """its acceptance is overdue and not yet escalated"""
    return _acceptance_pending(matter) and matter.accept_overdue_at is not None and matter.accept_escalated_at is None


def _sign_overdue_due(matter):
    """not signed for by its department, and not yet flagged"""
    return _awaiting_sign_off(matter) and matter.sign_overdue_at is None


def _township_staff(user, matter):
    """The township's staff (official or leader) of its township."""
    return _covers(scope_for(user), matter, TOWNSHIP_ROLES)


def _awaiting_approval(matter):
    """a land contract adjustment whose vote carried and was published, not yet decided by the township"""
    return awaiting_approval(matter, matter.deliberations.all())


def _awaiting_filing(matter):
    """a village compact whose vote carried and was published, neither filed (备案) nor returned since"""
    return awaiting_filing(matter, matter.deliberations.all())


def _clock_running(matter):
    """the clock runs"""
    return matter.deadline is not None and matter.paused_at is None


def _clock_paused(matter):
    """the clock is paused"""
    return matter.paused_at is not None


def _extension_waiting(matter):
    """an extension request waits for a decision"""
    return matter.pending_extension_id is not None


def _review_unused(matter):
    """no review has been asked for yet (once per matter)"""
    return matter.review_requested_at is None


# ---------------------------------------------------------------- who is told


def classifiers_of(matter: Matter):
    cadres = users_holding({Role.VILLAGE_CADRE}, village_id=matter.village_id)
    if not matter.grid_id:
        return cadres
    return cadres | users_holding({Role.GRID_LEADER}, grid_id=matter.grid_id)


def owners_of(matter: Matter):
    """The people who act next for the matter's kind."""
    if matter.kind == Kind.CIVIL and matter.grid_id:
        return users_holding(GRID_ROLES, grid_id=matter.grid_id)
    if matter.kind == Kind.GOVERNMENT:
        return users_holding({Role.TOWNSHIP_OFFICIAL}, township_id=matter.township_id)
    return users_holding({Role.VILLAGE_CADRE}, village_id=matter.village_id)


def handlers_of(matter: Matter):
    """The handler, or the members of the assigned department."""
    if matter.handler_id:
        return [matter.handler]
    return users_holding({Role.DEPARTMENT_HANDLER}, department_id=matter.department_id)


def reviewers_of(matter: Matter):
    """Who decides a review (复查) one level up; for a 民事, the village cadres."""
    if matter.kind == Kind.CIVIL:
        return users_holding({Role.VILLAGE_CADRE}, village_id=matter.village_id)
    return users_holding(REVIEW_ROLES_BY_KIND.get(matter.kind, TOWNSHIP_ROLES), township_id=matter.township_id)


def supervisors_at(matter: Matter, level: int):
    """Who is added at escalation `level` (1 or 2): the level above the owner, then the next."""
    if matter.kind == Kind.CIVIL:
        if level == 1:
            return users_holding({Role.VILLAGE_CADRE}, village_id=matter.village_id)
        return users_holding({Role.TOWNSHIP_OFFICIAL, Role.TOWNSHIP_LEADER}, township_id=matter.township_id)
    if level == 1:
        return users_holding({Role.TOWNSHIP_OFFICIAL}, township_id=matter.township_id)
    return users_holding({Role.TOWNSHIP_LEADER}, township_id=matter.township_id)


def _titled(text, matter: Matter) -> str:
    return str(text) % {"title": matter.title}


def _tell_owners(text):
    return lambda matter, actor, change: [(owners_of(matter), _titled(text, matter), change.payload.get("reason", ""))]


def _tell_rejected(matter, actor, change):
    if not matter.created_by_id or matter.created_by_id == actor.pk:
        return []
    text = _("A matter you recorded was rejected: %(title)s")
    return [([matter.created_by], _titled(text, matter), change.payload["reason"])]


def _tell_handle(matter, actor, change):
    return [(handlers_of(matter), _titled(_("A matter to handle: %(title)s"), matter), "")]


def _tell_decision(field: str, yes, no, people=lambda matter, change: owners_of(matter)):
    """`people` (the owners unless named) learn a yes-or-no decision, the payload's `field`, worded
    `yes` or `no` (with %(title)s), and its reason."""

    def told(matter, actor, change):
        text = yes if change.payload[field] else no
        return [(people(matter, change), _titled(text, matter), change.payload["reason"])]

    return told


def _tell_deliberated(matter, actor, change):
    """受理告知 when the township's review accepted a 政事; and when a land adjustment's or a
    compact's resolution is published, the township is told its approval or filing is awaited."""
    told = _tell_accepted(matter, actor, change)
    township = users_holding(TOWNSHIP_ROLES, township_id=matter.township_id)
    if change.facts.get("awaiting_approval"):
        text = _("A land contract adjustment waits for your approval: %(title)s")
        told.append((township, _titled(text, matter), ""))
    if change.facts.get("awaiting_filing"):
        text = _("A village compact waits to be filed with the township (备案): %(title)s")
        told.append((township, _titled(text, matter), ""))
    return told


def verifiers_of(matter: Matter):
    """The people told to verify a reported result: civil → the village cadres; government →
    the township officials; village → the supervision committee and/or the township
    officials, by the village's setting."""
    if matter.kind == Kind.CIVIL:
        return list(users_holding({Role.VILLAGE_CADRE}, village_id=matter.village_id))
    officials = users_holding({Role.TOWNSHIP_OFFICIAL}, township_id=matter.township_id)
    if matter.kind != Kind.VILLAGE:
        return list(officials)
    setting = village_affairs_verifiers(matter)
    people = []
    if setting != VillageAffairsVerifiers.TOWNSHIP:
        people += users_holding(SUPERVISION_ROLES, village_id=matter.village_id)
    if setting != VillageAffairsVerifiers.SUPERVISORS:
        people += officials
    return people


def _tell_report(matter, actor, change):
    verifiers = verifiers_of(matter)
    people = [u for u in verifiers if u.pk != actor.pk]
    return [(people, _titled(_("A result to verify: %(title)s"), matter), "")]


def _tell_verify(matter, actor, change):
    if not change.payload["passed"]:
        text = _("The result was not accepted: %(title)s")
        return [(handlers_of(matter), _titled(text, matter), change.payload["note"])]
    if matter.created_by_id:
        return [([matter.created_by], _titled(_("Ask the resident for an evaluation: %(title)s"), matter), "")]
    return []


# Where a resident still dissatisfied after the review one level up may turn (信访工作条例,
# 行政复议法, the courts): told on the public page and in the notifications.
WHERE_ELSE = (
    _(
        "Ask the authority one level above the one that answered you for a review (信访复查), "
        "within 30 days of receiving its written reply."
    ),
    _(
        "Where an administrative act of a government body is concerned: apply for administrative "
        "reconsideration (行政复议)."
    ),
    _("Bring a lawsuit before the people's court (人民法院)."),
)


def where_else_text() -> str:
    return "\n".join(str(line) for line in WHERE_ELSE)


def _tell_where_else(matter, actor):
    """The closing on the record: whoever recorded it and the owner tell the resident where else to turn."""
    people = list(owners_of(matter))
    if matter.created_by_id:
        people.append(matter.created_by)
    text = _("Closed with the resident still dissatisfied; tell them where else to turn: %(title)s")
    return [(people, _titled(text, matter), where_else_text())]


def _tell_review_requested(matter, comment):
    text = _("A resident asks for a review (复查): %(title)s")
    return [(reviewers_of(matter), _titled(text, matter), comment)]


def _tell_evaluate(matter, actor, change):
    if change.payload["rating"] != Rating.UNSATISFIED:
        return []
    if matter.state == State.REVIEWING:
        return _tell_review_requested(matter, change.payload["comment"])
    return _tell_where_else(matter, actor)


def _tell_request_review(matter, actor, change):
    return _tell_review_requested(matter, change.payload["reason"])


def _tell_decide_review(matter, actor, change):
    if change.payload["upheld"]:
        return _tell_where_else(matter, actor)
    messages = []
    if change.facts.get("escalated"):
        title = _("Reopened %(count)d times, now supervised by the township: %(title)s") % {
            "count": matter.reopen_count,
            "title": matter.title,
        }
        messages.append((supervisors_at(matter, 2), title, change.payload["reason"]))
    text = _("The review sends the matter back to be handled again: %(title)s")
    messages.append((handlers_of(matter), _titled(text, matter), change.payload["reason"]))
    return messages


def _tell_request_extension(matter, actor, change):
    people = [u for u in supervisors_at(matter, 1) if u.pk != actor.pk]
    return [(people, _titled(_("An extension to decide: %(title)s"), matter), change.payload["reason"])]


def _tell_supervise(matter, actor, change):
    if matter.state == State.HANDLING:
        people = handlers_of(matter)
    elif matter.state == State.SUBMITTED:
        people = classifiers_of(matter)
    else:
        people = owners_of(matter)
    return [(people, _titled(_("Supervision note (督办): %(title)s"), matter), change.payload["note"])]


def _tell_accepted(matter, actor, change):
    """受理告知: the staff member who recorded it hands the news to the resident (the public
    page shows it to whoever holds the tracking code)."""
    accepted = change.payload.get("accepted")
    if not accepted or not matter.created_by_id or matter.created_by_id == getattr(actor, "pk", None):
        return []
    body = _("Accepted by %(by)s; expected to be done by %(deadline)s. Please tell the resident.") % {
        "by": acceptor_label(accepted),
        "deadline": _local(accepted["deadline"])[:10] if accepted.get("deadline") else "—",
    }
    return [([matter.created_by], _titled(_("Accepted (受理): %(title)s"), matter), body)]


def _tell_classified(matter, actor, change):
    owners = _tell_owners(_("A matter is yours to deliberate: %(title)s"))(matter, actor, change)
    return [*owners, *_tell_accepted(matter, actor, change)]


def _tell_sent_back(matter, actor, change):
    people = [matter.assigned_by] if matter.assigned_by_id else list(owners_of(matter))
    text = _("A department sent a matter back; assign it again: %(title)s")
    return [(people, _titled(text, matter), change.payload["reason"])]


def acceptor_label(accepted: dict) -> str:
    """Who accepted, for the public: the place and the role, never a person's name."""
    role = accepted.get("role")
    label = Role(role).label if role in Role.values else ""
    return f"{accepted.get('place', '')} · {label}" if label else accepted.get("place", "")


def _local(moment: str | None) -> str | None:
    return timezone.localtime(parse_datetime(moment)).isoformat() if moment else None


def acceptances(events) -> list[dict]:
    """受理告知 from a matter's events: [{level, by, date, deadline}], oldest first."""
    rows = []
    for event in events:
        accepted = (event.payload or {}).get("accepted")
        if accepted:
            rows.append(
                {
                    "level": accepted["level"],
                    "by": acceptor_label(accepted),
                    "date": timezone.localdate(event.created_at).isoformat(),
                    "deadline": _local(accepted.get("deadline")),
                }
            )
    return rows


def _told_by_effect(matter, actor, change):
    """The sweep's entries: its effect names the people (looked up once per run)."""
    return change.facts.get("told", [])


# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    label: str  # the action's name (buttons' list, refusals)
    allows: Callable | None = None  # (user, matter) -> bool, for staff
    target: str | Callable | None = None  # None: the state does not change
    told: Callable | None = None  # (matter, actor, change) -> [(people, title, body)]
    when: Callable | None = None  # a further condition on the matter (409 with `conflict`)
    conflict: str | None = None
    conflict_code: str | None = None  # the 409's code (default invalid_state)
    forbidden: str | None = None
    forbidden_code: str | None = None  # the 403's code (default permission_denied)
    refusal: Callable | None = None  # (user, matter) -> a more precise 403, or None
    public: bool = False  # the submitter, by tracking code
    system: bool = False  # the deadline sweep
    offered: bool = True  # listed in the matter's `actions` (API) and its page's panels
    event: str = ""  # the MatterEvent's action (defaults to `action`)
    input: str = ""  # serializer in petitions.serializers (the API's request body)
    form: str = ""  # ActionForm in petitions.forms (the page's panel)
    api: str = ""  # the API endpoint's description
    public_api: str = ""  # the public API's endpoint (/api/v1/public/matters/{code}/<action>/), by tracking code
    button: str = ""
    title: str = ""  # the page panel's title
    done: str = ""  # the page's message once saved
    timeline: str = ""  # the timeline's line for the event
    public_step: Callable | str | None = None  # the public page's step: a label, or (payload, matter, labels)
    secondary: bool = False  # a panel folded below the next step's

    @property
    def event_name(self) -> str:
        return self.event or self.action

    def allowed(self, actor, matter: Matter) -> bool:
        if actor is SYSTEM:
            return self.system
        if actor is None:
            return self.public
        return not self.system and bool(actor.is_authenticated) and self.allows(actor, matter)

    def possible(self, matter: Matter) -> bool:
        return matter.state in self.sources and (self.when is None or self.when(matter))

    def target_for(self, matter: Matter, change) -> str:
        if callable(self.target):
            return self.target(matter, change)
        return self.target or matter.state


def _after_verify(matter, change):
    """passed → `evaluating`; not passed → `handling`"""
    return State.EVALUATING if change.payload["passed"] else State.HANDLING


def _after_evaluate(matter, change):
    """unsatisfied → `reviewing` one level up (复查, once), after a review → `closed` on the record; else `closed`"""
    return State.REVIEWING if change.facts.get("review") else State.CLOSED


def _after_review(matter, change):
    """upheld → `closed`; not upheld → `handling` again (reopened, counted)"""
    return State.CLOSED if change.payload["upheld"] else State.HANDLING


def _kind_step(payload, matter, labels):
    return _("Classified: %(kind)s") % {"kind": labels["kind"].get(payload.get("kind"), "")}, ""


def _rerouted_step(payload, matter, labels):
    return _("Re-routed: %(kind)s") % {"kind": labels["kind"].get(payload.get("kind"), "")}, ""


def _deliberation_step(payload, matter, labels):
    kind, step = payload.get("kind"), payload.get("step")
    if kind == Deliberation.Kind.STEP and step in VILLAGE_STEPS:
        label = _("Village procedure, step %(step)d: %(name)s") % {"step": step, "name": VILLAGE_STEPS[step]}
        detail = ""
        if step == VOTE_STEP:
            detail = str(_("The vote carried.") if payload.get("carried") else _("The vote did not carry."))
        return label, detail
    if kind == Deliberation.Kind.REVIEW:
        return _("Reviewed and accepted by the township"), ""
    return labels["deliberation"].get(kind, ""), ""


def _approval_step(payload, matter, labels):
    if payload.get("approve"):
        return _("Land contract adjustment approved by the township"), ""
    return _("Land contract adjustment refused by the township"), payload.get("reason", "")


def _filing_step(payload, matter, labels):
    if payload.get("filed", True):  # events before the township decided it carry no "filed"
        return _("Filed with the township (备案)"), ""
    return _("Returned by the township: the village votes again"), payload.get("reason", "")


def _handled_step(payload, matter, labels):
    detail = ""
    if payload.get("department") and payload["department"] == matter.department_id:
        detail = matter.department.name
    return _("Being handled"), detail


def _reported_step(payload, matter, labels):
    return _("Result reported"), payload.get("result", "")


def _verified_step(payload, matter, labels):
    return (_("Result checked") if payload.get("passed") else _("Result not accepted; handled again")), ""


def _evaluated_step(payload, matter, labels):
    return _("Evaluated: %(rating)s") % {"rating": labels["rating"].get(payload.get("rating"), "")}, ""


def _review_requested_step(payload, matter, labels):
    return _("Review asked for, one level up (复查)"), ""


def _reviewed_step(payload, matter, labels):
    if payload.get("upheld"):
        return _("Reviewed: the result is upheld"), payload.get("reason", "")
    return _("Reviewed: to be handled again"), payload.get("reason", "")


def _rejected_step(payload, matter, labels):
    return _("Not taken up"), payload.get("reason", "")


def _step(action: str, sources, label, *, form: bool = True, **entry) -> Transition:
    """An action a person takes: its input is the serializer named after it in
    petitions.serializers (`classify` → ClassifySerializer) and its page's panel the form of
    the same name in petitions.forms (ClassifyForm); `form=False` for an action of the API
    only. An offered step's button and panel title say the action's name unless worded otherwise."""
    name = action.title().replace("_", "")
    if entry.get("offered", True):
        entry = {"button": label, "title": label, **entry}
    return Transition(action, sources, label, input=f"{name}Serializer", form=f"{name}Form" if form else "", **entry)


def _clock(action: str, sources, label, **entry) -> Transition:
    """Pausing or resuming the clock, beside the steps (the page shows its form with the
    photos, views.extra_forms)."""
    return _step(action, sources, label, offered=False, **entry)


def _sweep(action: str, label, timeline, *, sources=frozenset(CLOCK_STATES), told=_told_by_effect, **entry):
    """An action of the deadline sweep (petitions.deadlines): the system takes it on a matter
    whose clock runs, and its effect names the people told."""
    return Transition(action, sources, label, system=True, offered=False, told=told, timeline=timeline, **entry)


BEFORE_HANDLING = frozenset({State.SUBMITTED, State.CLASSIFIED, State.DELIBERATING})
ACCEPTANCE_STATES = BEFORE_HANDLING  # where acceptance (受理) may be pending (petitions.deadlines)
OWNED = frozenset({State.CLASSIFIED, State.DELIBERATING})

TRANSITIONS = {
    t.action: t
    for t in [
        _step(
            "classify",
            frozenset({State.SUBMITTED}),
            _("Classify"),
            allows=_classifier,
            target=State.CLASSIFIED,
            told=_tell_classified,
            api="分 (三事分流): set the kind (civil / village / government) and the category.",
            title=_("Classify (三事分流)"),
            done=_("Classified. The owner of the matter is told."),
            timeline=_("Classified"),
            public_step=_kind_step,
        ),
        _step(
            "reject",
            BEFORE_HANDLING,
            _("Reject"),
            allows=_rejecter,
            target=State.REJECTED,
            told=_tell_rejected,
            api="Close without handling, with a reason (or as a duplicate of another matter).",
            button=_("Reject the matter"),
            done=_("The matter is rejected."),
            timeline=_("Rejected"),
            public_step=_rejected_step,
            secondary=True,
        ),
        _step(
            "withdraw",
            BEFORE_HANDLING,
            _("Withdraw"),
            allows=_recorder_or_classifier,
            target=State.WITHDRAWN,
            public=True,
            api="Withdraw before handling (the staff member who recorded it, or a classifier).",
            public_api="The submitter withdraws the matter before it is handled.",
            button=_("Withdraw the matter"),
            done=_("The matter is withdrawn."),
            timeline=_("Withdrawn"),
            public_step=_("Withdrawn"),
            secondary=True,
        ),
        _step(
            "reclassify",
            OWNED,
            _("Reclassify"),
            allows=_owner,
            target=State.CLASSIFIED,
            told=_tell_owners(_("A matter was re-routed to you: %(title)s")),
            api="Re-route under another kind or category, with a reason (e.g. the township returns a 政事).",
            button=_("Re-route"),
            title=_("Re-route to another kind"),
            done=_("Re-routed. The new owner is told."),
            timeline=_("Re-routed"),
            public_step=_rerouted_step,
            secondary=True,
        ),
        _step(
            "deliberate",
            OWNED,
            _("Record deliberation"),
            allows=_owner,
            target=State.DELIBERATING,
            told=_tell_deliberated,
            api=(
                "议: a consultation meeting, a mediation, a 村事 step (with the vote at step 5), or the\n"
                "township's review. Quorum and result are computed by the app."
            ),
            button=_("Save the record"),
            title="",  # the panel's title names the deliberation's kind (views._deliberate_title)
            done=_("The record is saved."),
            timeline=_("Deliberation recorded"),
            public_step=_deliberation_step,
        ),
        _step(
            "township_approval",
            frozenset({State.DELIBERATING}),
            _("Approve or refuse the land adjustment"),
            allows=_township_staff,
            when=_awaiting_approval,
            conflict=_("Only a land contract adjustment whose vote carried and was published waits for approval."),
            forbidden=_("Only the township's staff approve a land contract adjustment."),
            # The village's cadres learn the township's decision on the land adjustment.
            told=_tell_decision(
                "approve",
                _("The township approved the land contract adjustment: %(title)s"),
                _("The township refused the land contract adjustment: %(title)s"),
            ),
            api=(
                "The township approves or refuses a land contract adjustment (土地承包调整, 农村土地承包法\n"
                "Art. 28) after its vote carried and was published, with a reason; handling waits for it."
            ),
            button=_("Record the township's decision"),
            title=_("Township approval of the land contract adjustment"),
            done=_("The township's decision is recorded. The village is told."),
            timeline=_("Township's decision on the land adjustment"),
            public_step=_approval_step,
        ),
        _step(
            "record_filing",
            frozenset({State.DELIBERATING}),
            _("File or return the village compact (备案)"),
            allows=_township_staff,
            when=_awaiting_filing,
            conflict=_(
                "Only a village compact whose vote carried and was published, and that the township has not "
                "filed or returned since, waits for filing."
            ),
            forbidden=_("Only the township's staff file a village compact (备案)."),
            # The village's cadres learn whether the township filed the compact or returned it, and why.
            told=_tell_decision(
                "filed",
                _("The township filed the village compact (备案): %(title)s"),
                _("The township returned the village compact: %(title)s"),
            ),
            api=(
                "The township files (备案, Art. 27) a village compact (村规民约) adopted by the villagers'\n"
                "meeting {filed: true, filed_on (optional, today by default), reason (a note)}, or returns\n"
                "it {filed: false, reason}; handling waits for the filing, a returned compact for a new vote."
            ),
            button=_("Record the filing (备案) or the return"),
            title=_("File the village compact with the township (备案) or return it"),
            done=_("The filing (备案) or the return is recorded. The village is told."),
            timeline=_("Township's decision on the filing (备案)"),
            public_step=_filing_step,
        ),
        _step(
            "handle",
            frozenset({State.DELIBERATING}),
            _("Assign for handling"),
            allows=_owner,
            target=State.HANDLING,
            told=_tell_handle,
            api=(
                "办: assign a handler (a person) or a township department (政事), once deliberation is\n"
                "complete (else 409 deliberation_incomplete)."
            ),
            button=_("Assign"),
            title=_("Assign for handling (办)"),
            done=_("Assigned. The handler is told."),
            timeline=_("Assigned for handling"),
            public_step=_handled_step,
        ),
        _step(
            "report",
            frozenset({State.HANDLING}),
            _("Report the result"),
            allows=is_handler,
            target=State.VERIFYING,
            told=_tell_report,
            api="The handler reports the result (for a 村事: step 7, 实施结果公开).",
            done=_("The result is reported and goes to verification."),
            timeline=_("Result reported"),
            public_step=_reported_step,
        ),
        _step(
            "sign",
            frozenset({State.HANDLING}),
            _("Sign for it (签收)"),
            allows=_department_handler,
            when=_awaiting_sign_off,
            conflict=_("The matter is not waiting to be signed for."),
            forbidden=_("Only a handler of the assigned department may sign for it."),
            api="签收: a handler of the assigned department signs for it (a first report signs too).",
            button=_("Sign for it"),
            title=_("Sign for the matter (签收)"),
            done=_("Signed for. The department holds the matter."),
            timeline=_("Signed for (签收)"),
            public_step=_("Signed for by the department"),
        ),
        _step(
            "send_back",
            frozenset({State.HANDLING}),
            _("Send back (退回)"),
            allows=_department_handler,
            target=State.DELIBERATING,
            when=_held_by_department,
            told=_tell_sent_back,
            conflict=_("Only a matter the department holds, before its result is reported, can be sent back."),
            forbidden=_("Only a handler of the assigned department may send it back."),
            api=(
                "退回: the department's handler returns a matter that is not theirs, with a reason; it goes\n"
                "back to whoever assigned it, to be assigned again. The department no longer sees it: the\n"
                "answer is {id, state, actions}."
            ),
            button=_("Send it back"),
            title=_("Not ours: send it back (退回)"),
            done=_("Sent back. Whoever assigned it is told."),
            timeline=_("Sent back (退回)"),
            public_step=_("Sent back to be assigned again"),
            secondary=True,
        ),
        _step(
            "verify",
            frozenset({State.VERIFYING}),
            _("Verify"),
            allows=_verifier,
            target=_after_verify,
            told=_tell_verify,
            api="督: check the result (not by its handler); a failed check returns it to handling.",
            button=_("Record the verification"),
            title=_("Verify the result (督)"),
            done=_("The verification is recorded."),
            timeline=_("Verified"),
            public_step=_verified_step,
        ),
        _step(
            "evaluate",
            frozenset({State.EVALUATING}),
            _("Record the evaluation"),
            allows=_revisitor,
            refusal=_not_independent,
            target=_after_evaluate,
            told=_tell_evaluate,
            public=True,
            api=(
                "评 on a return visit (回访), by someone independent of the work (403 not_independent for\n"
                "its handler, reporter or verifier), with the method; unsatisfied goes one level up for a\n"
                "review (复查) once, and after a review closes the matter on the record."
            ),
            public_api=(
                "评: the submitter rates the result; unsatisfied (with a comment) asks for a review one\n"
                "level up, once; after it, closes the matter on the record (see where_else)."
            ),
            button=_("Record the answer"),
            title=_("Record the return visit (回访)"),
            done=_("The resident's evaluation is recorded."),
            timeline=_("Evaluated"),
            public_step=_evaluated_step,
        ),
        _step(
            "request_review",
            frozenset({State.EVALUATING}),
            _("Ask for a review (复查)"),
            allows=_review_requester,
            refusal=_not_independent,
            when=_review_unused,
            conflict=_("A review has already been held for this matter; it can be asked for only once."),
            conflict_code="review_used",
            target=State.REVIEWING,
            told=_tell_request_review,
            public=True,
            api=(
                "复查: the dissatisfied resident's request for a review one level up (the revisitor on their\n"
                "behalf), once per matter (else 409 review_used)."
            ),
            public_api="复查: the dissatisfied submitter asks for a review one level up, once, with a reason.",
            button=_("Send the request"),
            title=_("Ask for a review one level up (复查)"),
            done=_("The review is asked for; the level above decides it."),
            timeline=_("Review asked for (复查)"),
            public_step=_review_requested_step,
            secondary=True,
        ),
        _step(
            "decide_review",
            frozenset({State.REVIEWING}),
            _("Decide the review"),
            allows=_reviewer,
            refusal=_not_independent_reviewer,
            target=_after_review,
            told=_tell_decide_review,
            api="复查 decided one level up: the result upheld closes the matter; not upheld, handled again.",
            button=pgettext_lazy("review", "Record the decision"),
            title=_("Decide the review (复查)"),
            done=_("The review is decided."),
            timeline=_("Review decided (复查)"),
            public_step=_reviewed_step,
        ),
        _step(
            "request_extension",
            frozenset(HANDLING_CLOCK_STATES),
            _("Ask for more time"),
            allows=_extension_requester,
            forbidden=_("Only the handler (while handling) or the owner may ask for more time."),
            told=_tell_request_extension,
            api=(
                "Ask the level above for a later deadline or a pause, with a reason (the handler while\n"
                "handling, else the owner): 409 extension_pending, extension_limit; 400 bad_deadline."
            ),
            button=_("Send the request"),
            title=_("Ask for more time (延期)"),
            done=_("The request is sent to the level above."),
            timeline=_("Extension asked for"),
            secondary=True,
        ),
        _step(
            "decide_extension",
            frozenset(HANDLING_CLOCK_STATES),
            _("Decide the extension"),
            allows=_extension_decider,
            refusal=_own_extension,
            when=_extension_waiting,
            conflict=_("No extension request waits for a decision."),
            conflict_code="no_extension_request",
            told=_tell_decision(
                "approved",
                _("Your extension is approved: %(title)s"),
                _("Your extension is refused: %(title)s"),
                people=lambda matter, change: change.facts["requester"],
            ),
            api=(
                "The level above approves or refuses the waiting extension, with a reason; only approved\n"
                "time moves the deadline or stops the clock (409 extension_limit past the limit; 409\n"
                "extension_stale when the deadline has since moved past the one asked for)."
            ),
            button=pgettext_lazy("extension", "Record the decision"),
            title=_("Decide the extension (延期审批)"),
            done=_("The decision is recorded; the requester is told."),
            timeline=_("Extension decided"),
        ),
        _step(
            "supervise",
            OPEN_STATES,
            _("Supervise (督办)"),
            allows=_supervisor,
            told=_tell_supervise,
            api="督办: a note from above the owner, in any open state; the state does not change.",
            button=_("Send the note"),
            done=_("The supervision note is sent."),
            timeline=_("Supervision note (督办)"),
            public_step=_("Supervised (督办)"),
            secondary=True,
        ),
        # Beside the steps: access, the clock. Not in the matter's `actions`.
        _step(
            "grant",
            OPEN_STATES,
            _("Grant access"),
            allows=_owner,
            forbidden=_("Only the matter's owner may grant access to it."),
            conflict=_("The matter is closed."),
            offered=False,
            form=False,
            api=(
                "A one-off grant on this matter to someone outside the hierarchy (a 公益律师团 lawyer):\n"
                "by its owner, while it is open."
            ),
            timeline=_("Access granted"),
        ),
        _clock(
            "pause",
            frozenset(CLOCK_STATES),
            _("Pause the clock"),
            allows=_level_above,
            forbidden=_("Only the level above may pause the clock; ask it for more time instead."),
            forbidden_code="pause_needs_approval",
            when=_clock_running,
            conflict=_("The clock is not running."),
            api=(
                "Stop the clock with a reason: only the level above (who verify or supervise it); the\n"
                "owner and the handler ask for an extension instead (403 pause_needs_approval)."
            ),
            done=_("The clock is paused; the pause is on the record."),
            timeline=_("Clock paused"),
        ),
        _clock(
            "resume",
            ALL_STATES,
            _("Resume the clock"),
            allows=_resumer,
            forbidden=_("Only the owner, the handler or the level above may resume the clock."),
            when=_clock_paused,
            conflict=_("The clock is not paused."),
            api="Restart the clock; the deadline moves by the working days the pause lasted.",
            done=_("The clock runs again; the deadline moved by the days it was paused."),
            timeline=_("Clock resumed"),
        ),
        # The deadline sweep (petitions.deadlines), acting as the system.
        _sweep("warn", _("Warn before the deadline"), _("Deadline near")),
        _sweep(
            "mark_overdue",
            _("Mark overdue (督办)"),
            _("Supervision note (督办)"),
            event="supervise",
            public_step=_("Supervised (督办)"),
        ),
        _sweep("escalate", _("Escalate"), _("Escalated (督办 one level up)")),
        _sweep(
            "accept_warn",
            _("Warn before the acceptance deadline"),
            _("Acceptance due soon"),
            sources=ACCEPTANCE_STATES,
            when=_accept_warn_due,
        ),
        _sweep(
            "accept_overdue",
            _("Mark acceptance overdue (督办)"),
            _("Acceptance overdue (督办)"),
            sources=ACCEPTANCE_STATES,
            when=_accept_overdue_due,
        ),
        _sweep(
            "accept_escalate",
            _("Escalate the acceptance"),
            _("Acceptance escalated (督办 one level up)"),
            sources=ACCEPTANCE_STATES,
            when=_accept_escalate_due,
        ),
        _sweep(
            "sign_overdue",
            _("Flag a late sign-off"),
            _("Not signed for in time"),
            sources=frozenset({State.HANDLING}),
            when=_sign_overdue_due,
        ),
        _sweep(
            "close_unevaluated",
            _("Close without an evaluation"),
            _("Closed without an evaluation"),
            sources=frozenset({State.EVALUATING}),
            target=State.CLOSED,
            told=None,
        ),
    ]
}

# The matter's workflow actions offered to staff (the API's `actions`, the page's panels).
OFFERED = tuple(a for a, t in TRANSITIONS.items() if t.offered)
# Every action a person takes through the API's /api/v1/matters/{id}/{action}/.
API_ACTIONS = tuple(a for a, t in TRANSITIONS.items() if t.input)
# What the submitter does by tracking code (/api/v1/public/matters/{code}/{action}/).
PUBLIC_ACTIONS = tuple(a for a, t in TRANSITIONS.items() if t.public)
# The page's action URLs (/matters/{id}/{action}/): the offered actions with a form.
PAGE_ACTIONS = tuple(a for a in OFFERED if TRANSITIONS[a].form)
# The clock's forms, shown beside the photos (/matters/{id}/pause/ and resume/).
CLOCK_ACTIONS = ("pause", "resume")

SUBMITTED_LABEL = _("Submitted")  # the creation: not a transition
# Events recorded outside the table: the creation, and a photo added as evidence.
OTHER_EVENTS = {"submit": SUBMITTED_LABEL, "photo": _("Photo added")}
# Events for staff only, not on the public page: the matter followed its household, or its
# grid merged into another, to a new grid (petitions.receivers).
STAFF_EVENTS = {"move": _("Moved to another grid")}


def _by_event(event: str) -> Transition | None:
    return next((t for t in TRANSITIONS.values() if t.event_name == event), None)


def event_label(event: str) -> str:
    """The timeline's line for an event (the event's name when the table does not know it)."""
    if event in OTHER_EVENTS:
        return OTHER_EVENTS[event]
    if event in STAFF_EVENTS:
        return STAFF_EVENTS[event]
    t = _by_event(event)
    return t.timeline if t else event


def public_step(event: str):
    """The public page's step for an event: a label, a function of (payload, matter,
    labels) giving (label, detail), or None when the public page does not show it."""
    if event in OTHER_EVENTS:
        return OTHER_EVENTS[event]
    t = _by_event(event)
    return t.public_step if t else None


@cache
def input_fields(action: str) -> tuple[str, ...]:
    """The names of the action's input: its serializer's fields, which the page's form hands
    the service too (forms.ActionForm.payload)."""
    serializer = getattr(import_module("petitions.serializers"), TRANSITIONS[action].input)
    return tuple(serializer().fields)


def may(user, action: str, matter: Matter) -> bool:
    """Whether `user`'s role allows `action` on `matter`, whatever its state."""
    if user is None or not user.is_authenticated:
        return False
    return TRANSITIONS[action].allowed(user, matter)


def check(actor, action: str, matter: Matter) -> None:
    """403 before 409: the role, then the state. `actor` is a user, None (the submitter,
    by tracking code) or SYSTEM (the sweep)."""
    t = TRANSITIONS[action]
    if not t.allowed(actor, matter):
        precise = t.refusal(actor, matter) if t.refusal and getattr(actor, "is_authenticated", False) else None
        raise precise or MatterPermissionError(
            t.forbidden or _("Your role may not take this action on this matter."), code=t.forbidden_code
        )
    if not t.possible(matter):
        raise MatterStateError(
            t.conflict
            or _("This matter is %(state)s: “%(action)s” is not possible now.")
            % {"state": matter.get_state_display(), "action": t.label},
            code=t.conflict_code,
        )


def available_actions(user, matter: Matter) -> list[str]:
    """The workflow actions `user` may take on `matter` now (for buttons and the API)."""
    return [a for a, t in TRANSITIONS.items() if t.offered and t.possible(matter) and may(user, a, matter)]


# ---------------------------------------------------------------- the core


@dataclass
class Change:
    """What an action's effect did: the event's payload, the matter's changed fields, facts
    for the notifications that are not recorded, and writes that follow the event."""

    payload: dict = field(default_factory=dict)
    fields: list = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    after: Callable | None = None


EFFECTS: dict[str, Callable] = {}


def effect(action: str):
    """Register the effect of `action` (petitions.services, petitions.deadlines)."""

    def register(function):
        EFFECTS[action] = function
        return function

    return register


@cache
def _load_effects() -> None:
    import_module("petitions.services")  # registers its effects and the sweep's


def matter_transition(
    *, matter: Matter, actor, action: str, locked: bool = False, **payload
) -> tuple[Matter, MatterEvent]:
    """Take `action` on `matter`: lock the row, check the role (403) then the state (409),
    run the action's effect (which validates the payload, 400), set the state, record the
    event and tell the people the table names. One transaction; returns (matter, event).

    `locked`: the caller read `matter` with its row lock inside its own transaction (the
    sweep's batches), which this then joins: no second read, no savepoint of its own (a
    failure rolls the caller's whole transaction back)."""
    _load_effects()
    t = TRANSITIONS[action]
    if locked and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("matter_transition(locked=True) outside the transaction that locked the row")
    with transaction.atomic(savepoint=not locked):
        if not locked:
            matter = Matter.objects.select_for_update().get(pk=matter.pk)
        check(actor, action, matter)
        before = matter.state
        change = EFFECTS[action](matter, actor, **payload)
        # The matters the people of the action reach beyond their places may have changed (a
        # handler set or cleared, a grant): their cached reach is read again.
        forget_matters_beyond(actor, *(v for v in payload.values() if isinstance(v, AbstractBaseUser)))
        fields = list(dict.fromkeys(change.fields))
        target = t.target_for(matter, change)
        if target != before or "state" in fields:
            matter.state = target
            fields = list(dict.fromkeys([*fields, "state"]))
        if fields:
            matter.save(update_fields=fields)
        person = actor if actor is not None and actor is not SYSTEM else None
        event = MatterEvent.objects.create(
            matter=matter,
            actor=person,
            actor_label="system" if actor is SYSTEM else ("" if person else SUBMITTER),
            action=t.event_name,
            from_state=before,
            to_state=matter.state,
            payload=change.payload,
        )
        if change.after is not None:
            change.after(matter)
        for people, title, body in t.told(matter, actor, change) if t.told else []:
            tell(people, matter, title, body, action=t.action)
        # The resident who asked for SMS on the public form: 受理告知, handling, result, evaluation.
        resident_told(matter, event)
    return matter, event


# Which kind of message each action's notes are (each person chooses their channels per kind);
# 督办 also goes by SMS wherever a phone is known, and an escalation past the owner's level is
# urgent: its SMS goes out even in quiet hours.
MESSAGE_KINDS = {
    "submit": MessageKind.ASSIGNMENT,
    "classify": MessageKind.ASSIGNMENT,
    "reclassify": MessageKind.ASSIGNMENT,
    "handle": MessageKind.ASSIGNMENT,
    "send_back": MessageKind.ASSIGNMENT,
    "deliberate": MessageKind.APPROVAL,
    "township_approval": MessageKind.APPROVAL,
    "record_filing": MessageKind.APPROVAL,
    "report": MessageKind.APPROVAL,
    "verify": MessageKind.APPROVAL,
    "request_review": MessageKind.APPROVAL,
    "decide_review": MessageKind.APPROVAL,
    "request_extension": MessageKind.APPROVAL,
    "decide_extension": MessageKind.APPROVAL,
    "supervise": MessageKind.SUPERVISION,
    "mark_overdue": MessageKind.SUPERVISION,
    "escalate": MessageKind.SUPERVISION,
    "accept_overdue": MessageKind.SUPERVISION,
    "accept_escalate": MessageKind.SUPERVISION,
    "warn": MessageKind.REMINDER,
    "accept_warn": MessageKind.REMINDER,
    "sign_overdue": MessageKind.REMINDER,
}
URGENT_ACTIONS = frozenset({"escalate", "accept_escalate"})


def tell(people, matter: Matter, title: str, body: str = "", *, action: str = "") -> None:
    """An inbox row for each person (once), linking to the matter; e-mail, SMS and 企业微信
    after commit as each person chose for the action's kind of message. One batch for all."""
    people = list({u.pk: u for u in people}.values())
    if not people:
        return
    url = f"/matters/{matter.pk}/"
    notify_many(
        [(user, title, body or matter.title, url) for user in people],
        kind=MESSAGE_KINDS.get(action, MessageKind.OTHER),
        urgent=action in URGENT_ACTIONS,
    )
