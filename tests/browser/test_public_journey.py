"""A resident on a cheap phone, in WeChat's in-app browser, with no account and no JavaScript:
submit a matter, keep the code, follow it, evaluate it. And the village's A4 poster."""

import datetime
import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from petitions import services as s
from petitions.models import Kind, Matter, State
from tests.browser.conftest import ARTIFACTS, PHONE, layout_problems, screenshot
from tests.petitions import conftest as matter_fixtures

# The matters fixtures of tests/petitions/conftest.py (the world, categories, and makers).
categories = matter_fixtures.categories
mw = matter_fixtures.mw

pytestmark = pytest.mark.browser

WECHAT = (
    "Mozilla/5.0 (Linux; Android 10; V2001A Build/QP1A.190711.020; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/86.0.4240.99 XWEB/4313 MMWEBSDK/20220805 Mobile Safari/537.36 MMWEBID/6170 "
    "MicroMessenger/8.0.27.2220(0x28001B37) WeChat/arm64 Weixin NetType/4G Language/zh_CN ABI/arm64"
)
A4 = {"width": 794, "height": 1123}  # A4 at 96 dpi


@pytest.fixture
def resident(browser, target):
    """A phone in WeChat, JavaScript off: every public page must work as plain HTML forms."""
    cache.clear()
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        user_agent=WECHAT,
        java_script_enabled=False,
        base_url=target.base_url,
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
    cache.clear()


def _layout_ok(page):
    assert layout_problems(page) == []


def _to_evaluating(mw, matter):
    u, today = mw.users, datetime.date.today()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    s.matter_deliberate(matter=matter, actor=u.grid1, kind="meeting", held_on=today, summary="院坝会商量修灯")
    s.matter_handle(matter=matter, actor=u.grid1, handler=u.grid1)
    s.matter_report(matter=matter, actor=u.grid1, result="已更换桥头路灯灯泡，恢复照明")
    s.matter_verify(matter=matter, actor=u.cadre, passed=True)


def test_resident_submits_follows_and_evaluates_a_matter_on_a_phone(resident, target, mw):
    page = resident
    page.goto("/public/")
    _layout_ok(page)
    # A few townships are shown open: the village's form and its board are in sight at once.
    expect(page.locator("a.village-link", has_text="七星村")).to_be_visible()
    expect(page.locator("a.village-board-link[href='/public/500117101001/']")).to_be_visible()
    _layout_ok(page)
    screenshot(page, "public-phone-board")
    page.locator("a.village-link", has_text="七星村").click()
    expect(page).to_have_url(re.compile(r"/public/500117101001/new/$"))
    _layout_ok(page)
    screenshot(page, "public-phone-form")

    # A wrong number: the form comes back with the message at the field and what was typed.
    page.fill("#id_title", "桥头路灯不亮")
    page.fill("#id_description", "村口桥头的路灯坏了一个多月，晚上过桥看不见")
    page.select_option("#id_grid", label="第一网格")
    page.fill("#id_submitter_name", "马大姐")
    page.fill("#id_submitter_phone", "1590000")
    page.locator("main button[type=submit]").click()
    expect(page.locator("#field-submitter_phone .errorlist")).to_be_visible()
    expect(page.locator("#id_title")).to_have_value("桥头路灯不亮")
    assert not Matter.objects.exists()
    _layout_ok(page)
    screenshot(page, "public-phone-form-error")

    page.fill("#id_submitter_phone", "159 0000 1111")
    page.locator("main button[type=submit]").click()
    expect(page.locator("#tracking-code")).to_be_visible()
    matter = Matter.objects.get()
    code = page.locator("#tracking-code").inner_text().replace("\n", "").replace(" ", "")
    assert code == matter.tracking_code
    box = page.locator("#tracking-code").bounding_box()
    assert box["width"] <= PHONE["width"]
    _layout_ok(page)
    screenshot(page, "public-phone-confirmation")

    page.locator(f"a[href='/public/matters/{code}/']").click()
    expect(page.locator("h1")).to_have_text("桥头路灯不亮")
    expect(page.locator(".step.current .step-mark")).to_have_text("提")
    html = page.content()
    assert "马大姐" not in html and "15900001111" not in html
    _layout_ok(page)
    screenshot(page, "public-phone-status-submitted")

    _to_evaluating(mw, matter)
    page.reload()
    expect(page.locator(".step.current .step-mark")).to_have_text("评")
    expect(page.locator(".result-panel")).to_contain_text("已更换桥头路灯灯泡")
    html = page.content()
    for user in (mw.users.grid1, mw.users.cadre):
        assert user.username not in html and user.first_name not in html
    _layout_ok(page)
    screenshot(page, "public-phone-status-evaluating")

    page.locator("#evaluate label", has_text=re.compile("^")).first.click()  # the first answer: satisfied
    expect(page.locator("#evaluate input[value=satisfied]")).to_be_checked()
    page.locator("#evaluate button[type=submit]").click()
    expect(page.locator(".status-summary.closed")).to_be_visible()
    expect(page.locator(".end-note.closed")).to_be_visible()
    assert page.locator("#evaluate").count() == 0
    matter.refresh_from_db()
    assert matter.state == State.CLOSED and matter.events.get(action="evaluate").actor is None
    _layout_ok(page)
    screenshot(page, "public-phone-status-closed")


