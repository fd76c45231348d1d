"""What the attack on the campaigns (专项排查) tried, one test per behaviour that holds: reads out
of scope, lists that leak nothing, bad input (answers, expressions, XLSForms, exports), photo
tokens, client UUID replays, batches, and races with real threads on PostgreSQL. Every refused
request leaves the database as it was."""

import io
import threading
import uuid
import zipfile

import pytest
from django.db import connection
from openpyxl import load_workbook

from grids.campaigns import services
from grids.campaigns.models import AnswerPhoto, Campaign, Task
from grids.campaigns.questionnaire import Form
from petitions.models import Matter
from tests.campaigns import conftest as campaign_fixtures
from tests.campaigns.xlsforms import xlsform
from tests.pledge_fixtures import jpeg

pytestmark = pytest.mark.django_db
make_campaign, safety = campaign_fixtures.make_campaign, campaign_fixtures.safety

QUESTIONS = [
    {"name": "uses_gas", "kind": "yes_no", "label": "是否使用燃气", "required": True},
    {"name": "note", "kind": "text", "label": '=HYPERLINK("http://evil.example/","点我")'},
    {"name": "people", "kind": "integer", "label": "常住人数"},
    {"name": "photo", "kind": "photo", "label": "照片"},
]


def _state():
    return (
        list(Campaign.objects.order_by("pk").values_list("pk", "state", "title", "form", "task_count")),
        list(Task.objects.order_by("pk").values_list("pk", "state", "client_uuid", "answers", "answered_by")),
        list(AnswerPhoto.objects.order_by("pk").values_list("pk", "task")),
        Matter.objects.count(),
    )


def _task(campaign, household):
    return Task.objects.get(campaign=campaign, household=household, follows=None)


def _post(client, task, answers, key=None, **extra):
    body = {"client_uuid": str(key or uuid.uuid4()), "answers": answers, **extra}
    return client.post(f"/api/v1/campaign-tasks/{task.pk}/answer/", body, format="json")


@pytest.fixture
def started(world, safety, make_campaign):
    return make_campaign(start=True)


@pytest.fixture
def plain(world, make_campaign):
    """A started campaign of plain questions (a text label that is a formula, a photo)."""
    return make_campaign(start=True, form=QUESTIONS, form_source="api", title='=HYPERLINK("http://x")排查')


# ---------------------------------------------------------------- reads out of scope


def test_another_townships_official_reads_no_campaign_task_or_answer(world, started, as_user):
    task = _task(started, world.households.q1)
    assert _post(as_user(world.users.grid1), task, {"uses_gas": "no"}).status_code == 201
    client = as_user(world.users.other_official)
    assert client.get("/api/v1/campaigns/").json()["results"] == []
    assert client.get(f"/api/v1/campaigns/{started.pk}/").status_code == 404
    assert client.get(f"/api/v1/campaigns/{started.pk}/progress/").status_code == 404
    assert client.get(f"/api/v1/campaigns/{started.pk}/export/").status_code == 404
    assert client.get(f"/api/v1/campaign-tasks/{task.pk}/").status_code == 404
    assert client.get("/api/v1/campaign-tasks/").status_code == 403  # an official visits nobody


def test_another_villages_cadre_sees_neither_the_campaign_nor_its_tasks(world, started, as_user):
    client = as_user(world.users.other_cadre)
    assert client.get("/api/v1/campaigns/").json()["results"] == []
    assert client.get("/api/v1/campaign-tasks/").json()["results"] == []
    for task in Task.objects.filter(campaign=started):
        assert client.get(f"/api/v1/campaign-tasks/{task.pk}/").status_code == 404
        assert _post(client, task, {"uses_gas": "no"}).status_code == 404
    assert Task.objects.filter(campaign=started, state=Task.State.DONE).count() == 0


def test_a_grid_worker_reads_only_their_grids_tasks_and_progress(world, started, as_user):
    q2_task = _task(started, world.households.q2)
    grid1 = as_user(world.users.grid1)
    rows = grid1.get("/api/v1/campaign-tasks/").json()["results"]
    assert {row["household"] for row in rows} == {world.households.q1.pk, world.households.q1b.pk}
    assert grid1.get(f"/api/v1/campaign-tasks/{q2_task.pk}/").status_code == 404
    assert _post(grid1, q2_task, {"uses_gas": "no"}).status_code == 404
    progress = grid1.get(f"/api/v1/campaigns/{started.pk}/progress/?by=grid").json()
    assert [row["id"] for row in progress["rows"]] == [world.q1.pk]


