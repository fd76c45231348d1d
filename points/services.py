"""Every write to the points bank, one transaction each.

The ledger's rules, kept here and nowhere else:

- A balance changes only in `_post`, which appends the entry that explains the change, on
  an account row locked with select_for_update. Every service that posts locks the account
  first and then, if it needs them, the proposal or the shop item: always in that order,
  so two services never wait on each other in a cycle.
- Deductions and reversals may take a balance low, even below zero. Spending never takes
  it below the village's redeemable threshold, and stock never goes below zero (checked
  under the locks, guarded again in the UPDATE, and finally by a CheckConstraint).
- Each entry's source is unique: an approval posts once per proposal, a redemption once,
  a reversal once per reversed entry. A replay cannot post twice.

Refusals: PointsPermissionError (403), PointsStateError (409), ValidationError and
PointsRefused (400). The API turns them into the contract's bodies; nothing is written.
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from governance import law
from governance.generations import bump
from governance.messaging.models import Kind
from governance.models import Role
from governance.photos import reencode_photo
from governance.roles import DECIDER_ROLES
from governance.scoping import scope_for, users_holding
from governance.services import notify
from grids.idnumbers import validate_phone
from grids.models import Household, Resident, Village
from points import policy
from points.models import (
    Account,
    Award,
    AwardBatch,
    AwardStatus,
    Board,
    BoardLine,
    BoardSide,
    BoardStatus,
    Entry,
    EntryKind,
    Item,
    Objection,
    ObjectionRuling,
    Redemption,
    Rule,
    RuleChange,
    VillagePointsSettings,
    period_bounds,
    quarter_bounds,
)
from points.policy import PointsInvalid, PointsPermissionError, PointsRefused, PointsStateError
from points.receivers import points_generation
from points.selectors import carried_resolutions, households_without_account, points_settings, standing

MAX_QUANTITY = 1000


def _locked_account(account_id: int, *related: str) -> Account:
    """The account, locked (its row only: the rows joined by `related` are read, not locked)."""
    return Account.objects.select_for_update(of=("self",)).select_related("household", *related).get(pk=account_id)


def _post(account: Account, *, kind: str, points: int, occurred_on: datetime.date, actor, **source) -> Entry:
    """Append one entry to a locked account and move its balance with it."""
    balance = account.balance + points
    entry = Entry.objects.create(
        account=account,
        village_id=account.village_id,
        kind=kind,
        points=points,
        balance_after=balance,
        occurred_on=occurred_on,
        created_by=actor,
        **source,
    )
    # A new entry is reversed by nothing: said here, so rendering it reads no more rows.
    Entry._meta.get_field("reversed_by").set_cached_value(entry, None)
    account.balance = balance
    account.save(update_fields=["balance", "updated_at"])
    return entry


def _text(field: str, value: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _jpeg(upload, field: str) -> ContentFile:
    """A photo re-encoded as a JPEG: no EXIF, no location (as for matter and visit photos)."""
    data, _width, _height = reencode_photo(upload, field)
    return ContentFile(data, name="photo.jpg")


# ---------------------------------------------------------------- accounts


@transaction.atomic
def account_open(*, household: Household, actor=None) -> Account:
    """Open the household's passbook with an `opening` entry of the village's starting
    balance. Opening an account that exists returns it unchanged.

    grids.services.household_create calls this, so every household created one by one has
    its passbook from the start; bulk paths (the register import) use accounts_open_missing.
    """
    existing = Account.objects.filter(household_id=household.pk).first()
    if existing is not None:
        return existing
    start = points_settings(household.village_id).starting_balance
    try:
        with transaction.atomic():
            account = Account.objects.create(
                household=household, township_id=household.township_id, village_id=household.village_id, balance=start
            )
    except IntegrityError:  # opened at the same moment by another request
        return Account.objects.get(household_id=household.pk)
    Entry.objects.create(
        account=account,
        village_id=account.village_id,
        kind=EntryKind.OPENING,
        points=start,
        balance_after=start,
        occurred_on=timezone.localdate(),
        created_by=actor,
    )
    return account


def accounts_open_missing(*, village: Village | None = None, batch_size: int = 1000) -> int:
    """Open a passbook for every household (of `village`, or everywhere) that has none: the
    register import and other bulk loads create households without one. Returns how many
    were opened. Each batch is one transaction of two bulk INSERTs."""
    opened = 0
    starts: dict[int, int] = {}
    today = timezone.localdate()
    while True:
        rows = list(
            households_without_account(village)
            .order_by("pk")
            .values_list("pk", "township_id", "village_id")[:batch_size]
        )
        if not rows:
            return opened
        for _pk, _township, village_id in rows:
            if village_id not in starts:
                starts[village_id] = points_settings(village_id).starting_balance
        try:
            with transaction.atomic():
                bump(*(points_generation(village_id) for _pk, _township, village_id in rows))
                accounts = Account.objects.bulk_create(
                    [
                        Account(household_id=pk, township_id=town, village_id=village_id, balance=starts[village_id])
                        for pk, town, village_id in rows
                    ]
                )
                Entry.objects.bulk_create(
                    [
                        Entry(
                            account_id=a.pk,
                            village_id=a.village_id,
                            kind=EntryKind.OPENING,
                            points=a.balance,
                            balance_after=a.balance,
                            occurred_on=today,
                        )
                        for a in accounts
                    ]
                )
        except IntegrityError:
            # Someone opened one of these meanwhile: open this batch one by one.
            for pk, _township, _village in rows:
                account_open(household=Household.objects.get(pk=pk))
        opened += len(rows)


# ---------------------------------------------------------------- proposals (积分申报)


def _cap_reached(award_or_none, *, account: Account, rule: Rule, day: datetime.date) -> bool:
    """Whether the household already has the rule's cap of entries in the period of `day`:
    approved ones (not reversed) and pending ones count. At approval (`award_or_none` given)
    only the pending proposals made before it count, so the earliest ones win."""
    bounds = period_bounds(rule.cap_period, day)
    if bounds is None or rule.cap_count is None:
        return False
    start, end = bounds
    rows = Award.objects.filter(account=account, rule=rule, occurred_on__gte=start, occurred_on__lt=end)
    approved = Q(status=AwardStatus.APPROVED, entry__reversed_by__isnull=True)
    pending = Q(status=AwardStatus.PENDING)
    if award_or_none is not None:
        rows = rows.exclude(pk=award_or_none.pk)
        pending &= Q(pk__lt=award_or_none.pk)
    return rows.filter(approved | pending).count() >= rule.cap_count


def _cap_message(rule: Rule):
    return _("This household has reached the cap of this rule (%(count)d %(period)s).") % {
        "count": rule.cap_count,
        "period": rule.get_cap_period_display(),
    }


def _check_proposal(
    *, account: Account, rule: Rule, member: Resident | None, occurred_on: datetime.date, note: str, today
) -> None:
    """The payload checks of a proposal (400), shared by single and batch proposals."""
    if rule.village_id != account.village_id:
        raise ValidationError({"rule": _("This rule belongs to another village's catalogue.")})
    if not rule.is_active:
        raise ValidationError({"rule": _("This rule is no longer in use.")})
    if member is not None and member.household_id != account.household_id:
        raise ValidationError({"member": _("This person is not a member of the household.")})
    try:
        policy.check_occurred_on(occurred_on, today)
    except ValidationError as error:
        raise ValidationError({"occurred_on": error.error_list}) from None
    if rule.points < 0 and not note:
        raise ValidationError({"note": _("Say what happened: a deduction needs a note.")})
    if _cap_reached(None, account=account, rule=rule, day=occurred_on):
        raise PointsRefused(_cap_message(rule), code="cap_reached", field="rule")


def _objection_until(village_id: int, now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(days=points_settings(village_id).objection_days)


def _tell_deciders(village_id: int, actor, title: str, url: str, body: str = "") -> None:
    for user in users_holding({Role.VILLAGE_CADRE}, village_id=village_id):
        if actor is None or user.pk != actor.pk:
            notify(user=user, title=title, body=body, url=url, kind=Kind.APPROVAL)


def _new_award(rule, account_id, member, occurred_on, note, actor, now, until, batch=None) -> Award:
    """A proposal as one household's or a batch's: the rule's points, open to objection until `until`."""
    return Award(
        account_id=account_id,
        village_id=rule.village_id,
        rule=rule,
        points=rule.points,
        member=member,
        occurred_on=occurred_on,
        note=note,
        batch=batch,
        proposed_by=actor,
        proposed_at=now,
        objection_until=until,
    )


