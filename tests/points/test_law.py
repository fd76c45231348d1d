"""Points within the law (issue 15, item 4): rules adopted by a recorded resolution, the
black list by threshold, consequences that withhold only what the village itself grants,
consent to the published red list, and no small grid's name in public.

Personas of the points world (tests/points/conftest.py): q1 and q1b in grid 1 of 七星村, q2 in
grid 2, h1 in 化龙村; cadre and cadre2 are 七星村's cadres, other_cadre 化龙村's.
"""

import datetime
import re
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance import law
from grids.selectors import PUBLIC_GRID_MIN_HOUSEHOLDS, public_grid_names
from petitions import services as ps
from petitions.models import Kind, MatterCategory, Source
from points import services as s
from points.models import BoardSide, Rule, RuleChange, VillagePointsSettings
from points.selectors import board_public, carried_resolutions
from tests.factories import make_household
from tests.pages.conftest import field_block, form_token

UNLAWFUL = "本季度不享受集体分红"


def _matter(
    pw, *, village_grid, title, body="villagers_meeting", in_favour=80, present=90, entitled=100, rule="compact"
):
    """A 村事 of the grid's village with steps 1 to 4 and a vote of `body` (carried or not), of
    a category decided by the compact rule (村规民约, its 积分细则) or by `rule`."""
    cadre = pw.users.cadre if village_grid.village_id == pw.qixing.pk else pw.users.other_cadre
    category, _ = MatterCategory.objects.get_or_create(
        code=f"village_{rule}", defaults={"name": rule, "default_kind": Kind.VILLAGE, "decision_rule": rule}
    )
    matter = ps.matter_submit(
        actor=cadre,
        title=title,
        description="制定积分细则",
        grid=village_grid,
        source=Source.WALK_IN,
        submitter_name="两委",
    )
    ps.matter_classify(matter=matter, actor=cadre, kind=Kind.VILLAGE, category=category)
    today = pw.today
    for step in (1, 2, 3, 4):
        extra = {"entitled": 30, "present": 25} if step == 4 else {}
        ps.matter_deliberate(
            matter=matter, actor=cadre, kind="step", step=step, held_on=today, summary=f"第{step}步", **extra
        )
    notice = {"announced_on": today - datetime.timedelta(days=10)} if body == "villagers_meeting" else {}
    ps.matter_deliberate(
        matter=matter,
        actor=cadre,
        kind="step",
        step=5,
        held_on=today,
        summary="表决",
        body=body,
        entitled=entitled,
        present=present,
        in_favour=in_favour,
        against=present - in_favour,
        abstain=0,
        **notice,
    )
    return matter


@pytest.fixture
def resolutions(h1_grid):
    pw = h1_grid
    pw.carried = _matter(pw, village_grid=pw.q1, title="积分细则")
    pw.failed = _matter(pw, village_grid=pw.q1, title="积分细则（否决）", in_favour=30)
    pw.elsewhere = _matter(pw, village_grid=pw.h1_grid, title="化龙村积分细则")
    pw.road = _matter(pw, village_grid=pw.q1, title="硬化村道", rule="simple")
    return pw


@pytest.fixture
def h1_grid(pw):
    pw.h1_grid = pw.households.h1.grid
    return pw


@pytest.fixture
def world_with_resolutions(resolutions):
    return resolutions


RULE = {
    "category": "public_good",
    "name": "清理河道",
    "points": 3,
    "description": "",
    "requires_evidence": False,
    "cap_count": None,
    "cap_period": "none",
    "proposer_roles": ["grid_worker"],
    "order": 10,
}


# ---------------------------------------------------------------- rules adopted by a resolution


