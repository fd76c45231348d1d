"""The work-order discipline (issue 13) as its users meet it, on the demo's own accounts and
matters (seed_demo), on a phone and at a desk.

(a) 司法所 finds the 政事 to sign for (签收) first, signs, and sees that its extension request
    waits; the township official finds the extension in its queue, is told in Chinese what is
    missing, and approves it. (b) The resident of a matter under review (复查) is told so, with
    its time limit; another resident asks for a review by tracking code. The public page shows
    places and roles, never a staff member's name. (c) The village cadre sees that a matter was
    not accepted (受理) in time; the 村务监督委员会 sees that a land adjustment waits for the
    township, not for the village.
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from petitions.models import Matter, State
from tests.browser.conftest import DESKTOP, PHONE, layout_problems, screenshot

pytestmark = pytest.mark.browser


def check_layout(page, name: str) -> None:
    assert layout_problems(page) == [], name
    screenshot(page, f"work-order-{name}")


def send(page, panel: str) -> None:
    with page.expect_navigation():
        page.locator(f"#{panel} button[type=submit]").click()
    expect(page.locator(".message.success")).to_be_visible()


def resident(opener):
    """A phone with no login, in the opener's browser (closed with its contexts)."""
    context = opener.browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN", base_url=opener.base_url
    )
    context.set_default_timeout(opener.timeout)
    opener.contexts.append(context)
    return context.new_page()


def test_department_signs_first_and_the_township_decides_its_extension(demo_site):
    wage = Matter.objects.get(tracking_code="demo-sifasuo-wage")
    assert wage.pending_extension_id and wage.signed_at is None
    old_deadline = wage.deadline

    # 司法所 on a phone: the queue says to sign for it, and the page puts 签收 first.
    phone = demo_site(PHONE, "weituo_sifasuo", phone=True)
    phone.goto("/matters/waiting/")
    card = phone.locator(".matter-card", has_text=wage.title)
    expect(card.locator(".next.yours")).to_contain_text("签收")
    check_layout(phone, "sifasuo-queue-phone")
    with phone.expect_navigation():
        card.locator(f"a[href='/matters/{wage.pk}/#action-sign']").click()
    expect(phone.locator(".next-panel a").first).to_have_text("签收事项")
    expect(phone.locator("#extension-pending")).to_contain_text("已有一项延期申请在等待审批")
    assert phone.locator("#action-request_extension").count() == 0  # one request at a time
    expect(phone.locator("#signed-for")).to_be_visible()  # the time by which to sign
    check_layout(phone, "sifasuo-matter-phone")
    send(phone, "action-sign")
    expect(phone.locator("#signed-for")).to_contain_text("司法所")  # who signed, when
    wage.refresh_from_db()
    assert wage.signed_at is not None and wage.state == State.HANDLING

    # The township official at a desk: the extension is in the queue, under its own heading.
    desk = demo_site(DESKTOP, "weituo_official")
    desk.goto("/matters/waiting/")
    expect(desk.locator("main h2", has_text="延期审批")).to_be_visible()
    desk.locator(f"a[href='/matters/{wage.pk}/#action-decide_extension']").click()
    # Sent empty: what is missing is said next to each field, in Chinese, and nothing changes.
    with desk.expect_navigation():
        desk.locator("#action-decide_extension button[type=submit]").click()
    expect(desk.locator("#action-decide_extension .errorlist").first).to_contain_text("必填")
    check_layout(desk, "official-extension-errors-desktop")
    desk.locator("#action-decide_extension input[value='yes']").check()
    desk.locator("#action-decide_extension textarea").fill("包工头返乡需时，同意延期。")
    send(desk, "action-decide_extension")
    expect(desk.locator("#extension-pending")).to_have_count(0)
    wage.refresh_from_db()
    assert wage.pending_extension_id is None and wage.deadline > old_deadline