@transaction.atomic
def award_propose(
    *,
    actor,
    account: Account,
    rule: Rule,
    note: str = "",
    member: Resident | None = None,
    occurred_on: datetime.date | None = None,
    evidence=None,
    now: datetime.datetime | None = None,
) -> Award:
    """Grid staff (or whoever the rule names) propose an earn or deduct entry for a
    household. It is shown publicly (公示) until the objection window closes; the village's
    cadres are told. The account row is locked so that two proposals cannot both slip under
    the rule's cap."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    account = _locked_account(account.pk)
    policy.check_propose(actor, account, rule)
    note = (note or "").strip()
    occurred_on = occurred_on or today
    _check_proposal(account=account, rule=rule, member=member, occurred_on=occurred_on, note=note, today=today)
    if rule.requires_evidence and not evidence:
        raise ValidationError({"evidence": _("This rule needs evidence: add a photo.")})
    award = _new_award(
        rule, account.pk, member, occurred_on, note, actor, now, _objection_until(account.village_id, now)
    )
    if evidence:
        award.evidence.save("evidence.jpg", _jpeg(evidence, "evidence"), save=False)
    award.save()
    _tell_deciders(
        account.village_id,
        actor,
        _("Points to decide after 公示: %(rule)s %(points)+d for household %(number)s")
        % {"rule": rule.name, "points": rule.points, "number": account.household.number},
        f"/points/entries/{award.pk}/",
    )
    return award


def _batch_targets(accounts, residents) -> tuple[list[tuple[int, int, Resident | None]], dict[str, list]]:
    """What a batch proposes: (position, account id, member) for each household the first
    time the list names it, and the errors of the positions that name no passbook."""
    targets: list[tuple[int, int, Resident | None]] = []
    errors: dict[str, list] = {}
    seen = set()
    if residents:
        by_household = dict(
            Account.objects.filter(household_id__in=[r.household_id for r in residents]).values_list(
                "household_id", "pk"
            )
        )
        for position, resident in enumerate(residents):
            account_id = by_household.get(resident.household_id)
            if account_id is None:
                errors[str(position)] = [_("This person's household has no passbook yet.")]
            elif account_id not in seen:
                seen.add(account_id)
                targets.append((position, account_id, resident))
        return targets, errors
    for position, account in enumerate(accounts):
        if account.pk not in seen:
            seen.add(account.pk)
            targets.append((position, account.pk, None))
    return targets, errors


def _batch_refusal(**proposal) -> list[str]:
    """The messages refusing one household of a batch (`_check_proposal`), or []. An error
    that is the same for every household (the rule, the date, the note) is raised: said once."""
    try:
        _check_proposal(**proposal)
    except PointsRefused as refused:
        return [str(refused.message)]
    except ValidationError as invalid:
        if not hasattr(invalid, "error_dict") or set(invalid.error_dict) - {"member"}:
            raise
        return [str(m) for messages in invalid.message_dict.values() for m in messages]
    return []


@transaction.atomic
def award_propose_batch(
    *,
    actor,
    rule: Rule,
    accounts: list[Account] | tuple = (),
    residents: list[Resident] | tuple = (),
    occurred_on: datetime.date | None = None,
    note: str = "",
    deliberation=None,
    now: datetime.datetime | None = None,
) -> AwardBatch:
    """One rule for all participants of one event (a clean-up day, a meeting), in one step:
    one proposal per household, all or nothing. Give households (`accounts`) or people
    (`residents`: each one's household, with them as the member; a household named twice
    is proposed once). Errors name the position of each bad item in the list sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    occurred_on = occurred_on or today
    note = (note or "").strip()
    field = "residents" if residents else "accounts"
    if rule.requires_evidence:
        raise ValidationError({"rule": _("This rule needs evidence for each household: propose them one by one.")})
    targets, errors = _batch_targets(accounts, residents)
    if not targets and not errors:
        raise ValidationError({field: _("Choose at least one household.")})
    # Lock every account in id order: two batches over the same households never deadlock.
    locked = {
        a.pk: a
        for a in Account.objects.select_for_update(of=("self",))
        .select_related("household")
        .filter(pk__in=sorted(t[1] for t in targets))
        .order_by("pk")
    }
    for _position, account_id, _member in targets:
        policy.check_propose(actor, locked[account_id], rule)
    for position, account_id, member in targets:
        refused = _batch_refusal(
            account=locked[account_id], rule=rule, member=member, occurred_on=occurred_on, note=note, today=today
        )
        if refused:
            errors[str(position)] = refused
    if errors:
        raise PointsInvalid({field: errors})
    batch = AwardBatch.objects.create(
        village_id=rule.village_id,
        rule=rule,
        occurred_on=occurred_on,
        note=note,
        deliberation=deliberation,
        proposed_by=actor,
    )
    until = _objection_until(rule.village_id, now)
    bump(points_generation(rule.village_id))
    Award.objects.bulk_create(
        [
            _new_award(rule, account_id, member, occurred_on, note, actor, now, until, batch=batch)
            for _position, account_id, member in targets
        ]
    )
    _tell_deciders(
        rule.village_id,
        actor,
        _("Points to decide after 公示: %(rule)s %(points)+d for %(count)d households")
        % {"rule": rule.name, "points": rule.points, "count": len(targets)},
        "/points/entries/?status=pending",
    )
    return batch


