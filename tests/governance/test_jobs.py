"""Background jobs (governance.jobs): a register import, a register export and the monthly
report's file, from the submit to the result, through the real Celery task functions."""

import datetime
import io
import os
import re
import threading

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from governance import jobs
from governance.jobs import Outcome, job_run, job_submit, register_kind
from governance.models import Job, JobState
from governance.tasks import run_job, sweep_jobs
from grids.models import Household, Resident
from tests.factories import make_id_number, make_user
from tests.governance.test_notifications import broker
from tests.grids.test_register import family, person, xlsx
from tests.pages.conftest import form_token

IMPORT = "/households/import/"
API_IMPORT = "/api/v1/households/import/"
API_EXPORT = "/api/v1/households/export/"
ASYNC = {"HTTP_PREFER": "respond-async"}
# The pages these tests cover (tests/pages/test_permissions.py checks every page is covered).
COVERED_URL_NAMES = {"job-list", "job-detail", "job-result", "job-input", "monthly-report-job"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def english(client, settings):
    """The assertions read English messages."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def tags(db):
    from grids.models import Tag

    Tag.objects.create(code="hardship", name="困难户", is_key_group=True)
    Tag.objects.create(code="left_behind_child", name="留守儿童", is_key_group=True)


def _upload(rows, name="register.xlsx"):
    return SimpleUploadedFile(name, xlsx(rows).getvalue())


def _many(count: int) -> list[dict]:
    """`count` people, three to a household, each with a valid ID number of their own."""
    relations = ["户主", "配偶", "子女"]
    return [
        person(
            household=f"M-{i // 3:03d}",
            name=f"测试{i}",
            relation=relations[i % 3],
            id_number=make_id_number(datetime.date(1960, 1, 1) + datetime.timedelta(days=i), i % 900 + 10),
        )
        for i in range(count)
    ]


def _progress_writes(queries) -> list[tuple[str, int, int]]:
    """(phase, done, total) of each progress UPDATE on the job's row, in order."""
    found = []
    for query in queries:
        sql = query["sql"]
        if sql.startswith('UPDATE "governance_job"') and '"total" =' in sql and '"heartbeat_at"' in sql:
            done = int(re.search(r'"done" = (\d+)', sql).group(1))
            total = int(re.search(r'"total" = (\d+)', sql).group(1))
            phase = re.search(r"\"phase\" = '(\w*)'", sql).group(1)
            if phase:
                found.append((phase, done, total))
    return found


# ------------------------------------------------------------------ the import, from submit to done


def test_import_page_starts_a_job_that_writes_progress_and_ends_with_the_counts(
    client, world, tags, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 5)
    client.force_login(world.users.cadre)
    token = form_token(client.get(IMPORT).content.decode())
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT, {"form_token": token, "file": _upload(_many(12))})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert (job.kind, job.owner, job.state, job.attempts) == ("register_import", world.users.cadre, "done", 1)
    assert job.input_name == "register.xlsx" and job.input_file.name.startswith("jobs/")
    assert job.started_at and job.finished_at and job.done == job.total == 12
    assert job.result["residents_created"] == 12 and job.result["households_created"] == 4
    assert Resident.objects.filter(household__number__startswith="M-").count() == 12

    # Progress written as it went, each phase's first row, every 5 rows and the last.
    writes = _progress_writes(queries.captured_queries)
    assert [w for w in writes if w[0] == "checking"] == [("checking", n, 12) for n in (1, 6, 11, 12)]
    assert ("reading", 1, 0) in writes and writes[-1] == ("writing", 12, 12)

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and 'id="import-counts"' in html
    assert "hx-trigger" not in html  # done: the page stops asking
    assert "All 12 rows of the file were checked and written." in html


