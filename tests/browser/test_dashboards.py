"""The dashboards' charts draw in Chromium for a village cadre and a township official, on a
phone and on a desktop, with the demo's data (seed_demo); screenshots go to /tmp/dash-*.png."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from grids.models import Village
from tests.browser.conftest import DESKTOP, PHONE, layout_problems

pytestmark = pytest.mark.browser

SIZES = """
() => [...document.querySelectorAll('.chart[data-chart]')].map((chart) => {
  const drawn = chart.querySelector('canvas, svg');
  const box = drawn ? drawn.getBoundingClientRect() : {width: 0, height: 0};
  return {id: chart.dataset.chart, width: box.width, height: box.height};
})
"""


def _charts_drawn(page, expected: int) -> list[dict]:
    expect(page.locator(".chart[data-chart] canvas").first).to_be_visible()
    sizes = page.evaluate(SIZES)
    assert len(sizes) == expected, sizes
    for size in sizes:
        assert size["width"] > 200 and size["height"] > 200, size
    return sizes


def _shot(page, name: str) -> None:
    page.screenshot(path=str(Path("/tmp") / f"dash-{name}.png"), full_page=True)


@pytest.mark.parametrize(("device", "viewport", "phone"), [("phone", PHONE, True), ("desktop", DESKTOP, False)])
def test_charts_render_for_a_cadre_and_an_official(demo_site, device, viewport, phone):
    cadre = demo_site(viewport, "qixing_cadre", phone=phone)
    cadre.goto("/")
    _charts_drawn(cadre, 2)
    # the table behind a chart is one click away
    details = cadre.locator("details.chart-table").first
    details.locator("summary").click()
    expect(details.locator("table")).to_be_visible()
    assert layout_problems(cadre) == []
    _shot(cadre, f"cadre-{device}")

    official = demo_site(viewport, "weituo_official", phone=phone)
    official.goto("/")
    _charts_drawn(official, 4)  # the township's two, and 七星村's two: the official is its 包村
    assert layout_problems(official) == []
    _shot(official, f"township-{device}")

    # drill down: township → the village's own dashboard → a figure's list
    qixing = Village.objects.get(name="七星村")
    official.click(f"a[href='/dashboard/villages/{qixing.pk}/']")
    official.wait_for_url(f"**/dashboard/villages/{qixing.pk}/")
    _charts_drawn(official, 2)
    assert layout_problems(official) == []
    _shot(official, f"village-from-township-{device}")
    official.locator("section.dashboard a.tile").first.click()
    official.wait_for_url("**/matters/?*")
    expect(official.locator(".figure-filters")).to_be_visible()


def test_monthly_report_fits_a_phone(open_page, target):
    """The monthly report's four-column 逢十 table scrolls in its own box like the others:
    at 360 px its headers made it 6 px wider than the page."""
    if target.world is None:
        pytest.skip("needs the test world's township id")
    page = open_page(PHONE, target.official, phone=True)
    page.goto(f"/reports/monthly/?township={target.world.weituo.pk}")
    expect(page.locator("#fengshi-heading")).to_be_visible()
    assert layout_problems(page) == []
    # Export and print side by side in one row of actions (a form in a <p> split them apart).
    actions = page.locator(".page-head .actions")
    expect(actions.locator("form button")).to_be_visible()
    expect(actions.locator("a[data-print]")).to_be_visible()
    assert page.locator(".page-head > form").count() == 0