def test_a_rule_is_adopted_only_by_a_carried_vote_of_the_same_village_and_the_change_is_logged(
    world_with_resolutions,
):
    pw = world_with_resolutions
    for wrong in (None, pw.failed, pw.elsewhere, pw.road):
        with pytest.raises(ValidationError) as refused:
            s.rule_create(actor=pw.users.cadre, village=pw.qixing, resolution=wrong, **RULE)
        assert "adopted_by" in refused.value.message_dict
    assert not Rule.objects.filter(name="清理河道").exists()
    rule = s.rule_create(actor=pw.users.cadre, village=pw.qixing, resolution=pw.carried, **RULE)
    assert rule.adopted_by == pw.carried
    s.rule_update(actor=pw.users.cadre2, rule=rule, resolution=pw.carried, is_active=False)
    changes = list(RuleChange.objects.filter(rule=rule).order_by("id"))
    assert [c.action for c in changes] == ["create", "retire"]
    assert changes[1].actor == pw.users.cadre2 and changes[1].resolution == pw.carried
    assert changes[1].changes == {"is_active": [True, False]}


def test_a_vote_that_no_longer_stands_adopts_no_rule_but_the_catalogue_keeps_its_history(world_with_resolutions):
    pw = world_with_resolutions
    rule = s.rule_create(actor=pw.users.cadre, village=pw.qixing, resolution=pw.carried, **RULE)
    ps.matter_reject(matter=pw.carried, actor=pw.users.cadre, reason="另行表决")
    with pytest.raises(ValidationError) as refused:
        s.rule_update(actor=pw.users.cadre, rule=rule, resolution=pw.carried, points=4)
    assert "adopted_by" in refused.value.message_dict
    rule.refresh_from_db()
    assert rule.points == 3
    assert pw.carried.pk in carried_resolutions(pw.qixing.pk, [pw.carried.pk], standing=False)
    assert pw.carried.pk not in carried_resolutions(pw.qixing.pk)


def test_another_villages_cadre_cannot_change_the_rules(world_with_resolutions):
    pw = world_with_resolutions
    from points.policy import PointsPermissionError

    with pytest.raises(PointsPermissionError):
        s.rule_update(actor=pw.users.other_cadre, rule=pw.rules.volunteer, resolution=pw.carried, points=6)
    pw.rules.volunteer.refresh_from_db()
    assert pw.rules.volunteer.points == 5


def test_the_rule_form_offers_only_carried_resolutions_and_refuses_others_next_to_the_field(
    client, world_with_resolutions
):
    pw = world_with_resolutions
    client.force_login(pw.users.cadre)
    page = client.get("/points/rules/new/").content.decode()
    assert f'value="{pw.carried.pk}"' in page
    assert f'value="{pw.failed.pk}"' not in page and f'value="{pw.elsewhere.pk}"' not in page
    assert f'value="{pw.road.pk}"' not in page  # carried, but not a vote on the village's own rules
    data = {**RULE, "form_token": form_token(page), "adopted_by": pw.failed.pk, "proposer_roles": ["grid_worker"]}
    data.pop("cap_count")
    refused = client.post("/points/rules/new/", data)
    assert refused.status_code == 400
    assert 'class="errorlist' in field_block(refused.content.decode(), "adopted_by")
    assert not Rule.objects.filter(name="清理河道").exists()
    data["adopted_by"] = pw.carried.pk
    assert client.post("/points/rules/new/", data).status_code == 302
    rule = Rule.objects.get(name="清理河道")
    assert rule.adopted_by == pw.carried
    listing = client.get("/points/rules/").content.decode()
    assert f"/matters/{pw.carried.pk}/" in listing and "80" in listing and "90" in listing


