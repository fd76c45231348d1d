"""The points services against the real database: opening, proposals and their decisions,
caps, the objection window, reversals, the shop."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from PIL import Image

from governance.models import Notification
from grids.models import Household
from grids.services import household_create
from points import services as s
from points.models import Account, Award, AwardStatus, Entry, EntryKind, Item, Redemption, VillagePointsSettings
from points.policy import PointsInvalid, PointsPermissionError, PointsRefused, PointsStateError
from points.selectors import standing


def balance(account) -> int:
    return Account.objects.get(pk=account.pk).balance


def ledger_sum(account) -> int:
    return Entry.objects.filter(account=account).aggregate(total=Sum("points"))["total"]


# ---------------------------------------------------------------- opening


def test_new_household_gets_a_passbook_opened_with_the_starting_balance(pw):
    VillagePointsSettings.objects.filter(village=pw.qixing).update(starting_balance=120)
    household = household_create(grid=pw.q1, number="Q1-NEW")
    account = household.points_account
    opening = account.entries.get()
    assert (account.balance, account.village_id, account.township_id) == (120, pw.qixing.pk, pw.weituo.pk)
    assert (opening.kind, opening.points, opening.balance_after) == (EntryKind.OPENING, 120, 120)


def test_opening_twice_returns_the_same_passbook(pw):
    again = s.account_open(household=pw.households.q1)
    assert again.pk == pw.acc.q1.pk
    assert Entry.objects.filter(account=again, kind=EntryKind.OPENING).count() == 1


def test_accounts_open_missing_opens_bulk_loaded_households_once(pw):
    # The register import creates households in bulk, without passbooks.
    Household.objects.bulk_create(
        [
            Household(township=pw.weituo, village=pw.qixing, grid=pw.q1, number=f"BULK-{i}", head_name="某")
            for i in range(3)
        ]
    )
    assert s.accounts_open_missing(village=pw.hualong) == 0
    assert s.accounts_open_missing(village=pw.qixing, batch_size=2) == 3
    assert s.accounts_open_missing() == 0
    opened = Account.objects.filter(household__number__startswith="BULK-")
    assert [a.balance for a in opened] == [100, 100, 100]
    assert all(ledger_sum(a) == 100 for a in opened)


# ---------------------------------------------------------------- proposals and decisions


def test_approved_proposal_posts_one_earn_entry(pw):
    award = pw.propose(days_ago=4, member=pw.households.q1.members.first())
    assert award.status == AwardStatus.PENDING and award.points == 5
    assert balance(pw.acc.q1) == 100  # a proposal is not in the ledger

    s.award_approve(award=award, actor=pw.users.cadre, note="属实")

    award.refresh_from_db()
    entry = award.entry
    assert (award.status, award.decided_by, award.decision_note) == (AwardStatus.APPROVED, pw.users.cadre, "属实")
    assert (entry.kind, entry.points, entry.balance_after, entry.rule) == (EntryKind.EARN, 5, 105, pw.rules.volunteer)
    assert balance(pw.acc.q1) == ledger_sum(pw.acc.q1) == 105


def test_deduction_may_take_a_balance_below_zero(pw):
    pw.approved(rule=pw.rules.major, note="严重违反村规民约")
    assert balance(pw.acc.q1) == ledger_sum(pw.acc.q1) == -50
    entry = Entry.objects.filter(account=pw.acc.q1).latest("id")
    assert (entry.kind, entry.points, entry.balance_after) == (EntryKind.DEDUCT, -150, -50)
    assert standing(Account.objects.get(pk=pw.acc.q1.pk)).below_floor


def test_household_below_the_floor_recovers_when_it_earns_again(pw):
    pw.approved(rule=pw.rules.breach, note="乱倒垃圾")
    pw.approved(rule=pw.rules.breach, note="再次乱倒垃圾")
    pw.approved(rule=pw.rules.breach, note="第三次")
    pw.approved(rule=pw.rules.breach, note="第四次, 余额 60")
    pw.approved(rule=pw.rules.late, note="迟到")
    assert standing(Account.objects.get(pk=pw.acc.q1.pk)).below_floor  # 59 < 60
    pw.approved(rule=pw.rules.meeting)
    assert not standing(Account.objects.get(pk=pw.acc.q1.pk)).below_floor  # 60


def test_the_proposer_never_decides_their_own_proposal(pw):
    u = pw.users
    award = pw.propose(rule=pw.rules.family, actor=u.cadre, days_ago=4, evidence=pw.photo())
    with pytest.raises(PointsPermissionError) as refused:
        s.award_approve(award=award, actor=u.cadre)
    assert refused.value.code == "own_proposal"
    with pytest.raises(PointsPermissionError):
        s.award_reject(award=award, actor=u.cadre, reason="撤回")
    s.award_approve(award=award, actor=u.cadre2)
    assert balance(pw.acc.q1) == 150


def test_only_a_cadre_of_the_village_decides(pw):
    award = pw.propose(days_ago=4)
    for persona in ("grid1", "leader1", "helper", "clerk", "other_cadre", "official", "leader"):
        with pytest.raises(PointsPermissionError):
            s.award_approve(award=award, actor=getattr(pw.users, persona))
    assert Award.objects.get(pk=award.pk).status == AwardStatus.PENDING


def test_approval_waits_for_the_objection_window_but_rejection_does_not(pw):
    award = pw.propose(days_ago=2)  # three days of 公示: one more to go
    with pytest.raises(PointsStateError) as early:
        s.award_approve(award=award, actor=pw.users.cadre)
    assert early.value.code == "objection_window_open"
    s.award_approve(award=award, actor=pw.users.cadre, now=award.objection_until)
    rejected = s.award_reject(award=pw.propose(), actor=pw.users.cadre, reason="群众有异议，经核实不属实")
    assert rejected.status == AwardStatus.REJECTED and not Entry.objects.filter(award=rejected).exists()


def test_a_decided_proposal_cannot_be_decided_again(pw):
    award = pw.approved()
    for decide in (
        lambda: s.award_approve(award=award, actor=pw.users.cadre2),
        lambda: s.award_reject(award=award, actor=pw.users.cadre2, reason="x"),
    ):
        with pytest.raises(PointsStateError) as conflict:
            decide()
        assert conflict.value.code == "already_decided"
    assert Entry.objects.filter(award=award).count() == 1


def test_rejection_needs_a_reason_and_tells_the_proposer(pw):
    award = pw.propose()
    with pytest.raises(ValidationError):
        s.award_reject(award=award, actor=pw.users.cadre, reason="  ")
    s.award_reject(award=award, actor=pw.users.cadre, reason="重复申报")
    assert Notification.objects.filter(user=pw.users.grid1, body="重复申报").exists()


def test_a_proposal_tells_the_villages_cadres_but_not_the_proposer(pw):
    pw.propose(actor=pw.users.leader1)
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"t_cadre", "t_cadre2"}


def test_who_may_propose_follows_the_grid_courtyard_and_rule(pw):
    u, acc = pw.users, pw.acc
    pw.propose(acc.q1, actor=u.helper)  # 张三's household is in the helper's courtyard
    with pytest.raises(PointsPermissionError):
        pw.propose(acc.q1b, actor=u.helper)  # grid 1, but not in the courtyard
    with pytest.raises(PointsPermissionError):
        pw.propose(acc.q1, actor=u.grid2)
    with pytest.raises(PointsPermissionError):
        pw.propose(acc.q1, actor=u.clerk)
    with pytest.raises(PointsPermissionError):
        pw.propose(acc.q1, actor=u.cadre)  # the rule names grid staff only
    with pytest.raises(PointsPermissionError):
        pw.propose(acc.q1, pw.rules.family, actor=u.grid1, evidence=pw.photo())  # a title: cadres and grid leaders
    pw.propose(acc.q1, pw.rules.family, actor=u.leader1, evidence=pw.photo())


def test_a_proposal_checks_its_payload(pw):
    cases = [
        ({"rule": pw.hualong_rules.volunteer}, "rule"),
        ({"member": pw.households.q2.members.first()}, "member"),
        ({"occurred_on": pw.today + datetime.timedelta(days=1)}, "occurred_on"),
        ({"occurred_on": datetime.date(1900, 1, 1)}, "occurred_on"),
        ({"occurred_on": pw.today - datetime.timedelta(days=367)}, "occurred_on"),
        ({"rule": pw.rules.breach, "note": ""}, "note"),
        ({"rule": pw.rules.family, "actor": pw.users.leader1}, "evidence"),
    ]
    for extra, field in cases:
        with pytest.raises(ValidationError) as invalid:
            pw.propose(**extra)
        assert field in invalid.value.message_dict
    pw.rules.volunteer.is_active = False
    pw.rules.volunteer.save()
    with pytest.raises(ValidationError):
        pw.propose()
    assert not Award.objects.exists()


def test_a_proposal_may_be_dated_up_to_366_days_back(pw):
    award = pw.propose(occurred_on=pw.today - datetime.timedelta(days=366))
    assert award.occurred_on == pw.today - datetime.timedelta(days=366)


def test_evidence_is_stored_as_a_plain_jpeg_without_location(pw):
    award = pw.propose(rule=pw.rules.family, actor=pw.users.leader1, evidence=pw.photo(with_gps=True))
    with award.evidence.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
    assert "evidence.jpg" not in award.evidence.name  # a random name


# ---------------------------------------------------------------- caps


def test_the_cap_is_enforced_at_proposal_counting_pending_and_approved(pw):
    VillagePointsSettings.objects.filter(village=pw.qixing).update(objection_days=0)
    s.award_approve(award=pw.propose(rule=pw.rules.meeting), actor=pw.users.cadre)
    pw.propose(rule=pw.rules.meeting)  # pending: two a month
    with pytest.raises(PointsRefused) as refused:
        pw.propose(rule=pw.rules.meeting)
    assert (refused.value.code, refused.value.field) == ("cap_reached", "rule")
    last_month = pw.today.replace(day=1) - datetime.timedelta(days=1)
    pw.propose(rule=pw.rules.meeting, occurred_on=last_month)  # another period


def test_the_cap_is_checked_again_at_approval_earliest_first(pw):
    first = pw.propose(rule=pw.rules.tidy, days_ago=4)
    pw.rules.tidy.cap_count = 2
    pw.rules.tidy.save()
    second = pw.propose(rule=pw.rules.tidy, days_ago=4)
    pw.rules.tidy.cap_count = 1  # the village tightened its catalogue meanwhile
    pw.rules.tidy.save()
    with pytest.raises(PointsStateError) as conflict:
        s.award_approve(award=second, actor=pw.users.cadre)
    assert conflict.value.code == "cap_reached"
    s.award_approve(award=first, actor=pw.users.cadre)
    with pytest.raises(PointsStateError):
        s.award_approve(award=second, actor=pw.users.cadre)


def test_a_reversed_entry_no_longer_counts_against_the_cap(pw):
    award = pw.approved(rule=pw.rules.tidy)
    s.award_reverse(award=award, actor=pw.users.cadre, reason="登记错户")
    pw.propose(rule=pw.rules.tidy, days_ago=4)


# ---------------------------------------------------------------- reversals


def test_reversal_posts_a_reversing_entry_once(pw):
    award = pw.approved()
    reversal = s.award_reverse(award=award, actor=pw.users.cadre, reason="登记错户")
    assert (reversal.kind, reversal.points, reversal.balance_after, reversal.reverses) == (
        EntryKind.REVERSAL,
        -5,
        100,
        award.entry,
    )
    assert reversal.reason == "登记错户"
    with pytest.raises(PointsStateError) as twice:
        s.award_reverse(award=award, actor=pw.users.cadre2, reason="再冲正")
    assert twice.value.code == "already_reversed"
    assert balance(pw.acc.q1) == ledger_sum(pw.acc.q1) == 100


def test_only_an_approved_entry_is_reversed_by_a_cadre_with_a_reason(pw):
    with pytest.raises(PointsStateError) as pending:
        s.award_reverse(award=pw.propose(), actor=pw.users.cadre, reason="x")
    assert pending.value.code == "not_approved"
    award = pw.approved()
    with pytest.raises(PointsPermissionError):
        s.award_reverse(award=award, actor=pw.users.grid1, reason="x")
    with pytest.raises(ValidationError):
        s.award_reverse(award=award, actor=pw.users.cadre, reason="")


def test_reversing_a_deduction_may_not_be_refused_for_a_low_balance(pw):
    pw.approved(rule=pw.rules.major, note="重大违规")
    award = pw.approved(rule=pw.rules.volunteer)  # -45
    s.award_reverse(award=award, actor=pw.users.cadre, reason="不属实")
    assert balance(pw.acc.q1) == ledger_sum(pw.acc.q1) == -50


# ---------------------------------------------------------------- the shop


def test_redemption_debits_the_account_and_the_stock_together(pw):
    member = pw.households.q1.members.first()
    redemption = s.points_redeem(actor=pw.users.clerk, account=pw.acc.q1, item=pw.items.soap, quantity=2, member=member)
    assert (redemption.points, redemption.unit_price, redemption.member) == (20, 10, member)
    assert balance(pw.acc.q1) == ledger_sum(pw.acc.q1) == 80
    assert Item.objects.get(pk=pw.items.soap.pk).stock == 48
    entry = redemption.entry
    assert (entry.kind, entry.points, entry.balance_after, entry.member) == (EntryKind.REDEEM, -20, 80, member)


def test_redemption_never_spends_below_the_threshold(pw):
    with pytest.raises(PointsRefused) as refused:
        s.points_redeem(actor=pw.users.clerk, account=pw.acc.q1, item=pw.items.soap, quantity=3)
    assert (refused.value.code, refused.value.field) == ("insufficient_points", "account")
    assert "20" in str(refused.value.message)  # what can be spent is said
    assert balance(pw.acc.q1) == 100 and Item.objects.get(pk=pw.items.soap.pk).stock == 50
    assert not Redemption.objects.exists()


def test_a_household_below_the_threshold_spends_nothing(pw):
    pw.approved(rule=pw.rules.major, note="重大违规")
    with pytest.raises(PointsRefused):
        s.points_redeem(actor=pw.users.clerk, account=pw.acc.q1, item=pw.items.soap)


def test_redemption_never_takes_the_stock_below_zero(pw):
    pw.approved(rule=pw.rules.family, actor=pw.users.leader1, evidence=pw.photo())
    pw.approved(rule=pw.rules.family, account=pw.acc.q1b, actor=pw.users.leader1, evidence=pw.photo())
    pw.approved(rule=pw.rules.volunteer, account=pw.acc.q1b)
    pw.approved(rule=pw.rules.volunteer, account=pw.acc.q1b)
    # q1 can spend 70, q1b 80: one oil each would do, but there are two and q1b wants them both
    s.points_redeem(actor=pw.users.clerk, account=pw.acc.q1, item=pw.items.oil)
    with pytest.raises(PointsRefused) as refused:
        s.points_redeem(actor=pw.users.clerk, account=pw.acc.q1b, item=pw.items.oil, quantity=2)
    assert refused.value.code in ("insufficient_points", "insufficient_stock")
    pw.acc.q1b.refresh_from_db()
    VillagePointsSettings.objects.filter(village=pw.qixing).update(redeem_threshold=0)
    with pytest.raises(PointsRefused) as refused:
        s.points_redeem(actor=pw.users.clerk, account=pw.acc.q1b, item=pw.items.oil, quantity=2)
    assert (refused.value.code, refused.value.field) == ("insufficient_stock", "quantity")
    assert Item.objects.get(pk=pw.items.oil.pk).stock == 1


def test_only_the_shop_clerk_or_a_cadre_of_the_village_redeems(pw):
    for persona in ("grid1", "helper", "official", "other_cadre"):
        with pytest.raises(PointsPermissionError):
            s.points_redeem(actor=getattr(pw.users, persona), account=pw.acc.q1, item=pw.items.soap)
    s.points_redeem(actor=pw.users.cadre, account=pw.acc.q1, item=pw.items.soap)


def test_redemption_checks_the_item_and_the_member(pw):
    u = pw.users
    with pytest.raises(ValidationError):
        s.points_redeem(actor=u.clerk, account=pw.acc.q1, item=pw.items.hualong_soap)
    with pytest.raises(ValidationError):
        s.points_redeem(actor=u.clerk, account=pw.acc.q1, item=pw.items.soap, member=pw.households.q2.members.first())
    with pytest.raises(ValidationError):
        s.points_redeem(actor=u.clerk, account=pw.acc.q1, item=pw.items.soap, quantity=0)
    s.item_update(item=pw.items.soap, actor=u.clerk, is_active=False)
    with pytest.raises(ValidationError):
        s.points_redeem(actor=u.clerk, account=pw.acc.q1, item=pw.items.soap)


def test_reversing_a_redemption_gives_back_the_points_and_the_goods_once(pw):
    redemption = s.points_redeem(actor=pw.users.clerk, account=pw.acc.q1, item=pw.items.soap, quantity=2)
    with pytest.raises(PointsPermissionError):
        s.redemption_reverse(redemption=redemption, actor=pw.users.clerk, reason="登记错户")
    reversal = s.redemption_reverse(redemption=redemption, actor=pw.users.cadre, reason="登记错户")
    assert (reversal.points, reversal.balance_after) == (20, 100)
    assert Item.objects.get(pk=pw.items.soap.pk).stock == 50
    with pytest.raises(PointsStateError) as twice:
        s.redemption_reverse(redemption=redemption, actor=pw.users.cadre, reason="再冲正")
    assert twice.value.code == "already_reversed"
    assert Item.objects.get(pk=pw.items.soap.pk).stock == 50


def test_restock_adds_to_the_stock(pw):
    assert s.item_restock(item=pw.items.oil, actor=pw.users.clerk, quantity=10).stock == 12
    with pytest.raises(PointsPermissionError):
        s.item_restock(item=pw.items.oil, actor=pw.users.grid1, quantity=1)


# ---------------------------------------------------------------- batches


def test_batch_proposes_one_entry_per_household_in_one_step(pw):
    residents = [*pw.households.q1.members.all(), pw.households.q1b.members.first()]  # 张三's household twice
    batch = s.award_propose_batch(
        actor=pw.users.grid1, rule=pw.rules.volunteer, residents=residents, note="清洁家园大扫除"
    )
    awards = list(batch.awards.order_by("pk"))
    assert [a.account_id for a in awards] == [pw.acc.q1.pk, pw.acc.q1b.pk]
    assert awards[0].member == residents[0] and all(a.note == "清洁家园大扫除" for a in awards)
    assert Notification.objects.filter(user=pw.users.cadre).count() == 1  # once per batch


def test_batch_is_all_or_nothing_with_an_error_per_position(pw):
    pw.propose(pw.acc.q1b, pw.rules.tidy)
    with pytest.raises(PointsInvalid) as invalid:
        s.award_propose_batch(actor=pw.users.grid1, rule=pw.rules.tidy, accounts=[pw.acc.q1, pw.acc.q1b])
    assert list(invalid.value.errors) == ["accounts"] and list(invalid.value.errors["accounts"]) == ["1"]
    assert Award.objects.count() == 1
    with pytest.raises(PointsPermissionError):  # grid 2's household: not the caller's
        s.award_propose_batch(actor=pw.users.grid1, rule=pw.rules.volunteer, accounts=[pw.acc.q1, pw.acc.q2])
    assert Award.objects.count() == 1


def test_a_meetings_participants_are_awarded_once(mw, pw):
    from petitions import services as ps
    from petitions.models import Kind

    matter = mw.staff_matter()
    ps.matter_classify(matter=matter, actor=pw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    participants = [*pw.households.q1.members.all(), *pw.households.q1b.members.all()]
    meeting = ps.matter_deliberate(
        matter=matter,
        actor=pw.users.grid1,
        kind="meeting",
        held_on=pw.today,
        summary="院坝会：商议修路",
        participants=participants,
    )
    batch = s.award_propose_for_deliberation(actor=pw.users.grid1, deliberation=meeting, rule=pw.rules.meeting)
    assert batch.deliberation == meeting and batch.occurred_on == meeting.held_on
    assert sorted(batch.awards.values_list("account_id", flat=True)) == sorted([pw.acc.q1.pk, pw.acc.q1b.pk])
    with pytest.raises(PointsStateError) as again:
        s.award_propose_for_deliberation(actor=pw.users.grid1, deliberation=meeting, rule=pw.rules.meeting)
    assert again.value.code == "already_proposed"


def test_every_balance_equals_the_sum_of_its_entries_after_a_busy_day(pw):
    pw.approved()
    pw.approved(rule=pw.rules.breach, note="乱倒垃圾", account=pw.acc.q1b)
    s.award_reverse(award=pw.approved(rule=pw.rules.meeting), actor=pw.users.cadre, reason="错")
    r = s.points_redeem(actor=pw.users.clerk, account=pw.acc.q1, item=pw.items.soap)
    s.redemption_reverse(redemption=r, actor=pw.users.cadre, reason="退货")
    s.points_redeem(actor=pw.users.clerk, account=pw.acc.q1, item=pw.items.soap)
    for account in Account.objects.all():
        assert account.balance == ledger_sum(account)
        last = Entry.objects.filter(account=account).latest("id")
        assert last.balance_after == account.balance
