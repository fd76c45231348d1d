"""The campaigns' API end to end: the township makes one from an XLSForm and starts it, the
grid worker answers (one at a time and as a queued batch), the matter reaches the queue."""

import datetime
import uuid

import pytest
from django.utils import timezone

from grids.campaigns.models import Campaign, Task
from tests.campaigns.xlsforms import xlsform

ANSWER = {"uses_gas": "y", "gas_kind": "lpg", "hazard": "y", "detail": "阀门漏气", "people": 3}


def _draft(as_user, world, **extra):
    today = timezone.localdate()
    body = {
        "village": world.qixing.pk,
        "title": "燃气安全排查",
        "starts_on": today.isoformat(),
        "due_on": (today + datetime.timedelta(days=14)).isoformat(),
        **extra,
    }
    return as_user(world.users.official).post("/api/v1/campaigns/", body, format="json")


def test_xlsform_to_answers_to_a_matter(world, as_user, safety):
    response = _draft(as_user, world)
    assert response.status_code == 201, response.data
    campaign_id = response.data["id"]
    assert response.data["state"] == "draft" and response.data["village_name"] == "七星村"
    official = as_user(world.users.official)
    response = official.post(f"/api/v1/campaigns/{campaign_id}/form/", {"xlsform": xlsform()}, format="multipart")
    assert response.status_code == 200, response.data
    assert [q["name"] for q in response.data["form"]][:2] == ["uses_gas", "gas_kind"]
    response = official.post(f"/api/v1/campaigns/{campaign_id}/start/")
    assert response.status_code == 200 and response.data["task_count"] == 3

    grid1 = as_user(world.users.grid1)
    todo = grid1.get("/api/v1/campaign-tasks/").data["results"]
    assert len(todo) == 2 and {row["campaign_title"] for row in todo} == {"燃气安全排查"}
    first, second = todo
    key = str(uuid.uuid4())
    response = grid1.post(
        f"/api/v1/campaign-tasks/{first['id']}/answer/", {"client_uuid": key, "answers": ANSWER}, format="json"
    )
    assert response.status_code == 201, response.data
    (matter_id,) = response.data["matters"]
    again = grid1.post(
        f"/api/v1/campaign-tasks/{first['id']}/answer/", {"client_uuid": key, "answers": ANSWER}, format="json"
    )
    assert again.status_code == 200 and again.data["id"] == first["id"]
    # Offline: the phone queued the second answer and sends its queue (with the first again).
    queued_at = (timezone.now() - datetime.timedelta(hours=2)).isoformat()
    batch = grid1.post(
        "/api/v1/campaign-tasks/batch/",
        {"answers": [
            {"task": first["id"], "client_uuid": key, "answers": ANSWER},
            {"task": second["id"], "client_uuid": str(uuid.uuid4()), "answers": {"uses_gas": "n"},
             "answered_at": queued_at},
        ]},
        format="json",
    )  # fmt: skip
    assert [row["status"] for row in batch.data["results"]] == [200, 201]
    # Both done and off the to-do; the hazard's follow-up (in 7 days) is on it.
    (follow_up,) = grid1.get("/api/v1/campaign-tasks/").data["results"]
    assert follow_up["follows"] == first["id"] and follow_up["household"] == first["household"]
    # The cadre finds the matter in the queue.
    cadre = as_user(world.users.cadre)
    assert cadre.get(f"/api/v1/matters/{matter_id}/").status_code == 200
    progress = as_user(world.users.official).get(f"/api/v1/campaigns/{campaign_id}/progress/?by=grid").data
    q1 = next(row for row in progress["rows"] if row["id"] == world.q1.pk)
    assert (q1["done"], q1["total"]) == (2, 2)
    assert progress["summary"]["answered"] == 2 and progress["summary"]["choices"]["uses_gas"] == {"y": 1, "n": 1}


@pytest.mark.parametrize(
    ("who", "status"),
    [("official", 201), ("cadre", 201), ("other_cadre", 400), ("grid1", 403), ("clerk", 403), ("outsider", 403)],
)
def test_who_makes_a_campaign(world, as_user, who, status):
    today = timezone.localdate()
    body = {"village": world.qixing.pk, "title": "防汛", "starts_on": today.isoformat(),
            "due_on": today.isoformat(), "template": "flood_hazards"}  # fmt: skip
    response = as_user(getattr(world.users, who)).post("/api/v1/campaigns/", body, format="json")
    # Another village's cadre does not see 七星村: the village is "does not exist" (400).
    assert response.status_code == status, response.data
    assert Campaign.objects.count() == (1 if status == 201 else 0)