@transaction.atomic
def award_propose_for_deliberation(
    *, actor, deliberation, rule: Rule, note: str = "", now: datetime.datetime | None = None
) -> AwardBatch:
    """Award one rule to the participants named in a matter's meeting record (a 院坝会, a
    村民会议), dated the day it was held. A meeting is awarded a rule once."""
    if deliberation.matter.village_id != rule.village_id:
        raise ValidationError({"deliberation": _("This meeting was held for another village.")})
    residents = list(deliberation.participants.order_by("pk"))
    if not residents:
        raise ValidationError({"deliberation": _("This meeting record names no participants.")})
    if AwardBatch.objects.filter(deliberation=deliberation, rule=rule).exists():
        raise PointsStateError(
            _("This meeting's participants have already been proposed for this rule."), code="already_proposed"
        )
    return award_propose_batch(
        actor=actor,
        rule=rule,
        residents=residents,
        occurred_on=deliberation.held_on,
        note=note or deliberation.summary[:200],
        deliberation=deliberation,
        now=now,
    )


def _locked_award(award: Award) -> tuple[Account, Award]:
    """Lock the account, then the proposal (the order every posting service follows)."""
    account = _locked_account(award.account_id)
    award = Award.objects.select_for_update(of=("self",)).select_related("rule").get(pk=award.pk)
    award.account = account
    return account, award


