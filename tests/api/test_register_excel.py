"""POST /api/v1/households/import/ and GET /api/v1/households/export/."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from grids.models import Household, RegisterExport, Resident
from tests.grids.test_register import family, snapshot, xlsx

URL = "/api/v1/households/import/"


def upload(rows):
    return {"file": SimpleUploadedFile("register.xlsx", xlsx(rows).getvalue())}


@pytest.fixture
def tags(db):
    from grids.models import Tag

    Tag.objects.create(code="hardship", name="困难户", is_key_group=True)
    Tag.objects.create(code="left_behind_child", name="留守儿童", is_key_group=True)


def test_cadre_imports_once_and_replay_with_key_creates_nothing(world, tags, as_user):
    client = as_user(world.users.cadre)
    content = xlsx(family()).getvalue()  # a retry resends the same bytes (a new save differs in its timestamps)
    sent = lambda: {"file": SimpleUploadedFile("register.xlsx", content)}  # noqa: E731
    first = client.post(URL, sent(), format="multipart", HTTP_IDEMPOTENCY_KEY="imp-1")
    assert first.status_code == 201, first.content
    assert first.json()["residents_created"] == 3
    replay = client.post(URL, sent(), format="multipart", HTTP_IDEMPOTENCY_KEY="imp-1")
    assert replay.status_code == 201 and replay.json() == first.json()
    again = client.post(URL, upload(family()), format="multipart")
    assert again.status_code == 201 and again.json()["residents_created"] == 0
    assert Resident.objects.filter(household__number="Q-100").count() == 3


def test_bad_file_answers_400_with_every_error_and_writes_nothing(world, tags, as_user):
    rows = family()
    rows[0]["公民身份号码"] = "500117197001020000"
    rows[1]["性别"] = "未知"
    before = snapshot()
    response = as_user(world.users.cadre).post(URL, upload(rows), format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_register"
    assert {(e["row"], e["column"]) for e in body["errors"]} >= {(2, "公民身份号码"), (3, "性别")}
    assert snapshot() == before


def test_cadre_cannot_import_into_another_village(world, tags, as_user):
    rows = [dict(r, **{"村（社区）": "化龙村"}) for r in family()]
    response = as_user(world.users.cadre).post(URL, upload(rows), format="multipart")
    assert response.status_code == 400
    assert all(e["column"] == "村（社区）" for e in response.json()["errors"])
    assert not Household.objects.filter(number="Q-100").exists()


@pytest.mark.parametrize("persona", ["grid1", "official", "handler", "clerk", "outsider"])
def test_only_village_cadres_import(world, tags, as_user, persona):
    response = as_user(getattr(world.users, persona)).post(URL, upload(family()), format="multipart")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not Household.objects.filter(number="Q-100").exists()


def test_anonymous_cannot_import(world, api_client):
    assert api_client.post(URL, {}, format="multipart").status_code == 401


def test_missing_file_is_a_file_error_in_the_import_error_shape(world, as_user):
    response = as_user(world.users.cadre).post(URL, {}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_file" and body["detail"]
    assert body["errors"] == [{"row": 0, "column": "file", "message": body["errors"][0]["message"], "code": "required"}]


def test_export_is_scoped_and_masked(world, as_user):
    response = as_user(world.users.grid1).get("/api/v1/households/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert {r[3] for r in rows} == {world.households.q1.number, world.households.q1b.number}
    assert all("*" in r[9] for r in rows) and all("****" in (r[10] or "****") for r in rows)
    assert RegisterExport.objects.get().revealed is False


def test_grid_worker_may_not_reveal_on_export(world, as_user):
    assert as_user(world.users.grid1).get("/api/v1/households/export/?reveal=1").status_code == 403
    assert not RegisterExport.objects.exists()


def test_cadre_reveal_export_is_audited_and_reimports(world, as_user):
    client = as_user(world.users.cadre)
    response = client.get("/api/v1/households/export/?reveal=1")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert all("*" not in r[9] for r in rows if r[9])
    assert RegisterExport.objects.get().revealed is True
    before = snapshot()
    reimport = client.post(URL, {"file": SimpleUploadedFile("x.xlsx", response.content)}, format="multipart")
    assert reimport.status_code == 201, reimport.content
    assert reimport.json()["residents_created"] == 0 and reimport.json()["residents_updated"] == 0
    assert snapshot() == before


def test_template_downloads(world, as_user):
    response = as_user(world.users.grid1).get("/api/v1/households/import-template/")
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).active["A1"].value == "村（社区）"


# The export costs exactly 8 queries, for 3 households as for 13: 1 COUNT of their residents
# (more than a sheet holds is refused), 2 the ids of the households in scope, then per chunk of
# 2000 households 3 their residents, 4 the residents' tags, 5 the households with their places,
# 6 the households' tags; 7 the tag names (the instructions sheet), 8 the row recording the
# export. The caller's scope is kept on the user after the first request.
EXPORT = 8


def test_export_costs_exactly_its_queries_for_3_households_and_for_13(world, as_user, django_assert_num_queries):
    from tests.factories import make_household

    client = as_user(world.users.cadre)
    for n in (0, 10):
        for _ in range(n):
            make_household(world.q1, members=3)
        client.get("/api/v1/households/export/")  # warm up: the scope
        with django_assert_num_queries(EXPORT):
            assert client.get("/api/v1/households/export/").status_code == 200
