"""A campaign's progress in Chromium at 360 px: the village cadre's board shows the campaign
under way, its overdue figure opens the households behind it; the township official filters
a campaign's households by grid and state on a phone and at a desk."""

import datetime
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from grids.campaigns.library import GAS
from grids.campaigns.models import Task
from grids.campaigns.services import campaign_create, campaign_start, task_answer
from tests.browser.conftest import DESKTOP, PHONE, check_layout

pytestmark = pytest.mark.browser


@pytest.fixture
def gas(target):
    """The township's gas campaign over 七星村, under way: 张三 answered, 王五 overdue."""
    from petitions.models import Kind, MatterCategory

    if target.world is None:
        pytest.skip("uses the world's households")
    world = target.world
    MatterCategory.objects.get_or_create(
        code="public_security", defaults={"name": "社会治安", "default_kind": Kind.GOVERNMENT}
    )
    today = timezone.localdate()
    official = world.users.official
    campaign = campaign_create(
        actor=official,
        township=world.weituo,
        title="燃气安全排查",
        starts_on=today,
        due_on=today + datetime.timedelta(days=20),
        villages=[world.qixing],
        form=GAS.form,
    )
    campaign = campaign_start(campaign=campaign, actor=official)
    task = Task.objects.get(campaign=campaign, household=world.households.q1)
    task_answer(actor=world.users.grid1, task=task, client_uuid=uuid.uuid4(), answers={"uses_gas": "no"})
    Task.objects.filter(campaign=campaign, household=world.households.q2).update(
        due_on=today - datetime.timedelta(days=1)
    )
    return campaign


def test_the_cadres_board_opens_the_overdue_households_on_a_phone(open_page, target, gas):
    phone = open_page(PHONE, target.cadre, phone=True)
    phone.goto("/")
    board = phone.locator("section.dashboard").filter(has_text="进行中的专项排查")
    expect(board.get_by_role("link", name="燃气安全排查")).to_be_visible()
    board.get_by_role("table").filter(has_text="燃气安全排查").scroll_into_view_if_needed()
    check_layout(phone, "campaign-board-cadre-phone")
    with phone.expect_navigation():
        board.locator(f"a[href='/campaigns/{gas.pk}/tasks/?village={target.world.qixing.pk}&overdue=1']").click()
    expect(phone.locator("h1")).to_contain_text("燃气安全排查")
    expect(phone.locator("#task-results [role=status]")).to_contain_text("共 1 户")
    expect(phone.locator("#task-results")).to_contain_text("王五")
    expect(phone.locator("#task-results .chip.warn")).to_contain_text("超期")
    check_layout(phone, "campaign-task-list-overdue-phone")


def test_the_official_filters_a_campaigns_households(open_page, target, gas):
    world = target.world
    phone = open_page(PHONE, target.official, phone=True)
    phone.goto(f"/campaigns/{gas.pk}/")
    with phone.expect_navigation():
        phone.locator(f"main a[href='/campaigns/{gas.pk}/tasks/?grid={world.q1.pk}&state=done']").click()
    expect(phone.locator("#task-results")).to_contain_text("张三")
    expect(phone.locator("#task-results")).to_contain_text("网格员一")
    check_layout(phone, "campaign-task-list-done-phone")
    phone.goto(f"/campaigns/{gas.pk}/tasks/")
    phone.locator("summary").click()
    phone.locator("#id_state").select_option("open")
    with phone.expect_navigation():
        phone.get_by_role("button", name="筛选").click()
    expect(phone.locator("#task-results [role=status]")).to_contain_text("共 2 户")
    check_layout(phone, "campaign-task-list-filters-phone")
    desk = open_page(DESKTOP, target.official)
    desk.goto(f"/campaigns/{gas.pk}/tasks/")
    expect(desk.locator("#task-results [role=status]")).to_contain_text("共 3 户")
    check_layout(desk, "campaign-task-list-desktop")
