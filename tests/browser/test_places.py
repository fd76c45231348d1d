"""Grids and courtyards in Chromium: 七星村's cadre renames a grid, adds a courtyard, splits a
grid by finding households in the chooser, and merges the new grid back, at a desk; the same
pages on a 360 px phone. Every page: nothing sticks out, text and touch targets large enough."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, layout_problems, screenshot

pytestmark = pytest.mark.browser


def _ok(page, name):
    assert layout_problems(page) == []
    screenshot(page, name)


def test_a_cadre_keeps_the_village_places_at_a_desk(open_page, target):
    if target.world is None:
        pytest.skip("changes places: needs the test world, not a running demo")
    from grids.models import Grid, Household, HouseholdMove

    world = target.world
    page = open_page(DESKTOP, target.cadre)

    # The menu leads to the village's grids, with counts, staff, courtyards and history links.
    page.locator(".site-nav a[href='/manage/places/']").click()
    expect(page.locator("h1")).to_be_visible()
    card = page.locator(f"#grid-{world.q1.pk}")
    expect(card).to_contain_text("第一网格")
    expect(card).to_contain_text("网格员一")
    expect(card.locator(f"a[href='/history/grid/{world.q1.pk}/']")).to_be_visible()
    _ok(page, "desktop-places-list")

    # Rename grid 1, then add a courtyard to it.
    card.locator(f"h3 a[href='/manage/places/grids/{world.q1.pk}/']").click()
    page.locator("#action-rename summary").click()
    page.fill("#id_rename-name", "河坝网格")
    page.click("#action-rename button[type=submit]")
    expect(page.locator("h1")).to_contain_text("河坝网格")
    page.locator("#action-add-courtyard summary").click()
    page.fill("#id_add-courtyard-name", "竹林院子")
    page.click("#action-add-courtyard button[type=submit]")
    expect(page.locator("h1")).to_have_text("竹林院子")
    page.goto(f"/manage/places/grids/{world.q1.pk}/")
    _ok(page, "desktop-places-grid")

    # Split: find 李四 by pinyin in the chooser, choose that household, make 第三网格.
    page.goto(f"/manage/places/grids/{world.q1.pk}/split/")
    finder = page.locator("#household-filter")
    expect(finder).to_be_visible()
    expect(page.locator("[data-chosen-count]")).to_contain_text("0")
    finder.fill("lisi")
    q1b = world.households.q1b
    box = page.locator(f"input[name='split-households'][value='{q1b.pk}']")
    expect(box).to_be_visible()
    expect(page.locator(f"input[name='split-households'][value='{world.households.q1.pk}']")).to_be_hidden()
    box.check()
    expect(page.locator("[data-chosen-count]")).to_contain_text("1")
    page.fill("#id_split-name", "第三网格")
    _ok(page, "desktop-places-split")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(".split-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("第三网格")
    new = Grid.objects.get(village=world.qixing, name="第三网格")
    assert list(Household.objects.filter(grid=new)) == [q1b]

    # Merge the new grid back into grid 1: asked first, then every household moves on the record.
    page.locator("#action-merge summary").click()
    page.select_option("#id_merge-into", str(world.q1.pk))
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#action-merge button[type=submit]")
    expect(page.locator("h1")).to_contain_text("河坝网格")
    new.refresh_from_db()
    assert new.merged_into_id == world.q1.pk
    assert HouseholdMove.objects.filter(household=q1b).count() == 2
    page.goto("/manage/places/")
    retired = page.locator(".retired-places")
    retired.locator("summary").click()
    expect(retired).to_contain_text("第三网格")
    _ok(page, "desktop-places-list-after-merge")


def test_the_places_pages_fit_a_phone(open_page, target):
    if target.world is None:
        pytest.skip("needs the test world, not a running demo")
    world = target.world
    page = open_page(PHONE, target.cadre, phone=True)

    for url, name in (
        ("/manage/places/", "phone-places-list"),
        (f"/manage/places/grids/{world.q1.pk}/", "phone-places-grid"),
        (f"/manage/places/courtyards/{world.yard.pk}/", "phone-places-courtyard"),
        (f"/manage/places/villages/{world.qixing.pk}/grids/new/", "phone-places-grid-create"),
    ):
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        _ok(page, name)

    page.goto(f"/manage/places/grids/{world.q1.pk}/")
    page.locator("#action-merge summary").click()
    _ok(page, "phone-places-grid-merge-open")
    page.goto(f"/manage/places/grids/{world.q1.pk}/split/")
    page.locator("#household-filter").fill("张")
    group = page.locator("[data-group]", has_text="老院子")
    expect(group).to_have_attribute("open", "")
    group.locator("[data-check-group]").check()
    expect(page.locator("[data-chosen-count]")).to_contain_text("1")
    _ok(page, "phone-places-split")


def test_a_grid_history_fits_a_phone_and_reads_in_english_too(open_page, target):
    if target.world is None:
        pytest.skip("renames a grid: needs the test world, not a running demo")
    from grids.places import grid_update

    world = target.world
    grid_update(grid=world.q1, name="第一网格（沿河两岸的四个村民小组和新建的安置小区）")
    page = open_page(PHONE, target.cadre, phone=True)
    page.goto(f"/history/grid/{world.q1.pk}/")
    expect(page.locator(".history .card")).to_have_count(2)  # made, renamed
    expect(page.locator("main")).to_contain_text("沿河两岸")
    _ok(page, "phone-grid-history")  # the long name wraps inside the card

    with page.expect_navigation():
        page.locator(".lang-form button").click()
    expect(page.locator("h1")).to_contain_text("History of")
    # the kind is named in the page's language, not the one the server started in
    expect(page.locator("main p.muted").first).to_contain_text("Grid ·")
    _ok(page, "phone-grid-history-english")
