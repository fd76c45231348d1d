"""What the attack on issue 19 (background jobs, the waiting-matters cache, the bench's URL conf,
nginx) found, one test per finding, named for the behaviour that holds."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve

from governance.jobs import job_run, job_submit
from governance.models import Assignment, Job
from grids.models import Resident
from tests.grids.test_register import family, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def tags(db):
    from grids.models import Tag

    Tag.objects.create(code="hardship", name="困难户", is_key_group=True)
    Tag.objects.create(code="left_behind_child", name="留守儿童", is_key_group=True)


def _done(job):
    job.refresh_from_db()
    assert job.state == "done", job.error
    return job


# ---------------------------------------------------------------- files kept after the role is gone


def test_full_id_export_is_not_downloaded_by_an_owner_who_lost_the_role(
    client, as_user, world, django_capture_on_commit_callbacks
):
    """A synchronous export was handed over at once; a job's file stays on the server for days.
    An official whose post ended may not fetch the full ID numbers the post allowed (MEDIUM)."""
    official = world.users.official
    with django_capture_on_commit_callbacks(execute=True):
        parameters = {"reveal": True, "query": "", "via": "page"}
        job = job_submit(owner=official, kind="register_export", parameters=parameters)
    _done(job)
    client.force_login(official)
    assert client.get(f"/jobs/{job.pk}/result/").status_code == 200
    Assignment.objects.filter(user=official).delete()
    official = type(official).objects.get(pk=official.pk)  # the scope is cached on the user
    client.force_login(official)
    assert client.get(f"/jobs/{job.pk}/result/").status_code == 404
    assert as_user(official).get(f"/api/v1/jobs/{job.pk}/result/").status_code == 404
    # The job itself (its state) stays the owner's to see, without the link.
    page = client.get(f"/jobs/{job.pk}/")
    assert page.status_code == 200 and f"/jobs/{job.pk}/result/" not in page.content.decode()
    assert as_user(official).get(f"/api/v1/jobs/{job.pk}/").json()["result_url"] is None


def test_masked_export_is_not_downloaded_by_an_owner_with_no_role_left(
    client, world, django_capture_on_commit_callbacks
):
    """Masked, the file still holds names, addresses and households: a reader's, not a
    former reader's."""
    grid1 = world.users.grid1
    with django_capture_on_commit_callbacks(execute=True):
        job = job_submit(owner=grid1, kind="register_export", parameters={"query": "", "via": "page"})
    _done(job)
    Assignment.objects.filter(user=grid1).delete()
    client.force_login(type(grid1).objects.get(pk=grid1.pk))
    assert client.get(f"/jobs/{job.pk}/result/").status_code == 404


def test_uploaded_register_is_not_downloaded_by_an_owner_no_longer_a_cadre(
    client, world, tags, django_capture_on_commit_callbacks
):
    """The uploaded file holds every resident's full ID number: kept for its importer while
    they import (to correct and send it again), not after their post ends (MEDIUM)."""
    cadre = world.users.cadre
    with django_capture_on_commit_callbacks(execute=True):
        job = job_submit(
            owner=cadre, kind="register_import", upload=SimpleUploadedFile("r.xlsx", xlsx(family()).getvalue())
        )
    _done(job)
    client.force_login(cadre)
    assert client.get(f"/jobs/{job.pk}/input/").status_code == 200
    Assignment.objects.filter(user=cadre).delete()
    client.force_login(type(cadre).objects.get(pk=cadre.pk))
    assert client.get(f"/jobs/{job.pk}/input/").status_code == 404


# ---------------------------------------------------------------- flooding the workers


