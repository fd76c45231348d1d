"""Regression tests for what the second attack on issue 15 found still open (public board,
compact, finance, points within the law). Each is marked xfail(strict=True) until fixed: the
fix makes it pass, and strict makes the suite say so, so the marker is taken off then."""

import datetime
import decimal
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from governance import finance, law
from grids.public import name_pattern, public_text
from petitions import services as s
from tests.petitions.test_decision_rules import TODAY, _at_step_5, _post, _publish, _vote


@pytest.fixture(autouse=True)
def clock():
    """The decision-rule tests' day (before any fixture writes), never the calendar day."""
    moment = datetime.datetime.combine(TODAY, datetime.time(10), tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=True):
        yield


# ---------------------------------------------------------------- 七步走: the rule follows the vote


def test_a_refused_land_adjustment_is_not_handled_after_a_reclassification(mw, api_client):
    u = mw.users
    matter = _at_step_5(mw, "land_adjustment")
    _vote(mw, matter, in_favour=70)
    _publish(mw, matter)
    s.matter_township_approval(matter=matter, actor=u.official, approve=False, reason="补偿方案不明确")
    s.matter_reclassify(
        matter=matter, actor=u.cadre, kind="village", category=mw.categories.village_project, reason="按一般项目办"
    )
    s.matter_deliberate(matter=matter, actor=u.cadre, kind="meeting", held_on=TODAY, summary="两委碰头会")
    handled = _post(api_client, u.cadre, matter, "handle", {"handler": u.cadre.pk})
    assert handled.status_code == 409, handled.json()


def test_an_art_24_matter_is_not_decided_by_a_vote_held_under_another_rule(mw, api_client):
    u = mw.users
    matter = _at_step_5(mw, "village_project")
    _vote(mw, matter, in_favour=11, present=20, entitled=30, body="representatives_meeting")
    _publish(mw, matter)
    s.matter_reclassify(
        matter=matter, actor=u.cadre, kind="village", category=mw.categories.collective_income, reason="涉及集体收益"
    )
    s.matter_deliberate(matter=matter, actor=u.cadre, kind="meeting", held_on=TODAY, summary="碰头会")
    handled = _post(api_client, u.cadre, matter, "handle", {"handler": u.cadre.pk})
    assert handled.status_code == 409, handled.json()


# ---------------------------------------------------------------- governance/law.py


@pytest.mark.parametrize(
    "name",
    [
        "黑榜户不再发放集体分红",
        "黑榜户不参与年终分红",
        "黑榜户无权领取分红",
        "黑榜户不得领取低保",
        "黑榜户暂缓办理低保",
        "黑榜户没收承包地",
        "黑榜户停领低保",
    ],
)
def test_a_points_rule_that_withholds_in_other_words_is_refused(name):
    with pytest.raises(ValidationError):
        law.check_rule(name, "")


@pytest.mark.parametrize("text", ["取消征地补偿款", "停发残疾补助", "停发高龄补贴", "停发低bao"])
def test_a_consequence_naming_other_protected_benefits_is_refused(text):
    assert law.refusal(text) is not None


# ---------------------------------------------------------------- grids/public.py


@pytest.mark.parametrize(
    "text",
    [
        "电话137 - 3560 - 3949",
        "电话137  3560  3949",
        "电话1 3 7 3 5 6 0 3 9 4 9",
        "电话𝟏𝟑𝟕𝟑𝟓𝟔𝟎𝟑𝟗𝟒𝟗",
        "5 0 0 1 1 7 1 9 9 0 0 1 0 1 1 2 3 4",
    ],
)
def test_public_text_masks_numbers_written_otherwise(text):
    assert public_text(text, None) != text


def test_public_text_masks_a_name_written_with_look_alike_characters():
    names = name_pattern(["田艳兰"])
    assert public_text("找\u2f65艳兰说", names) == "找田某某说"


# ---------------------------------------------------------------- finance


def _statement(world):
    today = timezone.localdate()
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    return finance.finance_statement_create(
        user=world.users.cadre, village=world.qixing, period="month", day=last_month
    )


def test_a_line_added_to_a_statement_taken_back_meanwhile_is_a_conflict_not_a_500(world):
    from governance.errors import Conflict
    from governance.models import FinanceStatement

    statement = _statement(world)
    stale = FinanceStatement.objects.get(pk=statement.pk)
    finance.finance_statement_discard(user=world.users.cadre, statement=statement)
    line = finance.LineInput(
        direction="income", occurred_on=statement.period_start, item="测试", amount=decimal.Decimal("5")
    )
    with pytest.raises(Conflict):
        finance.finance_line_add(user=world.users.cadre, statement=stale, line=line)


# A statement opened while the one before is a draft: allowed, and its opening balance is settled
# when it is posted, in order (tests/governance/test_finance.py
# test_statements_are_posted_in_order_each_opening_on_the_closing_of_the_one_before).
