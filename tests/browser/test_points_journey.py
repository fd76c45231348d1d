"""The points bank in Chromium: a grid worker proposes on a phone, the proposal is shown on the
public 公示 page with initials, a village cadre approves it at a desk once the objection
window has passed, the shop clerk redeems at the counter on a phone, and the cadre reverses
the entry. Then the 红黑榜 is compiled, decided and published, and maker-checker is checked:
a cadre who proposes gets no approve button, and a forced POST is refused.

"Time passing" is the objection window's end moved into the past through the ORM: the
proposal itself is made through the page, with the real clock.
"""

import datetime
import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from points.models import Award, AwardStatus, Board, BoardStatus, Entry, EntryKind, Redemption
from tests.browser.conftest import DESKTOP, PHONE, check_layout, screenshot, send_ok
from tests.points import conftest as points_fixtures

# The points world (the personas' world plus settings, catalogues, shops, a second cadre).
pw = points_fixtures.pw
pytestmark = pytest.mark.browser


@pytest.fixture
def journey(target, pw):
    if target.world is None:
        pytest.skip("the journey builds its proposals in the test world")
    return pw


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def time_passes(award: Award) -> None:
    """The objection window (公示) ends."""
    Award.objects.filter(pk=award.pk).update(objection_until=timezone.now() - datetime.timedelta(minutes=1))