def test_a_change_to_a_rule_names_its_resolution_each_time(client, world_with_resolutions):
    pw = world_with_resolutions
    rule = pw.rules.volunteer
    s.rule_update(actor=pw.users.cadre, rule=rule, resolution=pw.carried, points=6)
    client.force_login(pw.users.cadre)
    page = client.get(f"/points/rules/{rule.pk}/edit/").content.decode()
    assert f'value="{pw.carried.pk}" selected' not in field_block(page, "adopted_by")  # not ready-chosen
    data = {
        "form_token": form_token(page),
        "category": rule.category,
        "name": rule.name,
        "points": 8,
        "cap_period": rule.cap_period,
        "cap_count": rule.cap_count or "",
        "proposer_roles": rule.proposer_roles,
        "order": rule.order,
        "is_active": "on",
    }
    refused = client.post(f"/points/rules/{rule.pk}/edit/", data)
    assert refused.status_code == 400 and 'class="errorlist' in field_block(refused.content.decode(), "adopted_by")
    rule.refresh_from_db()
    assert rule.points == 6
    data["adopted_by"] = pw.carried.pk
    assert client.post(f"/points/rules/{rule.pk}/edit/", data).status_code == 302
    rule.refresh_from_db()
    assert rule.points == 8
    # The record says what changed in the form's words, not the stored field names.
    history = client.get(f"/points/rules/{rule.pk}/edit/").content.decode()
    assert "积分：6 → 8" in history and "points:" not in history


def test_the_rules_api_says_which_resolution_adopted_each_rule(world_with_resolutions, as_user):
    pw = world_with_resolutions
    s.rule_update(actor=pw.users.cadre, rule=pw.rules.volunteer, resolution=pw.carried, points=6)
    body = as_user(pw.users.grid1).get(f"/api/v1/points/rules/{pw.rules.volunteer.pk}/").json()
    assert body["adopted_by"] == pw.carried.pk and body["adopted_by_title"] == "积分细则" and body["points"] == 6


def test_the_rule_list_costs_the_same_queries_for_one_resolution_and_for_three(
    client, world_with_resolutions, django_assert_num_queries
):
    pw = world_with_resolutions
    client.force_login(pw.users.cadre)
    s.rule_update(actor=pw.users.cadre, rule=pw.rules.volunteer, resolution=pw.carried, points=6)
    client.get("/points/rules/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/points/rules/").status_code == 200
    expected = len(few)  # read now: the next request clears the log
    for n in range(2):
        other = _matter(pw, village_grid=pw.q2, title=f"积分细则修订{n}")
        s.rule_update(actor=pw.users.cadre, rule=pw.rules.meeting, resolution=other, order=200 + n)
    client.get("/points/rules/")  # new matters renew the menu's cached queue (petitions.queue): read once
    with django_assert_num_queries(expected):
        assert client.get("/points/rules/").status_code == 200


# ---------------------------------------------------------------- the black list by threshold


@pytest.mark.parametrize(("deducted", "listed"), [(-9, False), (-10, True), (-11, True)])
def test_the_black_list_takes_a_household_only_when_its_standing_deductions_reach_the_threshold(pw, deducted, listed):
    rule = Rule.objects.create(village=pw.qixing, category="law", name=f"扣{-deducted}", points=deducted)
    pw.approved(account=pw.acc.q1b, rule=rule, note="乱倒垃圾")
    board = s.board_compile(
        actor=pw.users.cadre, village=pw.qixing, year=pw.today.year, quarter=(pw.today.month - 1) // 3 + 1
    )
    black = list(board.lines.filter(side=BoardSide.BLACK).values_list("account_id", "points"))
    assert black == ([(pw.acc.q1b.pk, deducted)] if listed else [])


def test_a_reversed_deduction_does_not_count_towards_the_threshold(pw):
    pw.approved(account=pw.acc.q1b, rule=pw.rules.breach, note="乱倒垃圾")  # −10
    wrong = pw.approved(account=pw.acc.q1b, rule=pw.rules.late, note="迟到")  # −1
    s.award_reverse(
        award=pw.approved(account=pw.acc.q2, rule=pw.rules.breach, note="误报", actor=pw.users.grid2),
        actor=pw.users.cadre,
        reason="核实有误",
    )
    s.award_reverse(award=wrong, actor=pw.users.cadre, reason="核实有误")
    quarter = (pw.today.month - 1) // 3 + 1
    board = s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=pw.today.year, quarter=quarter)
    assert list(board.lines.filter(side=BoardSide.BLACK).values_list("account_id", "points")) == [(pw.acc.q1b.pk, -10)]
    VillagePointsSettings.objects.filter(village=pw.qixing).update(black_list_threshold=-11)
    board = s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=pw.today.year, quarter=quarter)
    assert not board.lines.filter(side=BoardSide.BLACK).exists()


