"""The form builder page: a township official builds a draft's form question by question
(added, edited, moved, deleted), every save the whole form through campaign_set_form; bad
input comes back next to its field with nothing saved; a double submit saves once; a started
campaign's form does not change (409); another village's cadre does not find the draft (404)
and the grid staff may not build (403). And the detail page's charts."""

import datetime
import json
import re
import uuid

import pytest
from django.utils import timezone

from grids.campaigns import builder
from grids.campaigns.models import Campaign
from grids.campaigns.questionnaire import Form
from grids.campaigns.services import form_fingerprint

pytestmark = pytest.mark.django_db


def _draft(client, world) -> Campaign:
    """A township draft for 七星村 with no questions yet, made on the page."""
    today = timezone.localdate()
    response = client.post(
        "/campaigns/new/",
        {
            "form_token": str(uuid.uuid4()),
            "title": "自建问卷排查",
            "villages": [world.qixing.pk],
            "starts_on": today.isoformat(),
            "due_on": (today + datetime.timedelta(days=10)).isoformat(),
            "retention_days": 365,
            "template": "build",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == f"/campaigns/{campaign.pk}/questions/"
    assert campaign.form == [] and campaign.state == "draft"
    return campaign


def _question(campaign: Campaign, **fields) -> dict:
    """A question's fields as the page posts them, based on the form as it is now."""
    campaign.refresh_from_db()
    return {
        "form_token": str(uuid.uuid4()),
        "based_on": form_fingerprint(campaign.form),
        "kind": "text",
        "label": "",
        **fields,
    }


def _add(client, campaign, **fields):
    return client.post(f"/campaigns/{campaign.pk}/new-question/", _question(campaign, **fields))


def _step(client, campaign, name, action, token=None):
    campaign.refresh_from_db()
    data = {"form_token": token or str(uuid.uuid4()), "based_on": form_fingerprint(campaign.form)}
    return client.post(f"/campaigns/{campaign.pk}/questions/{name}/{action}/", data)


def _names(campaign) -> list[str]:
    campaign.refresh_from_db()
    return [question["name"] for question in campaign.form]


@pytest.fixture
def official(client, world):
    client.force_login(world.users.official)
    return client


@pytest.fixture
def built(official, world, safety):
    """A draft with three questions: gas in use (yes/no, "yes" raises a 社会治安 matter and a
    follow-up in 30 days), its kind (shown only when gas is in use) and how many people live there."""
    campaign = _draft(official, world)
    response = _add(
        official,
        campaign,
        name="uses_gas",
        kind="yes_no",
        label="是否使用燃气",
        required="on",
        finding_0_when="是",
        finding_0_category="public_security",
        finding_0_days="30",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    response = _add(
        official,
        campaign,
        name="gas_kind",
        kind="select_one",
        label="燃气类型",
        choices="pipe 管道天然气\n罐装液化气\n\n其他",
        relevant_pick="${uses_gas} = 'yes'",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    response = _add(official, campaign, kind="integer", label="常住人数", minimum="0", maximum="30")
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign.refresh_from_db()
    return campaign


def test_an_official_builds_a_form_question_by_question(official, world, built):
    form = Form.from_json(built.form)
    assert [q.name for q in form.questions] == ["uses_gas", "gas_kind", "q3"]
    gas = form["uses_gas"]
    assert gas.required and gas.findings[0].when == "yes" and gas.findings[0].category == "public_security"
    assert gas.findings[0].follow_up_days == 30
    assert form["gas_kind"].choices == (("pipe", "管道天然气"), ("1", "罐装液化气"), ("2", "其他"))
    assert form["gas_kind"].relevant == "${uses_gas} = 'yes'"
    assert form["q3"].constraint == ". >= 0 and . <= 30"
    assert built.form_source == "builder"
    # The form works as it will on the doorstep.
    assert form.clean({"uses_gas": "no", "gas_kind": "pipe", "q3": "4"}) == {"uses_gas": "no", "q3": 4}
    page = official.get(f"/campaigns/{built.pk}/questions/").content.decode()
    assert "管道天然气、罐装液化气、其他" in page
    assert "仅当 是否使用燃气：是" in page and "校验 0 至 30" in page  # in words, as the picker and the range say
    detail = official.get(f"/campaigns/{built.pk}/").content.decode()
    assert f'href="/campaigns/{built.pk}/questions/"' in detail and "编辑问卷" in detail


def test_editing_shows_the_stored_question_and_a_new_name_follows_into_later_conditions(official, built):
    page = official.get(f"/campaigns/{built.pk}/questions/gas_kind/").content.decode()
    assert "pipe 管道天然气\n1 罐装液化气\n2 其他" in page  # every value written out once saved
    assert '<option value="${uses_gas} = &#x27;yes&#x27;" selected>' in page
    page = official.get(f"/campaigns/{built.pk}/questions/uses_gas/").content.decode()
    assert 'name="finding_0_when" value="是"' in page and '<option value="public_security" selected>' in page
    assert 'name="finding_0_days" value="30"' in page and '<datalist id="finding-answers">' in page
    page = official.get(f"/campaigns/{built.pk}/questions/q3/").content.decode()
    assert 'name="minimum" value="0"' in page and 'name="maximum" value="30"' in page
    response = official.post(
        f"/campaigns/{built.pk}/questions/uses_gas/",
        _question(built, name="gas", kind="yes_no", label="家中是否使用燃气", required="on"),
    )
    assert response.status_code == 302
    assert _names(built) == ["gas", "gas_kind", "q3"]
    form = Form.from_json(built.form)
    assert form["gas"].label == "家中是否使用燃气" and form["gas"].findings == ()  # the finding row cleared
    assert form["gas_kind"].relevant == "${gas} = 'yes'"


def test_questions_move_up_and_down_and_are_deleted(official, built):
    assert _step(official, built, "q3", "up").status_code == 302
    assert _names(built) == ["uses_gas", "q3", "gas_kind"]
    assert _step(official, built, "q3", "down").status_code == 302
    assert _names(built) == ["uses_gas", "gas_kind", "q3"]
    assert _step(official, built, "q3", "down").status_code == 302  # already last: as it was
    assert _names(built) == ["uses_gas", "gas_kind", "q3"]
    assert _step(official, built, "gas_kind", "delete").status_code == 302
    assert _names(built) == ["uses_gas", "q3"]
    assert official.get(f"/campaigns/{built.pk}/questions/gas_kind/").status_code == 404
    assert _step(official, built, "q3", "sideways").status_code == 404


def test_a_move_or_delete_that_breaks_a_condition_saves_nothing(official, built):
    before = list(built.form)
    response = _step(official, built, "uses_gas", "delete")
    assert response.status_code == 400
    assert "第2题" in response.content.decode() or "uses_gas" in response.content.decode()
    response = _step(official, built, "gas_kind", "up")  # above the question its condition reads
    assert response.status_code == 400
    built.refresh_from_db()
    assert built.form == before


def test_bad_fields_come_back_next_to_them_with_nothing_saved(official, built):
    before = list(built.form)
    cases = [
        ({"label": "", "kind": "text"}, "label"),
        ({"label": "甲", "name": "1bad"}, "name"),
        ({"label": "甲", "name": "gas_kind"}, "name"),  # a name already taken
        ({"label": "甲", "kind": "select_one", "choices": ""}, "choices"),
        ({"label": "甲", "kind": "select_one", "choices": "a 甲\na 乙"}, "choices"),
        ({"label": "甲", "relevant": "${later} = 'x'"}, "relevant"),
        ({"label": "甲", "relevant": "${uses_gas} = "}, "relevant"),
        ({"label": "甲", "relevant": "${uses_gas} = 'no'", "relevant_pick": "${uses_gas} = 'yes'"}, "relevant"),
        ({"label": "甲", "kind": "integer", "minimum": "10", "maximum": "1"}, "maximum"),
        ({"label": "甲", "kind": "text", "minimum": "1"}, "minimum"),
        ({"label": "甲", "kind": "integer", "max_length": "5"}, "max_length"),
        ({"label": "甲", "kind": "photo", "constraint": ". != ''"}, "constraint"),
        ({"label": "甲", "kind": "yes_no", "finding_0_when": "也许", "finding_0_days": "3"}, "finding_0_when"),
        ({"label": "甲", "kind": "yes_no", "finding_0_when": "是"}, "finding_0_category"),
        ({"label": "甲", "kind": "yes_no", "finding_0_when": "是", "finding_0_days": "400"}, "finding_0_days"),
        ({"label": "甲", "kind": "text", "finding_0_when": "是", "finding_0_days": "3"}, "finding_0_when"),
        ({"label": "甲", "kind": "yes_no", "finding_1_when": "否", "finding_1_category": "nope"}, "finding_1_category"),
    ]
    for fields, field in cases:
        response = _add(official, built, **fields)
        assert response.status_code == 400, fields
        page = response.content.decode()
        assert re.search(rf'id="field-{field}"[^>]*>.*?class="errorlist"', page, re.S) or (
            f'class="field has-error" id="field-{field}"' in page
        ), (fields, field)
        assert 'class="form-errors" role="alert"' in page
    built.refresh_from_db()
    assert built.form == before


def test_a_double_submit_saves_once(official, built):
    data = _question(built, kind="text", label="备注", max_length="50")
    first = official.post(f"/campaigns/{built.pk}/new-question/", data)
    second = official.post(f"/campaigns/{built.pk}/new-question/", data)
    assert first.status_code == second.status_code == 302 and first.url == second.url
    assert _names(built) == ["uses_gas", "gas_kind", "q3", "q4"]
    assert Form.from_json(built.form)["q4"].constraint == "string-length(.) <= 50"
    token = str(uuid.uuid4())
    assert _step(official, built, "q4", "up", token).status_code == 302
    assert _step(official, built, "q4", "up", token).status_code == 302  # the same tap sent twice
    assert _names(built) == ["uses_gas", "gas_kind", "q4", "q3"]


def test_a_save_based_on_an_older_form_is_a_409(official, built, world, client):
    stale = _question(built, kind="text", label="旧页面上加的")
    assert _step(official, built, "q3", "up").status_code == 302  # someone else's save meanwhile
    response = official.post(f"/campaigns/{built.pk}/new-question/", stale)
    assert response.status_code == 409
    assert "有人修改了这份问卷" in response.content.decode()
    assert _names(built) == ["uses_gas", "q3", "gas_kind"]


def test_a_started_campaigns_form_does_not_change(official, built, world):
    official.post(f"/campaigns/{built.pk}/start/")
    built.refresh_from_db()
    assert built.state == "started"
    before = list(built.form)
    response = official.get(f"/campaigns/{built.pk}/questions/")
    assert response.status_code == 409
    page = response.content.decode()
    assert "进行中" in page and "new-question" not in page and "/up/" not in page
    assert official.get(f"/campaigns/{built.pk}/new-question/").status_code == 409
    assert official.get(f"/campaigns/{built.pk}/questions/q3/").status_code == 409
    assert official.post(f"/campaigns/{built.pk}/new-question/", _question(built, label="甲")).status_code == 409
    assert _step(official, built, "q3", "up").status_code == 409
    assert _step(official, built, "q3", "delete").status_code == 409
    built.refresh_from_db()
    assert built.form == before
    assert f"/campaigns/{built.pk}/questions/" not in official.get(f"/campaigns/{built.pk}/").content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [("other_cadre", 404), ("other_official", 404), ("grid1", 404), ("clerk", 403), ("outsider", 403)],
)
def test_the_builder_is_the_organisers_alone(client, world, built, who, status):
    client.force_login(getattr(world.users, who))
    before = list(built.form)
    for method, url in [
        ("get", f"/campaigns/{built.pk}/questions/"),
        ("get", f"/campaigns/{built.pk}/new-question/"),
        ("get", f"/campaigns/{built.pk}/questions/q3/"),
        ("post", f"/campaigns/{built.pk}/questions/q3/up/"),
    ]:
        assert getattr(client, method)(url).status_code == status, url
    built.refresh_from_db()
    assert built.form == before


def test_the_village_cadre_follows_a_township_campaign_but_does_not_build_it(client, official, world, built):
    official.post(f"/campaigns/{built.pk}/start/")
    client.force_login(world.users.cadre)
    assert client.get(f"/campaigns/{built.pk}/").status_code == 200
    assert client.get(f"/campaigns/{built.pk}/questions/").status_code == 403
    assert _step(client, built, "q3", "up").status_code == 403


QUERIES_BUILDER = 6


def test_the_builder_page_reads_in_a_fixed_number_of_queries(official, built, django_assert_num_queries):
    # The session, the user, the caller's assignments (the role check, then the campaigns they
    # see), the campaign with its township and village, the unread notifications (the nav).
    # The questions are the campaign's JSON: twenty more cost nothing.
    official.get(f"/campaigns/{built.pk}/questions/")
    with django_assert_num_queries(QUERIES_BUILDER):
        response = official.get(f"/campaigns/{built.pk}/questions/")
    assert response.status_code == 200
    for _ in range(20):
        _add(official, built, kind="text", label="追加")
    with django_assert_num_queries(QUERIES_BUILDER):
        assert official.get(f"/campaigns/{built.pk}/questions/").status_code == 200


def test_the_counts_per_choice_are_drawn_as_the_dashboards_charts_are(official, world, built):
    official.post(f"/campaigns/{built.pk}/start/")
    page = official.get(f"/campaigns/{built.pk}/").content.decode()
    assert "vendor/echarts/echarts.min.js" in page and "js/charts.js" in page
    assert 'data-chart="chart-uses_gas"' in page and 'data-chart="chart-gas_kind"' in page
    data = json.loads(re.search(r'<script id="chart-gas_kind" type="application/json">(.*?)</script>', page).group(1))
    assert data["categories"] == ["管道天然气", "罐装液化气", "其他"] and data["series"][0]["data"] == [0, 0, 0]
    assert "<noscript>" in page and "<progress" in page  # the bars without scripts
    assert "css/noscript.css" in page


def test_choices_lines_and_checks_round_trip():
    assert builder.parse_choices("a 甲\n乙\n1 丙\n丁") == [["a", "甲"], ["2", "乙"], ["1", "丙"], ["3", "丁"]]
    assert builder.split_check("integer", ". >= 0 and . <= 30")["maximum"] == 30
    assert builder.split_check("decimal", ". <= 1.5")["maximum"] == builder.Decimal("1.5")
    assert builder.split_check("text", "string-length(.) <= 20") == {"max_length": 20}
    assert builder.split_check("integer", ". != 3") == {"constraint": ". != 3"}
    assert builder.range_check(builder.Decimal("0.50"), None) == ". >= 0.5"
    earlier = [{"name": "risks", "kind": "select_multiple", "label": "隐患", "choices": [["pipe", "管道老化"]]}]
    assert builder.picker_options(earlier) == [("selected(${risks}, 'pipe')", "隐患：管道老化")]