def test_a_user_cannot_queue_jobs_without_end(client, as_user, world, settings):
    """Each POST of the export page (or GET of the API with respond-async, which no form
    token guards) queued another export of the whole township: a reload loop held every
    worker and everyone's imports waited behind it (MEDIUM). Now JOB_OPEN_PER_USER at once."""
    settings.JOB_OPEN_PER_USER = 3
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    official = world.users.official
    client.force_login(official)
    for _ in range(3):
        assert client.post("/households/export/", {"masked": "1"}).status_code == 302
    assert Job.objects.filter(owner=official).count() == 3
    refused = client.post("/households/export/", {"masked": "1"}, follow=True)
    assert refused.redirect_chain[-1][0] == "/jobs/"
    assert "wait until it is done" in refused.content.decode()
    api = as_user(official).get("/api/v1/households/export/", HTTP_PREFER="respond-async")
    assert api.status_code == 429 and api.json()["code"] == "too_many_jobs"
    assert Job.objects.filter(owner=official).count() == 3
    # Another user is not held back, and a finished job frees a place.
    client.force_login(world.users.cadre)
    assert client.post("/households/export/", {"masked": "1"}).status_code == 302
    Job.objects.filter(owner=official).update(state="done")
    client.force_login(official)
    assert client.post("/households/export/", {"masked": "1"}).status_code == 302
    assert Job.objects.filter(owner=official).count() == 4


def test_the_import_and_report_pages_refuse_past_the_cap_too(client, world, settings, tags):
    import datetime

    from django.utils import timezone

    from tests.pages.conftest import form_token

    settings.JOB_OPEN_PER_USER = 1
    cadre, official = world.users.cadre, world.users.official
    Job.objects.create(kind="register_export", owner=cadre)
    Job.objects.create(kind="register_export", owner=official)
    client.force_login(cadre)
    token = form_token(client.get("/households/import/").content.decode())
    upload = SimpleUploadedFile("r.xlsx", xlsx(family()).getvalue())
    response = client.post("/households/import/", {"form_token": token, "file": upload})
    assert response.status_code == 302 and response["Location"] == "/jobs/"
    client.force_login(official)
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    response = client.post(f"/reports/monthly/export/?township={world.weituo.pk}&month={month}")
    assert response.status_code == 302 and response["Location"] == "/jobs/"
    assert Job.objects.count() == 2


# ---------------------------------------------------------------- a deactivated owner


def test_a_deactivated_owners_queued_import_does_not_write(world, tags):
    """An account switched off (someone left, a stolen password) while its import waited in the
    queue: the job fails and writes nothing rather than acting for a user who may not (MEDIUM)."""
    cadre = world.users.cadre
    upload = SimpleUploadedFile("r.xlsx", xlsx(family()).getvalue())
    job = job_submit(owner=cadre, kind="register_import", upload=upload)
    type(cadre).objects.filter(pk=cadre.pk).update(is_active=False)
    assert job_run(job.pk) == "failed"
    assert not Resident.objects.filter(household__number="Q-100").exists()
    job.refresh_from_db()
    assert job.state == "failed" and "Traceback" not in job.error


def test_a_deactivated_superusers_queued_export_is_not_made(world):
    admin = world.users.admin
    job = job_submit(owner=admin, kind="register_export", parameters={"reveal": True, "query": "", "via": "api"})
    type(admin).objects.filter(pk=admin.pk).update(is_active=False)
    assert job_run(job.pk) == "failed"
    job.refresh_from_db()
    assert not job.result_file


# ---------------------------------------------------------------- the waiting-matters cache


def _badge(client) -> int:
    response = client.get("/households/")
    assert response.status_code == 200
    return response.context["nav"]["matters_waiting"]


def test_a_handler_moved_to_another_township_sees_their_matter_come_back(mw, client):
    """A handler keeps the matters they handle after their post moves to another township
    (matters beyond their places), but the matter's writes bumped only its own township's
    generation, not in the handler's key: a matter sent back to them stayed out of their
    queue, and one they had reported stayed in it, until QUEUE_TTL (LOW)."""
    from governance.models import Role
    from petitions import services as s
    from petitions.models import State
    from petitions.selectors import matters_waiting_for
    from tests.api.matter_states import civil
    from tests.factories import assign

    grid1 = mw.users.grid1
    matter = civil(mw, State.VERIFYING)  # grid1 handled it and reported
    Assignment.objects.filter(user=grid1).delete()
    assign(grid1, Role.GRID_WORKER, mw.l1)  # now in 小沔镇
    client.force_login(grid1)
    before = _badge(client)
    assert matter.pk not in matters_waiting_for(type(grid1).objects.get(pk=grid1.pk)).values_list("pk", flat=True)
    s.matter_verify(matter=matter, actor=mw.users.cadre, passed=False, note="灯还是不亮")  # back to grid1
    fresh = type(grid1).objects.get(pk=grid1.pk)
    assert matter.pk in matters_waiting_for(fresh).values_list("pk", flat=True)
    assert _badge(client) == before + 1