def _decide(award: Award, status: str, *, actor, now: datetime.datetime, note: str) -> None:
    """The decision on a proposal, on its row: approved or rejected, by whom, when, and why."""
    award.status, award.decided_by, award.decided_at, award.decision_note = status, actor, now, note
    award.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])


def _reject(award: Award, *, actor, now: datetime.datetime, note: str, told, body: str) -> None:
    """Reject a proposal with `note` on the record, and tell its proposer (`told`: the message's
    title, with %(rule)s; `body`: the reason)."""
    _decide(award, AwardStatus.REJECTED, actor=actor, now=now, note=note)
    notify(
        user=award.proposed_by,
        title=told % {"rule": award.rule.name},
        body=body,
        url=f"/points/entries/{award.pk}/",
        kind=Kind.APPROVAL,
    )


@transaction.atomic
def award_approve(*, award: Award, actor, note: str = "", now: datetime.datetime | None = None) -> Award:
    """A village cadre other than the proposer approves once the objection window has
    closed: one earn or deduct entry is posted. The rule's cap is checked again."""
    now = now or timezone.now()
    account, award = _locked_award(award)
    policy.check_decide(actor, award, "approve", now)
    if _cap_reached(award, account=account, rule=award.rule, day=award.occurred_on):
        raise PointsStateError(_cap_message(award.rule), code="cap_reached")
    _post(
        account,
        kind=EntryKind.EARN if award.points > 0 else EntryKind.DEDUCT,
        points=award.points,
        occurred_on=award.occurred_on,
        actor=actor,
        rule=award.rule,
        member_id=award.member_id,
        note=award.note,
        award=award,
    )
    _decide(award, AwardStatus.APPROVED, actor=actor, now=now, note=(note or "").strip())
    return award


@transaction.atomic
def award_reject(*, award: Award, actor, reason: str, now: datetime.datetime | None = None) -> Award:
    """A village cadre other than the proposer rejects it (an objection upheld during 公示,
    a mistake), with a reason; nothing is posted. The proposer is told."""
    now = now or timezone.now()
    _account, award = _locked_award(award)
    policy.check_decide(actor, award, "reject", now)
    reason = _text("reason", reason, _("Say why the entry is rejected."))
    _reject(award, actor=actor, now=now, note=reason, told=_("Points entry rejected: %(rule)s"), body=reason)
    return award


def _reverse(account: Account, entry: Entry, *, actor, reason: str) -> Entry:
    policy.check_reversible(entry)
    return _post(
        account,
        kind=EntryKind.REVERSAL,
        points=-entry.points,
        occurred_on=timezone.localdate(),
        actor=actor,
        rule_id=entry.rule_id,
        member_id=entry.member_id,
        reverses=entry,
        reason=reason,
    )


@transaction.atomic
def award_reverse(*, award: Award, actor, reason: str) -> Entry:
    """Correct an approved entry with a reversing entry and a reason (it may take the
    balance low, even below zero). An entry is reversed at most once."""
    account, award = _locked_award(award)
    policy.check_reverse_award(actor, award)
    reason = _text("reason", reason, _("Say why the entry is reversed."))
    return _reverse(account, award.entry, actor=actor, reason=reason)


# ---------------------------------------------------------------- the shop (积分超市)


@transaction.atomic
def points_redeem(
    *, actor, account: Account, item: Item, quantity: int = 1, member: Resident | None = None
) -> Redemption:
    """The shop clerk (or a cadre) hands out goods for points: the account and the stock
    are debited together, or neither is.

    Locks the account, then the item. Refuses (400) when the points above the village's
    redeemable threshold do not cover the price (insufficient_points) or the stock is too
    small (insufficient_stock); points are checked first.
    """
    # The household and its grid come with the lock for the answer's row, the village's
    # settings for the threshold: one read instead of three.
    account = _locked_account(account.pk, "household__grid", "village__points_settings")
    policy.check_redeem(actor, account)
    item = Item.objects.select_for_update().get(pk=item.pk)
    if item.village_id != account.village_id:
        raise ValidationError({"item": _("This item belongs to another village's shop.")})
    if not item.is_active:
        raise ValidationError({"item": _("This item is not on sale.")})
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError({"quantity": _("Give a quantity from 1 to %(max)d.") % {"max": MAX_QUANTITY}})
    if member is not None and member.household_id != account.household_id:
        raise ValidationError({"member": _("This person is not a member of the household.")})
    cost = item.price * quantity
    allowed = standing(account)
    if cost > allowed.spendable:
        raise PointsRefused(
            _(
                "Not enough points: this household can spend %(spendable)d (the points above %(threshold)d), "
                "and this costs %(cost)d."
            )
            % {"spendable": allowed.spendable, "threshold": allowed.redeem_threshold, "cost": cost},
            code="insufficient_points",
            field="account",
        )
    # The row is locked, so the guard cannot fail; it stays as a second line of defence.
    taken = Item.objects.filter(pk=item.pk, stock__gte=quantity).update(stock=F("stock") - quantity)
    if taken != 1:
        raise PointsRefused(
            _("Not enough stock: %(stock)d left, %(quantity)d asked for.")
            % {"stock": item.stock, "quantity": quantity},
            code="insufficient_stock",
            field="quantity",
        )
    redemption = Redemption.objects.create(
        account=account,
        village_id=account.village_id,
        item=item,
        quantity=quantity,
        unit_price=item.price,
        points=cost,
        member=member,
        clerk=actor,
    )
    _post(
        account,
        kind=EntryKind.REDEEM,
        points=-cost,
        occurred_on=timezone.localdate(),
        actor=actor,
        member=member,
        note=f"{item.name} × {quantity}",
        redemption=redemption,
    )
    return redemption


