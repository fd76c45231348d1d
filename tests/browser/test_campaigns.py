"""A campaign in Chromium: the township official makes a 燃气安全排查 from an XLSForm at a
desk and starts it for 七星村; grid 1's worker answers on a phone, where the follow-on
questions appear only once gas is in use; the official sees the progress and the counts."""

import pytest
from playwright.sync_api import expect

from grids.campaigns.models import Campaign, Task
from tests.browser.conftest import DESKTOP, PHONE, check_layout, send
from tests.campaigns.xlsforms import xlsform

pytestmark = pytest.mark.browser


@pytest.fixture
def safety(db):
    from petitions.models import Kind, MatterCategory

    return MatterCategory.objects.get_or_create(
        code="public_security", defaults={"name": "社会治安", "default_kind": Kind.GOVERNMENT}
    )[0]


def test_an_official_makes_and_starts_a_campaign_and_a_grid_worker_answers(open_page, target, safety, tmp_path):
    if target.world is None:
        pytest.skip("uses the world's households")
    world = target.world
    upload = tmp_path / "gas.xlsx"
    upload.write_bytes(xlsform().getvalue())

    desk = open_page(DESKTOP, target.official)
    desk.goto("/campaigns/")
    check_layout(desk, "campaigns-empty-desktop")
    desk.locator("main a[href='/campaigns/new/']").click()
    desk.get_by_label("七星村").check()
    desk.fill("#id_due_on", "2099-12-31")
    desk.fill("#id_starts_on", "2026-01-01")
    desk.set_input_files("#id_xlsform", str(upload))
    check_layout(desk, "campaign-new-desktop")
    send(desk, desk.locator("main form.form button[type=submit]"))
    expect(desk.locator("h1")).to_contain_text("燃气安全排查")
    expect(desk.locator("main")).to_contain_text("是否有隐患")
    check_layout(desk, "campaign-draft-desktop")
    send(desk, desk.get_by_role("button", name="启动：下发到各网格"))
    expect(desk.locator(".message.success")).to_be_visible()
    campaign = Campaign.objects.get()
    assert campaign.state == "started" and campaign.task_count == 3

    phone = open_page(PHONE, target.grid1, phone=True)
    phone.goto("/campaigns/tasks/")
    check_layout(phone, "campaign-tasks-phone")
    task = Task.objects.get(campaign=campaign, household=world.households.q1)
    phone.locator(f"main a[href='/campaigns/tasks/{task.pk}/']").first.click()
    # The gas kind is asked only once gas is in use.
    expect(phone.locator("#field-gas_kind")).to_be_hidden()
    check_layout(phone, "campaign-answer-start-phone")
    phone.locator("#field-uses_gas").get_by_label("是").check()
    expect(phone.locator("#field-gas_kind")).to_be_visible()
    phone.locator("#field-gas_kind").get_by_label("瓶装液化气").check()
    phone.locator("#field-hazard").get_by_label("否").check()
    expect(phone.locator("#field-detail")).to_be_hidden()
    phone.fill("#id_people", "3")
    check_layout(phone, "campaign-answer-filled-phone")
    send(phone, phone.locator("main form.form button[type=submit]"))
    expect(phone.locator(".message.success")).to_be_visible()
    task.refresh_from_db()
    assert task.answers == {"uses_gas": "y", "gas_kind": "lpg", "hazard": "n", "people": 3}

    desk.goto(f"/campaigns/{campaign.pk}/")
    expect(desk.locator("main table").first).to_contain_text("七星村")
    expect(desk.locator("main table").nth(1)).to_contain_text(world.q1.name)
    expect(desk.locator("main")).to_contain_text("瓶装液化气")
    check_layout(desk, "campaign-progress-desktop")
    phone_official = open_page(PHONE, target.official, phone=True)
    phone_official.goto(f"/campaigns/{campaign.pk}/")
    check_layout(phone_official, "campaign-progress-phone")
