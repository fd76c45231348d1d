"""The pledge cycle in Chromium, on the seeded demo (提诺·审诺·亮诺·践诺·评诺).

七星村's grid worker (qixing_grid1) proposes a pledge on a phone, with a due date outside the
period first; the village's secretary (qixing_cadre, not its maker) approves it at a desk; an
anonymous resident reads it on the public board with the pledger's initials only; the grid
worker records progress with a photo and completes it; the secretary records the rating
meeting's figures (a sum that does not add up first) and the pledge shows its 满意率. The
demo's overdue pledge is flagged in the list, on its page and on the board.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from governance import pledges as p
from governance.models import Pledge, PledgeStatus
from tests.browser.conftest import DESKTOP, PHONE, check_layout, send_ok

pytestmark = pytest.mark.browser
QIXING = "500117101001"
TITLE = "每周巡查河堤两次，汛期前清理排水沟"
OVERDUE_TITLE = "逢十走访网格内困难户，三天内更新台账"


def _anonymous(demo_site, viewport):
    context = demo_site.browser.new_context(
        viewport=viewport,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=demo_site.base_url,
    )
    demo_site.contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _jpeg(path):
    from PIL import Image

    Image.new("RGB", (400, 300), (40, 120, 200)).save(path, format="JPEG")
    return path


def _board_card(page, title):
    return page.locator("#pledges article.pledge-public", has=page.locator("h3", has_text=title))


def test_pledge_cycle_from_phone_to_rating(demo_site, tmp_path):
    today = timezone.localdate()
    start, end = today, today + datetime.timedelta(days=90)

    # 提诺: the grid worker on a phone.
    phone = demo_site(PHONE, "qixing_grid1", phone=True)
    phone.goto("/pledges/")
    expect(phone.locator("h1")).to_contain_text("提诺")
    phone.locator("main a[href='/pledges/new/']").click()
    expect(phone.locator("#id_resident")).to_have_count(0)  # a grid worker pledges only for themself
    phone.fill("#id_title", TITLE)
    phone.fill("#id_description", "汛期前每周两次巡查河堤，发现隐患当天报告并组织清理排水沟。")
    phone.fill("#id_period_label", "2026年汛期")
    phone.fill("#id_period_start", start.isoformat())
    phone.fill("#id_period_end", end.isoformat())
    # A mistake: due after the period ends. Said next to the field; what was typed is kept.
    phone.fill("#id_due_on", (end + datetime.timedelta(days=1)).isoformat())
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator("#field-due_on .errorlist")).to_contain_text("完成期限必须在承诺期内")
    expect(phone.locator("#id_title")).to_have_value(TITLE)
    expect(phone.locator("#id_period_label")).to_have_value("2026年汛期")
    assert not Pledge.objects.filter(title=TITLE).exists()
    check_layout(phone, "pledge-propose-error-phone")
    phone.fill("#id_due_on", (end - datetime.timedelta(days=10)).isoformat())
    send_ok(phone, phone.locator("main form button[type=submit]"))
    pledge = Pledge.objects.get(title=TITLE)
    assert pledge.status == PledgeStatus.SUBMITTED and pledge.pledger_user.username == "qixing_grid1"
    assert pledge.pledger_title == "网格员"
    expect(phone.locator("h1")).to_have_text(TITLE)
    expect(phone.locator(".chips .status-submitted")).to_contain_text("已提交，待审核")
    # Maker-checker: the pledger has no review form.
    expect(phone.locator("#action-approve")).to_have_count(0)
    check_layout(phone, "pledge-proposed-phone")

    # 审诺: the secretary at a desk finds it in the list as their turn, and approves it.
    desk = demo_site(DESKTOP, "qixing_cadre")
    desk.goto("/pledges/")
    row = desk.locator(".pledge-rows li", has=desk.locator("h3", has_text=TITLE))
    expect(row.locator(".next")).to_contain_text("审诺")
    row.locator("h3 a").click()
    expect(desk.locator("#action-approve")).to_have_attribute("open", "")
    desk.fill("#id_approve-note", "承诺具体，可检验，同意亮诺。")
    check_layout(desk, "pledge-review-desktop")
    send_ok(desk, desk.locator("#action-approve button[type=submit]"))
    expect(desk.locator(".chips .status-published")).to_contain_text("已亮诺")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.PUBLISHED and pledge.reviewed_by.username == "qixing_cadre"

    # 亮诺: an anonymous resident reads it on the board, with the initials and no name.
    board = _anonymous(demo_site, PHONE)
    board.goto(f"/public/{QIXING}/")
    card = _board_card(board, TITLE)
    expect(card).to_have_count(1)
    initials = p.initials(pledge.pledger_user.get_full_name())
    expect(card.locator(".meta strong")).to_have_text(f"网格员 {initials}")
    expect(card).to_contain_text("已亮诺，践诺中")
    assert "王" not in card.inner_text() and "qixing_grid1" not in card.inner_text()
    card.scroll_into_view_if_needed()
    check_layout(board, "pledge-board-phone")

    # 践诺: the grid worker records progress with a photo, then marks it done.
    phone.reload()
    expect(phone.locator("#action-progress")).to_have_attribute("open", "")
    phone.fill("#id_progress-note", "巡查河堤3次，清理排水沟2处。")
    phone.set_input_files("#id_progress-photos", str(_jpeg(tmp_path / "ditch.jpg")))
    send_ok(phone, phone.locator("#action-progress button[type=submit]"))
    photo = phone.locator(".timeline img").first
    expect(photo).to_be_visible()
    assert phone.evaluate("(img) => img.complete && img.naturalWidth > 0", photo.element_handle())
    check_layout(phone, "pledge-progress-phone")
    phone.locator("#action-complete summary").click()
    phone.fill("#id_complete-note", "汛期前河堤巡查完成，排水沟全部清通。")
    send_ok(phone, phone.locator("#action-complete button[type=submit]"))
    expect(phone.locator(".chips .status-done")).to_contain_text("已完成，待评诺")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.DONE and pledge.photos.count() == 1
    # The board shows the progress line's text, never the photo.
    board.reload()
    card = _board_card(board, TITLE)
    summary = card.locator("summary")
    assert summary.evaluate("(el) => getComputedStyle(el, '::before').content") == '"▸"'  # it says it opens
    summary.click()
    expect(card.locator(".pledge-progress")).to_contain_text("巡查河堤3次")
    expect(card.locator("img")).to_have_count(0)

    # 评诺: the secretary records the meeting's figures; a sum that does not add up first.
    desk.reload()
    expect(desk.locator("#action-rate")).to_have_attribute("open", "")
    desk.fill("#id_rate-held_on", today.isoformat())
    desk.fill("#id_rate-raters", "30")
    desk.fill("#id_rate-satisfied", "24")
    desk.fill("#id_rate-basically_satisfied", "4")
    desk.fill("#id_rate-unsatisfied", "1")
    desk.locator("#action-rate button[type=submit]").click()
    expect(desk.locator("#field-rate-raters .errorlist")).to_be_visible()
    expect(desk.locator("#id_rate-satisfied")).to_have_value("24")
    desk.fill("#id_rate-unsatisfied", "2")
    send_ok(desk, desk.locator("#action-rate button[type=submit]"))
    expect(desk.locator(".chips .status-closed")).to_contain_text("已评诺，已办结")
    expect(desk.locator(".next-panel")).to_contain_text("满意率 93%")  # (24 + 4) / 30
    expect(desk.locator(".facts")).to_contain_text("满意 24")
    check_layout(desk, "pledge-rated-desktop")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.CLOSED and pledge.satisfaction_rate == 93

    phone.reload()
    expect(phone.locator(".next-panel")).to_contain_text("满意率 93%")
    check_layout(phone, "pledge-rated-phone")
    board.reload()
    expect(_board_card(board, TITLE)).to_contain_text(re.compile(r"30\D+93%"))  # 30 raters, 93 % satisfied


def test_overdue_pledge_is_flagged(demo_site):
    overdue = Pledge.objects.get(title=OVERDUE_TITLE)
    assert overdue.is_overdue and overdue.status == PledgeStatus.PUBLISHED

    phone = demo_site(PHONE, "qixing_cadre", phone=True)
    phone.goto("/pledges/?overdue=on")
    rows = phone.locator(".pledge-rows > li")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(OVERDUE_TITLE)
    expect(rows.first.locator(".chip.overdue")).to_contain_text("超期")
    expect(phone.locator("label[for=id_status]")).to_have_text("状态")  # not the register's 居住状态
    check_layout(phone, "pledge-list-overdue-phone")
    rows.first.locator("h3 a").click()
    expect(phone.locator(".chips .chip.overdue")).to_be_visible()
    expect(phone.locator(".facts")).to_contain_text("超期")
    check_layout(phone, "pledge-overdue-phone")

    board = _anonymous(demo_site, PHONE)
    board.goto(f"/public/{QIXING}/")
    card = _board_card(board, OVERDUE_TITLE)
    expect(card).to_have_class("card pledge-public overdue")
    expect(card.locator(".chip.warn")).to_contain_text("已超期")
    # The demo's other pledges: the secretary's is not flagged; the party member's is rated.
    expect(board.locator("#pledges .chip.warn")).to_have_count(1)
    expect(board.locator("#pledges")).to_contain_text(re.compile(r"25\D+96%"))  # (20 + 4) / 25
