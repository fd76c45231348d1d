"""Who may do what in the points bank, and the errors the services raise.

Checked in the contract's order: the caller's role first (403), then the object's state
(409); input errors are 400s (Django ValidationError, or `PointsRefused` for a refusal
with a code: insufficient points or stock, a cap reached). The API asks these functions
before it reads a payload; the services ask again under the row lock.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.errors import Conflict, DomainError, Forbidden, Invalid, Refused
from governance.roles import (
    ACCOUNT_READER_ROLES,
    BOARD_ROLES,
    DECIDER_ROLES,
    PROPOSER_ROLES,
    REDEEMER_ROLES,
    SHOP_KEEPER_ROLES,
)
from governance.scoping import scope_for
from points.models import Account, Award, AwardStatus, Board, BoardStatus, Entry, EntryKind, ObjectionRuling

# How far back a proposal may be dated: a year's events (and a leap day), not an old quarrel.
MAX_DAYS_BACK = 366


def check_occurred_on(day: datetime.date, today: datetime.date | None = None) -> None:
    """The day a points event happened: not in the future, at most MAX_DAYS_BACK days back.
    Raises ValidationError (a message for the form, `occurred_on` for the API)."""
    today = today or timezone.localdate()
    if day > today:
        raise ValidationError(_("The date cannot be in the future."), code="future_date")
    if (today - day).days > MAX_DAYS_BACK:
        raise ValidationError(
            _("The date is more than %(days)d days ago.") % {"days": MAX_DAYS_BACK}, code="too_far_back"
        )


class PointsError(DomainError):
    """Any refusal of the points services (governance.errors)."""


class PointsPermissionError(Forbidden, PointsError):
    """The caller's role may not take this action here (403)."""


class PointsStateError(Conflict, PointsError):
    """Not possible in the object's current state (409)."""


class PointsRefused(Refused, PointsError):
    """A well-formed request the bank refuses (400), about one field: not enough spendable
    points, not enough stock, the rule's cap reached."""


class PointsInvalid(Invalid, PointsError):
    """Invalid items of a list (400): errors by field, then by position in the list sent,
    e.g. {"accounts": {"2": ["..."]}}."""


def _covers(user, account: Account, roles) -> bool:
    # The household carries the township, village, grid and courtyard ids Scope.covers reads.
    return scope_for(user).covers(account.household, roles)


# ---------------------------------------------------------------- proposals


def may_propose(user, account: Account, rule) -> bool:
    """One of the rule's proposer roles covers the household."""
    if not user.is_authenticated:
        return False
    return _covers(user, account, set(rule.proposer_roles) & PROPOSER_ROLES)


def check_propose(user, account: Account, rule) -> None:
    if not may_propose(user, account, rule):
        raise PointsPermissionError(_("Your role may not propose this rule for this household."))


def may_decide(user, award: Award) -> bool:
    """A village cadre of the award's village (whoever proposed it: see check_decide)."""
    return user.is_authenticated and _covers(user, award.account, DECIDER_ROLES)


def check_decide(user, award: Award, action: str, now=None) -> None:
    """approve / reject: a cadre of the village who did not propose it (403), while it is
    pending (409); approval only once the objection window has closed (409)."""
    if not may_decide(user, award):
        raise PointsPermissionError(_("Only a village cadre of the household's village may decide this entry."))
    if award.proposed_by_id == user.pk:
        raise PointsPermissionError(
            _("You proposed this entry; another cadre must decide it (maker-checker)."), code="own_proposal"
        )
    if award.status != AwardStatus.PENDING:
        raise PointsStateError(_("This entry has already been decided."), code="already_decided")
    if action == "approve" and award.objections.filter(ruling=ObjectionRuling.PENDING).exists():
        raise PointsStateError(
            _("An objection to this entry waits for a ruling; rule on it before the entry is approved."),
            code="objection_pending",
        )
    if action == "approve" and (now or timezone.now()) < award.objection_until:
        raise PointsStateError(
            _("The objection window (公示) is still open; approve it once it has closed."),
            code="objection_window_open",
        )