def test_the_export_holds_only_the_households_the_caller_reads(world, started, as_user):
    _post(as_user(world.users.grid1), _task(started, world.households.q1), {"uses_gas": "no"})
    _post(as_user(world.users.grid2), _task(started, world.households.q2), {"uses_gas": "no"})
    response = as_user(world.users.grid1).get(f"/api/v1/campaigns/{started.pk}/export/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    heads = [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert heads == ["张三"]
    # Narrowing to a grid the caller does not see gives nothing, not the grid's rows.
    response = as_user(world.users.grid1).get(f"/api/v1/campaigns/{started.pk}/export/?grid={world.q2.pk}")
    assert list(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2)) == []
    assert as_user(world.users.grid1).get(f"/api/v1/campaigns/{started.pk}/export/?grid=1;drop").status_code == 400


@pytest.mark.parametrize("who", ["clerk", "handler", "outsider"])
def test_roles_without_campaigns_see_none_and_answer_nothing(world, started, as_user, who):
    client = as_user(getattr(world.users, who))
    task = _task(started, world.households.q1)
    assert client.get("/api/v1/campaigns/").status_code == 403
    assert client.get(f"/api/v1/campaigns/{started.pk}/").status_code == 404
    assert client.get(f"/api/v1/campaigns/{started.pk}/export/").status_code == 404
    assert client.get(f"/api/v1/campaign-tasks/{task.pk}/").status_code == 404
    todo = client.get("/api/v1/campaign-tasks/")
    assert todo.status_code == 403 or todo.json()["results"] == []
    assert _post(client, task, {"uses_gas": "no"}).status_code == 403
    assert Task.objects.get(pk=task.pk).state == Task.State.OPEN


def test_the_supervisor_reads_a_task_exactly_when_they_read_its_household(world, started, as_user):
    task = _task(started, world.households.q1)
    _post(as_user(world.users.grid1), task, {"uses_gas": "no"})
    supervisor = as_user(world.users.supervisor)
    household = supervisor.get(f"/api/v1/households/{world.households.q1.pk}/").status_code
    assert supervisor.get(f"/api/v1/campaign-tasks/{task.pk}/").status_code == household
    assert supervisor.get("/api/v1/campaign-tasks/").status_code == 403
    assert _post(supervisor, _task(started, world.households.q1b), {"uses_gas": "no"}).status_code == 403


# ---------------------------------------------------------------- bad answers


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ("uses_gas=n", "answers"),
        (["n"], "answers"),
        (None, "answers"),
        ({"uses_gas": "no", "__class__": "x"}, "answers"),
        ({"uses_gas": "no", "people": "three"}, "people"),
        ({"uses_gas": "no", "people": [1, 2]}, "people"),
        ({"uses_gas": "no", "people": {"$gt": 0}}, "people"),
        ({"uses_gas": "maybe"}, "uses_gas"),
        ({"uses_gas": "no", "note": "长" * 2001}, "note"),
        ({"uses_gas": "no", "note": 12}, None),
        ({"uses_gas": "no", "photo": ["a", "b"]}, "photo"),
        ({"uses_gas": "no", "photo": "0" * 24}, "photo"),
    ],
)
def test_a_bad_answer_is_a_400_naming_the_field_and_writes_nothing(world, plain, as_user, answers, field):
    task = _task(plain, world.households.q1)
    before = _state()
    response = _post(as_user(world.users.grid1), task, answers)
    if field is None:  # a number where text is asked: kept as its text, or refused; never a 500
        assert response.status_code in (201, 400), response.content
        return
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert _state() == before


def test_a_body_over_the_upload_limit_is_refused_and_writes_nothing(world, plain, as_user):
    task = _task(plain, world.households.q1)
    before = _state()
    response = _post(as_user(world.users.grid1), task, {"uses_gas": "no", "note": "x" * 3_000_000})
    assert response.status_code in (400, 413)
    assert _state() == before


BAD_METADATA = [
    {"client_uuid": "not-a-uuid"},
    {"answered_at": "2026-01-01T00:00:00"},
    {"answered_at": "2999-01-01T00:00:00+08:00"},
    {"visit": "x"},
    {"visit": 999999},
]


@pytest.mark.parametrize("bad", BAD_METADATA)
def test_bad_metadata_of_an_answer_is_a_400(world, plain, as_user, bad):
    task = _task(plain, world.households.q1)
    before = _state()
    body = {"client_uuid": str(uuid.uuid4()), "answers": {"uses_gas": "no"}, **bad}
    response = as_user(world.users.grid1).post(f"/api/v1/campaign-tasks/{task.pk}/answer/", body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) & set(bad)
    assert _state() == before


