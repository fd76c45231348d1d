"""The real pages in Chromium: a grid worker on a phone, a village cadre at a desk, a form round trip."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, layout_problems, screenshot

pytestmark = pytest.mark.browser


def _household_names(page) -> set[str]:
    return {name.strip() for name in page.locator("#household-results .cards h3").all_inner_texts()}


def test_grid_worker_on_a_phone_sees_only_their_households(open_page, target):
    other = open_page(PHONE, target.grid2, phone=True)
    other.goto("/households/")
    other_names = _household_names(other)
    assert other_names

    page = open_page(PHONE, target.grid1, phone=True)
    expect(page.locator("h1")).to_be_visible()
    own = _household_names(page)
    assert own and not (own & other_names), (own, other_names)
    assert layout_problems(page) == []
    screenshot(page, "phone-grid-worker-home")

    page.goto("/households/")
    expect(page.locator("h1")).to_have_text(re.compile(r"\S"))
    assert _household_names(page) == own or own <= _household_names(page)
    assert layout_problems(page) == []
    screenshot(page, "phone-grid-worker-households")

    if target.world is not None:
        assert own == {"张三", "李四"} and other_names == {"王五"}
        # Live search (htmx): typing the initials narrows the list without a page load.
        page.fill("input[name=q]", "zs")
        expect(page.locator("#household-results .cards h3")).to_have_count(1)
        expect(page.locator("#household-results .cards h3")).to_have_text("张三")
        assert "q=zs" in page.url
        screenshot(page, "phone-grid-worker-search")

        page.locator("#household-results .cards h3 a").click()
        expect(page.locator("h1")).to_contain_text("张三")
        assert layout_problems(page) == []
        screenshot(page, "phone-household-detail")


def test_village_cadre_at_a_desk_sees_the_village_overview(open_page, target):
    page = open_page(DESKTOP, target.cadre)
    # The 村级驾驶舱: its grid table (逢十 visits and open matters per grid) is the overview.
    table = page.locator("main table", has=page.locator("th", has_text="网格")).last
    expect(table).to_be_visible()
    assert table.locator("tbody tr").count() >= 1
    expect(page.locator("main a.button[href^='/households/?village=']")).to_be_visible()
    assert layout_problems(page) == []
    screenshot(page, "desktop-cadre-home")
    if target.world is not None:
        expect(page.locator("h1")).to_have_text("七星村")
        rows = table.locator("tbody tr").all_inner_texts()
        assert any("第一网格" in r for r in rows) and any("第二网格" in r for r in rows)

    page.goto("/households/")
    assert layout_problems(page) == []
    screenshot(page, "desktop-cadre-households")

    # The same overview on a phone stays in one column; so does the township's.
    phone = open_page(PHONE, target.cadre, phone=True)
    assert layout_problems(phone) == []
    screenshot(phone, "phone-cadre-home")
    phone = open_page(PHONE, target.official, phone=True)
    assert layout_problems(phone) == []
    screenshot(phone, "phone-official-home")
    phone.goto("/households/")
    phone.locator("summary").click()
    assert layout_problems(phone) == []
    screenshot(phone, "phone-official-households-filters")


def test_form_errors_round_trip(open_page, target):
    page = open_page(PHONE, target.grid1, phone=True)
    page.goto("/households/")
    existing_number = page.locator("#household-results .cards .meta").first.inner_text().split(" · ")[0].strip()

    page.goto("/households/new/")
    number = f"T{int(time.time() * 1000) % 10**9}"
    page.fill("#id_number", number)
    page.fill("#id_address", "七星村测试地址1号")
    page.fill("#id_phone", "12345")
    page.click("main button[type=submit]")

    # 1. A bad phone number: the error sits in the phone field's box, what was typed stays.
    phone_field = page.locator("#field-phone")
    expect(phone_field.locator(".errorlist")).to_be_visible()
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#id_address")).to_have_value("七星村测试地址1号")
    expect(page.locator("#id_phone")).to_have_value("12345")
    assert layout_problems(page) == []
    screenshot(page, "phone-form-error-phone")

    # 2. A number already used in the village: the service's error is shown next to the number.
    page.fill("#id_phone", "15800001234")
    page.fill("#id_number", existing_number)
    page.click("main button[type=submit]")
    expect(page.locator("#field-number .errorlist")).to_be_visible()
    expect(page.locator("#field-phone .errorlist")).to_have_count(0)
    expect(page.locator("#id_phone")).to_have_value("15800001234")
    screenshot(page, "phone-form-error-number")

    # 3. Corrected: saved once, and the next step (the head of the household) is offered.
    page.fill("#id_number", number)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/residents/new/\?relation=head"))
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator("#id_relation_to_head")).to_have_value("head")
    assert layout_problems(page) == []
    screenshot(page, "phone-add-head")
    if target.world is not None:
        from grids.models import Household

        assert Household.objects.filter(number=number).count() == 1


def test_notification_marked_read_in_place(open_page, target):
    if target.world is None:
        pytest.skip("needs the test world's notifications")
    from governance.models import Notification

    user = target.world.users.grid1
    first = Notification.objects.create(user=user, title="明天是逢十，请下网格走访", url="/households/")
    Notification.objects.create(user=user, title="七星村第二网格有新事项")
    page = open_page(PHONE, target.grid1, phone=True)
    page.goto("/notifications/")
    expect(page.locator("#nav-unread")).to_have_text(re.compile(r"^2"))
    assert layout_problems(page) == []
    screenshot(page, "phone-notifications")
    row = page.locator(f"#notification-{first.pk}")
    row.get_by_role("button").click()
    # htmx swaps the row and the menu's count; the page itself does not reload.
    expect(page.locator(f"#notification-{first.pk} .chip.read").first).to_be_visible()
    expect(page.locator("#nav-unread")).to_have_text(re.compile(r"^1"))
    first.refresh_from_db()
    assert first.read_at is not None


def test_other_pages_at_phone_size(open_page, target):
    """Login, 403, 404, a resident with the ID number shown, the move form: no overflow."""
    if target.world is None:
        pytest.skip("needs the test world")
    world = target.world
    resident = world.households.q1.members.order_by("id").first()

    page = open_page(PHONE, target.cadre, phone=True)
    page.goto(f"/residents/{resident.pk}/")
    page.get_by_role("button", name=re.compile("full ID number|身份证")).click()
    expect(page.locator(".revealed")).to_be_visible()
    assert layout_problems(page) == []
    screenshot(page, "phone-resident-revealed")

    page.goto(f"/households/{world.households.q1.pk}/move/")
    page.click("main button[type=submit]")
    expect(page.locator("#field-reason .errorlist")).to_be_visible()
    assert layout_problems(page) == []
    screenshot(page, "phone-move-errors")

    page = open_page(PHONE, target.grid1, phone=True)
    page.goto(f"/households/{world.households.q1.pk}/move/")
    expect(page.locator("h1")).to_be_visible()
    assert layout_problems(page) == []
    screenshot(page, "phone-403")
    page.goto(f"/households/{world.households.q2.pk}/")
    assert layout_problems(page) == []
    screenshot(page, "phone-404")

    page.click(".logout-form button")
    page.wait_for_url(re.compile("/accounts/login/"))
    # A throwaway name: locking a real account of a running demo would lock its people out.
    username = f"lockout-check-{int(time.time() * 1000)}"
    page.fill("#id_username", username)
    page.fill("#id_password", "wrong-password")
    page.click("main button[type=submit]")
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#id_username")).to_have_value(username)
    assert layout_problems(page) == []
    screenshot(page, "phone-login-error")
    for _ in range(4):
        page.fill("#id_password", "wrong-password")
        page.click("main button[type=submit]")
        page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text(re.compile("locked|锁"))
    assert layout_problems(page) == []
    screenshot(page, "phone-locked-out")
