"""A campaign answered door to door on a phone in Chromium, with the network cut and restored.

Grid 1's worker has three households on the township's 燃气安全排查. The first is answered
online with its visit (the campaign's questions on the visit form); the second offline with
its visit, from the phone's copy of the form, and it finds a hazard; the third on the task's
own answer page, opened online and sent after the network was cut. Back online everything
arrives once: three answers, two linked to their visits, one matter raised for the hazard.
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from grids.campaigns.library import GAS
from grids.campaigns.models import Task
from grids.campaigns.services import campaign_create, campaign_start
from grids.visits.models import Visit
from petitions.models import Matter
from tests.browser.conftest import PHONE
from tests.browser.test_visits import OUTBOX, check_layout, save_visit, wait_for_service_worker
from tests.factories import make_household

pytestmark = pytest.mark.browser


@pytest.fixture
def gas_campaign(target):
    """The township's gas campaign for 七星村, started, with a third household in grid 1."""
    if target.world is None:
        pytest.skip("counts the answers in the test world's database")
    from petitions.models import Kind, MatterCategory

    world = target.world
    MatterCategory.objects.get_or_create(
        code="public_security", defaults={"name": "社会治安", "default_kind": Kind.GOVERNMENT}
    )
    third = make_household(world.q1, head_name="孙八")
    today = timezone.localdate()
    campaign = campaign_create(
        actor=world.users.official,
        township=world.weituo,
        title=GAS.title,
        starts_on=today,
        due_on=today + datetime.timedelta(days=20),
        villages=[world.qixing],
        form=GAS.form,
        form_source="template:gas_safety",
    )
    campaign = campaign_start(campaign=campaign, actor=world.users.official)
    return campaign, third


def answer_gas(page, prefix: str, *, hazard: bool) -> None:
    """Uses bottled gas, hose fine, an alarm; a hazard described, or none."""
    page.locator(f"#field-{prefix}uses_gas").get_by_label("是").check()
    page.locator(f"#field-{prefix}gas_kind").get_by_label("瓶装液化气").check()
    page.locator(f"#field-{prefix}hose_ok").get_by_label("是").check()
    page.locator(f"#field-{prefix}alarm").get_by_label("是").check()
    page.locator(f"#field-{prefix}hazard").get_by_label("是" if hazard else "否").check()
    if hazard:
        page.fill(f"#id_{prefix}hazard_detail", "液化气罐放在灶台下，软管老化。")