def test_proposal_to_approval_redemption_and_reversal(open_page, browser, target, journey):
    u, account = journey.users, journey.acc.q1
    household = journey.households.q1
    member = household.members.order_by("id").first()

    # 提: the grid worker finds the household by its initials and proposes, on a phone.
    phone = open_page(PHONE, u.grid1.username, phone=True)
    phone.goto("/points/")
    check_layout(phone, "phone-points-home-grid")
    phone.locator("main a[href='/points/entries/new/']").first.click()
    phone.fill("input[name=q]", "zs")
    expect(phone.locator("#account-results .cards h3")).to_have_count(1)
    check_layout(phone, "phone-points-propose-pick")
    phone.locator(f"#account-results a[href='/points/entries/new/?account={account.pk}']").click()
    phone.select_option("#id_rule", str(journey.rules.volunteer.pk))
    phone.check(f"input[name=member][value='{member.pk}']")
    phone.fill("#id_note", "在渭沱镇敬老院做志愿服务")
    check_layout(phone, "phone-points-propose-form")
    send_ok(phone, phone.locator("main form button[type=submit]"))
    award = Award.objects.get(account=account, rule=journey.rules.volunteer)
    assert award.status == AwardStatus.PENDING and award.member == member and award.proposed_by == u.grid1
    expect(phone.locator(".award-state.notice").first).to_be_visible()
    check_layout(phone, "phone-points-proposed")

    # 公示: the public page, no login, shows it with the head's initials only.
    public = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN", base_url=target.base_url
    )
    anonymous = public.new_page()
    anonymous.goto(f"/public/points/{journey.qixing.code}/")
    notice = anonymous.locator("#notice")
    expect(notice).to_contain_text("Z.S.")
    expect(notice).to_contain_text(journey.rules.volunteer.name)
    page_text = anonymous.locator("main").inner_text()
    assert household.head_name not in page_text and member.name not in page_text and member.phone not in page_text
    assert "敬老院" not in page_text  # the note stays internal
    check_layout(anonymous, "phone-points-public-notice")

    # 议: before the window ends the cadre may reject but not approve.
    desk = open_page(DESKTOP, u.cadre.username)
    desk.goto(f"/points/entries/{award.pk}/")
    expect(desk.locator("#action-reject")).to_be_visible()
    expect(desk.locator("#action-approve")).to_have_count(0)

    # Time passes: the cadre's menu counts it, the queue offers it, and it is approved.
    time_passes(award)
    desk.goto("/")
    expect(desk.locator(".site-nav a[href='/points/queue/'] .badge")).to_have_text("1")
    desk.locator(".site-nav a[href='/points/queue/']").click()
    expect(desk.locator(f"input[name=awards][value='{award.pk}']")).to_be_visible()
    check_layout(desk, "desktop-points-queue")
    phone_cadre = open_page(PHONE, u.cadre.username, phone=True)
    phone_cadre.goto("/points/queue/")
    check_layout(phone_cadre, "phone-points-queue")
    desk.locator(f"a[href='/points/entries/{award.pk}/']").first.click()
    desk.fill("#id_approve-note", "核对敬老院签到表")
    send_ok(desk, desk.locator("#action-approve button[type=submit]"))
    award.refresh_from_db()
    assert award.status == AwardStatus.APPROVED and award.decided_by == u.cadre
    account.refresh_from_db()
    assert account.balance == 105

    # 兑: the clerk finds the household at the counter on a phone and redeems.
    clerk = open_page(PHONE, u.clerk.username, phone=True)
    clerk.goto("/points/shop/")
    clerk.fill("input[name=q]", "zs")
    expect(clerk.locator("#account-results .cards h3")).to_have_count(1)
    expect(clerk.locator("#account-results .spend")).to_have_text("25")
    clerk.locator(f"#account-results a[href='/points/shop/{account.pk}/']").click()
    expect(clerk.locator(".standing .spend .figure")).to_have_text("25")
    # Too dear: refused, clearly, and nothing is written.
    clerk.check(f"#item-{journey.items.oil.pk}", force=True)
    clerk.check(f"input[name=member][value='{member.pk}']")
    clerk.locator(".redeem-form button[type=submit]").click()
    expect(clerk.locator("#form-errors")).to_be_visible()
    expect(clerk.locator("#field-item .errorlist")).to_contain_text("25")
    expect(clerk.locator(f"#item-{journey.items.oil.pk}")).to_be_checked()
    check_layout(clerk, "phone-points-counter-refused")
    assert not Redemption.objects.exists()
    clerk.check(f"#item-{journey.items.soap.pk}", force=True)
    clerk.fill("#id_quantity", "2")
    check_layout(clerk, "phone-points-counter")
    send_ok(clerk, clerk.locator(".redeem-form button[type=submit]"))
    expect(clerk.locator(".standing .spend .figure")).to_have_text("5")
    redemption = Redemption.objects.get()
    assert (redemption.quantity, redemption.points, redemption.member) == (2, 20, member)
    counter_desk = open_page(DESKTOP, u.clerk.username)
    counter_desk.goto(f"/points/shop/{account.pk}/")
    check_layout(counter_desk, "desktop-points-counter")

    # The cadre reverses the approved entry from the passbook, with a reason.
    desk.goto(f"/points/accounts/{account.pk}/")
    earn = Entry.objects.get(award=award)
    desk.locator(f"a[href='/points/lines/{earn.pk}/reverse/']").click()
    desk.locator("main form button[type=submit]").click()
    expect(desk.locator("#field-reverse-reason .errorlist")).to_be_visible()
    desk.fill("#id_reverse-reason", "与敬老院签到表核对不符，予以冲正")
    send_ok(desk, desk.locator("main form button[type=submit]"))
    account.refresh_from_db()
    assert account.balance == 80
    assert Entry.objects.filter(kind=EntryKind.REVERSAL, reverses=earn).count() == 1
    expect(desk.locator(".ledger .line.kind-reversal")).to_have_count(1)
    expect(desk.locator(f"a[href='/points/lines/{earn.pk}/reverse/']")).to_have_count(0)
    check_layout(desk, "desktop-points-passbook")
    phone.goto(f"/points/accounts/{account.pk}/")
    check_layout(phone, "phone-points-passbook")

    # On paper: the statement, A5, oldest first, without the menu and the buttons.
    desk.goto(f"/points/accounts/{account.pk}/statement/")
    check_layout(desk, "desktop-points-statement")
    desk.emulate_media(media="print")
    expect(desk.locator(".site-nav")).to_be_hidden()
    expect(desk.locator(".statement-tools")).to_be_hidden()
    expect(desk.locator(".statement-lines tbody tr")).to_have_count(5)  # the 4 lines of its first year, carried
    screenshot(desk, "print-points-statement")
    desk.emulate_media(media="screen")

    # The household's page shows the passbook's standing.
    phone.goto(f"/households/{household.pk}/")
    expect(phone.locator("#points-heading")).to_be_visible()
    expect(phone.locator(".standing .figure").first).to_have_text("80")
    check_layout(phone, "phone-household-points")
    public.close()


