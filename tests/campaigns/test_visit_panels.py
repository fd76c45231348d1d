"""Campaigns on the visit pages: the visit form carries its households' open tasks and each
campaign's questions once; the visit to-do lists the campaigns left to answer; one visit
answers two campaigns through the batch, linked to it, and a resend doubles nothing."""

import json
import re
import uuid

from django.utils import timezone

from grids.campaigns.library import CENSUS
from grids.campaigns.models import Task
from grids.campaigns.services import task_answer
from grids.visits.models import Visit


def _answer(world, task) -> None:
    task_answer(actor=world.users.grid1, task=task, client_uuid=uuid.uuid4(), answers={"uses_gas": "no"})


def _json_script(page: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(match.group(1)) if match else None


def test_the_visit_form_carries_each_households_tasks_and_each_campaigns_questions_once(
    world, client, make_campaign, safety
):
    gas = make_campaign(start=True)
    census = make_campaign(start=True, title=CENSUS.title, form=CENSUS.form, form_source="template:population_check")
    client.force_login(world.users.grid1)
    page = client.get("/visits/new/").content.decode()
    data = _json_script(page, "visit-campaigns")
    q1, q1b = world.households.q1, world.households.q1b
    assert {str(q1.pk), str(q1b.pk)} == set(data["tasks"])  # grid 1's households only
    assert sorted(t["campaign"] for t in data["tasks"][str(q1.pk)]) == sorted([gas.pk, census.pk])
    assert data["answers_url"] == "/api/v1/campaign-tasks/batch/"
    for campaign in (gas, census):
        assert page.count(f'data-campaign="{campaign.pk}"') == 1
    # Question names are prefixed per campaign, so two campaigns' questions never clash.
    assert f'name="c{gas.pk}-uses_gas"' in page and 'name="uses_gas"' not in page


def test_no_campaign_section_without_open_tasks(world, client, make_campaign, safety):
    campaign = make_campaign(start=True)
    for task in Task.objects.filter(campaign=campaign, grid=world.q1):
        _answer(world, task)
    client.force_login(world.users.grid1)
    for url in ("/visits/new/", "/visits/"):
        page = client.get(url).content.decode()
        assert "data-visit-campaigns" not in page and "todo-campaigns" not in page


def test_the_visit_to_do_lists_the_campaigns_left_to_answer(world, client, make_campaign, safety):
    campaign = make_campaign(start=True)
    _answer(world, Task.objects.get(campaign=campaign, household=world.households.q1))
    client.force_login(world.users.grid1)
    page = client.get("/visits/").content.decode()
    assert "待答的专项排查" in page and "剩 1 户" in page
    assert f"/campaigns/tasks/?campaign={campaign.pk}" in page
    assert _json_script(page, "todo-campaigns") == {str(world.households.q1b.pk): ["燃气安全排查"]}
    listed = client.get(f"/campaigns/tasks/?campaign={campaign.pk}").content.decode()
    assert world.households.q1b.head_name in listed and world.households.q1.head_name not in listed


def test_one_visit_answers_two_campaigns_and_a_resend_doubles_nothing(world, as_user, make_campaign, safety):
    gas = make_campaign(start=True)
    census = make_campaign(start=True, title=CENSUS.title, form=CENSUS.form, form_source="template:population_check")
    household = world.households.q1
    client = as_user(world.users.grid1)
    visit_uuid = str(uuid.uuid4())
    visit = {
        "client_uuid": visit_uuid,
        "household": household.pk,
        "visited_at": timezone.now().isoformat(),
        "method": "home",
        "met": "head",
        "result": "nothing",
        "notes": "",
    }
    reply = client.post("/api/v1/visits/batch/", {"visits": [visit]}, format="json").json()
    visit_id = reply["results"][0]["visit"]["id"]
    census_answers = {
        name: "yes" if kind == "yes_no" else "1"
        for name, kind, required in ((q["name"], q["kind"], q.get("required")) for q in CENSUS.form)
        if required and kind in ("yes_no", "integer")
    }
    answers = [
        {
            "task": Task.objects.get(campaign=gas, household=household).pk,
            "client_uuid": str(uuid.uuid4()),
            "answers": {"uses_gas": "no"},
            "visit": visit_id,
        },
        {
            "task": Task.objects.get(campaign=census, household=household).pk,
            "client_uuid": str(uuid.uuid4()),
            "answers": census_answers,
            "visit": visit_id,
        },
    ]
    first = client.post("/api/v1/campaign-tasks/batch/", {"answers": answers}, format="json").json()["results"]
    assert [row["status"] for row in first] == [201, 201], first
    again = client.post("/api/v1/campaign-tasks/batch/", {"answers": answers}, format="json").json()["results"]
    assert [row["status"] for row in again] == [200, 200]
    linked = Task.objects.filter(household=household, visit_id=visit_id, state=Task.State.DONE)
    assert sorted(linked.values_list("campaign_id", flat=True)) == sorted([gas.pk, census.pk])
    assert Visit.objects.filter(client_uuid=visit_uuid).count() == 1
