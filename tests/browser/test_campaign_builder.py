"""The form builder in Chromium: the township official starts a draft with no form at a desk and
builds it question by question (a yes/no question whose "yes" raises a matter and a follow-up, a
choice question shown only after "yes", a number with a range), fixes a mistake shown next to
its field, then edits and reorders on a phone at 360 px; once started, the counts per choice are
drawn by ECharts above the table of the same figures."""

import datetime
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from grids.campaigns.models import Campaign, Task
from grids.campaigns.questionnaire import Form
from grids.campaigns.services import task_answer
from tests.browser.conftest import DESKTOP, PHONE, check_layout, send

pytestmark = pytest.mark.browser


@pytest.fixture
def safety(db):
    from petitions.models import Kind, MatterCategory

    return MatterCategory.objects.get_or_create(
        code="public_security", defaults={"name": "社会治安", "default_kind": Kind.GOVERNMENT}
    )[0]


def test_an_official_builds_a_form_at_the_desk_and_edits_it_on_a_phone(open_page, target, safety):
    if target.world is None:
        pytest.skip("uses the world's households")
    today = timezone.localdate()

    desk = open_page(DESKTOP, target.official)
    desk.goto("/campaigns/new/")
    desk.fill("#id_title", "自建燃气排查")
    desk.get_by_label("七星村").check()
    desk.fill("#id_starts_on", today.isoformat())
    desk.fill("#id_due_on", (today + datetime.timedelta(days=20)).isoformat())
    desk.select_option("#id_template", "build")
    send(desk, desk.locator("main form.form button[type=submit]"))
    campaign = Campaign.objects.get()
    expect(desk.locator("h1")).to_have_text("编辑问卷")
    check_layout(desk, "campaign-builder-empty-desktop")

    # The first question: yes/no, "是" raises a 社会治安 matter and a follow-up in 30 days.
    send(desk, desk.get_by_role("link", name="添加题目"))
    desk.fill("#id_label", "是否使用燃气")
    desk.select_option("#id_kind", "yes_no")
    desk.get_by_label("必答").check()
    desk.fill("#id_name", "uses_gas")
    desk.fill("#id_finding_0_when", "是")
    desk.select_option("#id_finding_0_category", "public_security")
    desk.fill("#id_finding_0_days", "30")
    check_layout(desk, "campaign-builder-question-desktop")
    send(desk, desk.get_by_role("button", name="保存题目"))
    expect(desk.locator(".message.success")).to_contain_text("问卷已保存")

    # The second: one choice, asked only when gas is in use; a mistake first (a later question).
    send(desk, desk.get_by_role("link", name="添加题目"))
    desk.fill("#id_label", "燃气类型")
    desk.fill("#id_choices", "pipe 管道天然气\n瓶装液化气")
    desk.locator("summary", has_text="用表达式写任意条件").click()
    desk.fill("#id_relevant", "${people} > 0")
    send(desk, desk.get_by_role("button", name="保存题目"))
    expect(desk.locator("#field-relevant .errorlist")).to_contain_text("不是前面的题目")
    expect(desk.locator("#id_choices")).to_have_value("pipe 管道天然气\n瓶装液化气")  # kept as typed
    check_layout(desk, "campaign-builder-error-desktop")
    desk.fill("#id_relevant", "")
    desk.select_option("#id_relevant_pick", label="是否使用燃气：是")
    send(desk, desk.get_by_role("button", name="保存题目"))
    expect(desk.locator(".builder-question")).to_have_count(2)

    # The third: a number from 0 to 30.
    send(desk, desk.get_by_role("link", name="添加题目"))
    desk.fill("#id_label", "常住人数")
    desk.select_option("#id_kind", "integer")
    desk.fill("#id_minimum", "0")
    desk.fill("#id_maximum", "30")
    send(desk, desk.get_by_role("button", name="保存题目"))
    check_layout(desk, "campaign-builder-three-desktop")

    # On a phone: the number moved up, the choice question's wording changed, the list read.
    phone = open_page(PHONE, target.official, phone=True)
    phone.goto(f"/campaigns/{campaign.pk}/questions/")
    check_layout(phone, "campaign-builder-phone")
    send(phone, phone.get_by_role("button", name="第 3 题上移"))
    expect(phone.locator(".builder-question").nth(1)).to_contain_text("常住人数")
    send(phone, phone.get_by_role("link", name="编辑第 3 题"))
    expect(phone.locator("#id_relevant_pick")).to_have_value("${uses_gas} = 'yes'")
    phone.fill("#id_label", "家中燃气类型")
    check_layout(phone, "campaign-builder-question-phone")
    send(phone, phone.get_by_role("button", name="保存题目"))
    expect(phone.locator(".builder-question").nth(2)).to_contain_text("家中燃气类型")
    check_layout(phone, "campaign-builder-moved-phone")

    campaign.refresh_from_db()
    form = Form.from_json(campaign.form)
    assert [q.label for q in form.questions] == ["是否使用燃气", "常住人数", "家中燃气类型"]
    assert form["uses_gas"].findings[0].follow_up_days == 30
    assert form["q2"].choices == (("pipe", "管道天然气"), ("1", "瓶装液化气"))

    # Started: the form no longer changes, and the counts per choice are charts.
    desk.goto(f"/campaigns/{campaign.pk}/")
    expect(desk.get_by_role("link", name="编辑问卷")).to_be_visible()
    send(desk, desk.get_by_role("button", name="启动：下发到各网格"))
    expect(desk.get_by_role("link", name="编辑问卷")).to_have_count(0)
    world = target.world
    task = Task.objects.get(campaign=campaign, household=world.households.q1)
    task_answer(
        actor=world.users.grid1, task=task, client_uuid=uuid.uuid4(), answers={"uses_gas": "yes", "q2": "pipe", "q3": 3}
    )
    desk.reload()
    expect(desk.locator(".chart[data-chart='chart-q2'] canvas")).to_be_visible()
    check_layout(desk, "campaign-charts-desktop")
    phone.goto(f"/campaigns/{campaign.pk}/")
    expect(phone.locator(".chart[data-chart='chart-uses_gas'] canvas")).to_be_visible()
    check_layout(phone, "campaign-charts-phone")
    phone.goto(f"/campaigns/{campaign.pk}/questions/")
    expect(phone.locator(".message.error")).to_contain_text("进行中")
    expect(phone.get_by_role("link", name="添加题目")).to_have_count(0)
    check_layout(phone, "campaign-builder-started-phone")
