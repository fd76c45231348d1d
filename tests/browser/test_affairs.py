"""村务公开 in the browser: a resident reads the 七星村 board on a phone without logging in; its
cadre keeps a quarter's accounts at a desk (a mistake, a spreadsheet, posting) and the board
shows them."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import Workbook
from playwright.sync_api import expect

from governance import finance
from tests.browser.conftest import DESKTOP, PHONE, layout_problems, screenshot

pytestmark = pytest.mark.browser
QIXING = "500117101001"
HUALONG = "500117101002"


def _anonymous(demo_site, viewport, *, phone=True, language="zh-hans"):
    context = demo_site.browser.new_context(
        viewport=viewport,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN",
        base_url=demo_site.base_url,
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": demo_site.base_url}])
    demo_site.contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_resident_reads_the_village_board_on_a_phone(demo_site, language):
    page = _anonymous(demo_site, PHONE, language=language)
    page.goto("/public/")
    expect(page.locator("details.township", has_text="渭沱镇")).to_have_attribute("open", "")
    page.locator(f"a[href='/public/{QIXING}/']").first.click()
    expect(page.locator("h1")).to_contain_text("七星村")
    decisions = page.locator("#decisions .decision")
    expect(decisions.first).to_be_visible()
    # The compact's vote, with its figures (the demo's 村民会议: 620 entitled, 468 present, 431 for).
    compact = decisions.filter(has_text="红白喜事简办")
    expect(compact.locator(".vote-figures dd")).to_have_text(["620", "468", "431", "22", "15"])
    expect(page.locator("#finance .finance-period").first).to_contain_text("48400.00")
    assert layout_problems(page) == []
    screenshot(page, f"board-phone-{language}")


def test_board_on_a_desktop(demo_site):
    page = _anonymous(demo_site, DESKTOP, phone=False)
    page.goto(f"/public/{QIXING}/")
    expect(page.locator("#progress .board-matter").first).to_be_visible()
    assert layout_problems(page) == []
    screenshot(page, "board-desktop")


def _spreadsheet(path, start: datetime.date) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["日期", "收支", "项目", "类别", "金额", "凭证号", "备注"])
    sheet.append([start.isoformat(), "收入", "集体林地流转租金", "经营收入", 6400, "记-101", ""])
    sheet.append(
        [(start + datetime.timedelta(days=20)).isoformat(), "支出", "村道护栏修复", "公益事业", "1250.00", "记-102", ""]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())


def test_cadre_keeps_a_quarter_and_the_board_shows_it(demo_site, tmp_path):
    # 化龙村 has no accounts in the demo: its cadre opens last quarter (七星村's run up to this quarter).
    this_quarter, _end = finance.period_bounds("quarter", timezone.localdate())
    start, end = finance.period_bounds("quarter", this_quarter - datetime.timedelta(days=1))
    page = demo_site(DESKTOP, "hualong_cadre")
    page.goto("/affairs/")
    page.get_by_role("link", name="财务公开").first.click()
    page.fill("#id_day", start.isoformat())
    page.fill("#id_opening_balance", "50000")
    page.locator("form[action$='/finance/new/'] button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("化龙村")
    # A date outside the quarter: said next to the field, the rest kept.
    page.fill("#id_line-occurred_on", (end + datetime.timedelta(days=1)).isoformat())
    page.fill("#id_line-item", "鱼塘承包费")
    page.fill("#id_line-amount", "12000")
    page.locator("#add-line button[type=submit]").click()
    expect(page.locator("#field-line-occurred_on .errorlist")).to_be_visible()
    expect(page.locator("#id_line-item")).to_have_value("鱼塘承包费")
    page.fill("#id_line-occurred_on", start.isoformat())
    page.locator("#add-line button[type=submit]").click()
    expect(page.locator(".finance-lines tbody tr")).to_have_count(1)
    workbook = tmp_path / "accounts.xlsx"
    _spreadsheet(workbook, start)
    page.locator("#import summary").click()
    page.set_input_files("#id_import-file", str(workbook))
    page.locator("#import button[type=submit]").click()
    expect(page.locator(".finance-lines tbody tr")).to_have_count(3)
    expect(page.locator(".finance-totals")).to_contain_text("67150.00")
    screenshot(page, "finance-desktop")
    # Posting asks first: answered "cancel", the statement stays a draft.
    post = page.locator("form[action$='/post/'] button")
    questions = []

    def cancel(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", cancel)
    post.click()
    expect(post).to_be_enabled()
    assert questions and "化龙村" in questions[0]
    page.reload()
    expect(page.locator(".chips")).to_contain_text("草稿")
    page.once("dialog", lambda dialog: dialog.accept())
    post.click()
    expect(page.locator(".chips")).to_contain_text("已公开")
    phone = demo_site(PHONE, "hualong_cadre", phone=True)
    phone.goto(page.url)
    # On a phone each line is a card whose figures say what they are.
    amount = phone.locator(".finance-lines tbody td.num").first
    assert "金额" in amount.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert layout_problems(phone) == []
    screenshot(phone, "finance-phone")
    # The quarter before the posted one is refused next to the day, the rest kept.
    phone.goto("/finance/")
    phone.fill("#id_day", (start - datetime.timedelta(days=1)).isoformat())
    phone.fill("#id_opening_balance", "0")
    phone.locator("form[action$='/finance/new/'] button[type=submit]").click()
    expect(phone.locator("#field-day .errorlist")).to_contain_text(end.isoformat())
    expect(phone.locator("#id_opening_balance")).to_have_value("0")
    board = _anonymous(demo_site, PHONE)
    board.goto(f"/public/{HUALONG}/")
    expect(board.locator("#finance")).to_contain_text("村道护栏修复")
