"""力量沉底 in the browser: the 逢十 compliance page shows the village cadres, 包村 and 包片 apart
from the grid staff, on a phone and a desk; a 包村 official's home opens on their village."""

import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, layout_problems, screenshot
from tests.sent_down_fixtures import visit

CYCLE = datetime.date(2026, 11, 20)


@pytest.fixture
def went_down(target, sent):
    """On 20 November grid 1's worker and the 包村 official visited 七星村 households, the 包片
    leader one of 化龙村; the cadres did not go."""
    if target.world is None:
        pytest.skip("writes assignments and visits into the test world's database")
    visit(sent.users.grid1, sent.households.q1, CYCLE)
    visit(sent.users.official, sent.households.q2, CYCLE)
    visit(sent.users.official, sent.households.q1b, CYCLE - datetime.timedelta(days=5))
    visit(sent.users.leader, sent.households.h1, CYCLE)
    return sent


@pytest.mark.parametrize(("device", "viewport", "phone"), [("phone", PHONE, True), ("desktop", DESKTOP, False)])
def test_township_sees_the_cadres_and_sent_down_apart_on_a_phone_and_a_desk(
    open_page, went_down, device, viewport, phone
):
    page = open_page(viewport, went_down.users.official.username, phone=phone)
    page.goto(f"/visits/compliance/?cycle={CYCLE.isoformat()}")
    section = page.locator("#sent-down")
    expect(section).to_be_visible()
    expect(section.locator(".compliance-person")).to_have_count(4)
    expect(section.locator(".compliance-person.went")).to_have_count(2)
    expect(section.locator(".compliance-person.went").first).to_contain_text("北片")
    # a grid counts as visited whoever went (七星村 grid 2 by the official, 化龙村's by the leader);
    # its staff's own marks are theirs alone: grid 2's worker and the courtyard helper missed
    expect(page.locator(".compliance-grid.went")).to_have_count(3)
    expect(page.locator(".compliance-grid .people li.missed")).to_have_count(2)
    assert layout_problems(page) == [], device
    screenshot(page, f"{device}-visit-compliance-sent-down")


def test_liaison_home_opens_on_the_village(open_page, went_down):
    page = open_page(PHONE, went_down.users.official.username, phone=True)
    expect(page.locator("#today-heading")).to_contain_text("包村")
    expect(page.locator(f"#vboard-{went_down.qixing.pk}")).to_be_visible()
    assert layout_problems(page) == []
    screenshot(page, "phone-home-liaison")