def test_resident_looks_up_a_code_and_withdraws_after_confirming(resident, target, mw):
    matter = mw.public_matter()
    page = resident
    page.goto("/public/")
    page.fill("#id_code", f" {matter.tracking_code} ")
    page.locator("#track button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(matter.title)
    page.locator(f"a[href='/public/matters/{matter.tracking_code}/withdraw/']").click()
    page.wait_for_url(f"**/public/matters/{matter.tracking_code}/withdraw/")  # measure the new page, not the old one
    expect(page.locator("main button[type=submit]")).to_be_visible()
    _layout_ok(page)
    screenshot(page, "public-phone-withdraw")
    page.locator("main button[type=submit]").click()
    expect(page.locator(".status-summary.withdrawn")).to_be_visible()
    matter.refresh_from_db()
    assert matter.state == State.WITHDRAWN

    page.goto("/public/matters/no-such-code-000/")
    expect(page.locator("#id_code")).to_be_visible()
    _layout_ok(page)
    screenshot(page, "public-phone-not-found")


def test_village_poster_on_a_phone_and_on_a4_paper(browser, target, resident):
    resident.goto("/public/500117101001/poster/")
    expect(resident.locator(".poster-qr svg")).to_be_visible()
    assert layout_problems(resident) == []
    screenshot(resident, "public-phone-poster")
    # The print button works without an inline handler (the page's CSP forbids them).
    resident.evaluate("window.print = () => { window.printed = true; }")
    resident.get_by_role("button", name="打印海报").click()
    resident.wait_for_function("window.printed === true", timeout=5000)

    context = browser.new_context(viewport=A4, locale="zh-CN", base_url=target.base_url)
    page = context.new_page()
    page.goto("/public/500117101001/poster/")
    form_url = f"{target.base_url}/public/500117101001/new/"
    expect(page.locator(".poster-url")).to_contain_text(form_url)
    screenshot(page, "public-a4-poster-screen")
    page.emulate_media(media="print")
    expect(page.locator(".poster-tools")).to_be_hidden()
    qr = page.locator(".poster-qr svg").bounding_box()
    assert qr["width"] >= 340 and abs(qr["width"] - qr["height"]) < 2  # 9 cm or more, square
    sheet = page.locator(".poster-sheet").bounding_box()
    foot = page.locator(".poster-foot").bounding_box()
    assert foot["y"] + foot["height"] <= sheet["y"] + sheet["height"]  # nothing cut off at the bottom
    screenshot(page, "public-a4-poster-print")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (ARTIFACTS / "public-a4-poster.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one A4 sheet, nothing spills over
    context.close()


def test_board_poster_fits_a_phone_and_one_a4_sheet(browser, target, resident):
    # The board's line of terms (决议公开 · 财务公开 · ...) is wider than a 360 px phone: it wraps
    # between its terms on screen (it made the page 399 px wide), and stays one line on paper.
    resident.goto("/public/500117101001/board-poster/")
    expect(resident.locator(".poster-qr svg")).to_be_visible()
    assert resident.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert layout_problems(resident) == []
    screenshot(resident, "public-phone-board-poster")

    context = browser.new_context(viewport=A4, locale="zh-CN", base_url=target.base_url)
    page = context.new_page()
    page.goto("/public/500117101001/board-poster/")
    page.emulate_media(media="print")
    line = page.locator(".poster-steps-line").bounding_box()
    assert line["height"] < 40  # one line on the sheet
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    context.close()