def test_the_board_page_says_the_threshold(client, pw):
    VillagePointsSettings.objects.filter(village=pw.qixing).update(black_list_threshold=-15)
    quarter = (pw.today.month - 1) // 3 + 1
    board = s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=pw.today.year, quarter=quarter)
    client.force_login(pw.users.cadre)
    assert "-15" in client.get(f"/points/boards/{board.pk}/").content.decode()


# ---------------------------------------------------------------- consequences within the law


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("本季度不享受集体分红", "集体分红"),
        ("暂停集体收益分配", "集体分红"),
        ("收回承包地", "土地承包"),
        ("不予审批宅基地", "土地承包"),
        ("取消低保资格", "低保"),
        ("停发养老金", "低保"),
        ("no medical insurance subsidy", "低保"),
        ("No collective dividend this quarter", "集体分红"),
    ],
)
def test_the_law_names_what_a_village_may_not_withhold(text, named):
    reason = str(law.refusal(text))
    assert named in reason and "村民委员会组织法" in reason


def test_lawful_consequences_pass():
    for text in ("取消当年评先评优资格", "暂停积分超市兑换", "不参加村集体自办的评优评先和奖励", ""):
        assert law.refusal(text) is None


def test_a_black_list_consequence_withholding_dividends_is_refused_by_the_service_and_nothing_is_saved(pw):
    before = VillagePointsSettings.objects.get(village=pw.qixing)
    with pytest.raises(ValidationError) as refused:
        s.settings_update(actor=pw.users.cadre, village=pw.qixing, black_list_consequence=UNLAWFUL, red_list_size=3)
    message = " ".join(refused.value.message_dict["black_list_consequence"])
    assert "集体分红" in message and "村民委员会组织法" in message
    after = VillagePointsSettings.objects.get(village=pw.qixing)
    assert after.black_list_consequence == before.black_list_consequence and after.red_list_size == before.red_list_size
    with pytest.raises(ValidationError) as floor:
        s.settings_update(actor=pw.users.cadre, village=pw.qixing, floor_consequence="取消医保补助")
    assert "floor_consequence" in floor.value.message_dict


def test_the_models_clean_refuses_an_unlawful_consequence(pw):
    row = VillagePointsSettings.objects.get(village=pw.qixing)
    row.floor_consequence = "停发残疾人补贴"
    with pytest.raises(ValidationError) as refused:
        row.full_clean()
    assert "floor_consequence" in refused.value.message_dict


def test_the_settings_page_refuses_dividends_next_to_the_field_and_keeps_the_input(client, pw):
    client.force_login(pw.users.cadre)
    page = client.get("/points/settings/").content.decode()
    row = VillagePointsSettings.objects.get(village=pw.qixing)
    data = {
        "form_token": form_token(page),
        "starting_balance": 100,
        "redeem_threshold": 80,
        "benefit_floor": 60,
        "floor_consequence": "暂停积分超市兑换",
        "objection_days": 3,
        "black_list_threshold": -10,
        "black_list_consequence": UNLAWFUL,
        "red_list_size": 5,
    }
    refused = client.post("/points/settings/", data)
    assert refused.status_code == 400
    html = refused.content.decode()
    block = field_block(html, "black_list_consequence")
    assert "村民委员会组织法" in block and "集体分红" in block and UNLAWFUL in block
    row.refresh_from_db()
    assert row.black_list_consequence != UNLAWFUL and row.red_list_size != 5
    data["black_list_consequence"] = "取消当年评先评优资格"
    assert client.post("/points/settings/", data).status_code == 302
    row.refresh_from_db()
    assert row.black_list_consequence == "取消当年评先评优资格" and row.red_list_size == 5


def test_only_the_villages_cadres_open_the_settings_page(client, pw):
    for persona, status in (("grid1", 403), ("clerk", 403), ("official", 403), ("cadre", 200)):
        client.force_login(getattr(pw.users, persona))
        assert client.get("/points/settings/").status_code == status, persona
    client.force_login(pw.users.other_cadre)
    assert client.get(f"/points/settings/?village={pw.qixing.pk}").status_code == 404