def test_another_persons_photo_token_is_refused_and_stays_theirs(world, plain, as_user):
    grid2 = as_user(world.users.grid2)
    token = grid2.post("/api/v1/campaign-photos/", {"image": jpeg()}, format="multipart").json()["token"]
    task = _task(plain, world.households.q1)
    before = _state()
    response = _post(as_user(world.users.grid1), task, {"uses_gas": "no", "photo": token})
    assert response.status_code == 400 and "photo" in response.json()
    assert _state() == before
    assert AnswerPhoto.objects.get(token=token).task is None


def test_a_photo_token_used_on_one_task_does_not_move_to_another(world, plain, as_user):
    grid1 = as_user(world.users.grid1)
    token = grid1.post("/api/v1/campaign-photos/", {"image": jpeg()}, format="multipart").json()["token"]
    first, second = _task(plain, world.households.q1), _task(plain, world.households.q1b)
    assert _post(grid1, first, {"uses_gas": "no", "photo": token}).status_code == 201
    assert _post(grid1, second, {"uses_gas": "no", "photo": token}).status_code == 400
    assert AnswerPhoto.objects.get(token=token).task_id == first.pk
    assert Task.objects.get(pk=second.pk).state == Task.State.OPEN


def test_a_photo_upload_that_is_not_an_image_is_refused(world, as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"<?php system($_GET['c']); ?>", content_type="image/jpeg")
    response = as_user(world.users.grid1).post("/api/v1/campaign-photos/", {"image": fake}, format="multipart")
    assert response.status_code == 400 and "image" in response.json()
    assert not AnswerPhoto.objects.exists()


# ---------------------------------------------------------------- expressions


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('id')",
        "${uses_gas}.__class__",
        "${uses_gas} = 'y' or exec('1')",
        "${uses_gas} = 'y'; import os",
        "open('/etc/passwd')",
        "${__builtins__} = 'y'",
        "lambda: 1",
        "(" * 500 + "${uses_gas} = 'y'" + ")" * 500,
        "${uses_gas} = '" + "y" * 100_000 + "'",
    ],
)
@pytest.mark.parametrize("column", ["relevant", "constraint"])
def test_an_expression_that_is_code_is_refused_when_the_form_is_set(world, make_campaign, as_user, expression, column):
    campaign = make_campaign()
    questions = [dict(q) for q in QUESTIONS[:3]]
    questions[2][column] = expression
    before = _state()
    response = as_user(world.users.official).post(
        f"/api/v1/campaigns/{campaign.pk}/form/", {"form": questions}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "form" in response.json()
    assert _state() == before


# ---------------------------------------------------------------- XLSForm uploads


def _upload(client, campaign, data: bytes, name="form.xlsx"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(f"/api/v1/campaigns/{campaign.pk}/form/", {"xlsform": file}, format="multipart")


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def _bomb(rows: str) -> bytes:
    """A valid-looking workbook whose one sheet unpacks to far more than it weighs."""
    xlsx = xlsform().getvalue()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members["xl/worksheets/sheet1.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData>' + rows.encode() + b"</sheetData></worksheet>"
    )
    return _zip(members)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%PDF-1.4 not a workbook", id="pdf"),
        pytest.param(b"", id="empty"),
        pytest.param(b"PK\x03\x04" + b"\x00" * 100, id="broken zip"),
        pytest.param(_zip({"hello.txt": b"hi"}), id="zip without a workbook"),
        pytest.param(_zip({"[Content_Types].xml": b"<not xml", "xl/workbook.xml": b"<<<"}), id="bad xml"),
        pytest.param(b"x" * (2 * 1024 * 1024 + 10), id="over 2 MB"),
        pytest.param(
            _bomb(
                '<row r="1"><c r="A1" t="inlineStr"><is><t>type</t></is></c></row>'
                + "".join(
                    f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>text</t></is></c></row>' for n in range(2, 5000)
                )
            ),
            id="too many rows",
        ),  # fmt: skip
    ],
)
def test_an_upload_that_is_not_a_usable_xlsform_is_a_400_and_changes_nothing(world, make_campaign, as_user, data):
    campaign = make_campaign()
    before = _state()
    response = _upload(as_user(world.users.official), campaign, data)
    assert response.status_code == 400, response.content[:300]
    assert "xlsform" in response.json()
    assert _state() == before


HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>type</t></is></c></row>'
BOMBS = {
    "padding": HEADER_ROW + " " * (200 * 1024 * 1024),
    "one row of a million cells": HEADER_ROW + '<row r="2">' + "<c><v>1</v></c>" * 2_000_000 + "</row>",
}


