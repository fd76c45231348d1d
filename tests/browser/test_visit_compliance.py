"""The 逢十 compliance page and the home dashboard's roll-up, as a cadre and an official see them."""

import datetime
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from governance.models import Assignment
from grids.visits.services import visit_record
from tests.browser.conftest import DESKTOP, PHONE, layout_problems, screenshot


@pytest.fixture
def went(target):
    """On 20 November grid 1's worker visited a household; grid 2's worker and the courtyard
    helper did not. Everyone has been on duty since January."""
    if target.world is None:
        pytest.skip("writes visits into the test world's database")
    world = target.world
    Assignment.objects.update(valid_from=datetime.date(2026, 1, 1))
    at = timezone.make_aware(datetime.datetime(2026, 11, 20, 9))
    visit_record(
        author=world.users.grid1,
        client_uuid=uuid.uuid4(),
        visited_at=at,
        method="home",
        household=world.households.q1,
        now=at,
    )
    return world


def test_cadre_sees_who_went_and_who_did_not_on_a_phone_and_a_desk(open_page, target, went):
    for viewport, phone, name in ((PHONE, True, "phone"), (DESKTOP, False, "desktop")):
        page = open_page(viewport, target.cadre, phone=phone)
        page.goto("/visits/compliance/?cycle=2026-11-20")
        expect(page.locator("h1")).to_contain_text("2026年11月20日")
        went_card = page.locator(".compliance-grid.went")
        missed_card = page.locator(".compliance-grid.missed")
        expect(went_card).to_have_count(1)
        expect(missed_card).to_have_count(1)
        expect(went_card).to_contain_text("网格员一")
        expect(page.locator(".people li.missed")).to_have_count(2)
        assert layout_problems(page) == [], name
        screenshot(page, f"{name}-visit-compliance")
        # Another 逢十 day from the picker: the page follows.
        page.select_option("#cycle", "2026-11-10")
        page.wait_for_url("**cycle=2026-11-10")
        expect(page.locator(".compliance-grid.went")).to_have_count(0)


def test_official_home_shows_the_last_fengshi_roll_up_and_leads_to_the_page(open_page, target, went):
    page = open_page(DESKTOP, target.official)
    expect(page.locator("#fengshi-heading")).to_be_visible()
    screenshot(page, "desktop-home-official-fengshi")
    page.locator("a[href='/visits/compliance/']").click()
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator(".compliance-villages tbody tr")).to_have_count(2)
    assert layout_problems(page) == []
    screenshot(page, "desktop-visit-compliance-official")
