"""A resident on a 360 px phone ticks “SMS updates” on the public form, sees them on the
status page, and stops them with the link; the checkbox starts unticked."""

import re

import pytest
from playwright.sync_api import expect

from petitions.models import Matter, SmsSubscription
from tests.browser.conftest import PHONE, layout_problems, screenshot
from tests.browser.test_public_journey import resident  # noqa: F401 (the phone in WeChat, no JavaScript)
from tests.petitions import conftest as matter_fixtures

categories = matter_fixtures.categories
mw = matter_fixtures.mw

pytestmark = pytest.mark.browser


def test_resident_asks_for_sms_updates_on_the_form_and_stops_them_by_the_link(resident, target, mw):  # noqa: F811
    page = resident
    page.goto("/public/500117101001/new/")
    box = page.locator("#id_sms_updates")
    expect(box).not_to_be_checked()
    label = page.locator("label[for=id_sms_updates]")
    expect(label).to_be_visible()
    assert (
        label.bounding_box()["height"] >= 24
        and label.bounding_box()["x"] + label.bounding_box()["width"] <= PHONE["width"]
    )
    page.fill("#id_title", "桥头路灯不亮")
    page.fill("#id_description", "村口桥头的路灯坏了一个多月")
    page.fill("#id_submitter_name", "马大姐")
    page.fill("#id_submitter_phone", "159 0000 1111")
    label.click()
    expect(box).to_be_checked()
    page.locator("#field-sms_updates").scroll_into_view_if_needed()
    assert layout_problems(page) == []
    screenshot(page, "public-phone-form-sms")

    # The box says it is optional: the matter is followed by its code without it.
    expect(page.locator("#id_sms_updates_helptext")).to_contain_text(re.compile("tracking code|查询码"))
    page.locator("main button[type=submit]").click()
    expect(page.locator("#tracking-code")).to_be_visible()
    # The confirmation says the SMS updates are on, without showing the number.
    expect(page.locator("#sms-updates")).to_be_visible()
    assert "1111" not in page.locator("main").inner_text()
    matter = Matter.objects.get()
    subscription = SmsSubscription.objects.get(matter=matter)
    assert subscription.phone == "15900001111" and subscription.consent_text

    page.goto(f"/public/matters/{matter.tracking_code}/")
    expect(page.locator("#sms-updates")).to_be_visible()
    page.locator("#sms-updates a").click()
    expect(page).to_have_url(re.compile(r"/public/sms/unsubscribe/[^/]+/$"))
    assert "15900001111" not in page.content() and "159****1111" in page.content()
    assert layout_problems(page) == []
    screenshot(page, "public-phone-sms-unsubscribe")
    page.locator("main button[type=submit]").click()
    expect(page.locator(".message.success")).to_be_visible()
    subscription.refresh_from_db()
    assert subscription.withdrawn_at is not None and subscription.withdrawn_via == "link"
    # Back on the page by GET: a reload asks nothing and changes nothing.
    expect(page).to_have_url(re.compile(r"/public/sms/unsubscribe/[^/]+/$"))
    withdrawn_at = subscription.withdrawn_at
    page.reload()
    expect(page.locator(".message.success")).to_be_visible()
    subscription.refresh_from_db()
    assert subscription.withdrawn_at == withdrawn_at


def test_a_stop_link_cut_short_tells_the_resident_the_other_ways_to_stop(resident, target, mw):  # noqa: F811
    page = resident
    response = page.goto("/public/sms/unsubscribe/AbC123/")
    assert response.status == 404
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("main")).to_contain_text("TD")
    expect(page.locator("main a[href='/public/#track']")).to_be_visible()
    assert layout_problems(page) == []
    screenshot(page, "public-phone-sms-unsubscribe-not-found")