def test_double_submit_of_the_import_form_makes_one_job(client, world, tags, django_capture_on_commit_callbacks):
    client.force_login(world.users.cadre)
    token = form_token(client.get(IMPORT).content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(IMPORT, {"form_token": token, "file": _upload(family())})
        second = client.post(IMPORT, {"form_token": token, "file": _upload(family())})
    assert Job.objects.count() == 1
    assert first["Location"] == second["Location"] == f"/jobs/{Job.objects.get().pk}/"
    assert Resident.objects.filter(household__number="Q-100").count() == 3


def test_a_running_job_page_polls_and_shows_rows_processed(client, world):
    job = Job.objects.create(kind="register_import", owner=world.users.cadre, state="running", done=1200, total=50000)
    job.phase = "checking"
    job.save()
    client.force_login(world.users.cadre)
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f'hx-get="/jobs/{job.pk}/" hx-trigger="every 2s"' in html
    assert '<progress class="job-progress" max="50000" value="1200">' in html
    assert "Processed 1\u00a0200 / 50\u00a0000 rows" in html
    # The fragment htmx asks for is the status alone.
    fragment = client.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section class="job-status') and "<html" not in fragment


def test_refused_import_fails_the_job_and_lists_every_error_by_row_and_column(
    client, world, tags, django_capture_on_commit_callbacks
):
    rows = [*family(), person(household="Q-200", name="", id_number="500117197001021234")]
    client.force_login(world.users.cadre)
    token = form_token(client.get(IMPORT).content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT, {"form_token": token, "file": _upload(rows)})
    job = Job.objects.get()
    assert job.state == "failed" and "Nothing was written" in job.error
    assert {(e["row"], e["column"]) for e in job.errors} == {(5, "姓名"), (5, "公民身份号码")}
    assert not Household.objects.filter(number__in=["Q-100", "Q-200"]).exists()  # all or nothing

    html = client.get(response["Location"]).content.decode()
    table = html[html.index('id="job-errors"') :]
    assert re.search(r'data-label="Row">5</td>\s*<td data-label="Column">姓名</td>', table)
    assert re.search(r'data-label="Row">5</td>\s*<td data-label="Column">公民身份号码</td>', table)
    assert 'href="/households/import/"' in html  # try again


# ------------------------------------------------------------------ claimed once


@register_kind("test_count", label="test")
def _count_runs(job, progress):
    _count_runs.calls.append(job.pk)
    _count_runs.barrier.wait(timeout=1) if _count_runs.barrier else None
    return Outcome(result={"ok": True})


_count_runs.calls = []
_count_runs.barrier = None


def test_a_job_runs_once_however_often_its_task_runs(world):
    _count_runs.calls.clear()
    job = job_submit(owner=world.users.cadre, kind="test_count")
    assert run_job(job.pk) == "done"
    assert run_job(job.pk) == "not claimed"  # a retry, a second delivery
    assert _count_runs.calls == [job.pk]


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_run_a_job_once(world):
    _count_runs.calls.clear()
    _count_runs.barrier = None
    job = Job.objects.create(kind="test_count", owner=world.users.cadre)
    start = threading.Barrier(2)
    answers = []

    def work():
        start.wait()
        try:
            answers.append(job_run(job.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == ["done", "not claimed"]
    assert _count_runs.calls == [job.pk]
    assert Job.objects.get(pk=job.pk).state == "done"


# ------------------------------------------------------------------ Redis down, a worker dead


def test_redis_down_at_submit_keeps_the_job_queued_and_the_sweep_runs_it(
    client, world, tags, django_capture_on_commit_callbacks
):
    client.force_login(world.users.cadre)
    token = form_token(client.get(IMPORT).content.decode())
    with broker("redis://127.0.0.1:1/0"), django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT, {"form_token": token, "file": _upload(family())})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.state == "queued" and job.input_file.read()[:2] == b"PK"  # the file is kept
    assert "Waiting to start" in client.get(response["Location"]).content.decode()

    # Fresh: the sweep leaves it to the broker a while longer.
    assert sweep_jobs()["queued"] == 0
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=3))
    assert sweep_jobs() == {"queued": 1, "retried": 0, "failed": 0}
    job.refresh_from_db()
    assert job.state == "done" and job.result["residents_created"] == 3


def test_a_job_whose_worker_died_is_tried_again_then_failed(world):
    _count_runs.calls.clear()
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    retried = Job.objects.create(
        kind="test_count", owner=world.users.cadre, state="running", attempts=1, heartbeat_at=long_ago
    )
    given_up = Job.objects.create(  # its owner reads English: the failure is said in it
        kind="test_count",
        owner=world.users.cadre,
        state="running",
        attempts=2,
        heartbeat_at=long_ago,
        parameters={"language": "en"},
    )
    alive = Job.objects.create(
        kind="test_count", owner=world.users.cadre, state="running", attempts=1, heartbeat_at=timezone.now()
    )
    assert sweep_jobs() == {"queued": 1, "retried": 1, "failed": 1}
    retried.refresh_from_db(), given_up.refresh_from_db(), alive.refresh_from_db()
    assert (retried.state, retried.attempts) == ("done", 2) and _count_runs.calls == [retried.pk]
    with translation.override(given_up.parameters.get("language") or settings.LANGUAGE_CODE):
        stopped = gettext("The work stopped before it was done (the server was restarted); nothing was changed.")
    assert given_up.state == "failed" and given_up.error == stopped  # in the submitter's language
    assert alive.state == "running"