@pytest.mark.parametrize("kind", BOMBS)
def test_a_zip_bomb_xlsform_is_refused_before_it_is_unpacked(world, make_campaign, as_user, kind):
    """A sheet that weighs little and unpacks to far more than any form is refused by the
    sizes its archive declares, before openpyxl reads a row."""
    campaign = make_campaign()
    data = _bomb(BOMBS[kind])
    assert len(data) < 2 * 1024 * 1024
    before = _state()
    response = _upload(as_user(world.users.official), campaign, data)
    assert response.status_code == 400
    # The unpacked limit every upload has (governance.uploads), not "not an .xlsx".
    from governance.uploads import _too_large_unpacked

    assert response.json()["xlsform"][0] == str(_too_large_unpacked().message)
    assert _state() == before


def test_an_xlsform_whose_label_is_a_formula_is_refused_not_evaluated(world, make_campaign, as_user):
    """A formula cell is read as its value (data_only): openpyxl wrote none, so the label is
    empty and the row is named; nothing of the formula reaches the form."""
    survey = [["type", "name", "label"], ["text", "detail", '=HYPERLINK("http://evil.example/","点我")']]
    campaign = make_campaign()
    before = _state()
    response = _upload(as_user(world.users.official), campaign, xlsform(survey=survey, choices=None).getvalue())
    assert response.status_code == 400 and "xlsform" in response.json()
    assert "HYPERLINK" not in response.content.decode()
    assert _state() == before


