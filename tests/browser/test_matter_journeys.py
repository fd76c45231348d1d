"""The staff side of the three journeys of 提分议办督评, in Chromium: a grid worker on a phone,
a village cadre and a township official at a desk, a department handler.

(a) 民事: raised from a household page on a phone, classified, a 院坝会, handled, verified, a
    return visit (回访) closes it. (b) 村事: the seven steps with a failed and a carried vote,
    handled and reported (step 7), verified by the township. (c) 政事: a resident's matter from
    the public form, classified up, reviewed and sent to 司法所, reported, verified.
Every page is checked for overflow at 360 px, text under 16 px and touch targets under 44 px.
"""

import datetime

import pytest
from playwright.sync_api import expect

from petitions.models import Deliberation, Matter, MatterEvent, State
from tests.browser.conftest import DESKTOP, PHONE, check_layout, screenshot
from tests.petitions import conftest as matter_fixtures

# The matters fixtures (the world plus a grid leader, a second 司法所 member, categories).
categories, mw = matter_fixtures.categories, matter_fixtures.mw
pytestmark = pytest.mark.browser


@pytest.fixture
def journey(target, mw):
    if target.world is None:
        pytest.skip("the journeys build their matters in the test world")
    return mw


def submit(page, panel: str) -> None:
    """Send the form of one action panel and land back on the matter's page, saved."""
    with page.expect_navigation():
        page.locator(f"#{panel} button[type=submit]").click()
    expect(page.locator(".message.success")).to_be_visible()


def actions(matter) -> list[str]:
    return list(MatterEvent.objects.filter(matter=matter).values_list("action", flat=True))


def test_civil_matter_from_a_phone_to_the_return_visit(open_page, journey):
    u, household = journey.users, journey.households.q1
    phone = open_page(PHONE, u.grid1.username, phone=True)

    # 提: from the household's page, the form comes prefilled with the household.
    phone.goto(f"/households/{household.pk}/")
    phone.locator(f"a[href='/matters/new/?household={household.pk}']").click()
    expect(phone.locator("#id_submitter_name")).to_have_value("张三")
    phone.fill("#id_title", "院坝排水沟堵塞")
    phone.fill("#id_description", "院坝排水沟被泥沙堵塞，下雨积水，老人出行不便。")
    # htmx asks for similar open matters on each change; none is like this one: no panel.
    with phone.expect_response(lambda r: "/matters/new/duplicates/" in r.url) as asked:
        phone.select_option("#id_category", label=journey.categories.environment.name)
    assert asked.value.ok
    expect(phone.locator("#duplicates .duplicates")).to_have_count(0)
    phone.check("#id_on_behalf")
    check_layout(phone, "phone-matter-new")
    with phone.expect_navigation():
        phone.locator("main form button[type=submit]").click()
    matter = Matter.objects.get(title="院坝排水沟堵塞")
    assert matter.household == household and matter.on_behalf and matter.state == State.SUBMITTED
    expect(phone.locator("h1")).to_contain_text("院坝排水沟堵塞")
    check_layout(phone, "phone-matter-submitted")

    # 分: the cadre at a desk finds it in the queue and classifies it (民事 is preselected).
    desk = open_page(DESKTOP, u.cadre.username)
    desk.goto("/matters/waiting/")
    check_layout(desk, "desktop-matter-waiting-cadre")
    desk.locator(f"a[href='/matters/{matter.pk}/#action-classify']").click()
    expect(desk.locator("input[name='classify-kind'][value='civil']")).to_be_checked()
    submit(desk, "action-classify")

    # 议 and 办 on the phone: a 院坝会, then the grid worker takes it and reports.
    phone.goto("/matters/waiting/")
    check_layout(phone, "phone-matter-waiting-grid")
    phone.locator(f"a[href='/matters/{matter.pk}/#action-deliberate']").click()
    phone.fill("[name='meeting-summary']", "院坝会：各户出工清淤，村里出水泥。")
    phone.fill("[name='meeting-attendees']", "张三、李四、网格员一")
    submit(phone, "action-deliberate")
    expect(phone.locator("[name='handle-handler']")).to_have_value(str(u.grid1.pk))
    submit(phone, "action-handle")
    phone.fill("[name='report-result']", "组织 8 户出工，排水沟已清通。")
    submit(phone, "action-report")

    # 督: the cadre verifies; 评: the township, independent of the work, records the resident's
    # answer on a return visit (回访), on a phone.
    desk.goto(f"/matters/{matter.pk}/")
    desk.check("input[name='verify-passed'][value='yes']")
    desk.fill("[name='verify-note']", "现场查看，已通畅。")
    submit(desk, "action-verify")
    phone = open_page(PHONE, u.official.username, phone=True)
    phone.goto(f"/matters/{matter.pk}/")
    phone.check("input[name='evaluate-rating'][value='satisfied']")
    phone.check("input[name='evaluate-method'][value='phone']")
    phone.fill("[name='evaluate-comment']", "回访：张三很满意。")
    check_layout(phone, "phone-matter-evaluate")
    submit(phone, "action-evaluate")
    matter.refresh_from_db()
    assert matter.state == State.CLOSED
    assert actions(matter) == ["submit", "classify", "deliberate", "handle", "report", "verify", "evaluate"]
    expect(phone.locator(".timeline li")).to_have_count(7)
    expect(phone.locator(".stage.done")).to_have_count(6)
    check_layout(phone, "phone-matter-closed-timeline")

    phone.goto("/matters/")
    check_layout(phone, "phone-matter-list")

    # The English words are longer: the same pages still fit a 360 px phone.
    phone.goto(f"/matters/{matter.pk}/")
    with phone.expect_navigation():
        phone.locator(".lang-form button").click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    check_layout(phone, "phone-matter-closed-en")
    phone.goto("/matters/new/")
    check_layout(phone, "phone-matter-new-en")


