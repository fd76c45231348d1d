"""What a walk through the campaign pages as their users found (issue 20): names instead of
codes, conditions in words, a village cadre's new campaign, the way back from an answer, a
photo answer, the visit to-do's next due day."""

import datetime
import io
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from grids.campaigns.models import Campaign, Task
from grids.campaigns.services import task_answer
from tests.campaigns.xlsforms import xlsform


def _jpeg() -> SimpleUploadedFile:
    data = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(data, "JPEG")
    return SimpleUploadedFile("photo.jpg", data.getvalue(), content_type="image/jpeg")


def test_the_campaign_page_says_in_words_what_the_codes_mean(world, client, make_campaign, safety):
    """The finding's matter category by its name, the conditions as the builder's picker words
    them, where the form came from, and who the campaign covers."""
    campaign = make_campaign()
    client.force_login(world.users.official)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "生成事项（社会治安）" in page and "public_security" not in page
    assert "仅当 是否使用燃气（管道气或液化气）：是" in page and "${uses_gas}" not in page
    assert "问卷来自模板库：燃气安全排查" in page and "template:gas_safety" not in page
    assert "排查范围：七星村" in page


def test_an_uploaded_forms_conditions_are_the_pickers(world, client, safety):
    """An XLSForm's condition comes in brackets ("(${uses_gas} = 'y')"): the builder words it
    and its question page has it picked, not written out as an expression."""
    today = timezone.localdate()
    client.force_login(world.users.official)
    response = client.post(
        "/campaigns/new/",
        {
            "form_token": str(uuid.uuid4()),
            "villages": [world.qixing.pk],
            "starts_on": today.isoformat(),
            "due_on": (today + datetime.timedelta(days=10)).isoformat(),
            "retention_days": 365,
            "template": "",
            "xlsform": xlsform(),
        },
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert next(q for q in campaign.form if q["name"] == "gas_kind")["relevant"] == "(${uses_gas} = 'y')"
    page = client.get(f"/campaigns/{campaign.pk}/questions/")
    row = next(row for row in page.context["rows"] if row["q"]["name"] == "gas_kind")
    assert row["relevant"] == "是否使用燃气：是"
    form = client.get(f"/campaigns/{campaign.pk}/questions/gas_kind/").context["form"]
    assert form.initial["relevant_pick"] == "${uses_gas} = 'y'" and form.initial["relevant"] == ""
    assert "是否使用燃气：是" in client.get(f"/campaigns/{campaign.pk}/").content.decode()
    # A question of the group with its own condition: the two parts, each in words.
    detail = next(q for q in campaign.form if q["name"] == "detail")["relevant"]
    assert detail == "(${uses_gas} = 'y') and (${hazard} = 'y')"
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "仅当 是否使用燃气：是，且 是否有隐患：是" in page and "${hazard}" not in page


def test_a_village_cadre_is_offered_their_village_not_the_township(world, client, safety):
    """The township's own campaign is not the cadre's to make: not offered (it was the default,
    and refused on saving with a message that did not say to choose the village)."""
    client.force_login(world.users.cadre)
    field = client.get("/campaigns/new/").context["form"]["village"]
    assert field.field.empty_label is None and field.value() == world.qixing.pk
    assert [label for _value, label in field.field.choices] == ["七星村"]
    today = timezone.localdate()
    data = {
        "form_token": str(uuid.uuid4()),
        "starts_on": today.isoformat(),
        "due_on": (today + datetime.timedelta(days=10)).isoformat(),
        "retention_days": 365,
        "template": "gas_safety",
    }
    response = client.post("/campaigns/new/", data)
    assert response.status_code == 400 and "village" in response.context["form"].errors
    response = client.post("/campaigns/new/", {**data, "form_token": str(uuid.uuid4()), "village": world.qixing.pk})
    assert response.status_code == 302 and Campaign.objects.get().village == world.qixing
    client.force_login(world.users.official)  # the township's organiser keeps the township's
    field = client.get("/campaigns/new/").context["form"]["village"]
    assert field.field.empty_label and not field.field.required


def test_an_answer_shows_its_photo_in_words_and_leads_back_to_the_campaign(world, client, make_campaign, safety):
    campaign = make_campaign(start=True)
    task = Task.objects.get(campaign=campaign, household=world.households.q1)
    client.force_login(world.users.grid1)
    answer = {
        "form_token": str(uuid.uuid4()),
        "uses_gas": "yes",
        "gas_kind": "lpg",
        "hose_ok": "no",
        "alarm": "no",
        "hazard": "yes",
        "hazard_detail": "软管老化",
        "photo": _jpeg(),
    }
    assert client.post(f"/campaigns/tasks/{task.pk}/", answer).status_code == 302
    task.refresh_from_db()
    token = task.answers["photo"]
    page = client.get(f"/campaigns/tasks/{task.pk}/").content.decode()
    photo = task.photos.get()
    assert token not in page and f'<img class="answer-photo" src="/campaigns/photos/{photo.pk}/"' in page
    assert f"{world.users.grid1.get_full_name()} 于" in page  # who answered, as the campaign's list says
    # The photo itself, to whoever may see the household (its staff, the township), not beyond.
    response = client.get(f"/campaigns/photos/{photo.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    for user, status in ((world.users.official, 200), (world.users.grid2, 404), (world.users.other_cadre, 404)):
        client.force_login(user)
        assert client.get(f"/campaigns/photos/{photo.pk}/").status_code == status, user
    client.force_login(world.users.grid1)
    # The API's task names it by its question and its address, as the page shows it.
    body = client.get(f"/api/v1/campaign-tasks/{task.pk}/").json()
    assert body["photos"] == [
        {"id": photo.pk, "question": "photo", "url": f"/campaigns/photos/{photo.pk}/", "width": 40, "height": 30}
    ]

    # The export writes it so too; the campaign's close asks first (it cannot be undone).
    client.force_login(world.users.official)
    response = client.get(f"/api/v1/campaigns/{campaign.pk}/export/")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][rows[0].index("现场照片")] == "已上传照片" and token not in str(rows)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-confirm="结束本次排查？' in page

    # The township's leader reads the answer but has no to-do (a 403): back to the campaign.
    client.force_login(world.users.leader)
    assert client.get("/campaigns/tasks/").status_code == 403
    page = client.get(f"/campaigns/tasks/{task.pk}/").content.decode()
    assert f'href="/campaigns/{campaign.pk}/tasks/"' in page and 'href="/campaigns/tasks/"' not in page


def test_the_visit_todo_gives_the_next_due_day_not_a_deadline(world, client, make_campaign, safety):
    """A follow-up due before the campaign's deadline made the to-do say the campaign was due
    then ("剩 3 户，… 截止")."""
    campaign = make_campaign(start=True)
    task = Task.objects.get(campaign=campaign, household=world.households.q1)
    answers = {"uses_gas": "yes", "gas_kind": "pipe", "hose_ok": "yes", "alarm": "yes", "hazard": "yes"}
    answers["hazard_detail"] = "灶台下有液化气罐"
    task_answer(actor=world.users.grid1, task=task, client_uuid=uuid.uuid4(), answers=answers)
    follow_up = Task.objects.get(follows=task)
    assert follow_up.due_on < campaign.due_on
    client.force_login(world.users.grid1)
    page = client.get("/visits/").content.decode()
    assert f"最近一户 {follow_up.due_on:%Y-%m-%d} 到期" in page
    assert f"{follow_up.due_on:%Y-%m-%d} 截止" not in page