def test_a_grid_merged_is_on_the_next_village_board_with_its_open_matters(client, mw):
    """A merge moves the matters with update() (no signal): petitions bumps their township."""
    from grids.places import grid_merge

    mw.staff_matter(grid=mw.q2, actor=mw.users.grid2)
    client.force_login(mw.users.cadre)
    rows = {row["id"]: row["open"] for row in _home(client)["village_boards"][0]["grids"]}
    assert rows[mw.q2.pk] == 1
    grid_merge(grid=mw.q2, into=mw.q1, actor=mw.users.cadre)
    after = {row["id"]: row["open"] for row in _home(client)["village_boards"][0]["grids"]}
    assert after == {mw.q1.pk: rows[mw.q1.pk] + 1}


def test_a_register_import_is_in_the_next_fengshi_roll_up(client, world, tags):
    """The import inserts households and residents in bulk (no post_save): it bumps itself."""
    from grids.register import register_import

    client.force_login(world.users.cadre)
    households = _home(client)["fengshi"]["totals"]["households"]
    register_import(user=world.users.cadre, file=xlsx(family()), village_ids={world.qixing.pk})
    assert _home(client)["fengshi"]["totals"]["households"] == households + 1


def test_the_overdue_sweep_is_on_the_next_village_board(client, mw):
    import datetime

    from django.utils import timezone

    from petitions.deadlines import sweep
    from petitions.models import Matter, State
    from tests.api.matter_states import civil

    matter = civil(mw, State.HANDLING)
    client.force_login(mw.users.cadre)
    overdue = _home(client)["village_boards"][0]["waiting"]["overdue"]
    now = timezone.now()
    Matter.objects.filter(pk=matter.pk).update(deadline=now - datetime.timedelta(hours=1))
    assert sweep(now=now).marked_overdue == 1
    assert _home(client)["village_boards"][0]["waiting"]["overdue"] == overdue + 1


# ---------------------------------------------------------------- what held


@pytest.mark.parametrize("path", ["/bare/households/", "/bare/matters/1/", "/bare/page/", "/bare/passbooks/1/"])
def test_the_bench_floors_are_not_routed_in_the_app(path):
    with pytest.raises(Resolver404):
        resolve(path)


def test_job_ids_that_are_not_numbers_or_not_there_are_404(client, world):
    client.force_login(world.users.cadre)
    for url in ("/jobs/abc/", "/jobs/-1/", "/jobs/99999999/result/", "/jobs/1e3/input/", "/jobs/0/"):
        assert client.get(url).status_code == 404, url


def test_a_queued_or_failed_jobs_result_is_404(client, world):
    cadre = world.users.cadre
    client.force_login(cadre)
    for state in ("queued", "running", "failed"):
        job = Job.objects.create(kind="register_export", owner=cadre, state=state, error="x")
        assert client.get(f"/jobs/{job.pk}/result/").status_code == 404


def test_the_job_posts_need_the_csrf_token(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users.official)
    for url in ("/households/export/", "/reports/monthly/export/", "/households/import/"):
        assert client.post(url, {"masked": "1"}).status_code == 403, url
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    "name, content",
    [
        ("register.xlsx", b"not a zip at all"),
        ("register.csv", b"a,b\n1,2\n"),
        ("register.xlsx", b"PK\x03\x04" + b"0" * 64),
    ],
)
def test_a_file_that_is_no_register_is_refused_before_a_job_is_made(as_user, world, name, content):
    response = as_user(world.users.cadre).post(
        "/api/v1/households/import/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
        HTTP_PREFER="respond-async",
    )
    assert response.status_code == 400
    assert not Job.objects.exists()


def test_a_job_page_shows_no_trace_of_a_crash(client, world, monkeypatch):
    from governance import jobs

    def crash(job, progress):
        raise RuntimeError("secret internals: /srv/app/grids/register.py line 1")

    monkeypatch.setitem(
        jobs.KINDS, "register_export", jobs.KINDS["register_export"].__class__("register_export", "x", crash)
    )
    job = job_submit(owner=world.users.cadre, kind="register_export", parameters={"query": "", "via": "page"})
    assert job_run(job.pk) == "failed"
    client.force_login(world.users.cadre)
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "secret internals" not in html and "Traceback" not in html


