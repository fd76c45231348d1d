"""The catalogues and settings in Chromium: the overview and an edit page at 360 px and on a
desk, an error said next to its field, the year's calendar; screenshots in test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, layout_problems, screenshot

pytestmark = pytest.mark.browser


def test_superuser_edits_a_category_at_a_desk(open_page, cw):
    page = open_page(DESKTOP, cw.users.admin.username)
    page.goto("/manage/catalogues/")
    expect(page.locator("h1")).to_have_text(re.compile(r"\S"))
    expect(page.locator("#catalogue-matter-categories")).to_be_visible()
    expect(page.locator("#catalogue-visit-default")).to_be_visible()
    assert layout_problems(page) == []
    screenshot(page, "desktop-catalogues-overview")

    used = cw.catalogue.used_category
    page.goto(f"/manage/catalogues/categories/{used.pk}/")
    expect(page.locator("form.form")).to_be_visible()
    # A code another category has: the page comes back with the error next to the field, as typed.
    page.fill("#id_code", "infrastructure")
    page.click("form.form button[type=submit]")
    expect(page.locator("#field-code .errorlist")).to_be_visible()
    expect(page.locator("#id_code")).to_have_value("infrastructure")
    assert layout_problems(page) == []
    screenshot(page, "desktop-category-edit-error")

    page.fill("#id_code", "neighbour_dispute")
    page.fill("#id_name", "邻里矛盾纠纷")
    page.click("form.form button[type=submit]")
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator(f"#category-{used.pk} h3")).to_contain_text("邻里矛盾纠纷")
    screenshot(page, "desktop-category-list")

    page.goto(f"/manage/catalogues/calendar/?year={cw.catalogue.next_year}")
    expect(page.locator("table.month")).to_have_count(12)
    assert layout_problems(page) == []
    screenshot(page, "desktop-catalogues-calendar")


def test_the_catalogues_on_a_phone(open_page, cw):
    page = open_page(PHONE, cw.users.admin.username, phone=True)
    page.goto("/manage/catalogues/")
    expect(page.locator("#catalogue-tags")).to_be_visible()
    assert layout_problems(page) == []
    screenshot(page, "phone-catalogues-overview")

    page.goto(f"/manage/catalogues/time-limits/{cw.catalogue.limit.pk}/")
    page.fill("#id_working_days", "0")
    page.click("form.form button[type=submit]")
    expect(page.locator("#field-working_days .errorlist")).to_be_visible()
    assert layout_problems(page) == []
    screenshot(page, "phone-time-limit-error")

    page.goto(f"/manage/catalogues/tags/{cw.catalogue.used_tag.pk}/")
    expect(page.locator("#id_visit_every_days")).to_have_value("30")
    assert layout_problems(page) == []
    screenshot(page, "phone-tag-edit")

    page.goto(f"/manage/catalogues/calendar/?year={cw.catalogue.next_year}")
    assert layout_problems(page) == []
    screenshot(page, "phone-catalogues-calendar")

    cadre = open_page(PHONE, cw.users.cadre.username, phone=True)
    cadre.goto("/manage/catalogues/")
    expect(cadre.locator("#catalogue-points-rules")).to_be_visible()
    assert layout_problems(cadre) == []
    screenshot(cadre, "phone-cadre-catalogues-overview")
