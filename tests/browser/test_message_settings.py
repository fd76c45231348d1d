"""The message settings page (/notifications/settings/) as a grid worker sees it on a 360 px
phone and a cadre at a desk: every channel box a full tap row, nothing wider than the phone with
all three channels, the boxes that are not theirs to change saying why, and the quiet hours as
configured."""

import pytest
from playwright.sync_api import expect

from governance.messaging.models import Kind, Preference, TownshipChannel
from tests.browser.conftest import DESKTOP, PHONE, layout_problems, screenshot
from tests.messaging.conftest import give_phone

pytestmark = pytest.mark.browser


@pytest.fixture
def wecom_on(settings):
    """Every channel offered: 企业微信 configured (nothing is sent in these tests)."""
    settings.CUNZHI_WECOM_CORP_ID, settings.CUNZHI_WECOM_SECRET = "ww-corp", "wecom-secret"
    settings.CUNZHI_WECOM_AGENT_ID, settings.CUNZHI_WECOM_API_BASE = 1000002, "http://127.0.0.1:9"
    settings.CUNZHI_QUIET_FROM, settings.CUNZHI_QUIET_TO = (21, 30), (6, 30)


def test_grid_worker_on_a_phone_sees_why_a_box_is_fixed_and_saves_a_choice(open_page, target, wecom_on):
    if target.world is None:
        pytest.skip("the test gives the grid worker a number in the test world")
    world = target.world
    give_phone(world.users.grid1, "13812345678", township=world.weituo)
    TownshipChannel.objects.create(township=world.weituo, kind=Kind.REMINDER, channel="sms", allowed=False)
    page = open_page(PHONE, target.grid1, phone=True)
    page.goto("/notifications/")
    page.locator("a[href='/notifications/settings/']").click()

    expect(page.locator("h1")).to_have_text("消息设置")
    # Three channels on a 360 px phone: nothing sticks out, every box is a 44 px tap row.
    assert layout_problems(page) == []
    screenshot(page, "phone-message-settings")
    # The number is masked; a channel the account has no address for says so.
    addresses = page.locator("#addresses")
    expect(addresses).to_contain_text("138****5678")
    assert "13812345678" not in page.content()
    # 督办 by SMS is forced on, reminders by SMS switched off by the township: each box says why.
    forced = page.locator("label:has(input[value='supervision:sms'])")
    expect(forced.locator("input")).to_be_checked()
    expect(forced.locator("input")).to_be_disabled()
    expect(forced.locator(".note")).to_be_visible()
    barred = page.locator("label:has(input[value='reminder:sms'])")
    expect(barred.locator("input")).to_be_disabled()
    expect(barred.locator(".note")).to_be_visible()
    assert forced.locator(".note").inner_text() != barred.locator(".note").inner_text()
    # The quiet hours are the deployment's, not a fixed 22:00-07:00.
    expect(page.locator("#rules")).to_contain_text("21:30")
    expect(page.locator("#rules")).to_contain_text("06:30")

    # A tap on the label's text (not the small box) turns SMS for assignments on; saved.
    page.locator("label:has(input[value='assignment:sms'])").click()
    page.locator("main button[type=submit]").click()
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator("input[value='assignment:sms']")).to_be_checked()
    assert Preference.objects.get(user=world.users.grid1, kind=Kind.ASSIGNMENT, channel="sms").enabled


def test_cadre_at_a_desk_sees_the_page_in_one_view_without_overflow(open_page, target, wecom_on):
    page = open_page(DESKTOP, target.cadre)
    page.goto("/notifications/settings/")
    expect(page.locator("fieldset.message-kind")).to_have_count(5)
    assert layout_problems(page) == []
    screenshot(page, "desktop-message-settings")