def check_reverse_award(user, award: Award) -> None:
    if not may_decide(user, award):
        raise PointsPermissionError(_("Only a village cadre of the household's village may reverse an entry."))
    if award.status != AwardStatus.APPROVED:
        raise PointsStateError(_("Only an approved entry can be reversed."), code="not_approved")
    entry = getattr(award, "entry", None)
    if entry is not None:
        check_reversible(entry)


def check_reversible(entry: Entry) -> None:
    if entry.kind in (EntryKind.OPENING, EntryKind.REVERSAL):
        raise PointsStateError(_("An opening or a reversal cannot be reversed."), code="not_reversible")
    if hasattr(entry, "reversed_by"):
        raise PointsStateError(_("This entry has already been reversed."), code="already_reversed")


# ---------------------------------------------------------------- objections (公示)


def may_object_for(user, award: Award) -> bool:
    """Staff who see the household's passbook may record a resident's objection."""
    return user.is_authenticated and _covers(user, award.account, ACCOUNT_READER_ROLES)


def check_object(user, award: Award, now=None) -> None:
    """An objection is raised while the entry is pending and in its objection window (409);
    staff on a resident's behalf must see the passbook (403). `user` None: online, anyone."""
    if user is not None and not may_object_for(user, award):
        raise PointsPermissionError(_("Your role may not record an objection for this household."))
    if award.status != AwardStatus.PENDING or (now or timezone.now()) >= award.objection_until:
        raise PointsStateError(
            _("This entry is no longer in its objection window (公示)."), code="objection_window_closed"
        )


def check_rule_objection(user, objection) -> None:
    """A village cadre of the village rules on an objection, on the record: not the one who
    raised it, nor the proposer of the entry (403); once (409)."""
    award = objection.award
    if not may_decide(user, award):
        raise PointsPermissionError(_("Only a village cadre of the household's village may rule on an objection."))
    if objection.raised_by_id is not None and objection.raised_by_id == user.pk:
        raise PointsPermissionError(
            _("You recorded this objection; another cadre must rule on it."), code="own_objection"
        )
    if award.proposed_by_id == user.pk:
        raise PointsPermissionError(
            _("You proposed this entry; another cadre must rule on the objection."), code="own_proposal"
        )
    if objection.ruling != ObjectionRuling.PENDING:
        raise PointsStateError(_("This objection has already been ruled on."), code="already_ruled")


# ---------------------------------------------------------------- the shop


def may_redeem(user, account: Account) -> bool:
    return user.is_authenticated and _covers(user, account, REDEEMER_ROLES)


def check_redeem(user, account: Account) -> None:
    if not may_redeem(user, account):
        raise PointsPermissionError(_("Only the shop clerk or a village cadre of this village may redeem."))


def check_reverse_redemption(user, redemption) -> None:
    if not (user.is_authenticated and _covers(user, redemption.account, DECIDER_ROLES)):
        raise PointsPermissionError(_("Only a village cadre of this village may reverse a redemption."))
    check_reversible(redemption.entry)


def may_keep_shop(user, village_id: int) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or village_id in scope.ids_for(SHOP_KEEPER_ROLES)


def check_keep_shop(user, village_id: int) -> None:
    if not may_keep_shop(user, village_id):
        raise PointsPermissionError(_("Only the shop clerk or a village cadre of this village may manage the shop."))


# ---------------------------------------------------------------- accounts and boards


def may_run_village(user, village_id: int) -> bool:
    """A village cadre of the village (opens missing passbooks, compiles boards)."""
    scope = scope_for(user)
    return scope.is_superuser or village_id in scope.ids_for(BOARD_ROLES)


def check_run_village(user, village_id: int, message) -> None:
    if not may_run_village(user, village_id):
        raise PointsPermissionError(message)


def check_board(user, board: Board, action: str) -> None:
    if not may_run_village(user, board.village_id):
        raise PointsPermissionError(_("Only a village cadre of this village may compile, decide or publish its board."))
    needed = {"compile": BoardStatus.DRAFT, "decide": BoardStatus.DRAFT, "publish": BoardStatus.DECIDED}[action]
    if board.status != needed:
        messages = {
            BoardStatus.DRAFT: _("Only a draft board can be compiled again or decided."),
            BoardStatus.DECIDED: _("Only a board decided by the 道德评议会 can be published."),
        }
        raise PointsStateError(messages[needed], code=f"board_not_{needed}")