def test_a_formula_label_and_answer_stay_text_in_the_export(world, plain, as_user):
    """The question's label (a header) and the answer (a cell) are the words typed."""
    note = "=cmd|' /C calc'!A0"
    _post(as_user(world.users.grid1), _task(plain, world.households.q1), {"uses_gas": "no", "note": note})
    response = as_user(world.users.official).get(f"/api/v1/campaigns/{plain.pk}/export/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = {cell.value for row in sheet.iter_rows() for cell in row}
    assert {QUESTIONS[1]["label"], note} <= values
    formulas = [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert formulas == []


# ---------------------------------------------------------------- replays and batches


def test_a_client_uuid_replayed_on_another_task_is_a_409_and_leaves_it_open(world, plain, as_user):
    grid1 = as_user(world.users.grid1)
    key = uuid.uuid4()
    first, second = _task(plain, world.households.q1), _task(plain, world.households.q1b)
    assert _post(grid1, first, {"uses_gas": "no"}, key=key).status_code == 201
    before = _state()
    response = _post(grid1, second, {"uses_gas": "no"}, key=key)
    assert response.status_code == 409 and response.json()["code"] == "answer_uuid_reused"
    assert _state() == before


def test_the_same_uuid_with_other_answers_is_a_409_not_an_overwrite(world, plain, as_user):
    grid1 = as_user(world.users.grid1)
    key, task = uuid.uuid4(), _task(plain, world.households.q1)
    assert _post(grid1, task, {"uses_gas": "no"}, key=key).status_code == 201
    response = _post(grid1, task, {"uses_gas": "yes"}, key=key)
    assert response.status_code == 409 and response.json()["code"] == "answer_uuid_reused"
    assert Task.objects.get(pk=task.pk).answers == {"uses_gas": "no"}


def test_another_users_uuid_on_their_answered_task_reveals_nothing(world, plain, as_user):
    """grid2 replays grid1's UUID on a task of grid 2: a 409, nothing of grid1's answer shown."""
    key = uuid.uuid4()
    _post(as_user(world.users.grid1), _task(plain, world.households.q1), {"uses_gas": "no", "note": "秘密"}, key=key)
    response = _post(as_user(world.users.grid2), _task(plain, world.households.q2), {"uses_gas": "no"}, key=key)
    assert response.status_code == 409
    assert "秘密" not in response.content.decode()


def test_a_batch_with_duplicates_stores_each_answer_once(world, plain, as_user):
    grid1 = as_user(world.users.grid1)
    first, second = _task(plain, world.households.q1), _task(plain, world.households.q1b)
    key = str(uuid.uuid4())
    item = {"task": first.pk, "client_uuid": key, "answers": {"uses_gas": "no"}}
    body = {"answers": [item, item, {**item, "client_uuid": str(uuid.uuid4())},
                        {"task": second.pk, "client_uuid": key, "answers": {"uses_gas": "no"}},
                        {"task": _task(plain, world.households.q2).pk, "client_uuid": str(uuid.uuid4()),
                         "answers": {"uses_gas": "no"}},
                        {"task": str(second.pk), "client_uuid": str(uuid.uuid4()), "answers": {}},
                        {"task": second.pk, "client_uuid": "x", "answers": "y"}]}  # fmt: skip
    response = grid1.post("/api/v1/campaign-tasks/batch/", body, format="json")
    assert response.status_code == 200
    assert [row["status"] for row in response.json()["results"]] == [201, 200, 409, 409, 404, 404, 400]
    assert Task.objects.filter(campaign=plain, state=Task.State.DONE).count() == 1
    assert Task.objects.get(pk=second.pk).state == Task.State.OPEN


@pytest.mark.parametrize(
    "body",
    [{"answers": "x"}, {"answers": [1, 2]}, {"answers": [{"task": 1}] * 201}, {}, []],
    ids=["not a list", "not objects", "over 200", "empty", "a list"],
)
def test_a_malformed_batch_is_a_400_and_writes_nothing(world, plain, as_user, body):
    before = _state()
    response = as_user(world.users.grid1).post("/api/v1/campaign-tasks/batch/", body, format="json")
    assert response.status_code == 400, response.content
    assert _state() == before


def test_malformed_json_is_a_400(world, plain, as_user):
    task = _task(plain, world.households.q1)
    response = as_user(world.users.grid1).post(
        f"/api/v1/campaign-tasks/{task.pk}/answer/", b'{"answers": {', content_type="application/json"
    )
    assert response.status_code == 400
    assert Task.objects.get(pk=task.pk).state == Task.State.OPEN


# ---------------------------------------------------------------- races


def _at_once(*targets):
    results, errors = [], []
    barrier = threading.Barrier(len(targets))

    def run(target):
        try:
            barrier.wait()
            results.append(target())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_answers_of_one_task_at_once_store_one(world, make_campaign):
    campaign = make_campaign(start=True, form=QUESTIONS, form_source="api")
    task = _task(campaign, world.households.q1)

    def answer(who, value):
        return lambda: services.task_answer(actor=who, task=task, client_uuid=uuid.uuid4(), answers={"uses_gas": value})

    results, errors = _at_once(answer(world.users.grid1, "yes"), answer(world.users.cadre, "no"))
    assert len(results) == 1 and len(errors) == 1
    assert getattr(errors[0], "code", None) == "task_done", errors
    stored = Task.objects.get(pk=task.pk)
    assert stored.answers == {"uses_gas": results[0][0].answers["uses_gas"]}


@pytest.mark.django_db(transaction=True)
def test_one_uuid_on_two_tasks_at_once_stores_one(world, make_campaign):
    campaign = make_campaign(start=True, form=QUESTIONS, form_source="api")
    key = uuid.uuid4()
    first, second = _task(campaign, world.households.q1), _task(campaign, world.households.q1b)

    def answer(task):
        return lambda: services.task_answer(actor=world.users.grid1, task=task, client_uuid=key,
                                            answers={"uses_gas": "no"})  # fmt: skip

    results, errors = _at_once(answer(first), answer(second))
    assert len(results) == 1 and len(errors) == 1
    assert getattr(errors[0], "code", None) == "answer_uuid_reused", errors
    assert Task.objects.filter(campaign=campaign, state=Task.State.DONE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_answer_sent_twice_at_once_is_stored_once(world, make_campaign):
    campaign = make_campaign(start=True, form=QUESTIONS, form_source="api")
    key, task = uuid.uuid4(), _task(campaign, world.households.q1)

    def answer():
        return services.task_answer(actor=world.users.grid1, task=task, client_uuid=key, answers={"uses_gas": "no"})

    results, errors = _at_once(answer, answer)
    assert errors == [] and sorted(created for _task_, created in results) == [False, True]


@pytest.mark.django_db(transaction=True)
def test_starting_a_campaign_twice_at_once_writes_its_tasks_once(world, make_campaign):
    campaign = make_campaign(form=QUESTIONS, form_source="api")

    def start():
        return services.campaign_start(campaign=campaign, actor=world.users.official)

    results, errors = _at_once(start, start)
    assert len(results) == 1 and len(errors) == 1, errors
    assert getattr(errors[0], "status", None) == 409
    # 七星村's three households, once each.
    assert Task.objects.filter(campaign=campaign).count() == 3 == Campaign.objects.get(pk=campaign.pk).task_count


def test_the_form_as_stored_is_what_the_engine_reads(plain):
    """The questions that went in come back (a label starting with '=' is the words typed)."""
    form = Form.from_json(plain.form)
    assert form.questions[1].label.startswith("=HYPERLINK")
