"""The household register in Excel, as pages: import (cadres), template, export (masked, or
in full on the record), and the links to them."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from governance.models import IdempotencyRecord, Job, Role
from governance.tasks import run_job
from grids.idnumbers import decrypt_id_number
from grids.models import Household, RegisterExport, Resident, Tag
from tests.factories import assign, make_household, make_user
from tests.grids.test_register import family, person, snapshot, xlsx
from tests.pages.conftest import field_block, form_token
from tests.pages.test_permissions import PERSONAS

IMPORT = "/households/import/"
TEMPLATE = "/households/import/template/"
EXPORT = "/households/export/"

IMPORTERS = {"cadre", "other_cadre", "admin"}
REVEALERS = {"cadre", "other_cadre", "official", "leader", "other_official", "admin"}
URLS = {"register-import": IMPORT, "register-template": TEMPLATE, "household-export": EXPORT}


@pytest.fixture(autouse=True)
def english(client, settings):
    """The assertions read English messages, whatever the translators have done to zh-hans."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def tags(db):
    Tag.objects.create(code="hardship", name="困难户", is_key_group=True)
    Tag.objects.create(code="left_behind_child", name="留守儿童", is_key_group=True)


def _statuses(allowed):
    return {p: 302 if p == "anonymous" else 200 if allowed is None or p in allowed else 403 for p in PERSONAS}


# Importing is for village cadres (in their own village: see the tests below); the blank
# template is for anyone signed in (grid staff collect households on it for their cadre);
# the masked export for anyone signed in who reads people (not the shop clerk nor the
# supervision committee, 403 as on the register's list), scoped; the export in full (a
# POST) for the roles that may see full ID numbers. Checked with the other pages' matrix for coverage.
MATRIX = {
    ("GET", "register-import"): _statuses(IMPORTERS),
    ("POST", "register-import"): _statuses(IMPORTERS),
    ("GET", "register-template"): _statuses(None),
    ("GET", "household-export"): {**_statuses(None), "clerk": 403, "supervisor": 403},
    # A POST makes the file in the background: to the job's page (tests/governance/test_jobs.py).
    ("POST", "household-export"): {p: 302 if p == "anonymous" or p in REVEALERS else 403 for p in PERSONAS},
}
CASES = [
    pytest.param(persona, method, name, status, id=f"{persona}-{method}-{name}")
    for (method, name), row in MATRIX.items()
    for persona, status in row.items()
]


@pytest.mark.parametrize(("persona", "method", "name", "status"), CASES)
def test_register_page_permissions(client, world, tags, persona, method, name, status):
    url = URLS[name]
    if persona != "anonymous":
        client.force_login(getattr(world.users, persona))
    # An empty POST: an importer gets the form back with its errors. A refused one writes nothing.
    response = client.get(url) if method == "GET" else client.post(url, {})
    assert response.status_code == status, response.content[:500]
    if status == 302 and persona == "anonymous":
        assert response["Location"].startswith("/accounts/login/?next=")
    elif status == 302:
        assert response["Location"] == f"/jobs/{Job.objects.get().pk}/"
    if status == 403:
        assert "403.html" in {t.name for t in response.templates}
        assert not RegisterExport.objects.exists()
    if status == 200 and name == "household-export":
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert RegisterExport.objects.get().revealed is (method == "POST")


def _upload(rows, name="register.xlsx"):
    return SimpleUploadedFile(name, xlsx(rows).getvalue())


def _import(client, rows, token=None, name="register.xlsx"):
    token = token or form_token(client.get(IMPORT).content.decode())
    return client.post(IMPORT, {"form_token": token, "file": _upload(rows, name)}), token


def _job_page(client, response):
    """The job a page started (governance.jobs), run as the worker runs it, and its page."""
    assert response.status_code == 302 and response["Location"].startswith("/jobs/"), response
    run_job(int(response["Location"].split("/")[2]))
    return client.get(response["Location"])


def _job_file(client, response):
    """The file of the export job a page started, once the worker has run it."""
    page = _job_page(client, response)
    job = page.context["job"]
    assert job.state == "done", job.error
    return client.get(f"/jobs/{job.pk}/result/")


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# ---------------------------------------------------------------- import


def test_import_page_explains_the_template_and_links_it(login, world):
    html = login(world.users.cadre).get(IMPORT).content.decode()
    assert 'href="/households/import/template/"' in html
    assert 'enctype="multipart/form-data"' in html and 'accept=".xlsx' in html
    assert "户主" in html and "公民身份号码" in html and "七星村" in html  # the cadre's own village
    assert "化龙村" not in html


