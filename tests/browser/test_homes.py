"""Each role's home in Chromium on the demo (seed_demo): the grid worker's day and its two
actions, the department's queue, the clerk's counter, and on a phone the bottom tab bar that
keeps every section on one line. Screenshots go to test-artifacts/home-*.png."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, layout_problems, screenshot

pytestmark = pytest.mark.browser

TAB_BAR = """
() => {
  const nav = document.querySelector('.site-nav');
  const box = nav.getBoundingClientRect();
  const tabs = [...nav.querySelectorAll('li')].filter((li) => li.offsetParent !== null)
    .map((li) => li.getBoundingClientRect());
  return {position: getComputedStyle(nav).position, bottom: box.bottom, top: box.top,
          viewport: window.innerHeight, rows: new Set(tabs.map((t) => Math.round(t.top))).size,
          narrowest: Math.min(...tabs.map((t) => t.width)), count: tabs.length};
}
"""


def _tab_bar(page) -> dict:
    bar = page.evaluate(TAB_BAR)
    return bar


@pytest.mark.parametrize(("device", "viewport", "phone"), [("phone", PHONE, True), ("desktop", DESKTOP, False)])
def test_grid_worker_home_is_the_day(demo_site, device, viewport, phone):
    page = demo_site(viewport, "qixing_grid1", phone=phone)
    page.goto("/")
    today = page.locator("section.today")
    expect(today.get_by_role("link", name="登记走访")).to_be_visible()
    expect(today.get_by_role("link", name="上报事项")).to_be_visible()
    assert today.locator(".tile").count() == 4
    assert layout_problems(page) == []
    bar = _tab_bar(page)
    if phone:
        # one row of tabs fixed to the bottom of the screen, each wide enough for a thumb
        assert bar["position"] == "fixed" and bar["rows"] == 1
        assert abs(bar["bottom"] - bar["viewport"]) <= 1 and bar["narrowest"] >= 44
    else:
        assert bar["position"] != "fixed" and bar["top"] < 200
    screenshot(page, f"home-grid-worker-{device}")
    # the visit tile opens the households due, the action opens the visit form
    today.locator(".tile").first.click()
    page.wait_for_url("**/visits/")
    page.go_back()
    page.locator("section.today").get_by_role("link", name="登记走访").click()
    page.wait_for_url("**/visits/new/")
    assert layout_problems(page) == []
    screenshot(page, f"home-grid-worker-visit-form-{device}")


@pytest.mark.parametrize(("device", "viewport", "phone"), [("phone", PHONE, True), ("desktop", DESKTOP, False)])
def test_department_and_clerk_homes(demo_site, device, viewport, phone):
    handler = demo_site(viewport, "weituo_sifasuo", phone=phone)
    handler.goto("/")
    queue = handler.locator("section[aria-labelledby='department-queue-heading']")
    assert queue.locator("a.tile").count() == 4
    assert layout_problems(handler) == []
    screenshot(handler, f"home-department-{device}")

    clerk = demo_site(viewport, "qixing_clerk", phone=phone)
    clerk.goto("/")
    clerk.wait_for_url("**/points/shop/")
    assert layout_problems(clerk) == []
    screenshot(clerk, f"home-clerk-{device}")


def test_a_superuser_phone_keeps_one_row_of_tabs(demo_site):
    admin = demo_site(PHONE, "admin", phone=True)
    admin.goto("/households/")
    bar = _tab_bar(admin)
    assert bar["rows"] == 1 and bar["narrowest"] >= 44
    assert layout_problems(admin) == []
    screenshot(admin, "home-admin-phone-households")


BADGES = """
() => [...document.querySelectorAll('.site-nav .badge')].filter((b) => !b.hidden).map((b) => {
  const box = b.getBoundingClientRect();
  return {text: b.textContent.trim(), height: box.height, right: box.right,
          line: parseFloat(getComputedStyle(b).lineHeight), viewport: window.innerWidth};
})
"""


def test_a_two_digit_count_on_a_phone_tab_stays_on_one_line(demo_site):
    """The demo's cadre has tens of unread notifications: "28" on the last tab is one line, not
    a "2" stacked over an "8", and stays on the screen."""
    cadre = demo_site(PHONE, "qixing_cadre", phone=True)
    cadre.goto("/")
    badges = cadre.evaluate(BADGES)
    assert any(len(b["text"].split()[0]) >= 2 for b in badges), badges
    for badge in badges:
        assert badge["height"] <= badge["line"] + 1, badge
        assert badge["right"] <= badge["viewport"], badge
    screenshot(cadre, "home-cadre-phone-badges")
