"""A 民情恳谈会 in Chromium, on the world fixture: 七星村's cadre plans it at a desk, records it
once held, raises one concern there and another on a phone, each becoming a matter of the
village (source "meeting") linked from the meeting, and opens the printable minutes (会议记录)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from governance.civic.models import Meeting, MeetingStatus
from petitions.models import Matter, Source
from tests.browser.conftest import DESKTOP, PHONE, check_layout, screenshot, send_ok

pytestmark = pytest.mark.browser


def test_a_cadre_runs_a_concerns_meeting_whose_two_concerns_become_two_matters(open_page, target):
    if target.world is None:
        pytest.skip("drives the world fixture's 七星村 (its cadre and grids)")
    world = target.world
    today = timezone.localdate()

    # Plan it at a desk, from the calendar.
    desk = open_page(DESKTOP, target.cadre)
    desk.goto("/civic/councils/")
    check_layout(desk, "councils-calendar-empty-desktop")
    desk.locator("main a[href='/civic/councils/meetings/new/']").first.click()
    desk.select_option("#id_kind", "concerns")
    desk.fill("#id_title", "三季度民情恳谈会")
    desk.fill("#id_held_on", today.isoformat())
    desk.fill("#id_starts_at", "09:30")
    desk.fill("#id_agenda", "听取各组群众对道路、水利的意见")
    # A mistake: no place. Said next to the field; what was typed is kept.
    desk.locator("main form button[type=submit]").click()
    expect(desk.locator("#field-place .errorlist")).to_be_visible()
    expect(desk.locator("#id_title")).to_have_value("三季度民情恳谈会")
    check_layout(desk, "councils-plan-error-desktop")
    desk.fill("#id_place", "村委会议室")
    send_ok(desk, desk.locator("main form button[type=submit]"))
    meeting = Meeting.objects.get(title="三季度民情恳谈会")
    assert meeting.status == MeetingStatus.PLANNED
    expect(desk.locator("h1")).to_have_text("三季度民情恳谈会")

    # Record it as held.
    expect(desk.locator("#action-record")).to_have_attribute("open", "")
    desk.fill("#id_record-chaired_by", "陈书记")
    desk.fill("#id_record-attendees", "张三、李四、王五、赵六")
    desk.fill("#id_record-decisions", "两件事转为事项办理")
    desk.fill("#id_record-minutes", "张三反映三组路灯不亮；王五反映二组水渠堵塞。")
    send_ok(desk, desk.locator("#action-record button[type=submit]"))
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD and meeting.attendees == ["张三", "李四", "王五", "赵六"]

    # The first concern, at the desk.
    desk.fill("#id_concern-raised_by", "张三")
    desk.fill("#id_concern-title", "三组路灯不亮")
    desk.fill("#id_concern-description", "三组路口的路灯坏了一个月，晚上出行不便。")
    desk.select_option("#id_concern-grid", str(world.q1.pk))
    send_ok(desk, desk.locator("#action-concern button[type=submit]"))
    expect(desk.locator("#concern ol.concerns li")).to_have_count(1)
    check_layout(desk, "councils-meeting-held-desktop")

    # The second, on a phone: the calendar shows the meeting today.
    phone = open_page(PHONE, target.cadre, phone=True)
    phone.goto("/civic/councils/")
    card = phone.locator(".agenda-day.today .card", has=phone.locator("h3", has_text="三季度民情恳谈会"))
    expect(card).to_be_visible()
    check_layout(phone, "councils-calendar-phone")
    card.locator("h3 a").click()
    phone.fill("#id_concern-raised_by", "王五")
    phone.fill("#id_concern-title", "二组水渠堵塞")
    phone.fill("#id_concern-description", "二组灌溉水渠被泥沙堵塞，影响秋灌。")
    phone.select_option("#id_concern-grid", str(world.q2.pk))
    send_ok(phone, phone.locator("#action-concern button[type=submit]"))
    expect(phone.locator("#concern ol.concerns li")).to_have_count(2)
    check_layout(phone, "councils-meeting-held-phone")

    # Two matters, raised at the meeting, linked from it.
    concerns = list(meeting.concerns.select_related("matter").order_by("order"))
    assert [(x.raised_by, x.matter.title, x.matter.source, x.matter.grid_id) for x in concerns] == [
        ("张三", "三组路灯不亮", Source.MEETING, world.q1.pk),
        ("王五", "二组水渠堵塞", Source.MEETING, world.q2.pk),
    ]
    assert Matter.objects.filter(source=Source.MEETING, village=world.qixing).count() == 2
    phone.locator("#concern ol.concerns li a").nth(1).click()
    expect(phone.locator("h1")).to_contain_text("二组水渠堵塞")

    # The printable minutes, on screen and as paper.
    for page, name in ((desk, "desktop"), (phone, "phone")):
        page.goto(f"/civic/councils/meetings/{meeting.pk}/minutes/")
        expect(page.locator("h1")).to_contain_text("三季度民情恳谈会")
        expect(page.locator(".concerns li")).to_have_count(2)
        expect(page.locator(".signatures .sign-line")).to_have_count(3)
        check_layout(page, f"councils-minutes-{name}")
    phone.goto("/civic/councils/meetings/?kind=concerns")
    expect(phone.locator(".meeting-rows > li")).to_have_count(1)
    check_layout(phone, "councils-list-phone")
    desk.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    desk.emulate_media(media="print")
    screenshot(desk, "councils-minutes-print")
    expect(desk.locator(".site-header")).to_be_hidden()