def test_template_downloads_as_xlsx(login, world):
    response = login(world.users.grid1).get(TEMPLATE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.active["A1"].value == "村（社区）" and "填写说明" in workbook.sheetnames


def test_cadre_imports_a_file_and_sees_the_counts(login, world, tags):
    client = login(world.users.cadre)
    response, token = _import(client, family())
    page = _job_page(client, response)
    household = Household.objects.get(number="Q-100")
    assert household.head_name == "刘大山" and household.members.count() == 3

    assert page.status_code == 200
    result = page.context["job"].result
    assert (result["households_created"], result["residents_created"], result["residents_unchanged"]) == (1, 3, 0)
    html = page.content.decode()
    assert 'class="result-panel"' in html and 'href="/households/"' in html
    assert 'id="import-form"' not in html

    # The same form sent again (a double click, a resend): sent where the first went, nothing twice.
    again = client.post(IMPORT, {"form_token": token, "file": _upload(family())})
    assert again.status_code == 302 and again["Location"] == response["Location"]
    assert Resident.objects.filter(household__number="Q-100").count() == 3 and Job.objects.count() == 1

    # A new form with the same file: matched, not duplicated.
    response, _token = _import(client, family())
    result = _job_page(client, response).context["job"].result
    assert (result["households_created"], result["residents_created"], result["residents_unchanged"]) == (0, 0, 3)


def test_file_with_errors_shows_every_error_by_row_and_column_and_writes_nothing(login, world, tags):
    rows = family()
    rows[0]["公民身份号码"] = "500117197001020000"  # wrong check digit
    rows[1]["性别"] = "未知"
    rows.append(person(household="Q-101", name="外村人", id_number="", **{"村（社区）": "化龙村"}))
    before = snapshot()
    client = login(world.users.cadre)
    response, token = _import(client, rows)
    page = _job_page(client, response)
    assert snapshot() == before
    assert IdempotencyRecord.objects.count() == 1  # the form's claim holds the job, not the import

    html = page.content.decode()
    assert re.search(r'role="alert">.*3 errors.*Nothing was written', html, re.S)
    table = html[html.index('id="job-errors"') :]
    cells = re.findall(r'<td[^>]*data-label="Row"[^>]*>(\d+)</td>\s*<td[^>]*>([^<]*)</td>', table)
    assert set(cells) == {("2", "公民身份号码"), ("3", "性别"), ("5", "村（社区）")}
    assert "You may only import into your own village." in table
    # The way back to the form, and the corrected file goes through.
    assert 'href="/households/import/"' in html
    fixed, _ = _import(client, family())
    assert _job_page(client, fixed).context["job"].state == "done"
    assert Household.objects.filter(number="Q-100").count() == 1


def test_a_very_long_list_of_errors_is_cut_short_and_says_so(login, world, tags, monkeypatch):
    monkeypatch.setattr("governance.job_views.ERRORS_SHOWN", 2)
    rows = [person(household=f"E-{i}", relation="配偶", id_number="") for i in range(3)]  # no head, three times
    client = login(world.users.cadre)
    response, _token = _import(client, rows)
    page = _job_page(client, response)
    assert len(page.context["errors"]) == 2 and page.context["error_count"] == 3
    assert "The first 2 of 3 errors are shown." in page.content.decode()


def test_file_that_is_not_a_workbook_is_refused_next_to_the_file_field(login, world):
    client = login(world.users.cadre)
    token = form_token(client.get(IMPORT).content.decode())
    junk = SimpleUploadedFile("register.xlsx", b"not a zip file at all")
    response = client.post(IMPORT, {"form_token": token, "file": junk})
    assert response.status_code == 200
    assert "not an Excel .xlsx workbook" in field_block(response.content.decode(), "file")


def test_wrong_extension_and_too_large_are_field_errors(login, world, tags, settings):
    client = login(world.users.cadre)
    response, _token = _import(client, family(), name="register.csv")
    assert response.status_code == 200
    assert "errorlist" in field_block(response.content.decode(), "file")
    settings.UPLOAD_MAX_XLSX_BYTES = 100
    response, _token = _import(client, family())
    assert "is larger than" in field_block(response.content.decode(), "file")
    assert not Household.objects.filter(number="Q-100").exists()


def test_superuser_may_import_into_any_village(login, world, tags):
    rows = [dict(r, **{"村（社区）": "李湾村"}) for r in family()]
    client = login(world.users.admin)
    response, _token = _import(client, rows)
    assert _job_page(client, response).context["job"].state == "done"
    assert Household.objects.get(number="Q-100").village == world.liwan


# ---------------------------------------------------------------- export


def _rows(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(_content(response))).active
    return list(sheet.iter_rows(min_row=2, values_only=True))


def test_export_is_scoped_and_masked(login, world):
    rows = _rows(login(world.users.grid1).get(EXPORT))
    assert {r[3] for r in rows} == {world.households.q1.number, world.households.q1b.number}
    assert all("*" in r[9] for r in rows) and all("****" in r[10] for r in rows if r[10])
    export = RegisterExport.objects.get()
    assert (export.user, export.revealed, export.rows) == (world.users.grid1, False, len(rows))


def test_export_takes_the_lists_filters_and_every_page(login, world):
    client = login(world.users.cadre)
    assert {r[3] for r in _rows(client.get(EXPORT, {"grid": world.q2.pk}))} == {world.households.q2.number}
    assert {r[3] for r in _rows(client.get(EXPORT, {"q": "zs"}))} == {world.households.q1.number}
    # A household out of scope cannot be asked for by filter: the filter is ignored, the scope holds.
    assert world.households.h1.number not in {r[3] for r in _rows(client.get(EXPORT, {"grid": world.h1.pk}))}
    for _ in range(22):
        make_household(world.q2, members=1)
    rows = _rows(client.get(EXPORT, {"grid": world.q2.pk, "page": 1}))
    assert len({r[3] for r in rows}) == 23  # not just the 20 of the list's first page


def test_household_list_links_the_export_with_its_filters(login, world):
    html = login(world.users.cadre).get("/households/", {"grid": world.q1.pk, "page": 1}).content.decode()
    assert f'href="/households/export/?grid={world.q1.pk}" download' in html
    assert f'<form method="post" action="/households/export/?grid={world.q1.pk}">' in html
    assert "recorded" in html
    html = login(world.users.grid1).get("/households/").content.decode()
    assert 'href="/households/export/" download' in html
    assert 'action="/households/export/' not in html  # a grid worker may not reveal


def test_revealed_export_is_full_and_recorded(login, world):
    client = login(world.users.cadre)
    response = _job_file(client, client.post(f"{EXPORT}?grid={world.q1.pk}", {"reveal": "1"}))
    rows = _rows(response)
    assert {r[3] for r in rows} == {world.households.q1.number, world.households.q1b.number}
    head = world.households.q1.members.get(relation_to_head="head")
    assert decrypt_id_number(head.id_number_encrypted) in {r[9] for r in rows}
    assert all("*" not in r[9] for r in rows if r[9])
    assert "no-store" in response["Cache-Control"]
    export = RegisterExport.objects.get()
    assert (export.user, export.revealed, export.rows) == (world.users.cadre, True, len(rows))


def test_get_never_reveals(login, world):
    rows = _rows(login(world.users.cadre).get(EXPORT, {"reveal": "1"}))
    assert all("*" in r[9] for r in rows)
    assert RegisterExport.objects.get().revealed is False


def test_grid_worker_may_not_reveal(login, world):
    response = login(world.users.grid1).post(EXPORT, {"reveal": "1"})
    assert response.status_code == 403
    assert not RegisterExport.objects.exists()


def test_official_reveals_the_township_only(login, world):
    client = login(world.users.official)
    rows = _rows(_job_file(client, client.post(EXPORT, {"reveal": "1"})))
    hh = world.households
    assert {r[3] for r in rows} == {hh.q1.number, hh.q1b.number, hh.q2.number, hh.h1.number}


def test_revealed_export_holds_only_households_a_revealing_role_covers(login, world):
    """A cadre of 化龙村 who is also a grid worker in 七星村 sees both, reveals only 化龙村."""
    both = make_user("t_both", name="两头干")
    assign(both, Role.VILLAGE_CADRE, world.hualong)
    assign(both, Role.GRID_WORKER, world.q1)
    client = login(both)
    hh = world.households
    assert {r[3] for r in _rows(client.get(EXPORT))} == {hh.q1.number, hh.q1b.number, hh.h1.number}
    assert {r[3] for r in _rows(_job_file(client, client.post(EXPORT, {"reveal": "1"})))} == {hh.h1.number}


# The export page costs exactly 14 queries, for 3 households as for 23: 1 the session, 2 the
# user, 3 the assignments (the scope); the list's filter form, which the export shares: 4 COUNT
# of the villages, 5 COUNT of the grids, 6 any tag; the export (grids.register.exports): 7 COUNT
# of their residents (more than a sheet holds is refused), 8 the ids of the households, per chunk
# of 2000 9 their residents, 10 the residents' tags, 11 the households with their places, 12 their
# tags; 13 the tag names (the instructions sheet), 14 the row recording the export. A file has no
# navigation: nothing after.
EXPORT_PAGE = 14


def test_export_costs_exactly_its_queries_for_3_households_and_for_23(login, world, django_assert_num_queries):
    client = login(world.users.cadre)
    for n in (0, 20):
        for _ in range(n):
            make_household(world.q1, members=3)
        client.get(EXPORT)  # warm up
        with django_assert_num_queries(EXPORT_PAGE):
            assert client.get(EXPORT).status_code == 200


# ---------------------------------------------------------------- links


@pytest.mark.parametrize(("persona", "shown"), [("cadre", True), ("grid1", False), ("official", False)])
def test_import_is_linked_only_for_roles_that_may_import(login, world, persona, shown):
    client = login(getattr(world.users, persona))
    for url in ("/households/", "/"):
        assert ('href="/households/import/"' in client.get(url).content.decode()) is shown, url


def test_import_page_round_trips_an_exported_file(login, world):
    """The cadre exports the village in full, and imports the file back: nothing changes."""
    client = login(world.users.cadre)
    exported = _content(_job_file(client, client.post(EXPORT, {"reveal": "1"})))
    before = snapshot()
    token = form_token(client.get(IMPORT).content.decode())
    response = client.post(IMPORT, {"form_token": token, "file": SimpleUploadedFile("back.xlsx", exported)})
    job = _job_page(client, response).context["job"]
    assert job.state == "done", job.errors
    result = job.result
    assert result["residents_created"] == result["residents_updated"] == 0
    assert snapshot() == before
