"""人员安排 in Chromium: 七星村's cadre hands grid 2 over to a new grid worker on a phone (ends
one post, gives another) and the newcomer's next page shows exactly that grid; the same page at
a desk; the township administrator's page with its 片区 and 包片 leader."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, layout_problems, screenshot

pytestmark = pytest.mark.browser


def _looks_right(page, name):
    assert layout_problems(page) == []
    screenshot(page, name)


def test_cadre_hands_a_grid_over_on_a_phone(open_page, target):
    if target.world is None:
        pytest.skip("writes assignments: needs the test world, not a running demo")
    from tests.factories import make_user

    world = target.world
    make_user("t_newcomer", name="陈新")
    grid = f"#grid-{world.q2.pk}"

    page = open_page(PHONE, target.cadre, phone=True)
    page.goto("/")
    page.locator("main a[href^='/manage/assignments/']").first.click()
    expect(page.locator(f"{grid} .staff")).to_contain_text(world.users.grid2.first_name)
    _looks_right(page, "assignments-cadre-phone")

    # End 网格员二's post today.
    page.locator(f"{grid} .staff a[href$='/end/']").click()
    expect(page.locator("form.panel input[type=date]")).to_be_visible()
    _looks_right(page, "assignments-end-phone")
    page.locator("form.panel button[type=submit]").click()
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator(f"{grid} .staff .chip.warn")).to_be_visible()

    # Give grid 2 to the newcomer.
    page.locator(f"{grid} .assign-here a").click()
    page.check("input[name=role][value=grid_worker]")
    page.select_option("#id_user", label="陈新（t_newcomer）")
    page.fill("#id_title", "第二网格网格员")
    _looks_right(page, "assignments-give-phone")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator(f"{grid} .staff", has_text="陈新")).to_be_visible()
    _looks_right(page, "assignments-cadre-phone-after")

    # The newcomer's very next page: exactly grid 2's households.
    newcomer = open_page(PHONE, "t_newcomer", phone=True)
    newcomer.goto("/households/")
    expect(newcomer.locator("#household-results")).to_contain_text("王五")
    expect(newcomer.locator("#household-results")).not_to_contain_text("张三")


def test_cadre_page_at_a_desk(open_page, target):
    page = open_page(DESKTOP, target.cadre)
    page.goto("/manage/assignments/")
    expect(page.locator(".staff").first).to_be_visible()
    expect(page.locator(".site-nav a[href='/manage/assignments/']")).to_have_attribute("aria-current", "page")
    _looks_right(page, "assignments-cadre-desktop")
    page.goto("/manage/assignments/new/")
    _looks_right(page, "assignments-new-desktop")


def test_township_admin_page_with_areas(open_page, target):
    if target.world is None:
        pytest.skip("needs the test world's township administrator")
    from governance.models import Role
    from grids.models import Area
    from tests.factories import assign, make_user

    world = target.world
    admin = make_user("t_weituo_admin", name="渭沱镇管理员")
    assign(admin, Role.TOWNSHIP_ADMIN, world.weituo)
    area = Area.objects.create(township=world.weituo, name="北片")
    area.villages.add(world.qixing, world.hualong)
    assign(world.users.leader, Role.AREA_LEADER, area)
    assign(world.users.official, Role.VILLAGE_LIAISON, world.qixing)

    page = open_page(DESKTOP, admin.username)
    page.goto("/manage/assignments/")
    expect(page.locator(f"#area-{area.pk} .staff")).to_contain_text(world.users.leader.first_name)
    page.locator(f"#village-{world.qixing.pk} summary").click()
    expect(page.locator(f"#village-{world.qixing.pk} .staff").first).to_be_visible()
    _looks_right(page, "assignments-township-desktop")

    phone = open_page(PHONE, admin.username, phone=True)
    # The township administrator's phone has the page as a tab (a cadre's, from the home page).
    phone.locator(".site-nav a[href='/manage/assignments/']").click()
    phone.locator(f"#area-{area.pk} a[href$='/edit/']").click()
    expect(phone.locator("input[name=villages]:checked")).to_have_count(2)
    _looks_right(phone, "assignments-area-phone")