def test_board_compiled_decided_and_published(open_page, browser, target, journey):
    u = journey.users
    journey.approved(account=journey.acc.q1b)
    journey.approved(rule=journey.rules.breach, note="乱倒垃圾")
    desk = open_page(DESKTOP, u.cadre.username)
    desk.goto("/points/boards/")
    today = timezone.localdate()
    desk.fill("#id_year", str(today.year))
    desk.select_option("#id_quarter", str((today.month - 1) // 3 + 1))
    send_ok(desk, desk.locator("main form button[type=submit]"))
    board = Board.objects.get(village=journey.qixing)
    expect(desk.locator(".board.red tbody tr")).to_have_count(1)
    expect(desk.locator(".board.black tbody tr")).to_have_count(1)
    desk.fill("#id_decide-decision", "道德评议会评议通过：红榜予以公开褒扬。")
    send_ok(desk, desk.locator("#action-decide button[type=submit]"))
    check_layout(desk, "desktop-points-board")
    send_ok(desk, desk.locator("#action-publish button[type=submit]"))
    board.refresh_from_db()
    assert board.status == BoardStatus.PUBLISHED

    phone = open_page(PHONE, u.grid1.username, phone=True)
    phone.goto(f"/points/boards/{board.pk}/")
    check_layout(phone, "phone-points-board")
    phone.goto("/points/rules/")
    expect(phone.locator(".rule").first).to_be_visible()
    check_layout(phone, "phone-points-rules")
    desk.goto("/points/items/")
    check_layout(desk, "desktop-points-items")
    desk.goto("/points/entries/")
    check_layout(desk, "desktop-points-entries")

    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN", base_url=target.base_url
    )
    anonymous = context.new_page()
    # The red list names a household only with its consent: first without, then with it.
    anonymous.goto(f"/public/points/{journey.qixing.code}/")
    expect(anonymous.locator(".public-board.red li")).to_have_count(0)
    from points.services import account_consent

    account_consent(actor=journey.users.cadre, account=journey.acc.q1b, consent=True)
    anonymous.goto(f"/public/points/{journey.qixing.code}/")
    expect(anonymous.locator(".public-board.red li")).to_have_count(1)
    expect(anonymous.locator(".public-board.red")).to_contain_text("L.S.")
    expect(anonymous.locator(".public-board.black")).to_have_count(0)  # internal unless the village publishes it
    assert journey.households.q1b.head_name not in anonymous.locator("main").inner_text()
    check_layout(anonymous, "phone-points-public-board")
    context.close()


def test_a_cadre_who_proposes_gets_no_approve_button_and_a_forced_post_is_refused(open_page, journey):
    u, account = journey.users, journey.acc.q1b
    desk = open_page(DESKTOP, u.cadre.username)
    desk.goto(f"/points/entries/new/?account={account.pk}")
    desk.select_option("#id_rule", str(journey.rules.family.pk))
    desk.set_input_files("#id_evidence", files=[{"name": "证书.png", "mimeType": "image/png", "buffer": _png()}])
    desk.fill("#id_note", "获评渭沱镇“最美家庭”")
    send_ok(desk, desk.locator("main form button[type=submit]"))
    award = Award.objects.get(account=account, rule=journey.rules.family)
    time_passes(award)

    desk.reload()
    expect(desk.locator(".next-panel")).to_contain_text("另一名村干部")  # maker-checker
    expect(desk.locator("#action-approve")).to_have_count(0)
    expect(desk.locator("#action-reject")).to_have_count(0)
    expect(desk.locator("figure.evidence img")).to_be_visible()
    check_layout(desk, "desktop-points-own-proposal")
    desk.goto("/points/queue/")
    expect(desk.locator(f"input[name=awards][value='{award.pk}']")).to_have_count(0)

    # Forced: a POST the page never offered, with a valid CSRF token.
    token = next(c["value"] for c in desk.context.cookies() if c["name"] == "csrftoken")
    response = desk.request.post(
        f"/points/entries/{award.pk}/approve/",
        form={"csrfmiddlewaretoken": token, "approve-form_token": "5d1f9a1e-0c55-4a55-9d55-6d5e8f0c2a13"},
        headers={"X-CSRFToken": token, "Referer": f"{desk.url}"},
    )
    assert response.status == 403
    assert "另一名村干部" in response.text()
    award.refresh_from_db()
    assert award.status == AwardStatus.PENDING

    # Another cadre approves it.
    other = open_page(DESKTOP, u.cadre2.username)
    other.goto(f"/points/entries/{award.pk}/")
    send_ok(other, other.locator("#action-approve button[type=submit]"))
    award.refresh_from_db()
    assert award.status == AwardStatus.APPROVED and award.decided_by == u.cadre2


def test_meeting_participants_awarded_from_the_meeting_record(mw, open_page, journey):
    from petitions import services as ps
    from petitions.models import Kind

    u = journey.users
    matter = mw.staff_matter()
    ps.matter_classify(matter=matter, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    ps.matter_deliberate(
        matter=matter,
        actor=u.grid1,
        kind="meeting",
        held_on=timezone.localdate(),
        summary="院坝会：商议修路",
        participants=[*journey.households.q1.members.all(), *journey.households.q1b.members.all()],
    )
    phone = open_page(PHONE, u.grid1.username, phone=True)
    phone.goto(f"/matters/{matter.pk}/")
    phone.locator("a[href*='/points/meetings/']").click()
    phone.select_option("#id_rule", str(journey.rules.meeting.pk))
    check_layout(phone, "phone-points-meeting-award")
    send_ok(phone, phone.locator("main form button[type=submit]"))
    assert Award.objects.filter(rule=journey.rules.meeting, batch__deliberation__matter=matter).count() == 2