def test_nothing_of_the_app_imports_the_bench_urls():
    """Only governance.bench_settings routes them (bench_http starts gunicorn with it)."""
    import pathlib

    from django.conf import settings

    assert settings.ROOT_URLCONF == "governance.urls"
    root = pathlib.Path(__file__).resolve().parents[2]
    users = {
        str(path.relative_to(root))
        for app in ("governance", "grids", "petitions", "points")
        for path in (root / app).rglob("*.py")
        if "bench_urls" in path.read_text(encoding="utf-8")
    }
    assert users <= {
        "governance/bench_urls.py",
        "governance/bench_settings.py",
        "governance/management/commands/bench_http.py",
        "grids/bench.py",
    }
    for entry in ("manage.py", "governance/wsgi.py", "governance/celery.py"):
        assert "bench_settings" not in (root / entry).read_text(encoding="utf-8")


def test_a_forwarded_for_from_a_client_that_is_no_proxy_is_ignored(rf, settings):
    from governance.login import client_ip

    settings.TRUSTED_PROXIES = ["172.16.0.0/12"]
    spoofed = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1, 10.0.0.1")
    assert client_ip(spoofed) == "203.0.113.9"
    # Through nginx (a trusted hop): the address nginx appended, not what the client claimed.
    proxied = rf.get("/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="127.0.0.1, 198.51.100.7")
    assert client_ip(proxied) == "198.51.100.7"
    injected = rf.get("/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4\r\nX-Evil: 1, 198.51.100.7")
    assert client_ip(injected) == "198.51.100.7"


def test_an_import_whose_owner_lost_the_post_before_it_ran_writes_nothing(world, tags):
    cadre = world.users.cadre
    upload = SimpleUploadedFile("r.xlsx", xlsx(family()).getvalue())
    job = job_submit(owner=cadre, kind="register_import", upload=upload)
    Assignment.objects.filter(user=cadre).delete()
    assert job_run(job.pk) == "failed"
    assert not Resident.objects.filter(household__number="Q-100").exists()


def test_a_full_export_whose_owner_lost_the_right_before_it_ran_is_not_made(world):
    official = world.users.official
    job = job_submit(owner=official, kind="register_export", parameters={"reveal": True, "query": "", "via": "api"})
    Assignment.objects.filter(user=official).delete()
    assert job_run(job.pk) == "failed"
    job.refresh_from_db()
    assert not job.result_file


@pytest.mark.django_db(transaction=True)
def test_two_async_imports_at_once_with_one_idempotency_key_make_one_job(world, tags):
    import threading

    from django.db import connection
    from rest_framework.test import APIClient

    content = xlsx(family()).getvalue()
    start = threading.Barrier(2)
    statuses = []

    def send():
        client = APIClient()
        client.force_authenticate(world.users.cadre)
        start.wait()
        try:
            response = client.post(
                "/api/v1/households/import/",
                {"file": SimpleUploadedFile("r.xlsx", content)},
                format="multipart",
                HTTP_PREFER="respond-async",
                HTTP_IDEMPOTENCY_KEY="same-import",
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Job.objects.count() == 1, statuses
    assert statuses[0] in (202, 409) and 202 in statuses
    assert Resident.objects.filter(household__number="Q-100").count() == 3


@pytest.mark.django_db(transaction=True)
def test_submits_at_once_do_not_pass_the_job_cap_together(world, settings):
    """The cap was counted, then the job saved, with nothing held between: submits at the same
    moment each counted the same jobs and all passed. Now counted and saved under the owner's lock."""
    import threading

    from django.db import connection

    from governance.jobs import TooManyJobs
    from grids.job_kinds import EXPORT

    settings.JOB_OPEN_PER_USER = 2
    official = world.users.official
    start = threading.Barrier(6)
    outcomes = []

    def submit():
        start.wait()
        try:
            job_submit(owner=official, kind=EXPORT, parameters={"reveal": False, "query": "", "via": "api"})
            outcomes.append("queued")
        except TooManyJobs:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["queued"] * 2 + ["refused"] * 4
    assert Job.objects.filter(owner=official).count() == 2


# ---------------------------------------------------------------- the boards kept a minute


def _home(client):
    response = client.get("/")
    assert response.status_code == 200
    return response.context


def test_a_department_added_is_on_the_townships_next_board(client, world):
    """The township's board names its departments: a department added (the admin) bumped no
    generation, and the board went on without it for up to a minute (LOW)."""
    from governance.services import department_create

    client.force_login(world.users.official)
    before = [row["department"].name for row in _home(client)["township_board"]["departments"]]
    department_create(township=world.weituo, name="派出所")
    after = [row["department"].name for row in _home(client)["township_board"]["departments"]]
    assert sorted(after) == sorted([*before, "派出所"])


def test_a_township_renamed_is_on_its_next_board(client, world):
    client.force_login(world.users.official)
    _home(client)
    world.weituo.name = "渭沱街道"
    world.weituo.save()
    assert _home(client)["township_board"]["township"].name == "渭沱街道"
    client.force_login(world.users.admin)  # the district's board, the townships side by side
    assert "渭沱街道" in [row["township"].name for row in _home(client)["district_board"]["townships"]]


def test_a_superusers_fengshi_roll_up_counts_the_next_visit(world):
    """A superuser's 逢十 roll-up is every township's, but its key held the generations of the
    superuser's own posts (none): a visit left it unchanged for up to a minute (LOW; it shows
    on the home of a deployment with one township)."""

    from django.utils import timezone

    from governance.dashboards import fengshi_summary
    from grids.visits.fengshi import latest_cycle
    from tests.sent_down_fixtures import visit

    admin = world.users.admin
    before = fengshi_summary(admin)["totals"]["visits"]
    visit(world.users.grid1, world.households.q1, latest_cycle(timezone.localdate()))
    assert fengshi_summary(admin)["totals"]["visits"] == before + 1


def test_a_district_boards_links_go_with_the_first_matter_beyond_its_townships(client, world):
    """The trend's figures link to the unfiltered list only while the user sees no matter
    beyond the board's townships; a first one in a village elsewhere (a third township) must
    take the links off the next board, not a minute later."""
    from governance.models import Role
    from grids.services import grid_create, township_create, village_create
    from petitions.models import Source
    from petitions.services import matter_submit
    from tests.factories import assign, make_user

    third = township_create(name="太和镇", code="500117103", district="合川区")
    village = village_create(township=third, name="太和村", code="500117103001")
    grid = grid_create(village=village, number=1, name="第一网格")
    user = make_user("t_two_townships", name="两镇干部")
    assign(user, Role.TOWNSHIP_OFFICIAL, world.weituo)
    assign(user, Role.TOWNSHIP_OFFICIAL, world.xiaomian)
    assign(user, Role.VILLAGE_CADRE, village)
    client.force_login(user)
    assert all(month["received_url"] for month in _home(client)["district_board"]["months"])
    matter_submit(
        actor=user, title="路灯坏了", description="村口路灯不亮", grid=grid, source=Source.VISIT, submitter_name="张三"
    )
    assert not any(month["received_url"] for month in _home(client)["district_board"]["months"])


# ---------------------------------------------------------------- what held


def test_the_matter_lists_filter_selects_escape_names_and_keep_the_choice(client, mw):
    """QuickSelect writes the options in Python: a grid or category named like markup stays
    text, and the filter chosen stays selected."""
    from grids.services import grid_create
    from petitions.models import MatterCategory

    grid = grid_create(village=mw.qixing, number=9, name='<script>alert("g")</script>')
    category = MatterCategory.objects.create(
        code="xss", name='"><img src=x onerror=alert(1)>', default_kind="civil", order=1
    )
    client.force_login(mw.users.cadre)
    html = client.get(f"/matters/?grid={grid.pk}&category={category.pk}&state=open").content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;g&quot;)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert f'<option value="{grid.pk}" selected>' in html
    assert f'<option value="{category.pk}" selected>' in html
    assert '<option value="open" selected>' in html


def test_an_exported_register_file_imports_back_unchanged_with_formulas_kept_as_text(world):
    """The file itself (a write-only workbook: inline strings, styles written with each
    cell), not a copy of its values: it imports back as no change, a note typed as a
    formula stays text, and the ID and phone columns are text."""
    import io

    from openpyxl import load_workbook

    from grids.models import Household
    from grids.register import register_export, register_import

    resident = Resident.objects.filter(village=world.qixing).order_by("pk").first()
    resident.notes = '=HYPERLINK("http://evil.example","点我")'
    resident.save()
    households = Household.objects.filter(village=world.qixing)
    fields = ("name", "notes", "phone", "id_number_hash", "birth_date", "grid_id", "status")
    before = sorted(Resident.objects.values_list(*fields))
    for reveal in (False, True):
        data = register_export(user=world.users.cadre, households=households, reveal=reveal)
        sheet = load_workbook(io.BytesIO(data)).worksheets[0]
        cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
        assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
        (note,) = [cell for cell in cells if cell.value == resident.notes]
        assert note.data_type == "s" and note.quotePrefix
        assert {cell.number_format for cell in cells if cell.column in (10, 11)} == {"@"}
        result = register_import(user=world.users.cadre, file=io.BytesIO(data), village_ids={world.qixing.pk})
        assert result.residents_unchanged == Resident.objects.filter(village=world.qixing).count() > 0
        assert (result.residents_created, result.residents_updated, result.households_updated) == (0, 0, 0)
        assert sorted(Resident.objects.values_list(*fields)) == before


def test_the_api_export_past_one_sheet_is_a_400_with_its_code(as_user, world, monkeypatch):
    from grids.models import RegisterExport
    from grids.register import exports

    monkeypatch.setattr(exports, "MAX_SHEET_ROWS", 2)
    response = as_user(world.users.cadre).get("/api/v1/households/export/")
    assert response.status_code == 400 and response.json()["code"] == "too_many_rows"
    assert not RegisterExport.objects.exists()


# The fields of a matter in the list before it was read as values (git show 9fd61ae:petitions/serializers.py).
MATTER_LIST_FIELDS = {
    *("id", "title", "state", "state_label", "kind", "kind_label", "category", "township", "village"),
    *("village_name", "grid", "grid_name", "household", "household_number", "source", "handler"),
    *("handler_name", "department", "department_name", "deadline", "is_overdue", "escalation_level"),
    *("reopen_count", "rating", "created_at", "updated_at", "closed_at"),
}


def _pages(client, url) -> list[dict]:
    rows = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        rows += response.json()["results"]
        url = response.json()["next"]
        assert len(rows) < 500
    return rows


@pytest.mark.parametrize(
    "query",
    [
        "",
        "waiting=1",
        "waiting=true",
        "search=%E8%B7%AF%E7%81%AF",
        "overdue=1",
        "state=handling&state=submitted",
        "kind=civil",
        "step_group=during",
        "mine=1",
        "escalated=1",
    ],
)
def test_the_matter_list_api_shows_each_row_as_its_detail_does_page_after_page(mw, as_user, query):
    """The list reads values (MATTER_LIST_VALUES): every field of a row is the detail's, no
    field beyond the list's own, and a queue read a row a page is the queue read at once."""
    import datetime

    from django.utils import timezone

    from petitions.models import Matter, State
    from tests.api.matter_states import civil, government

    civil(mw, State.HANDLING)
    civil(mw, State.VERIFYING)
    government(mw, State.HANDLING)
    submitted = [mw.staff_matter(title=f"路灯坏了 {n}") for n in range(5)]
    now = timezone.now()
    for n, matter in enumerate(submitted):  # ties on the overdue flag, deadlines apart and alike
        Matter.objects.filter(pk=matter.pk).update(
            is_overdue=n % 2 == 0, deadline=now + datetime.timedelta(days=n // 2), escalation_level=n % 2
        )
    Matter.objects.filter(state=State.HANDLING).update(is_overdue=True)
    users = mw.users
    for user in (users.cadre, users.grid1, users.official, users.handler, users.supervisor, users.admin):
        client = as_user(user)
        whole = _pages(client, f"/api/v1/matters/?{query}&page_size=200")
        assert [row["id"] for row in _pages(client, f"/api/v1/matters/?{query}&page_size=1")] == [
            row["id"] for row in whole
        ]
        for row in whole:
            assert set(row) == MATTER_LIST_FIELDS
            detail = client.get(f"/api/v1/matters/{row['id']}/").json()
            assert {key: detail[key] for key in row} == row