def test_three_households_answered_one_online_two_offline_all_arrive_once(open_page, target, gas_campaign):
    campaign, third = gas_campaign
    world = target.world
    first, second = world.households.q1, world.households.q1b
    prefix = f"c{campaign.pk}-"
    page = open_page(PHONE, target.grid1, phone=True)
    context = page.context
    page.goto("/visits/")
    wait_for_service_worker(page)
    # The to-do has the campaign beside the visits, and its households marked.
    expect(page.locator(".todo-campaigns")).to_contain_text("燃气安全排查")
    expect(page.locator(f"[data-household='{first.pk}'] .chip.campaign")).to_contain_text("燃气安全排查")
    check_layout(page, "campaign-on-visit-todo-phone")

    # 1. Online: the visit form asks the household's campaign once it is ticked.
    page.goto(f"/visits/new/?household={first.pk}")
    section = page.locator("[data-visit-campaigns]")
    expect(section).to_be_visible()
    expect(section).to_contain_text("燃气安全排查")
    expect(page.locator(f"#field-{prefix}uses_gas")).to_be_hidden()
    section.get_by_label("本次走访一并填写").check()
    expect(page.locator(f"#field-{prefix}gas_kind")).to_be_hidden()
    page.locator("#id_met_0").check()
    page.fill("#id_notes", "入户检查燃气。")
    # Required questions are asked for before anything is saved.
    save_visit(page)
    expect(page.locator(f"#field-{prefix}uses_gas .errorlist")).to_be_visible()
    answer_gas(page, prefix, hazard=False)
    check_layout(page, "campaign-on-visit-form-phone")
    save_visit(page)
    page.wait_for_url("**/visits/")
    task = Task.objects.get(campaign=campaign, household=first)
    assert task.state == "done" and task.answers["hazard"] == "no"
    assert task.visit is not None and task.visit.household == first

    # 2. Offline: the form comes from the phone's copy, with the campaign; the visit and its
    # answer wait on the phone.
    context.set_offline(True)
    page.goto(f"/visits/new/?household={second.pk}")
    expect(page.locator("[data-visit-campaigns]")).to_be_visible()
    page.locator("[data-visit-campaigns]").get_by_label("本次走访一并填写").check()
    answer_gas(page, prefix, hazard=True)
    page.locator("#id_met_0").check()
    page.fill("#id_notes", "发现燃气隐患。")
    save_visit(page)
    page.wait_for_url("**/visits/")
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "1")
    assert not Task.objects.filter(campaign=campaign, household=second, state="done").exists()

    # 3. The third on the task's own page, opened online; the network drops before it is sent.
    context.set_offline(False)
    third_task = Task.objects.get(campaign=campaign, household=third)
    page.goto(f"/campaigns/tasks/{third_task.pk}/")
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "0", timeout=30_000)
    context.set_offline(True)
    page.locator("#field-uses_gas").get_by_label("否").check()
    expect(page.locator("#field-gas_kind")).to_be_hidden()
    page.locator("form[data-campaign-form] button[type=submit]").click()
    expect(page.locator(".form-notice")).to_be_visible()
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "1")
    check_layout(page, "campaign-answer-offline-phone")
    assert Task.objects.get(pk=third_task.pk).state == "open"

    # 4. Back online: everything arrives, once.
    context.set_offline(False)
    page.goto("/campaigns/tasks/")
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "0", timeout=30_000)
    tasks = {t.household_id: t for t in Task.objects.filter(campaign=campaign, follows__isnull=True)}
    assert [tasks[h.pk].state for h in (first, second, third)] == ["done", "done", "done"]
    assert tasks[second.pk].visit.household == second and tasks[third.pk].visit is None
    assert tasks[third.pk].answers == {"uses_gas": "no"}
    assert Visit.objects.filter(author=world.users.grid1).count() == 2
    matter = Matter.objects.get(household=second)
    assert "液化气罐放在灶台下" in matter.description
    # A follow-up in 7 days for the hazard.
    assert Task.objects.filter(campaign=campaign, follows=tasks[second.pk]).count() == 1
    page.reload()
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "0")
    assert Task.objects.filter(campaign=campaign, state="done").count() == 3


def test_a_refused_visits_campaign_answers_come_back_to_be_fixed(open_page, target, gas_campaign):
    campaign, _third = gas_campaign
    household = target.world.households.q1
    prefix = f"c{campaign.pk}-"
    page = open_page(PHONE, target.grid1, phone=True)
    page.goto("/visits/")
    wait_for_service_worker(page)
    page.goto(f"/visits/new/?household={household.pk}")

    # Offline, the time mistyped as tomorrow: refused once it is sent, with its answers.
    page.context.set_offline(True)
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    page.fill("#id_visited_at", tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page.locator("[data-visit-campaigns]").get_by_label("本次走访一并填写").check()
    answer_gas(page, prefix, hazard=False)
    save_visit(page)
    page.wait_for_url("**/visits/")
    page.context.set_offline(False)
    outbox = page.locator(OUTBOX)
    expect(outbox).to_have_attribute("data-rejected", "1", timeout=30_000)

    # Fixed: the answers are back in the form; corrected, the visit and its answer arrive.
    outbox.locator(".outbox-item.rejected [data-outbox-fix]").click()
    expect(page.locator(f"#field-{prefix}uses_gas").get_by_label("是")).to_be_checked()
    expect(page.locator(f"#field-{prefix}gas_kind").get_by_label("瓶装液化气")).to_be_checked()
    page.fill("#id_visited_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    save_visit(page)
    page.wait_for_url("**/visits/")
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "0", timeout=30_000)
    task = Task.objects.get(campaign=campaign, household=household)
    assert task.state == "done" and task.answers["hazard"] == "no" and task.visit.household == household
