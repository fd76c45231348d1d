"""The campaign pages: the township makes one from an XLSForm and starts it; the grid worker
answers on the page (a double tap saves once); the progress and counts show."""

import datetime
import uuid

import pytest
from django.utils import timezone

from grids.campaigns.models import Campaign, Task
from tests.campaigns.xlsforms import xlsform


def _create(client, world, **extra):
    today = timezone.localdate()
    data = {
        "form_token": str(uuid.uuid4()),
        "villages": [world.qixing.pk],  # the township's campaign, covering 七星村
        "starts_on": today.isoformat(),
        "due_on": (today + datetime.timedelta(days=10)).isoformat(),
        "retention_days": 365,
        "template": "",
        "xlsform": xlsform(),
        **extra,
    }
    return client.post("/campaigns/new/", data)


def test_from_an_xlsform_to_an_answer_on_the_page(world, client, safety):
    client.force_login(world.users.official)
    assert client.get("/campaigns/new/").status_code == 200
    response = _create(client, world)
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert campaign.title == "燃气安全排查" and campaign.form_source == "xlsform:gas.xlsx"
    page = client.get(response.url).content.decode()
    assert "是否有隐患" in page and "启动：下发到各网格" in page
    response = client.post(f"/campaigns/{campaign.pk}/start/")
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == "started" and campaign.task_count == 3

    client.force_login(world.users.grid1)
    page = client.get("/campaigns/tasks/").content.decode()
    task = Task.objects.get(campaign=campaign, household=world.households.q1)
    assert f"/campaigns/tasks/{task.pk}/" in page and "张三" in page
    page = client.get(f"/campaigns/tasks/{task.pk}/").content.decode()
    assert 'data-relevant="' in page and "燃气类型" in page
    token = str(uuid.uuid4())
    answer = {"form_token": token, "uses_gas": "y", "gas_kind": "pipe", "hazard": "n", "people": "4"}
    assert client.post(f"/campaigns/tasks/{task.pk}/", answer).status_code == 302
    assert client.post(f"/campaigns/tasks/{task.pk}/", answer).status_code == 302  # the double tap
    task.refresh_from_db()
    assert task.state == "done" and task.answers == {"uses_gas": "y", "gas_kind": "pipe", "hazard": "n", "people": 4}
    assert Task.objects.filter(campaign=campaign, state="done").count() == 1
    assert "4" in client.get(f"/campaigns/tasks/{task.pk}/").content.decode()

    client.force_login(world.users.official)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "管道天然气" in page and "<progress" in page


def test_bad_answers_come_back_with_their_reason(world, client, safety):
    client.force_login(world.users.official)
    _create(client, world)
    campaign = Campaign.objects.get()
    client.post(f"/campaigns/{campaign.pk}/start/")
    task = Task.objects.get(campaign=campaign, household=world.households.q1)
    client.force_login(world.users.grid1)
    response = client.post(
        f"/campaigns/tasks/{task.pk}/", {"form_token": str(uuid.uuid4()), "uses_gas": "y", "people": "99"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "0到30" in page
    task.refresh_from_db()
    assert task.state == "open"


def test_a_bad_upload_is_an_error_on_the_field(world, client):
    client.force_login(world.users.official)
    response = _create(client, world, xlsform=xlsform(survey=[["type", "name", "label"], ["audio", "a", "甲"]]))
    assert response.status_code == 400 and "audio" in response.content.decode()
    assert not Campaign.objects.exists()
    response = _create(client, world, template="gas_safety")  # a template and an upload: one of the two
    assert response.status_code == 400 and not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("who", "url", "status"),
    [
        ("clerk", "/campaigns/", 403),
        ("outsider", "/campaigns/", 403),
        ("grid1", "/campaigns/new/", 403),
        ("cadre", "/campaigns/new/", 200),
        ("grid1", "/campaigns/", 200),
        ("other_cadre", "detail", 404),
        ("other_official", "detail", 404),
        ("grid2", "answer-q1", 404),
        ("cadre", "detail", 200),
    ],
)
def test_who_sees_what(world, client, safety, who, url, status):
    client.force_login(world.users.official)
    _create(client, world)
    campaign = Campaign.objects.get()
    client.post(f"/campaigns/{campaign.pk}/start/")
    task = Task.objects.get(campaign=campaign, household=world.households.q1)
    url = {"detail": f"/campaigns/{campaign.pk}/", "answer-q1": f"/campaigns/tasks/{task.pk}/"}.get(url, url)
    client.force_login(getattr(world.users, who))
    assert client.get(url).status_code == status


def test_starting_twice_is_a_409_with_the_page(world, client, safety):
    client.force_login(world.users.official)
    _create(client, world)
    campaign = Campaign.objects.get()
    client.post(f"/campaigns/{campaign.pk}/start/")
    response = client.post(f"/campaigns/{campaign.pk}/start/")
    assert response.status_code == 409
    client.force_login(world.users.cadre)  # the village's cadre does not own the township's campaign
    assert client.post(f"/campaigns/{campaign.pk}/close/").status_code == 403


def test_the_list_leads_the_grid_staff_to_their_todo_and_counts_none_for_the_superuser(
    world, client, make_campaign, safety
):
    """The superuser has no to-do: the list does not count every open task of the district for
    a button (120 ms of the page in the bench, 402 000 open tasks)."""
    make_campaign(start=True)
    client.force_login(world.users.grid1)
    assert client.get("/campaigns/").context["open_tasks"] == 2
    client.force_login(world.users.admin)
    response = client.get("/campaigns/")
    assert response.status_code == 200 and response.context["open_tasks"] == 0
    assert [row.title for row in response.context["rows"]] == ["燃气安全排查"]