@transaction.atomic
def redemption_reverse(*, redemption: Redemption, actor, reason: str) -> Entry:
    """Undo a redemption recorded by mistake or returned: the points come back with a
    reversing entry and the goods go back into stock (the item is locked after the
    account). A redemption is reversed at most once."""
    account = _locked_account(redemption.account_id)
    redemption = Redemption.objects.select_related("entry").get(pk=redemption.pk)
    redemption.account = account
    policy.check_reverse_redemption(actor, redemption)
    reason = _text("reason", reason, _("Say why the redemption is reversed."))
    Item.objects.select_for_update().filter(pk=redemption.item_id).update(stock=F("stock") + redemption.quantity)
    return _reverse(account, redemption.entry, actor=actor, reason=reason)


@transaction.atomic
def item_create(
    *,
    actor,
    village: Village,
    name: str,
    price: int,
    stock: int = 0,
    unit: str = "",
    photo=None,
    order: int = 100,
) -> Item:
    """Put a good on the shop's shelf."""
    policy.check_keep_shop(actor, village.pk)
    name = _text("name", name, _("Name the item."))
    if Item.objects.filter(village=village, name=name).exists():
        raise ValidationError({"name": _("The shop already has an item of this name.")})
    if price < 1:
        raise ValidationError({"price": _("The price is at least 1 point.")})
    if stock < 0:
        raise ValidationError({"stock": _("The stock cannot be negative.")})
    item = Item(village=village, name=name, price=price, stock=stock, unit=(unit or "").strip(), order=order)
    if photo:
        item.photo.save("photo.jpg", _jpeg(photo, "photo"), save=False)
    item.save()
    return item


@transaction.atomic
def item_update(*, item: Item, actor, **changes) -> Item:
    """Change an item's name, unit, price, order, photo or whether it is on sale. The stock
    changes only through redemptions and `item_restock`."""
    allowed = {"name", "unit", "price", "order", "is_active", "photo"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"item_update cannot change {sorted(unknown)}")
    item = Item.objects.select_for_update().get(pk=item.pk)
    policy.check_keep_shop(actor, item.village_id)
    if "name" in changes:
        changes["name"] = _text("name", changes["name"], _("Name the item."))
        if Item.objects.filter(village_id=item.village_id, name=changes["name"]).exclude(pk=item.pk).exists():
            raise ValidationError({"name": _("The shop already has an item of this name.")})
    if "price" in changes and changes["price"] < 1:
        raise ValidationError({"price": _("The price is at least 1 point.")})
    photo = changes.pop("photo", None)
    for name, value in changes.items():
        setattr(item, name, value)
    if photo:
        item.photo.save("photo.jpg", _jpeg(photo, "photo"), save=False)
    item.save()
    return item


@transaction.atomic
def item_restock(*, item: Item, actor, quantity: int) -> Item:
    """Add goods to the stock (an UPDATE relative to the row, so a redemption at the same
    moment is never lost)."""
    policy.check_keep_shop(actor, item.village_id)
    if not isinstance(quantity, int) or not 1 <= quantity <= 100_000:
        raise ValidationError({"quantity": _("Give a quantity from 1 to 100000.")})
    Item.objects.filter(pk=item.pk).update(stock=F("stock") + quantity)
    return Item.objects.get(pk=item.pk)


# ---------------------------------------------------------------- 道德红黑榜


