"""The demo's campaign (grids.campaigns.demo): 渭沱镇's winter visits to 化龙村's elderly living
alone, under way, with three answers and the matter one of them asked for; seeded once."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from grids.campaigns.models import Campaign, Task
from grids.models import Household
from petitions.models import Matter
from tests.demo_snapshot import load_demo


@pytest.fixture
def demo(db):
    load_demo()


def test_the_demo_has_a_campaign_under_way_with_answers_and_a_finding(demo):
    campaign = Campaign.objects.get(title="独居老人冬季走访")
    assert (campaign.state, campaign.village, campaign.created_by.username) == ("started", None, "weituo_official")
    tasks = Task.objects.filter(campaign=campaign, follows=None)
    # The households of 化龙村 tagged 独居老人, or with a member who is.
    elderly = Household.objects.filter(village__name="化龙村", tags__code="elderly_alone")
    assert set(elderly.values_list("pk", flat=True)) <= set(tasks.values_list("household", flat=True))
    assert set(tasks.values_list("village__name", flat=True)) == {"化龙村"}
    assert campaign.task_count == tasks.count() >= 3
    assert tasks.filter(state="done").count() == 3
    [asked] = tasks.filter(answers__needs_help="yes")
    matter = Matter.objects.get(pk__in=asked.matters.values("pk"))
    assert (matter.category.code, matter.household_id) == ("social_security", asked.household_id)
    assert Task.objects.filter(follows=asked).count() == 1

    # Its figures are on the township's campaign page, as its official reads them.
    client = Client()
    client.force_login(campaign.created_by)
    page = client.get(f"/campaigns/{campaign.pk}/")
    assert page.status_code == 200 and "化龙村" in page.content.decode()


def test_seeding_again_adds_no_campaign(demo):
    before = (Campaign.objects.count(), Task.objects.count(), Matter.objects.count())
    call_command("seed_demo", force=True, stdout=io.StringIO())
    assert (Campaign.objects.count(), Task.objects.count(), Matter.objects.count()) == before
