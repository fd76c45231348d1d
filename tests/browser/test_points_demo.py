"""The points journey with the demo's own accounts and data (seed_demo): qixing_grid1 proposes,
the 公示 passes, qixing_cadre approves, qixing_clerk redeems at the counter, qixing_cadre
reverses; maker-checker holds and the ledger still adds up."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from grids.models import Household
from points.models import Award, AwardStatus, Entry, EntryKind, Item, Redemption
from tests.browser.conftest import DESKTOP, PHONE, layout_problems, screenshot, send_ok

pytestmark = pytest.mark.browser


def test_demo_accounts_propose_approve_redeem_and_reverse(demo_site):
    household = Household.objects.filter(village__name="七星村", grid__number=1).order_by("number").first()
    account = household.points_account
    start = account.balance

    # 提: qixing_grid1, on a phone, proposes 志愿服务 for the household.
    grid1 = demo_site(PHONE, "qixing_grid1", phone=True)
    grid1.goto(f"/points/entries/new/?account={account.pk}")
    rule = grid1.locator("#id_rule option", has_text="志愿服务").first.get_attribute("value")
    grid1.select_option("#id_rule", rule)
    grid1.fill("#id_note", "帮独居老人打扫院坝")
    send_ok(grid1, grid1.locator("main form button[type=submit]"))
    award = Award.objects.filter(account=account, proposed_by__username="qixing_grid1").latest("pk")
    assert award.status == AwardStatus.PENDING

    # The proposer may not decide it (maker-checker), and nobody may approve during 公示.
    cadre = demo_site(DESKTOP, "qixing_cadre")
    cadre.goto(f"/points/entries/{award.pk}/")
    expect(cadre.locator("#action-approve")).to_have_count(0)
    expect(cadre.locator("#action-reject")).to_be_visible()

    # 公示 passes; qixing_cadre approves.
    Award.objects.filter(pk=award.pk).update(objection_until=timezone.now() - datetime.timedelta(minutes=1))
    cadre.goto(f"/points/entries/{award.pk}/")
    send_ok(cadre, cadre.locator("#action-approve button[type=submit]"))
    award.refresh_from_db()
    assert award.status == AwardStatus.APPROVED
    account.refresh_from_db()
    assert account.balance == start + award.points

    # 兑: qixing_clerk redeems 香皂 at the counter, on a phone.
    clerk = demo_site(PHONE, "qixing_clerk", phone=True)
    clerk.goto(f"/points/shop/{account.pk}/")
    soap = Item.objects.get(village=account.village, name="香皂")
    stock = soap.stock
    clerk.check(f"#item-{soap.pk}", force=True)
    clerk.fill("#id_quantity", "1")
    head = household.members.get(relation_to_head="head")
    clerk.check(f"input[name=member][value='{head.pk}']")  # who came to the counter
    send_ok(clerk, clerk.locator(".redeem-form button[type=submit]"))
    assert Redemption.objects.get(account=account, item=soap).member == head
    soap.refresh_from_db()
    assert soap.stock == stock - 1
    assert layout_problems(clerk) == []
    screenshot(clerk, "phone-points-demo-counter")

    # 冲正: qixing_cadre reverses the award from the passbook, with a reason.
    earn = Entry.objects.get(award=award)
    cadre.goto(f"/points/accounts/{account.pk}/")
    cadre.locator(f"a[href='/points/lines/{earn.pk}/reverse/']").click()
    cadre.fill("#id_reverse-reason", "重复申报，予以冲正")
    send_ok(cadre, cadre.locator("main form button[type=submit]"))
    assert Entry.objects.filter(kind=EntryKind.REVERSAL, reverses=earn).count() == 1
    account.refresh_from_db()
    assert account.balance == start - soap.price
    screenshot(cadre, "desktop-points-demo-passbook")

    out = io.StringIO()
    call_command("check_points_ledger", stdout=out, stderr=io.StringIO())
    assert "ok" in out.getvalue()
