"""The household register in Excel, in Chromium: a cadre sends a bad file, reads the errors
(at a desk and on a phone), then sends a good one and sees what was written."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, layout_problems, screenshot
from tests.grids.test_register import family, person, xlsx

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _bad_rows():
    rows = family()
    rows[0]["公民身份号码"] = "500117197001020000"  # wrong check digit
    rows[1]["性别"] = "未知"
    rows[2]["人员标签"] = "不存在的标签"
    rows.append(person(household="Q-101", name="外村人", id_number="", **{"村（社区）": "化龙村"}))
    rows.append(person(household="Q-102", name="没有户主", relation="配偶", id_number="", 出生日期="1990-13-45"))
    return rows


def _send(page, rows, name):
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": XLSX, "buffer": xlsx(rows).getvalue()}])
    page.click("#import-form button[type=submit]")
    page.wait_for_load_state()


def test_cadre_imports_the_register_after_fixing_errors(open_page, target):
    if target.world is None:
        pytest.skip("writes households: needs the test world, not a running demo")
    from grids.models import Household, Tag

    Tag.objects.create(code="hardship", name="困难户", is_key_group=True)
    Tag.objects.create(code="left_behind_child", name="留守儿童", is_key_group=True)

    # From the household list to the import page, as a cadre finds it.
    page = open_page(DESKTOP, target.cadre)
    page.goto("/households/")
    expect(page.locator("#household-results a.button[href='/households/export/']")).to_be_visible()
    expect(page.locator("#household-results form[action='/households/export/'] button")).to_be_visible()
    assert layout_problems(page) == []
    screenshot(page, "desktop-register-household-list")
    page.locator(".page-head a[href='/households/import/']").click()
    expect(page.locator("#import-form")).to_be_visible()
    assert layout_problems(page) == []
    screenshot(page, "desktop-register-import")

    # 1. A bad file: every error by row and column, nothing written, the form still there.
    _send(page, _bad_rows(), "七星村台账.xlsx")
    expect(page.locator("#import-errors")).to_be_visible()
    table = page.locator("#error-table")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    assert rows.count() >= 6
    first = rows.first.locator("td")
    expect(first.nth(0)).to_have_text("2")
    expect(first.nth(1)).to_have_text("公民身份号码")
    assert not Household.objects.filter(number__in=["Q-100", "Q-101", "Q-102"]).exists()
    expect(page.locator("#import-form button[type=submit]")).to_be_enabled()
    assert layout_problems(page) == []
    screenshot(page, "desktop-register-import-errors")

    # The same on a phone: the table turns into one card per error, nothing sticks out.
    phone = open_page(PHONE, target.cadre, phone=True)
    phone.goto("/households/import/")
    assert layout_problems(phone) == []
    screenshot(phone, "phone-register-import")
    _send(phone, _bad_rows(), "七星村台账.xlsx")
    expect(phone.locator("#error-table")).to_be_visible()
    assert phone.locator("#error-table thead").bounding_box()["height"] <= 1
    assert phone.locator("#error-table tbody tr").first.evaluate("e => getComputedStyle(e).display") == "block"
    table_box = phone.locator("#error-table").bounding_box()
    assert table_box["x"] + table_box["width"] <= PHONE["width"]
    assert layout_problems(phone) == []
    screenshot(phone, "phone-register-import-errors")
    phone.locator("#error-table").screenshot(path=str(ARTIFACTS / "phone-register-error-table.png"))

    # 2. The corrected file: the counts, and the way back to the list.
    _send(page, family(), "七星村台账.xlsx")
    page.wait_for_url(re.compile(r"/households/import/\?result="))
    panel = page.locator(".result-panel")
    expect(panel).to_be_visible()
    counts = [int(n) for n in panel.locator(".counts dd").all_inner_texts()]
    assert counts == [1, 0, 0, 3, 0, 0]  # households created/updated/moved, residents created/updated/unchanged
    assert Household.objects.get(number="Q-100").members.count() == 3
    assert layout_problems(page) == []
    screenshot(page, "desktop-register-import-done")
    panel.locator("a[href='/households/']").click()
    expect(page.locator("#household-results")).to_contain_text("刘大山")