# ------------------------------------------------------------------ the owner's alone


@pytest.fixture
def done_export(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_submit(owner=world.users.cadre, kind="register_export", parameters={"query": "", "via": "page"})
    job.refresh_from_db()
    assert job.state == "done", job.error
    return job


def test_a_job_its_file_and_its_api_are_its_owners_alone(client, api_client, world, done_export):
    job = done_export
    urls = [f"/jobs/{job.pk}/", f"/jobs/{job.pk}/result/", f"/jobs/{job.pk}/input/"]
    api_urls = [f"/api/v1/jobs/{job.pk}/", f"/api/v1/jobs/{job.pk}/result/"]
    client.force_login(world.users.cadre)
    assert client.get(urls[0]).status_code == 200
    download = client.get(urls[1])
    assert download.status_code == 200 and download["Cache-Control"] == "no-store, private"
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book.active["A1"].value == "村（社区）"
    api_client.force_authenticate(world.users.cadre)
    assert api_client.get(api_urls[0]).json()["state"] == "done"
    assert api_client.get(api_urls[1]).status_code == 200
    for other in (world.users.other_cadre, world.users.official, make_user("root", is_superuser=True)):
        client.force_login(other)
        api_client.force_authenticate(other)
        for url in urls:
            assert client.get(url).status_code == 404, (other, url)
        for url in api_urls:
            assert api_client.get(url).status_code == 404, (other, url)
        assert f"/jobs/{job.pk}/" not in client.get("/jobs/").content.decode()
    client.logout()
    assert client.get(urls[1]).status_code == 302  # to the login page


def test_job_list_shows_ones_recent_jobs_in_flat_queries(client, world, django_assert_max_num_queries):
    client.force_login(world.users.cadre)
    Job.objects.create(kind="register_import", owner=world.users.cadre)
    with CaptureQueriesContext(connection) as one:
        client.get("/jobs/")
    for state in ("running", "done", "failed", "queued"):
        Job.objects.create(kind="register_export", owner=world.users.cadre, state=state)
    Job.objects.create(kind="register_export", owner=world.users.official)
    with django_assert_max_num_queries(len(one)):
        html = client.get("/jobs/").content.decode()
    assert html.count('class="card job-') == 5


# ------------------------------------------------------------------ the API


def test_api_import_answers_201_as_documented_and_202_when_asked_to_respond_async(world, tags, as_user):
    api = as_user(world.users.cadre)
    response = api.post(API_IMPORT, {"file": _upload(family())}, format="multipart")
    assert response.status_code == 201 and response.json()["residents_created"] == 3
    assert not Job.objects.exists()


def test_api_import_in_the_background(world, tags, as_user, django_capture_on_commit_callbacks):
    api = as_user(world.users.cadre)
    rows = [person(household="Q-300", name="王一", id_number=make_id_number(datetime.date(1980, 1, 1), 31))]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(API_IMPORT, {"file": _upload(rows)}, format="multipart", **ASYNC)
    job = Job.objects.get()
    assert response.status_code == 202
    assert response["Location"] == f"http://testserver/api/v1/jobs/{job.pk}/" == response.json()["url"]
    body = api.get(f"/api/v1/jobs/{job.pk}/").json()
    assert (body["state"], body["kind"], body["result"]["residents_created"]) == ("done", "register_import", 1)
    assert body["result_url"] is None and body["page_url"] == f"http://testserver/jobs/{job.pk}/"


def test_api_import_in_the_background_gives_every_error_by_row_and_column(
    world, tags, as_user, django_capture_on_commit_callbacks
):
    api = as_user(world.users.cadre)
    rows = [person(household="Q-300", name="王一", 性别="X", id_number="")]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(API_IMPORT, {"file": _upload(rows)}, format="multipart", **ASYNC)
    body = api.get(response["Location"]).json()
    assert body["state"] == "failed"
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(2, "性别")]
    # A request without a file is refused at once, as without the header.
    missing = api.post(API_IMPORT, {}, format="multipart", **ASYNC)
    assert missing.status_code == 400 and Job.objects.count() == 1


