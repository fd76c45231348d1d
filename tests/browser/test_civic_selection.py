"""A 最美家庭 selection in Chromium, from the cadre's desk to the public board and the ledger.

七星村's cadre opens a selection, nominates two families, records the 道德评议会's vote (a
vote without quorum first: the message stands next to the field), and publishes it with the
最美家庭 points rule. The board shows the family by its head's initials, on a phone. The points
batch waits in the points bank (公示); another cadre approves it once the objection window has
closed, and the family's passbook shows +50. An activity is recorded on a phone with its
participants ticked. Screenshots at 360 px and at a desk (test-artifacts/).
"""

import datetime

import pytest
from django.utils import timezone
from django.utils.translation import gettext
from playwright.sync_api import expect

from governance.civic.models import Selection, SelectionStatus
from points import services as points
from points.models import AwardStatus
from tests.browser.conftest import DESKTOP, PHONE, check_layout, send_ok
from tests.civic import selection_world

pytestmark = pytest.mark.browser
sw = selection_world.sw
TITLE = "最美家庭评选"


def test_a_family_selection_to_the_board_and_the_ledger(sw, target, open_page, browser):
    desk = open_page(DESKTOP, target.cadre)
    desk.goto("/civic/selections/")
    expect(desk.locator("h1")).to_contain_text("最美")
    desk.locator("main a[href='/civic/selections/new/']").click()
    desk.select_option("#id_kind", "family")
    desk.fill("#id_title", TITLE)
    desk.fill("#id_description", "孝老爱亲、邻里和睦、家风良好")
    send_ok(desk, desk.locator("main form button[type=submit]"))
    selection = Selection.objects.get(title=TITLE)

    for household, reason in (
        (sw.households.q1, "张三家照顾瘫痪老母亲十年"),
        (sw.households.q1b, "李四家带头调解邻里纠纷"),
    ):
        if not desk.locator("#id_nominate-household").is_visible():
            desk.locator("#action-nominate summary").click()
        desk.select_option("#id_nominate-household", str(household.pk))
        desk.fill("#id_nominate-reason", reason)
        send_ok(desk, desk.locator("#action-nominate button[type=submit]"))
    first, second = selection.nominations.order_by("pk")

    desk.locator("#action-decide summary").click()
    desk.fill("#id_decide-entitled", "9")
    desk.fill("#id_decide-present", "4")
    desk.fill(f"#id_decide-votes_{first.pk}", "4")
    desk.fill(f"#id_decide-votes_{second.pk}", "1")
    with desk.expect_navigation():
        desk.locator("#action-decide button[type=submit]").click()
    expect(desk.locator("#action-decide")).to_contain_text(
        gettext("No quorum: more than half of the council's %(entitled)d members must be present to decide.")
        % {"entitled": 9}
    )
    expect(desk.locator("#id_decide-entitled")).to_have_value("9")  # what was typed is kept
    check_layout(desk, "civic-selection-vote-error-desktop")
    desk.fill("#id_decide-present", "7")
    desk.fill(f"#id_decide-votes_{first.pk}", "6")
    send_ok(desk, desk.locator("#action-decide button[type=submit]"))

    desk.select_option("#id_publish-rule", str(sw.rules.family.pk))
    send_ok(desk, desk.locator("#action-publish button[type=submit]"))
    selection.refresh_from_db()
    assert selection.status == SelectionStatus.PUBLISHED
    expect(desk.locator("#points-heading")).to_be_visible()
    expect(desk.locator("main")).to_contain_text(
        gettext("pending (公示), then a village cadre other than the proposer approves")
    )
    check_layout(desk, "civic-selection-published-desktop")

    phone = open_page(PHONE, target.cadre, phone=True)
    phone.goto(f"/civic/selections/{selection.pk}/")
    check_layout(phone, "civic-selection-published-phone")
    phone.goto("/civic/selections/")
    check_layout(phone, "civic-selection-list-phone")

    # The public board, anonymous, on a phone: the family by its initials, names masked.
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN")
    board = context.new_page()
    board.goto(f"{target.base_url}/public/{sw.qixing.code}/#selections")
    section = board.locator("#selections")
    expect(section).to_contain_text(TITLE)
    expect(section).to_contain_text("Z.S.")
    expect(section).not_to_contain_text("张三")
    expect(section).not_to_contain_text("李四")  # not selected: not shown
    section.scroll_into_view_if_needed()
    check_layout(board, "civic-selection-board-phone")
    board.set_viewport_size(DESKTOP)
    check_layout(board, "civic-selection-board-desktop")
    context.close()

    # The points bank: pending (公示); the proposer may not approve; another cadre does, later.
    award = selection.award_batch.awards.get()
    assert award.status == AwardStatus.PENDING
    desk.goto(f"/points/entries/{award.pk}/")
    check_layout(desk, "civic-selection-points-pending-desktop")
    later = timezone.now() + datetime.timedelta(days=4)
    points.award_approve(award=award, actor=sw.users.cadre2, now=later)
    desk.goto(f"/points/accounts/{award.account_id}/")
    expect(desk.locator("main")).to_contain_text("+50")
    check_layout(desk, "civic-selection-ledger-desktop")


def test_an_activity_recorded_on_a_phone(sw, target, open_page, tmp_path):
    from PIL import Image

    photo = tmp_path / "festival.jpg"
    Image.new("RGB", (400, 300), (200, 120, 40)).save(photo, format="JPEG")
    phone = open_page(PHONE, target.grid1, phone=True)
    phone.goto("/civic/activities/new/")
    phone.select_option("#id_kind", "neighbours_festival")
    phone.fill("#id_title", "邻里节")
    phone.fill("#id_held_on", (timezone.localdate() - datetime.timedelta(days=1)).isoformat())
    phone.fill("#id_place", "村委会坝子")
    phone.fill("#id_description", "百家宴、文艺表演、评选最美家庭")
    for member in sw.households.q1.members.all():
        phone.check(f"input[name=participants][value='{member.pk}']")
    phone.set_input_files("#id_photos", str(photo))
    check_layout(phone, "civic-activity-form-phone")
    send_ok(phone, phone.locator("main form button[type=submit]"))
    expect(phone.locator("h1")).to_contain_text("邻里节")
    phone.select_option("#id_points-rule", str(sw.rules.festival.pk))
    send_ok(phone, phone.locator("#action-points button[type=submit]"))
    check_layout(phone, "civic-activity-detail-phone")