# ---------------------------------------------------------------- rules within the law


def _rules_state():
    return (
        list(Rule.objects.order_by("pk").values_list("pk", "name", "description", "points", "is_active")),
        RuleChange.objects.count(),
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "拒不出工者停发集体分红"}, "name"),
        ({"name": "乱倒垃圾", "points": -5, "description": "屡教不改者，取消其低保资格。"}, "description"),
        ({"name": "乱搭乱建", "points": -5, "description": "另收\u200b回承\u200b包地"}, "description"),
        ({"name": "不予享受", "description": "養老補貼"}, "description"),
        ({"name": "tingfa dibao"}, "name"),
    ],
)
def test_a_rule_that_takes_away_what_the_law_protects_is_refused_by_the_service(world_with_resolutions, fields, field):
    pw = world_with_resolutions
    before = _rules_state()
    with pytest.raises(ValidationError) as refused:
        s.rule_create(actor=pw.users.cadre, village=pw.qixing, resolution=pw.carried, **{**RULE, **fields})
    message = " ".join(refused.value.message_dict[field])
    assert "村民委员会组织法" in message
    assert refused.value.error_dict[field][0].code == "unlawful_rule"
    with pytest.raises(ValidationError) as changed:
        s.rule_update(actor=pw.users.cadre, rule=pw.rules.volunteer, resolution=pw.carried, **fields)
    assert field in changed.value.message_dict
    assert _rules_state() == before


def test_a_rule_may_name_what_the_law_protects_without_taking_it_away(world_with_resolutions):
    pw = world_with_resolutions
    rule = s.rule_create(
        actor=pw.users.cadre,
        village=pw.qixing,
        resolution=pw.carried,
        **{**RULE, "name": "按时缴纳医保、养老保险", "description": "帮助残疾人、低保户办理参保"},
    )
    assert rule.pk and rule.description == "帮助残疾人、低保户办理参保"


def test_a_rule_adopted_before_the_check_may_still_be_retired(world_with_resolutions):
    pw = world_with_resolutions
    Rule.objects.filter(pk=pw.rules.breach.pk).update(description="屡犯者停发集体分红")
    s.rule_update(actor=pw.users.cadre, rule=pw.rules.breach, resolution=pw.carried, is_active=False)
    pw.rules.breach.refresh_from_db()
    assert not pw.rules.breach.is_active
    with pytest.raises(ValidationError):
        s.rule_update(actor=pw.users.cadre, rule=pw.rules.breach, resolution=pw.carried, name="严重违反村规民约")


def test_the_rule_form_refuses_a_rule_that_withholds_dividends_next_to_the_field_and_keeps_the_input(
    client, world_with_resolutions
):
    pw = world_with_resolutions
    client.force_login(pw.users.cadre)
    page = client.get("/points/rules/new/").content.decode()
    unlawful = "屡教不改者，取消其集体分红"
    data = {**RULE, "form_token": form_token(page), "adopted_by": pw.carried.pk, "description": unlawful}
    data.pop("cap_count")
    before = _rules_state()
    refused = client.post("/points/rules/new/", data)
    assert refused.status_code == 400
    block = field_block(refused.content.decode(), "description")
    assert "村民委员会组织法" in block and "集体分红" in block and unlawful in block
    assert _rules_state() == before
    data["description"] = "清理房前屋后的河道"
    assert client.post("/points/rules/new/", data).status_code == 302
    assert Rule.objects.get(name="清理河道").description == "清理房前屋后的河道"
    edit = f"/points/rules/{pw.rules.volunteer.pk}/edit/"
    page = client.get(edit).content.decode()
    changed = {**data, "form_token": form_token(page), "name": "志愿服务", "description": "", "is_active": "on"}
    changed["name"] = "不参加者停发养老金"
    refused = client.post(edit, changed)
    assert refused.status_code == 400
    assert "村民委员会组织法" in field_block(refused.content.decode(), "name")
    pw.rules.volunteer.refresh_from_db()
    assert pw.rules.volunteer.name != "不参加者停发养老金"