def test_api_export_in_the_background(world, as_user, django_capture_on_commit_callbacks):
    api = as_user(world.users.cadre)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.get(API_EXPORT, {"grid": world.q1.pk}, **ASYNC)
    assert response.status_code == 202
    body = api.get(response["Location"]).json()
    assert body["state"] == "done" and body["result_url"].endswith(f"/api/v1/jobs/{body['id']}/result/")
    file = api.get(body["result_url"])
    sheet = load_workbook(io.BytesIO(b"".join(file.streaming_content))).active
    grids = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert grids == {world.q1.number}
    # Without the header: the file itself, as documented.
    assert api.get(API_EXPORT)["Content-Type"].startswith("application/vnd.openxmlformats")


# ------------------------------------------------------------------ the export and report pages


def test_export_page_post_makes_the_file_in_the_background(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.users.official)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/households/export/?grid={world.q1.pk}", {"reveal": "1"})
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.state == "done" and job.parameters["reveal"] is True and job.result_name.endswith("完整身份证号.xlsx")
    html = client.get(response["Location"]).content.decode()
    assert f'href="/jobs/{job.pk}/result/"' in html


def test_monthly_report_page_makes_its_excel_in_the_background(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.users.official)
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    page = client.get(f"/reports/monthly/?township={world.weituo.pk}&month={month}").content.decode()
    assert f'action="/reports/monthly/export/?township={world.weituo.pk}&amp;month={month}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/reports/monthly/export/?township={world.weituo.pk}&month={month}")
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/" and job.state == JobState.DONE, job.error
    # Named by the place and month in the reader's language (渭沱镇月报-2026-11.xlsx), not a code.
    assert job.result_name.startswith(world.weituo.name) and job.result_name.endswith(f"{month}.xlsx")
    # A place whose report is not theirs: no job.
    client.force_login(world.users.grid1)
    assert client.post(f"/reports/monthly/export/?township={world.weituo.pk}&month={month}").status_code == 403
    assert Job.objects.count() == 1


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 302), ("cadre", 302), ("official", 302), ("grid1", 403), ("clerk", 403), ("other_official", 404)],
)
def test_who_may_make_a_villages_monthly_report_file(client, world, persona, status):
    if persona != "anonymous":
        client.force_login(getattr(world.users, persona))
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    response = client.post(f"/reports/monthly/export/?village={world.qixing.pk}&month={month}")
    assert response.status_code == status
    if status == 302 and persona != "anonymous":
        assert response["Location"] == f"/jobs/{Job.objects.get(owner=getattr(world.users, persona)).pk}/"
    else:
        assert not Job.objects.exists()
    assert client.get(f"/reports/monthly/export/?village={world.qixing.pk}").status_code in (302, 405)


def test_a_long_list_exports_masked_in_the_background_for_any_reader(
    client, world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("grids.views.EXPORT_INLINE_HOUSEHOLDS", 1)  # the list has 2 households
    client.force_login(world.users.grid1)
    html = client.get("/households/").content.decode()
    assert 'name="masked" value="1"' in html and 'href="/households/export/" download' not in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/households/export/", {"masked": "1"})
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/" and job.state == "done" and job.parameters["reveal"] is False
    sheet = load_workbook(io.BytesIO(b"".join(client.get(f"/jobs/{job.pk}/result/").streaming_content))).active
    assert all("*" in row[9] for row in sheet.iter_rows(min_row=2, values_only=True))


def test_finished_jobs_are_pruned_with_their_files_after_the_keeping_days(world, settings, done_export):
    from governance.tasks import prune_jobs

    old = done_export
    path = old.result_file.path
    fresh = Job.objects.create(kind="register_export", owner=world.users.cadre, state="done")
    fresh.finished_at = timezone.now()
    fresh.save()
    waiting = Job.objects.create(kind="register_export", owner=world.users.cadre)
    Job.objects.filter(pk__in=[old.pk, waiting.pk]).update(
        finished_at=timezone.now() - datetime.timedelta(days=settings.JOB_KEEP_DAYS + 1)
    )
    assert prune_jobs() == 1
    assert set(Job.objects.values_list("pk", flat=True)) == {fresh.pk, waiting.pk}
    assert not os.path.exists(path)
