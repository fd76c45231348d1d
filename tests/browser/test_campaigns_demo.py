"""The campaigns' "done when", walked with the demo's own accounts (seed_demo) in Chromium.

weituo_official makes a 燃气安全排查 from an XLSForm at a desk and starts it for 七星村;
qixing_grid1, on a phone, answers three households with their visits, two of them offline,
then back online everything arrives once; one answer finds a hazard, and qixing_cadre finds
its matter waiting to be classified; the campaign shows 3 of 12 for grid 1, and its export
holds the three rows.
"""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from grids.campaigns.models import Campaign, Task
from grids.models import Household
from petitions.models import Matter
from tests.browser.conftest import DESKTOP, PHONE, send
from tests.browser.test_visits import OUTBOX, check_layout, save_visit, wait_for_service_worker
from tests.campaigns.xlsforms import xlsform

pytestmark = pytest.mark.browser


def visit_with_answers(page, household, prefix: str, *, hazard: bool) -> None:
    page.goto(f"/visits/new/?household={household.pk}")
    section = page.locator("[data-visit-campaigns]")
    expect(section).to_contain_text("燃气安全排查")
    section.get_by_label("本次走访一并填写").check()
    page.locator(f"#field-{prefix}uses_gas").get_by_label("是").check()
    page.locator(f"#field-{prefix}gas_kind").get_by_label("瓶装液化气").check()
    page.locator(f"#field-{prefix}hazard").get_by_label("是" if hazard else "否").check()
    if hazard:
        page.fill(f"#id_{prefix}detail", "液化气罐放在灶台下，软管老化。")
    page.fill(f"#id_{prefix}people", "3")
    page.locator("#id_met_0").check()
    page.fill("#id_notes", "燃气安全排查入户。")
    save_visit(page)
    page.wait_for_url("**/visits/")


def test_the_demo_walk_of_a_gas_campaign(demo_site, tmp_path):
    upload = tmp_path / "gas.xlsx"
    upload.write_bytes(xlsform().getvalue())

    # weituo_official: from an XLSForm, for 七星村, started.
    desk = demo_site(DESKTOP, "weituo_official")
    desk.goto("/campaigns/new/")
    desk.get_by_label("七星村").check()
    desk.fill("#id_starts_on", "2026-01-01")
    desk.fill("#id_due_on", "2099-12-31")
    desk.set_input_files("#id_xlsform", str(upload))
    send(desk, desk.locator("main form.form button[type=submit]"))
    send(desk, desk.get_by_role("button", name="启动：下发到各网格"))
    expect(desk.locator(".message.success")).to_be_visible()
    campaign = Campaign.objects.get(title="燃气安全排查")
    grid1 = Household.objects.filter(village__name="七星村", grid__number=1)
    assert Task.objects.filter(campaign=campaign, grid__number=1).count() == grid1.count() == 12

    # qixing_grid1 on a phone: one household online, two offline, then synced.
    phone = demo_site(PHONE, "qixing_grid1", phone=True)
    phone.goto("/visits/")
    wait_for_service_worker(phone)
    expect(phone.locator(".todo-campaigns")).to_contain_text("燃气安全排查")
    first, second, third = grid1.order_by("number")[:3]
    prefix = f"c{campaign.pk}-"
    visit_with_answers(phone, first, prefix, hazard=False)
    assert Task.objects.get(campaign=campaign, household=first).state == "done"

    phone.context.set_offline(True)
    visit_with_answers(phone, second, prefix, hazard=True)
    visit_with_answers(phone, third, prefix, hazard=False)
    expect(phone.locator(OUTBOX)).to_have_attribute("data-waiting", "2")
    check_layout(phone, "demo-campaign-outbox-offline-phone")
    assert Task.objects.filter(campaign=campaign, state="done").count() == 1
    phone.context.set_offline(False)
    expect(phone.locator(OUTBOX)).to_have_attribute("data-waiting", "0", timeout=30_000)
    done = Task.objects.filter(campaign=campaign, state="done", follows__isnull=True)
    assert sorted(done.values_list("household_id", flat=True)) == sorted([first.pk, second.pk, third.pk])

    # qixing_cadre finds the hazard's matter waiting to be classified.
    matter = Matter.objects.get(household=second, description__contains="液化气罐放在灶台下")
    cadre = demo_site(DESKTOP, "qixing_cadre")
    cadre.goto("/matters/waiting/")
    expect(cadre.locator(f"main a[href='/matters/{matter.pk}/']").first).to_be_visible()

    # Progress: 3 of 12 for grid 1; the export holds the three rows.
    desk.goto(f"/campaigns/{campaign.pk}/")
    # The progress table per grid (the page also has the counts' tables under the charts).
    row = desk.locator("main table.table tr", has_text="第一网格").first
    expect(row.locator("td").nth(1)).to_have_text("3")
    expect(row.locator("td").nth(2)).to_have_text("12")
    check_layout(desk, "demo-campaign-progress-desktop")
    response = desk.request.get(f"/api/v1/campaigns/{campaign.pk}/export/")
    assert response.status == 200
    sheet = load_workbook(io.BytesIO(response.body())).active
    rows = [row for row in sheet.iter_rows(min_row=2, values_only=True) if any(row)]
    assert len(rows) == 3