def test_bad_input_is_a_400_that_names_the_field(world, as_user, safety):
    response = _draft(as_user, world, form=[{"name": "1x", "kind": "text", "label": "甲"}])
    assert response.status_code == 400 and "1x" in response.data["form"][0]
    response = _draft(as_user, world, due_on="2020-01-01")
    assert response.status_code == 400 and "due_on" in response.data
    campaign_id = _draft(as_user, world, template="gas_safety").data["id"]
    official = as_user(world.users.official)
    audio = xlsform(survey=[["type", "name", "label"], ["audio", "a", "甲"]])
    bad = official.post(f"/api/v1/campaigns/{campaign_id}/form/", {"xlsform": audio}, format="multipart")
    assert bad.status_code == 400 and "不支持题型“audio”" in str(bad.data["xlsform"])
    official.post(f"/api/v1/campaigns/{campaign_id}/start/")
    task = Task.objects.filter(campaign_id=campaign_id, household=world.households.q1).get()
    grid1 = as_user(world.users.grid1)
    response = grid1.post(f"/api/v1/campaign-tasks/{task.pk}/answer/", {"client_uuid": str(uuid.uuid4()),
                          "answers": {"uses_gas": "maybe"}}, format="json")  # fmt: skip
    assert response.status_code == 400 and "uses_gas" in response.data
    task.refresh_from_db()
    assert task.state == "open"
    official = as_user(world.users.official)  # one client, signed in as each in turn
    assert official.patch(f"/api/v1/campaigns/{campaign_id}/", {"title": "改"}, format="json").status_code == 409


def test_out_of_scope_is_a_404(world, as_user, safety):
    campaign_id = _draft(as_user, world, template="gas_safety").data["id"]
    as_user(world.users.official).post(f"/api/v1/campaigns/{campaign_id}/start/")
    task = Task.objects.get(campaign_id=campaign_id, household=world.households.q1)
    other = as_user(world.users.other_cadre)
    assert other.get(f"/api/v1/campaigns/{campaign_id}/").status_code == 404
    assert other.get(f"/api/v1/campaign-tasks/{task.pk}/").status_code == 404
    grid2 = as_user(world.users.grid2)
    response = grid2.post(f"/api/v1/campaign-tasks/{task.pk}/answer/", {"client_uuid": str(uuid.uuid4()),
                          "answers": {"uses_gas": "no"}}, format="json")  # fmt: skip
    assert response.status_code == 404
    assert as_user(world.users.clerk).get("/api/v1/campaign-tasks/").status_code == 403


def test_the_library_is_listed(world, as_user):
    rows = as_user(world.users.cadre).get("/api/v1/campaign-templates/").data
    assert {row["code"] for row in rows} >= {"gas_safety", "flood_hazards", "elderly_winter"}


def test_the_export_holds_the_answers_in_the_forms_words(world, as_user, safety):
    import io

    from openpyxl import load_workbook

    campaign_id = _draft(as_user, world).data["id"]
    as_user(world.users.official).post(
        f"/api/v1/campaigns/{campaign_id}/form/", {"xlsform": xlsform()}, format="multipart"
    )
    as_user(world.users.official).post(f"/api/v1/campaigns/{campaign_id}/start/")
    grid1 = as_user(world.users.grid1)
    for row in grid1.get("/api/v1/campaign-tasks/").data["results"]:
        grid1.post(f"/api/v1/campaign-tasks/{row['id']}/answer/", {"client_uuid": str(uuid.uuid4()), "answers": ANSWER},
                   format="json")  # fmt: skip
    response = as_user(world.users.official).get(f"/api/v1/campaigns/{campaign_id}/export/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("村（社区）", "网格", "户号")
    assert "燃气类型" in header and "是否有隐患" in header
    assert len(rows) == 3  # two households of grid 1, no follow-up answered yet
    gas = header.index("燃气类型")
    assert {row[gas] for row in rows[1:]} == {"瓶装液化气"}
    # Grid 2's worker reads none of grid 1's households: an empty file, not their answers.
    response = as_user(world.users.grid2).get(f"/api/v1/campaigns/{campaign_id}/export/")
    assert response.status_code == 200
    assert len(list(load_workbook(io.BytesIO(response.content)).active.iter_rows())) == 1
    assert as_user(world.users.official).get(f"/api/v1/campaigns/{campaign_id}/export/?village=x").status_code == 400


def test_the_todo_costs_the_same_queries_for_two_tasks_and_for_four(
    world, as_user, make_campaign, safety, django_assert_num_queries
):
    """The matters an answer raised come in one query for the page, not one per task (the
    bench's to-do API took 53 queries for 50 tasks)."""
    from django.contrib.auth import get_user_model

    def todo():
        # A fresh user each time: no scope kept on it from an earlier request.
        grid1 = as_user(get_user_model().objects.get(pk=world.users.grid1.pk))
        # The caller's assignments, the page of tasks (with campaign, household, grid), their matters.
        with django_assert_num_queries(3):
            return grid1.get("/api/v1/campaign-tasks/").data["results"]

    make_campaign(start=True)
    assert len(todo()) == 2
    make_campaign(start=True, title="防汛隐患排查")
    rows = todo()
    assert len(rows) == 4 and all(row["matters"] == [] for row in rows)