# ---------------------------------------------------------------- consent and small grids


def test_the_public_red_list_names_only_households_that_consented(pw):
    pw.approved(account=pw.acc.q1)
    pw.approved(account=pw.acc.q1b)
    quarter = (pw.today.month - 1) // 3 + 1
    board = s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=pw.today.year, quarter=quarter)
    s.board_decide(board=board, actor=pw.users.cadre, decision="通过", meeting_date=pw.today)
    s.account_consent(actor=pw.users.cadre, account=pw.acc.q1, consent=True)
    board = s.board_publish(board=board, actor=pw.users.cadre)
    public = board_public(board)
    assert [row["initials"] for row in public["red"]] == ["Z.S."] and public["red_unnamed"] == 1
    assert board.lines.filter(side=BoardSide.RED).count() == 2  # the internal board is unchanged
    s.account_consent(actor=pw.users.cadre, account=pw.acc.q1, consent=False)
    assert board_public(board)["red"] == [] and board_public(board)["red_unnamed"] == 2


def test_a_cadre_records_consent_on_the_passbook_and_a_grid_worker_may_not(client, pw):
    url = f"/points/accounts/{pw.acc.q1.pk}/"
    client.force_login(pw.users.grid1)
    assert client.post(url + "consent/", {"consent-consent": "yes"}).status_code == 403
    client.force_login(pw.users.cadre)
    page = client.get(url).content.decode()
    token = re.search(r'name="consent-form_token" value="([0-9a-f-]{36})"', page).group(1)
    assert client.post(url + "consent/", {"consent-form_token": token, "consent-consent": "yes"}).status_code == 302
    pw.acc.q1.refresh_from_db()
    assert pw.acc.q1.red_list_consent_on == pw.today and pw.acc.q1.red_list_consent_by == pw.users.cadre


def test_public_grid_names_leave_out_grids_under_30_households_in_one_query(pw):
    for _n in range(PUBLIC_GRID_MIN_HOUSEHOLDS - pw.q2.households.count()):
        make_household(pw.q2, members=1)
    with CaptureQueriesContext(connection) as queries:
        names = public_grid_names(pw.qixing.pk)
    assert len(queries) == 1
    assert names[pw.q1.pk] is None and names[pw.q2.pk] == pw.q2.name


# ---------------------------------------------------------------- a rule enforces an article of the compact


def test_a_rule_cites_an_article_of_its_villages_compact_in_force_and_says_when_it_was_replaced(
    world_with_resolutions, client
):
    from petitions.models import CompactStatus, CompactVersion

    pw = world_with_resolutions
    versions = []
    for village, number in ((pw.qixing, 1), (pw.hualong, 1), (pw.qixing, 2)):
        version = CompactVersion.objects.create(
            township=village.township,
            village=village,
            number=number,
            title=f"{village.name}村规民约",
            status=CompactStatus.IN_FORCE if number == 1 else CompactStatus.DRAFT,
            created_by=pw.users.cadre,
        )
        versions.append(version)
    mine, theirs, draft = (v.articles.create(number=1, title="“十不”行为规范", text="不乱倒垃圾。") for v in versions)
    for wrong in (theirs, draft):
        with pytest.raises(ValidationError) as refused:
            s.rule_create(
                actor=pw.users.cadre, village=pw.qixing, resolution=pw.carried, **{**RULE, "compact_article": wrong}
            )
        assert "compact_article" in refused.value.message_dict
    rule = s.rule_create(
        actor=pw.users.cadre, village=pw.qixing, resolution=pw.carried, **{**RULE, "compact_article": mine}
    )
    assert RuleChange.objects.get(rule=rule).changes["compact_article"] == [None, mine.pk]
    client.force_login(pw.users.cadre)
    body = client.get("/points/rules/").content.decode()
    assert "“十不”行为规范" in body and "chip warn" not in body.split(f'id="rule-{rule.pk}"')[1].split("</li>")[0]
    # A newer version comes into force: the rule still cites the old article, and says so; a
    # change that keeps the citation is accepted (only a new citation must be in force).
    CompactVersion.objects.filter(pk=versions[0].pk).update(status=CompactStatus.SUPERSEDED)
    CompactVersion.objects.filter(pk=versions[2].pk).update(status=CompactStatus.IN_FORCE)
    row = client.get("/points/rules/").content.decode().split(f'id="rule-{rule.pk}"')[1].split("</li>")[0]
    assert "chip warn" in row
    assert s.rule_update(actor=pw.users.cadre2, rule=rule, resolution=pw.carried, points=4).compact_article == mine