def _rule_summary(rows) -> str:
    """'志愿服务 ×3、最美家庭' from (rule name) rows, most frequent first."""
    counts: dict[str, int] = {}
    for name in rows:
        counts[name] = counts.get(name, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return "、".join(f"{name} ×{n}" if n > 1 else name for name, n in ordered)


def _compile_lines(board: Board) -> None:
    start, end = board.bounds
    settings = points_settings(board.village_id)
    # Entries of the quarter that still stand (a reversed one does not count).
    standing_entries = Entry.objects.filter(
        village_id=board.village_id, occurred_on__gte=start, occurred_on__lt=end, reversed_by__isnull=True
    )
    red = list(
        standing_entries.filter(kind=EntryKind.EARN)
        .values("account_id")
        .annotate(total=Sum("points"), n=Count("id"))
        .order_by("-total", "account_id")[: settings.red_list_size]
    )
    # Only households whose standing deductions of the quarter reach the village's threshold.
    black = list(
        standing_entries.filter(kind=EntryKind.DEDUCT)
        .values("account_id")
        .annotate(total=Sum("points"), n=Count("id"))
        .filter(total__lte=settings.black_list_threshold)
        .order_by("total", "account_id")
    )
    names: dict[tuple[str, int], list[str]] = {}
    ids = [row["account_id"] for row in red + black]
    for account_id, kind, rule_name in (
        standing_entries.filter(account_id__in=ids, kind__in=[EntryKind.EARN, EntryKind.DEDUCT])
        .order_by("id")
        .values_list("account_id", "kind", "rule__name")
    ):
        names.setdefault((kind, account_id), []).append(rule_name or "")
    consequence = settings.black_list_consequence or _(
        "Not eligible for honours (评优评先) this year; no redemption in the points shop this quarter."
    )
    lines = [
        BoardLine(
            board=board,
            side=BoardSide.RED,
            account_id=row["account_id"],
            points=row["total"],
            reason=_rule_summary(names.get((EntryKind.EARN, row["account_id"]), [])),
            order=order,
        )
        for order, row in enumerate(red, start=1)
    ]
    lines += [
        BoardLine(
            board=board,
            side=BoardSide.BLACK,
            account_id=row["account_id"],
            points=row["total"],
            reason=_rule_summary(names.get((EntryKind.DEDUCT, row["account_id"]), [])),
            consequence=consequence,
            order=order,
        )
        for order, row in enumerate(black, start=1)
    ]
    BoardLine.objects.bulk_create(lines)


@transaction.atomic
def board_compile(*, actor, village: Village, year: int, quarter: int, now: datetime.datetime | None = None) -> Board:
    """Compile (or, while it is a draft, compile again) the quarter's 红黑榜 from the ledger:
    the red list is the top earners of the quarter (the village's red_list_size), the black
    list the households whose deductions that stand in the quarter add up to the village's
    black_list_threshold or less (−10 by default), with the village's consequence."""
    now = now or timezone.now()
    if not policy.may_run_village(actor, village.pk):
        raise PointsPermissionError(_("Only a village cadre of this village may compile, decide or publish its board."))
    if quarter not in (1, 2, 3, 4):
        raise ValidationError({"quarter": _("Choose a quarter from 1 to 4.")})
    if not 2000 <= year <= 2100 or quarter_bounds(year, quarter)[0] > timezone.localdate(now):
        raise ValidationError({"year": _("This quarter has not started yet.")})
    board = Board.objects.select_for_update().filter(village=village, year=year, quarter=quarter).first()
    if board is None:
        try:
            with transaction.atomic():
                board = Board.objects.create(
                    village=village, year=year, quarter=quarter, compiled_by=actor, compiled_at=now
                )
        except IntegrityError:
            raise PointsStateError(_("This board is being compiled by someone else."), code="board_exists")
    else:
        policy.check_board(actor, board, "compile")
        board.lines.all().delete()  # a draft's lines are working data, not the ledger
        board.compiled_by, board.compiled_at = actor, now
        board.save(update_fields=["compiled_by", "compiled_at"])
    _compile_lines(board)
    return board


def _locked_board(board: Board) -> Board:
    return Board.objects.select_for_update().get(pk=board.pk)


@transaction.atomic
def board_decide(
    *,
    board: Board,
    actor,
    decision: str,
    meeting_date: datetime.date,
    struck_lines: list[int] | tuple = (),
    now: datetime.datetime | None = None,
) -> Board:
    """Record the 道德评议会's decision on a draft board: the meeting's date, its decision,
    and the lines it struck out."""
    now = now or timezone.now()
    board = _locked_board(board)
    policy.check_board(actor, board, "decide")
    decision = _text("decision", decision, _("Write down what the 道德评议会 decided."))
    if meeting_date is None or meeting_date > timezone.localdate(now):
        raise ValidationError({"meeting_date": _("Give the date the 道德评议会 met (not in the future).")})
    struck = set(struck_lines or ())
    if struck:
        known = set(board.lines.filter(pk__in=struck).values_list("pk", flat=True))
        if known != struck:
            raise ValidationError(
                {
                    "struck_lines": _("These lines are not on this board: %(ids)s")
                    % {"ids": ", ".join(str(i) for i in sorted(struck - known))}
                }
            )
        board.lines.filter(pk__in=struck).update(struck=True)
    board.status, board.decision, board.meeting_date = BoardStatus.DECIDED, decision, meeting_date
    board.decided_by, board.decided_at = actor, now
    board.save(update_fields=["status", "decision", "meeting_date", "decided_by", "decided_at"])
    return board


@transaction.atomic
def board_publish(*, board: Board, actor, now: datetime.datetime | None = None) -> Board:
    """Publish a decided board. The public sees initials only, and the black list only when
    the village has turned its publication on (points.selectors.board_public)."""
    board = _locked_board(board)
    policy.check_board(actor, board, "publish")
    board.status, board.published_by, board.published_at = BoardStatus.PUBLISHED, actor, now or timezone.now()
    board.save(update_fields=["status", "published_by", "published_at"])
    return board


# ---------------------------------------------------------------- settings (within the law)

SETTINGS_FIELDS = {
    "starting_balance",
    "redeem_threshold",
    "benefit_floor",
    "objection_days",
    "publish_black_list",
    "black_list_consequence",
    "black_list_threshold",
    "floor_consequence",
    "red_list_size",
}


@transaction.atomic
def settings_update(*, actor, village: Village, **changes) -> VillagePointsSettings:
    """A village cadre sets the village's points bank. The consequences of the black list and
    of the floor may withhold only what the village itself grants (governance.law: never
    collective dividends, land-contract rights or statutory benefits); the black list's
    threshold is a negative total."""
    unknown = set(changes) - SETTINGS_FIELDS
    if unknown:
        raise TypeError(f"settings_update cannot change {sorted(unknown)}")
    policy.check_run_village(actor, village.pk, _("Only a village cadre of this village may set its points bank."))
    row = VillagePointsSettings.objects.select_for_update().filter(village=village).first()
    row = row or VillagePointsSettings(village=village)
    for name, value in changes.items():
        setattr(row, name, value.strip() if isinstance(value, str) else value)
    for name in ("black_list_consequence", "floor_consequence"):
        law.check_consequence(getattr(row, name), name)
    if row.black_list_threshold >= 0:
        raise ValidationError(
            {"black_list_threshold": _("The threshold is a total of deductions: below zero, e.g. −10.")}
        )
    row.save()
    return row


# ---------------------------------------------------------------- rules (积分细则), adopted by resolution

RULE_FIELDS = (
    "category",
    "name",
    "description",
    "points",
    "requires_evidence",
    "cap_count",
    "cap_period",
    "proposer_roles",
    "order",
    "is_active",
    "compact_article",
)


def _check_article(rule: Rule) -> None:
    """A cited article is of the village's own compact, in the version in force."""
    article = rule.compact_article
    if article is None:
        return
    from petitions.models import CompactStatus

    version = article.version
    if version.village_id != rule.village_id or version.status != CompactStatus.IN_FORCE:
        raise ValidationError({"compact_article": _("Cite an article of this village's compact in force (村规民约).")})


def _check_resolution(village_id: int, resolution) -> None:
    """The resolution is a 村事 of the village whose 七步走 vote carried (400 otherwise)."""
    if resolution is None or resolution.pk not in carried_resolutions(village_id, [resolution.pk]):
        raise ValidationError(
            {
                "adopted_by": _(
                    "Name the village matter (村事) of this village whose vote (村民会议 or 代表会议) "
                    "adopted this change."
                )
            }
        )


def _check_rule(rule: Rule) -> None:
    rule.name = (rule.name or "").strip()
    if not rule.name:
        raise ValidationError({"name": _("Name the rule.")})
    if Rule.objects.filter(village_id=rule.village_id, name=rule.name).exclude(pk=rule.pk).exists():
        raise ValidationError({"name": _("The catalogue already has a rule of this name.")})
    if not rule.points:
        raise ValidationError({"points": _("Give the points: positive to earn, negative to deduct.")})
    if (rule.cap_period == "none") != (rule.cap_count is None):
        raise ValidationError({"cap_count": _("Give both a number and a period for a cap, or neither.")})
    rule.full_clean(exclude=["village", "adopted_by"], validate_unique=False, validate_constraints=False)


def _value(value):
    if hasattr(value, "pk"):
        return value.pk
    return value if isinstance(value, int | str | bool | list) or value is None else str(value)


@transaction.atomic
def rule_create(*, actor, village: Village, resolution, **fields) -> Rule:
    """A village cadre adds a rule to the catalogue, naming the resolution that adopted it. Its
    name and description may not take away what the law protects (governance.law.check_rule)."""
    policy.check_run_village(actor, village.pk, _("Only a village cadre of this village may change its rules."))
    _check_resolution(village.pk, resolution)
    rule = Rule(village=village, adopted_by=resolution, **{k: v for k, v in fields.items() if k in RULE_FIELDS})
    _check_rule(rule)
    law.check_rule(rule.name, rule.description)
    _check_article(rule)
    rule.save()
    RuleChange.objects.create(
        rule=rule,
        village=village,
        action=RuleChange.Action.CREATE,
        changes={name: [None, _value(getattr(rule, name))] for name in RULE_FIELDS},
        resolution=resolution,
        actor=actor,
    )
    return rule


@transaction.atomic
def rule_update(*, actor, rule: Rule, resolution, **changes) -> Rule:
    """A village cadre changes, retires (is_active False) or brings back a rule, naming the
    resolution that decided it. Proposals already made keep their points."""
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"rule_update cannot change {sorted(unknown)}")
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    policy.check_run_village(actor, rule.village_id, _("Only a village cadre of this village may change its rules."))
    _check_resolution(rule.village_id, resolution)
    diff = {}
    for name, value in changes.items():
        before = getattr(rule, name)
        if before != value:
            diff[name] = [_value(before), _value(value)]
            setattr(rule, name, value)
    if not diff:
        raise ValidationError({"name": _("Nothing was changed.")})
    _check_rule(rule)
    # Only new words: a rule adopted before the check may still be retired or renumbered.
    if {"name", "description"} & set(diff):
        law.check_rule(rule.name, rule.description)
    if "compact_article" in diff:
        _check_article(rule)
    rule.adopted_by = resolution
    rule.save()
    if set(diff) == {"is_active"}:
        action = RuleChange.Action.RESTORE if rule.is_active else RuleChange.Action.RETIRE
    else:
        action = RuleChange.Action.UPDATE
    RuleChange.objects.create(
        rule=rule, village_id=rule.village_id, action=action, changes=diff, resolution=resolution, actor=actor
    )
    return rule