def test_village_matter_through_the_seven_steps(open_page, journey):
    u = journey.users
    matter = journey.staff_matter(
        title="风貌改造续建项目方案", actor=u.cadre, category=journey.categories.village_project, source="walk_in"
    )
    desk = open_page(DESKTOP, u.cadre.username)
    desk.goto(f"/matters/{matter.pk}/")
    expect(desk.locator("input[name='classify-kind'][value='village']")).to_be_checked()
    submit(desk, "action-classify")

    minutes = {1: "收集意见 56 条", 2: "村党支部提议", 3: "两委会商议通过", 4: "党员大会审议通过"}
    for step, summary in minutes.items():
        desk.fill(f"[name='step{step}-summary']", summary)
        if step == 4:  # the party members' meeting records its attendance
            desk.fill("[name='step4-entitled']", "35")
            desk.fill("[name='step4-present']", "32")
        submit(desk, "action-deliberate")
    expect(desk.locator(".vstep.done")).to_have_count(4)
    phone = open_page(PHONE, u.cadre.username, phone=True)
    phone.goto(f"/matters/{matter.pk}/#action-deliberate")
    expect(phone.locator("[name='step5-entitled']")).to_be_visible()
    check_layout(phone, "phone-matter-vote-form")

    def vote(present, favour):
        desk.check("input[name='step5-body'][value='villagers_meeting']")
        for name, value in (("entitled", 100), ("present", present), ("in_favour", favour)):
            desk.fill(f"[name='step5-{name}']", str(value))
        desk.fill("[name='step5-against']", str(present - favour))
        desk.fill("[name='step5-abstain']", "0")
        announced = datetime.date.today() - datetime.timedelta(days=10)
        desk.fill("[name='step5-announced_on']", announced.isoformat())
        desk.fill("[name='step5-summary']", f"村民会议表决：{favour} 票赞成")
        submit(desk, "action-deliberate")

    vote(60, 30)  # quorum met, 30 of 60 is not more than half: not carried
    expect(desk.locator(".vstep.failed")).to_have_count(1)
    expect(desk.locator(".vote.failed")).to_have_count(1)
    vote(60, 45)
    expect(desk.locator(".vote.carried")).to_have_count(1)
    desk.fill("[name='step6-summary']", "决议在村务公开栏张贴七天。")
    submit(desk, "action-deliberate")
    expect(desk.locator(".vstep.done")).to_have_count(6)
    check_layout(desk, "desktop-matter-village-steps")
    phone.goto(f"/matters/{matter.pk}/")  # not a fragment of the same page: load it again
    check_layout(phone, "phone-matter-village-steps")

    desk.select_option("[name='handle-handler']", str(u.cadre.pk))
    submit(desk, "action-handle")
    desk.fill("[name='report-result']", "实施结果公开：续建完成，调剂土地 10 亩，涉及 52 户。")
    submit(desk, "action-report")
    expect(desk.locator(".vstep.done")).to_have_count(7)
    # On paper (meeting minutes for the village's files): the record without forms or buttons.
    desk.emulate_media(media="print")
    expect(desk.locator(".matter-actions")).to_be_hidden()
    expect(desk.locator(".record").first).to_be_visible()
    screenshot(desk, "print-matter-minutes")
    desk.emulate_media(media="screen")

    official = open_page(DESKTOP, u.official.username)
    official.goto("/matters/waiting/")
    official.locator(f"a[href='/matters/{matter.pk}/#action-verify']").click()
    official.check("input[name='verify-passed'][value='yes']")
    submit(official, "action-verify")
    matter.refresh_from_db()
    assert matter.state == State.EVALUATING
    votes = Deliberation.objects.filter(matter=matter, step=5).order_by("id")
    assert [(v.quorum_met, v.carried) for v in votes] == [(True, False), (True, True)]
    report = MatterEvent.objects.get(matter=matter, action="report")
    assert report.payload["step"] == 7