@pytest.mark.parametrize(
    "text",
    [
        "集 体 分 红",
        "集體分紅",
        "停发養老金",
        "暂停醫保报销",
        "ＤＩＶＩＤＥＮＤ",
        "分\u200b红",
        "扣减集体经济组织成员收益",
        "取消新农合参保资格",
        "收回承包田",
        "停止发放种粮直补",
    ],
)
def test_the_law_sees_through_spacing_full_width_traditional_and_other_words(text):
    assert law.refusal(text) is not None


@pytest.mark.parametrize("text", ["取消当年评先评优资格", "暂停积分超市兑换", "不参加本年度文明家庭评选"])
def test_what_the_village_grants_itself_may_be_withheld(text):
    assert law.refusal(text) is None


INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\u00ad\u034f\u180e"
    "\ufe00\ufe0f\u202a\u202b\u202c\u202d\u202e\ufeff\u3164\t\n"
)


@pytest.mark.parametrize("invisible", INVISIBLE)
def test_invisible_characters_split_neither_what_is_protected_nor_what_takes_it_away(invisible):
    text = invisible.join("停发低保")
    assert law.withholds(text) and law.refusal(text) is not None
    assert law.withholds(f"取消其集体{invisible}分{invisible}红")
    flags = law.compact_flags([SimpleNamespace(number=3, title="奖惩", text=invisible.join("不予享受养老补贴"))])
    assert [flag["number"] for flag in flags] == [3]


@pytest.mark.parametrize(
    "text",
    [
        "取消優撫對象待遇",
        "停發撫卹金",
        "取消高齡津貼",
        "取消參保資格",
        "停止臨時救助",
        "責任田收回",
        "暫停醫療救助",
        "扣減集體經濟組織成員收益",
        "土地流轉收益不予發放",
        "取消護理補貼及殘疾人待遇",
        "収回宅基地",
        "取消土地承包経営権",
    ],
)
def test_traditional_and_japanese_forms_of_the_words_are_folded(text):
    assert law.withholds(text), text


@pytest.mark.parametrize(
    "text",
    ["取消dībǎo资格", "停发 Dī Bǎo", "QUXIAO FENHONG", "tíngfā yǎnglǎo jīn", "取消ｄｉｂａｏ", "zanting wubao"],
)
def test_pinyin_with_or_without_tone_marks_is_read(text):
    assert law.withholds(text), text


def test_lawful_words_stay_lawful_however_they_are_written():
    for text in ("取消當年評先評優資格", "暂停积分\u200b超市兑换", "quxiao pingyou", "参加医保 +2"):
        assert not law.withholds(text), text


@pytest.mark.parametrize(
    "text",
    [
        "低保降档",
        "调减责任田",
        "暂扣医保卡",
        "不予分配股份收益",
        "不能享受新农保",
        "取消土地征收补偿",
        "无权领取di保",
        "停发(分)(红)",
        "停发分*红",
    ],
)
def test_withholding_in_other_words_or_split_by_symbols_is_caught(text):
    assert law.withholds(text), text


@pytest.mark.parametrize("text", ["协助办理低保 +2", "按时缴纳医保 +2", "对不办理宅基地审批手续乱建者扣5分"])
def test_naming_a_benefit_or_handling_it_is_not_withholding(text):
    assert not law.withholds(text), text