# ---------------------------------------------------------------- objections during the 公示

MAX_OBJECTION = 1000


@transaction.atomic
def objection_raise(
    *,
    award: Award,
    reason: str,
    actor=None,
    contact_name: str = "",
    contact_phone: str = "",
    now: datetime.datetime | None = None,
) -> Objection:
    """Someone objects to a proposed entry during its 公示: online (`actor` None, by the
    line's public reference) or staff on a resident's behalf. The objection holds the entry
    (no approval) until a village cadre rules on it; the village's cadres are told."""
    now = now or timezone.now()
    award = Award.objects.select_for_update(of=("self",)).select_related("account__household", "rule").get(pk=award.pk)
    policy.check_object(actor, award, now)
    reason = _text("reason", reason, _("Say what is wrong with this entry."))
    if len(reason) > MAX_OBJECTION:
        raise ValidationError({"reason": _("At most %(n)d characters.") % {"n": MAX_OBJECTION}})
    contact_phone = (contact_phone or "").strip()
    if contact_phone:
        try:
            contact_phone = validate_phone(contact_phone)
        except ValidationError as error:
            raise ValidationError({"contact_phone": error.error_list}) from None
    _check_not_made_already(award, actor, reason, contact_phone)
    objection = Objection.objects.create(
        award=award,
        village_id=award.village_id,
        reason=reason,
        raised_by=actor,
        raised_online=actor is None,
        contact_name=(contact_name or "").strip()[:50],
        contact_phone=contact_phone,
        created_at=now,
    )
    _tell_deciders(
        award.village_id,
        actor,
        _("Objection to %(rule)s %(points)+d for household %(number)s (公示)")
        % {"rule": award.rule.name, "points": award.points, "number": award.account.household.number},
        f"/points/entries/{award.pk}/",
        body=reason[:200],
    )
    return objection