def test_government_matter_up_to_the_township_and_its_department(open_page, journey):
    u = journey.users
    matter = journey.public_matter(title="务工工资被拖欠", description="工地务工三个月，工资未结。")

    desk = open_page(DESKTOP, u.cadre.username)
    desk.goto(f"/matters/{matter.pk}/")
    desk.select_option("[name='classify-category']", label=journey.categories.legal_aid.name)
    expect(desk.locator("input[name='classify-kind'][value='government']")).to_be_checked()
    submit(desk, "action-classify")

    official = open_page(DESKTOP, u.official.username)
    official.goto("/matters/waiting/")
    check_layout(official, "desktop-matter-waiting-official")
    official.locator(f"a[href='/matters/{matter.pk}/#action-deliberate']").click()
    official.fill("[name='review-summary']", "镇综治中心受理，转司法所限时承办。")
    submit(official, "action-deliberate")
    official.select_option("[name='handle-department']", label="司法所")
    submit(official, "action-handle")

    handler = open_page(PHONE, u.handler.username, phone=True)
    handler.goto("/matters/waiting/")
    check_layout(handler, "phone-matter-waiting-handler")
    # The department signs for it (签收) first: the queue links to that step.
    handler.locator(f"a[href='/matters/{matter.pk}/#action-sign']").click()
    submit(handler, "action-sign")
    handler.fill("[name='report-result']", "司法所调解，工资已全部结清。")
    submit(handler, "action-report")

    official.goto(f"/matters/{matter.pk}/")
    official.check("input[name='verify-passed'][value='yes']")
    submit(official, "action-verify")
    matter.refresh_from_db()
    assert matter.state == State.EVALUATING and matter.department == journey.sifasuo
    assert actions(matter) == ["submit", "classify", "deliberate", "handle", "sign", "report", "verify"]
    check_layout(official, "desktop-matter-government-timeline")
    official.goto("/matters/")
    check_layout(official, "desktop-matter-list")


def test_picking_a_category_keeps_the_kind_the_classifier_chose(open_page, journey):
    """A category preselects its usual kind only until a kind is chosen by hand."""
    matter = journey.public_matter(title="村道边护栏被撞坏", description="护栏被货车撞坏，需要修复。")
    cats = journey.categories
    desk = open_page(DESKTOP, journey.users.cadre.username)
    desk.goto(f"/matters/{matter.pk}/")
    kind = "input[name='classify-kind'][value='{}']".format
    desk.select_option("[name='classify-category']", label=cats.village_project.name)
    expect(desk.locator(kind("village"))).to_be_checked()  # nothing chosen yet: the usual kind
    desk.locator(kind("government")).check()
    desk.select_option("[name='classify-category']", label=cats.environment.name)
    expect(desk.locator(kind("government"))).to_be_checked()
    desk.select_option("[name='classify-category']", label=cats.land_adjustment.name)
    expect(desk.locator(kind("government"))).to_be_checked()
    submit(desk, "action-classify")
    matter.refresh_from_db()
    assert (matter.kind, matter.category) == ("government", cats.land_adjustment)
