"""People's mediation in Chromium: 七星村's cadre records a mediation with two parties and two
mediators of the 老兵说法营 on a phone (a bad phone number first), records the agreement, and
opens the printable 人民调解协议书, at 360 px and at a desk."""

import pytest
from playwright.sync_api import expect

from governance.civic.models import Mediation, MediationStatus
from tests.browser.conftest import DESKTOP, PHONE, check_layout, screenshot, send
from tests.civic import mediation_fixtures
from tests.civic.mediation_fixtures import days

cw = mediation_fixtures.cw  # the fixture

pytestmark = pytest.mark.browser


def test_a_cadre_records_a_mediation_its_agreement_and_prints_it(cw, open_page, target):
    if target.world is None:
        pytest.skip("uses the world's teams")
    page = open_page(PHONE, target.cadre, phone=True)
    page.goto("/civic/teams/")
    expect(page.locator("h1")).to_contain_text("调解队")
    expect(page.locator("main")).to_contain_text("王老兵")
    check_layout(page, "civic-teams-phone")

    page.goto("/civic/mediations/")
    check_layout(page, "civic-mediations-empty-phone")
    page.locator("main a[href='/civic/mediations/new/']").click()
    expect(page.locator("h1")).to_contain_text("七星村")
    page.get_by_label("王老兵", exact=False).check()
    page.get_by_label("陈律师", exact=False).check()
    page.select_option("#id_dispute_kind", "land")
    page.fill("#id_place", "村便民服务中心")
    page.fill("#id_party1_name", "张某")
    page.fill("#id_party1_phone", "1234")
    page.fill("#id_party2_name", "马某")
    page.fill("#id_facts", "张某硬化入户路，马某称占其耕地并阻工。")
    send(page, page.locator("main form.form button[type=submit]"))
    # The bad phone is named next to its field; what was typed stays.
    expect(page.locator("#field-party1_phone .errorlist")).to_be_visible()
    expect(page.locator("#id_party2_name")).to_have_value("马某")
    check_layout(page, "civic-mediation-form-error-phone")
    page.fill("#id_party1_phone", "15800001234")
    send(page, page.locator("main form.form button[type=submit]"))
    expect(page.locator(".message.success")).to_be_visible()
    mediation = Mediation.objects.get()
    expect(page.locator("h1")).to_contain_text(mediation.number)
    expect(page.locator("main")).to_contain_text("158****1234")
    check_layout(page, "civic-mediation-open-phone")

    page.fill("#id_agree-terms", "一、马某同意张某完成入户路硬化；\n二、张某补偿马某1200元。")
    page.fill("#id_agree-perform_by", days(14).isoformat())
    send(page, page.locator("#action-agree button[type=submit]"))
    expect(page.locator(".message.success")).to_be_visible()
    assert Mediation.objects.get().status == MediationStatus.AGREED
    check_layout(page, "civic-mediation-agreed-phone")

    with page.expect_navigation():
        page.locator(f"main a[href='/civic/mediations/{mediation.pk}/agreement/']").click()
    expect(page.locator("article.agreement")).to_contain_text("张某补偿马某1200元")
    expect(page.locator("article.agreement")).to_contain_text("第三十三条")
    check_layout(page, "civic-agreement-phone")

    desk = open_page(DESKTOP, target.cadre)
    desk.goto(f"/civic/mediations/{mediation.pk}/agreement/")
    check_layout(desk, "civic-agreement-desktop")
    desk.emulate_media(media="print")
    expect(desk.locator(".site-header")).to_be_hidden()
    screenshot(desk, "civic-agreement-print")
    desk.emulate_media(media="screen")
    desk.goto("/civic/mediations/")
    check_layout(desk, "civic-mediations-desktop")
    desk.goto(f"/civic/teams/{cw.veterans.pk}/")
    check_layout(desk, "civic-team-desktop")