def test_residents_follow_the_review_and_the_village_sees_what_waits(demo_site):
    # Under review (复查): the step says the level above reviews it, not "tell us below".
    page = resident(demo_site)
    page.goto("/public/matters/demo-qixing-sewage/")
    current = page.locator(".step.current")
    expect(current).to_contain_text("上一级正在复查")
    expect(current).not_to_contain_text("请在下方")
    expect(page.locator(".facts")).to_contain_text("办结期限")
    check_layout(page, "public-reviewing-phone")

    # 受理告知 by place and role; a review asked for by tracking code, with a plain error first.
    road = Matter.objects.get(tracking_code="demo-jinshan-road")
    page.goto("/public/matters/demo-jinshan-road/")
    expect(page.locator("#accepted")).to_contain_text("已于")
    expect(page.locator("#evaluate")).not_to_contain_text("重新办理")  # unsatisfied goes to 复查 now
    staff = [road.assigned_by, road.verified_by]  # the township's officials, by name
    body = page.locator("body").inner_text()
    for user in filter(None, staff):
        assert (user.get_full_name() or user.username) not in body
    with page.expect_navigation():
        page.locator("#review button[type=submit]").click()
    expect(page.locator("#review .errorlist")).to_contain_text("请说明还有哪些地方不满意")
    check_layout(page, "public-review-error-phone")
    page.fill("#review textarea", "塌方处只挡了一半，雨天还会滑坡。")
    with page.expect_navigation():
        page.locator("#review button[type=submit]").click()
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator("#status-summary")).to_contain_text("复查")
    road.refresh_from_db()
    assert road.state == State.REVIEWING

    # The village cadre sees a matter not accepted (受理) in time; the 村务监督委员会 sees that
    # the land adjustment waits for the township, not for the village.
    guardrail = Matter.objects.get(title="村道边护栏被撞坏")
    assert guardrail.state == State.SUBMITTED and guardrail.accept_overdue_at is not None

    desk = demo_site(DESKTOP, "qixing_cadre")
    desk.goto("/matters/waiting/")
    expect(desk.locator(".matter-card.overdue", has_text=guardrail.title)).to_contain_text("超期")
    desk.goto(f"/matters/{guardrail.pk}/")
    expect(desk.locator("#accept-overdue")).to_contain_text("未按时受理")
    expect(desk.locator("#accept-by")).to_contain_text("超期")
    expect(desk.locator(".next-panel a").first).to_have_text("三事分流")
    check_layout(desk, "cadre-acceptance-overdue-desktop")

    # The 村民会议 vote: a short notice is refused next to the date, and "urgent" is a full-size target.
    plan = Matter.objects.get(title="风貌改造续建项目方案")
    desk.goto(f"/matters/{plan.pk}/")
    vote = desk.locator("details[open]", has=desk.locator("[name='step5-held_on']"))
    today = timezone.localdate()
    vote.locator("[name='step5-held_on']").fill(today.isoformat())
    vote.locator("[name='step5-body'][value='villagers_meeting']").check()
    for name, value in (("entitled", 1000), ("present", 600), ("in_favour", 400), ("against", 150), ("abstain", 50)):
        vote.locator(f"[name='step5-{name}']").fill(str(value))
    vote.locator("[name='step5-announced_on']").fill((today - datetime.timedelta(days=3)).isoformat())
    vote.locator("[name='step5-summary']").fill("村民会议表决风貌改造续建方案。")
    with desk.expect_navigation():
        vote.locator("button[type=submit]").click()
    expect(desk.locator("#field-step5-announced_on .errorlist")).to_contain_text("提前 10 天")
    expect(desk.locator("[name='step5-in_favour']")).to_have_value("400")  # what was typed is kept
    assert desk.locator("#field-step5-urgent label").bounding_box()["height"] >= 44
    check_layout(desk, "cadre-vote-short-notice-desktop")

    land = Matter.objects.get(title="二组土地承包调整方案")
    phone = demo_site(PHONE, "qixing_supervisor", phone=True)
    phone.goto("/")
    card = phone.locator(".matter-card", has_text=land.title)
    expect(card).to_contain_text("等待镇里审批")
    check_layout(phone, "supervisor-home-phone")