@transaction.atomic
def _check_not_made_already(award: Award, actor, reason: str, contact_phone: str) -> None:
    """One waiting objection per person and entry (the member of staff, or the call-back number
    given online), and never the same words twice: the entry is held by the first until the
    village rules, so a second adds nothing but noise in the cadres' queue (409)."""
    waiting = Objection.objects.filter(award=award, ruling=ObjectionRuling.PENDING)
    same = Q(reason=reason)
    if actor is not None:
        same |= Q(raised_by=actor)
    elif contact_phone:
        same |= Q(contact_phone=contact_phone)
    if waiting.filter(same).exists():
        raise PointsStateError(
            _("This objection has already been made and holds the entry: the village will rule on it."),
            code="objection_already_made",
        )


def objection_rule(
    *, objection: Objection, actor, upheld: bool, note: str, now: datetime.datetime | None = None
) -> Objection:
    """A village cadre (not the objector, not the proposer) rules on an objection, with the
    reasons on the record. Upheld: the entry is rejected with the note. Dismissed: the entry
    may be approved once its window has closed and no other objection waits."""
    now = now or timezone.now()
    award = objection.award
    account, award = _locked_award(award)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    objection.award = award
    policy.check_rule_objection(actor, objection)
    note = _text("note", note, _("Give the reasons of the ruling."))
    objection.ruling = ObjectionRuling.UPHELD if upheld else ObjectionRuling.DISMISSED
    objection.ruled_by, objection.ruled_at, objection.ruling_note = actor, now, note
    objection.save(update_fields=["ruling", "ruled_by", "ruled_at", "ruling_note"])
    if upheld and award.status == AwardStatus.PENDING:
        upheld_note = _("Objection upheld: %(note)s") % {"note": note}
        told = _("Points entry rejected after an objection: %(rule)s")
        _reject(award, actor=actor, now=now, note=upheld_note, told=told, body=note)
    return objection


# ---------------------------------------------------------------- consent to the published red list


@transaction.atomic
def account_consent(*, actor, account: Account, consent: bool, on: datetime.date | None = None) -> Account:
    """A village cadre records (or withdraws) the household's consent to be named on the
    published red list. Without it the public board counts the household but does not name it."""
    account = _locked_account(account.pk)
    if not (actor.is_authenticated and scope_for(actor).covers(account.household, DECIDER_ROLES)):
        raise PointsPermissionError(_("Only a village cadre of this village may record a household's consent."))
    if consent:
        account.red_list_consent_on = on or timezone.localdate()
        account.red_list_consent_by = actor
    else:
        account.red_list_consent_on, account.red_list_consent_by = None, None
    account.save(update_fields=["red_list_consent_on", "red_list_consent_by", "updated_at"])
    return account
