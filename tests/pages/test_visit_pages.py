"""The visit pages (走访): who may open them, the form without JavaScript, the to-visit list
by need, the log, and what the phone keeps offline (service worker, manifest).

Households of the world: q1 (grid 1 of 七星村, in 老院子), q1b (grid 1), q2 (grid 2),
h1 (化龙村), l1 (小沔镇李湾村).
"""

import datetime
import io
import re
import uuid

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from grids.models import Household, Tag
from grids.visits.models import Visit
from grids.visits.services import households_refresh_visit_due, visit_record
from tests.factories import make_household
from tests.matrix import Case, matrix_params, page_login, page_problems, page_send, run_matrix
from tests.pages.conftest import field_block
from tests.pages.test_permissions import PERSONAS

VISITORS = {"grid1", "grid2", "helper", "cadre", "other_cadre", "admin"}
READERS = VISITORS | {"official", "leader", "other_official"}


def _by(allowed, denied=403):
    return {p: (302 if p == "anonymous" else 200 if p in allowed else denied) for p in PERSONAS}


def _row(**statuses):
    row = dict.fromkeys(PERSONAS, 404)
    row["anonymous"] = 302
    row.update(statuses)
    return row


# q1: seen by grid1, helper, cadre, official, leader, admin; visited by grid1, helper,
# cadre, admin. A visit by grid1 to q1 is seen the same way; the shop clerk reads no
# households or visits (a 404, as for a stranger).
Q1 = _row(grid1=200, helper=200, cadre=200, admin=200, official=403, leader=403)
VISIT_Q1 = _row(grid1=200, helper=200, cadre=200, official=200, leader=200, admin=200)
# Who sees grid 1 and its courtyard by name without walking them (township and department
# staff see their township's places): a 403, not a 404.
SEE_GRID_Q1 = {"helper", "clerk", "official", "leader", "handler"}
MATRIX = {
    ("GET", "todo"): _by(VISITORS),
    ("GET", "form"): _by(VISITORS),
    ("GET", "form-q1"): Q1,
    ("POST", "form-q1"): Q1,
    ("GET", "form-q2"): _row(grid2=200, cadre=200, admin=200, official=403, leader=403),
    ("GET", "form-walk-q1"): _row(grid1=200, cadre=200, admin=200, **dict.fromkeys(SEE_GRID_Q1, 403)),
    ("GET", "form-yard"): _row(
        grid1=200, helper=200, cadre=200, admin=200, **dict.fromkeys(SEE_GRID_Q1 - {"helper"}, 403)
    ),
    ("GET", "log"): _by(READERS),
    ("GET", "detail-q1"): VISIT_Q1,
}


def _url(world, name, visit=None):
    base = {
        "todo": "/visits/",
        "form": "/visits/new/",
        "form-q1": f"/visits/new/?household={world.households.q1.pk}",
        "form-q2": f"/visits/new/?household={world.households.q2.pk}",
        "form-walk-q1": f"/visits/new/?grid={world.q1.pk}",
        "form-yard": f"/visits/new/?courtyard={world.yard.pk}",
        "log": "/visits/log/",
        "detail-q1": f"/visits/{visit.pk}/" if visit else "",
    }
    return base[name]


def _visit(world, user=None, household=None, **fields):
    fields.setdefault("visited_at", timezone.now() - datetime.timedelta(hours=1))
    fields.setdefault("method", Visit.Method.HOME)
    visit, _ = visit_record(
        author=user or world.users.grid1,
        client_uuid=uuid.uuid4(),
        household=household or world.households.q1,
        **fields,
    )
    return visit


# The visit pages this file covers (tests/pages/test_permissions.py checks every page is).
COVERED_URL_NAMES = {"visit-todo", "visit-create", "visit-list", "visit-detail", "visit-service-worker", "web-manifest"}
CASES = [Case(method, name, row) for (method, name), row in MATRIX.items()]


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_visit_pages_permission_matrix(client, world, case):
    visit = _visit(world) if case.url.startswith("detail") else None
    run_matrix(
        case,
        personas=list(case.expected),
        login=page_login(client, world.users),
        send=page_send(client, case.method, _url(world, case.url, visit)),
        checks=[page_problems],
    )


def _form_data(html: str, **overrides) -> dict:
    match = re.search(r'name="client_uuid" value="([0-9a-f-]{36})"', html)
    assert match, "no client_uuid in the form"
    data = {
        "client_uuid": match.group(1),
        "household": "",
        "method": "home",
        "result": "nothing",
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "notes": "",
    }
    data.update(overrides)
    return data


def test_form_without_javascript_saves_one_visit_even_when_posted_twice(login, world):
    client = login(world.users.grid1)
    household = world.households.q1
    url = f"/visits/new/?household={household.pk}"
    html = client.get(url).content.decode()
    assert f'<option value="{household.pk}" selected' in html
    data = _form_data(html, household=household.pk, met="head", notes="老人腿脚不便，需要送药。")

    first = client.post(url, data)
    again = client.post(url, data)  # a double tap, or the back button and send again

    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == "/visits/"
    visit = Visit.objects.get()
    assert (visit.author, visit.household, visit.method, visit.met) == (world.users.grid1, household, "home", "head")
    assert str(visit.client_uuid) == data["client_uuid"]
    household.refresh_from_db()
    assert household.last_visited_on == timezone.localdate()
    page = client.get("/visits/").content.decode()
    assert "message info" in page  # the second post says it was already saved


def test_the_same_form_sent_again_with_other_details_is_refused_then_a_new_visit(login, world):
    client = login(world.users.grid1)
    household = world.households.q1
    url = f"/visits/new/?household={household.pk}"
    data = _form_data(client.get(url).content.decode(), household=household.pk, notes="第一次填写")
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "notes": "改过的内容"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="form-errors"' in html and "改过的内容" in html
    assert Visit.objects.get().notes == "第一次填写"
    again = _form_data(html, household=household.pk, notes="改过的内容")
    assert again["client_uuid"] != data["client_uuid"]
    assert client.post(url, again).status_code == 302
    assert Visit.objects.count() == 2


def test_every_rendering_of_the_form_has_a_new_client_uuid(login, world):
    client = login(world.users.grid1)
    uuids = {
        re.search(r'name="client_uuid" value="([0-9a-f-]{36})"', client.get("/visits/new/").content.decode()).group(1)
        for _ in range(3)
    }
    assert len(uuids) == 3


def test_grid_walk_and_courtyard_walk_without_javascript(login, world):
    client = login(world.users.grid1)
    html = client.get(f"/visits/new/?grid={world.q1.pk}").content.decode()
    response = client.post("/visits/new/", _form_data(html, grid=world.q1.pk, method="grid", notes="巡查一圈"))
    assert response.status_code == 302
    html = client.get(f"/visits/new/?courtyard={world.yard.pk}").content.decode()
    response = client.post(
        "/visits/new/", _form_data(html, grid=world.q1.pk, method="courtyard", courtyard=world.yard.pk)
    )
    assert response.status_code == 302
    walks = {(v.method, v.grid_id, v.courtyard_id, v.household_id) for v in Visit.objects.all()}
    assert walks == {("grid", world.q1.pk, None, None), ("courtyard", world.q1.pk, world.yard.pk, None)}


def test_courtyard_helper_walks_only_their_courtyard(login, world):
    client = login(world.users.helper)
    html = client.get(f"/visits/new/?courtyard={world.yard.pk}").content.decode()
    response = client.post("/visits/new/", _form_data(html, method="courtyard", courtyard=world.yard.pk))
    assert response.status_code == 302
    assert Visit.objects.get().courtyard == world.yard


def test_errors_are_shown_next_to_their_fields_in_chinese_and_input_is_kept(login, world):
    client = login(world.users.grid1)
    household = world.households.q1
    url = f"/visits/new/?household={household.pk}"
    html = client.get(url).content.decode()
    data = _form_data(html, household=household.pk, notes="邻里纠纷，需要调解。", method="", visited_at="昨天下午")
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="zh-hans"' in page
    assert "该字段是必填项。" in field_block(page, "method")
    assert "有效的日期" in field_block(page, "visited_at")
    assert "邻里纠纷，需要调解。" in field_block(page, "notes")
    assert "has-error" in page and 'id="form-errors"' in page
    assert not Visit.objects.exists()

    # The service's own refusals land next to their fields too.
    future = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {**data, "method": "home", "visited_at": future})
    assert response.status_code == 200
    assert "errorlist" in field_block(response.content.decode(), "visited_at")
    assert not Visit.objects.exists()


def test_raising_a_matter_needs_what_was_found(login, world):
    client = login(world.users.grid1)
    household = world.households.q1
    url = f"/visits/new/?household={household.pk}"
    html = client.get(url).content.decode()
    response = client.post(url, _form_data(html, household=household.pk, raise_matter="on", notes=""))
    assert response.status_code == 200
    assert "errorlist" in field_block(response.content.decode(), "notes")
    response = client.post(
        url, _form_data(html, household=household.pk, raise_matter="on", notes="屋顶漏雨\n需要维修", matter_title="")
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.matter is not None and visit.result == Visit.Result.REPORTED


def test_household_of_another_grid_cannot_be_posted(login, world):
    client = login(world.users.grid1)
    html = client.get("/visits/new/").content.decode()
    assert f'value="{world.households.q2.pk}"' not in html
    response = client.post("/visits/new/", _form_data(html, household=world.households.q2.pk))
    assert response.status_code == 200
    assert "errorlist" in field_block(response.content.decode(), "household")
    assert not Visit.objects.exists()


def test_todo_list_orders_by_need_and_says_the_due_state_in_words(login, world, settings):
    settings.VISIT_DEFAULT_EVERY_DAYS = 30
    hh = world.households
    today = timezone.localdate()
    _visit(world, household=hh.q1, visited_at=timezone.now() - datetime.timedelta(days=40))
    recent = make_household(world.q1, head_name="孙八")
    _visit(world, household=recent, visited_at=timezone.now() - datetime.timedelta(days=1))
    households_refresh_visit_due([hh.q1.pk, recent.pk])
    client = login(world.users.grid1)
    html = client.get("/visits/").content.decode()
    names = re.findall(r"<h3>([^<]+)</h3>", html)
    assert names == ["李四", "张三", "孙八"]  # never visited, overdue, recently visited
    due = re.findall(r'class="chip due-chip due-(\w+)"', html)
    assert due == ["never", "due", "ok"]
    assert "Never visited" in html or "从未走访" in html
    assert f"{(today + datetime.timedelta(days=29)).month}月" in html
    assert f'href="/visits/new/?household={hh.q1b.pk}"' in html
    assert f'href="/visits/new/?grid={world.q1.pk}"' in html  # the grid walk


def test_todo_list_filters_by_courtyard_and_tag(login, world):
    hh = world.households
    tag = Tag.objects.create(code="elderly_alone", name="独居老人", is_key_group=True, visit_every_days=30)
    hh.q1b.tags.add(tag)
    client = login(world.users.grid1)
    html = client.get(f"/visits/?courtyard={world.yard.pk}").content.decode()
    assert re.findall(r"<h3>([^<]+)</h3>", html) == ["张三"]
    html = client.get(f"/visits/?tag={tag.pk}").content.decode()
    assert re.findall(r"<h3>([^<]+)</h3>", html) == ["李四"]
    assert "独居老人" in html
    html = client.get("/visits/?tag=999999&courtyard=abc").content.decode()  # stale bookmark
    assert len(re.findall(r"<h3>([^<]+)</h3>", html)) == 2


def test_log_shows_visits_newest_first_with_corrections_marked(login, world):
    hh = world.households
    older = _visit(world, household=hh.q1, notes="第一次", visited_at=timezone.now() - datetime.timedelta(days=3))
    newer = _visit(world, household=hh.q1b, notes="第二次", visited_at=timezone.now() - datetime.timedelta(days=1))
    correction = _visit(world, household=hh.q1, notes="第一次（更正）", supersedes=older)
    _visit(world, user=world.users.grid2, household=hh.q2, notes="二网格")
    client = login(world.users.grid1)
    html = client.get("/visits/log/").content.decode()
    order = [int(pk) for pk in re.findall(r'<h3><a href="/visits/(\d+)/"', html)]
    assert order == [correction.pk, newer.pk, older.pk]  # grid 2's visit is not grid 1's to see
    assert html.count("corrected-chip") == 1 and html.count("correction-chip") == 1

    cadre = login(world.users.cadre)
    html = cadre.get(f"/visits/log/?author={world.users.grid2.pk}").content.decode()
    assert "二网格" in html and "第二次" not in html
    html = cadre.get("/visits/log/?date_from=2000-01-01&date_to=2000-01-02").content.decode()
    assert "<h3>" not in html
    detail = cadre.get(f"/visits/{older.pk}/").content.decode()
    assert f'href="/visits/{correction.pk}/"' in detail


def _assert_queries(client, url, expected, django_assert_num_queries):
    client.get(url)  # warm up
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200


# Every page: 1 the session, 2 the user, 3 the assignments (the scope); and last the nav's
# counts: unread notifications and (the cadre decides) proposals waiting (the matters waiting
# come from the cache after the warm-up: petitions.queue).
# The to-do list (/visits/): 4 the grids the user walks (with their villages), 5 the
# courtyards, 6 the tags (the filter's choices), 7 the counts (total, never visited, due),
# 8 the first households by need (grid and courtyard joined), 9 their tags (one query for
# all of them), 10 their open campaign tasks (grids.campaigns' panel); then the nav.
# The form (/visits/new/): 4 the grids, 5 the courtyards, 6 the households to choose from
# (with grid and courtyard joined), 7 their open campaign tasks (grids.campaigns' panel; none
# here, so no campaign's questions are read); then the nav.
TODO_AND_FORM = {
    ("grid1", "/visits/"): 3 + 7 + 1,
    ("cadre", "/visits/"): 3 + 7 + 2,
    ("grid1", "/visits/new/"): 3 + 4 + 1,
    ("cadre", "/visits/new/"): 3 + 4 + 2,
}


@pytest.mark.parametrize(("persona", "url"), list(TODO_AND_FORM))
def test_todo_and_form_cost_exactly_their_queries_before_and_after_20_more_households(
    login, world, persona, url, django_assert_num_queries
):
    tag = Tag.objects.create(code="hardship", name="困难户")
    client = login(getattr(world.users, persona))
    _assert_queries(client, url, TODO_AND_FORM[(persona, url)], django_assert_num_queries)
    for i in range(20):
        household = make_household(world.q1, members=1)
        household.tags.add(tag)
        if i % 3 == 0:
            _visit(world, household=household)
    _assert_queries(client, url, TODO_AND_FORM[(persona, url)], django_assert_num_queries)


# The visit log (/visits/log/): 1 session, 2 user, 3 scope, 4 the grids in scope and 5 the
# authors (the filter's choices), 6 COUNT of the visits (the paginator), 7 the page of visits
# (author, grid, village, household joined; corrections marked), 8 their photos (one
# prefetch); then the nav: unread, and for the cadre proposals waiting (the matters waiting
# come from the cache).
LOG = {"grid1": 9, "cadre": 10, "official": 9}


@pytest.mark.parametrize("persona", list(LOG))
def test_log_costs_exactly_its_queries_for_2_visits_and_for_33(login, world, persona, django_assert_num_queries):
    client = login(getattr(world.users, persona))
    first = _visit(world)
    _visit(world, household=world.households.q1b, supersedes=None)
    _assert_queries(client, "/visits/log/", LOG[persona], django_assert_num_queries)
    _visit(world, household=world.households.q1, supersedes=first, notes="更正")
    for _ in range(15):
        _visit(world, household=world.households.q1b, method=Visit.Method.SIT_DOWN)
        _visit(world, user=world.users.cadre, household=world.households.q2)
    _assert_queries(client, "/visits/log/", LOG[persona], django_assert_num_queries)


def test_pages_say_where_you_are_and_carry_the_outbox(login, world):
    client = login(world.users.grid1)
    for url in ("/visits/", "/visits/new/", "/visits/log/"):
        html = client.get(url).content.decode()
        assert re.search(r"<title>[^<]+ · 村治</title>", html), url
        assert re.search(r"<h1>[^<]+</h1>", html), url
        assert f'data-username="{world.users.grid1.username}"' in html, url
        assert 'data-batch-url="/api/v1/visits/batch/"' in html, url
        assert 'id="visit-strings"' in html, url
        assert '<link rel="manifest" href="/manifest.webmanifest">' in html, url


def test_only_the_roles_that_log_visits_get_the_service_worker(login, world):
    """A township official reads the log: a worker installed from it would warm up the form
    and the to-visit list, both 403 for that role."""
    for persona in ("grid1", "helper", "cadre"):
        html = login(getattr(world.users, persona)).get("/visits/log/").content.decode()
        assert 'data-sw-url="/visits/sw.js"' in html, persona
    for persona in ("official", "leader"):
        client = login(getattr(world.users, persona))
        html = client.get("/visits/log/").content.decode()
        assert "data-sw-url" not in html and 'data-sw-scope="/visits/"' in html, persona
        assert client.get("/visits/new/").status_code == 403, persona


def test_nav_shows_visits_to_the_roles_that_use_them(login, world):
    def nav(persona):
        html = login(getattr(world.users, persona)).get("/notifications/").content.decode()
        match = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
        return match.group(0)

    for persona in ("grid1", "helper", "cadre"):
        assert 'href="/visits/"' in nav(persona), persona
    for persona in ("official", "leader"):
        assert 'href="/visits/log/"' in nav(persona), persona
    for persona in ("clerk", "handler", "outsider"):
        assert "/visits/" not in nav(persona), persona


def test_pages_with_a_one_time_message_are_not_kept_offline(login, world):
    client = login(world.users.grid1)
    response = client.get("/visits/")
    assert response["X-Cunzhi-Offline"] == "cache"
    html = client.get(f"/visits/new/?household={world.households.q1.pk}").content.decode()
    client.post("/visits/new/", _form_data(html, household=world.households.q1.pk))
    response = client.get("/visits/")  # shows "Visit saved" once
    assert "X-Cunzhi-Offline" not in response
    assert client.get("/visits/")["X-Cunzhi-Offline"] == "cache"
    assert client.get("/visits/new/")["X-Cunzhi-Offline"] == "cache"


def test_service_worker_is_served_fresh_from_the_visits_scope(client, world):
    response = client.get("/visits/sw.js")  # no login: the browser fetches it on its own
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    assert response["Service-Worker-Allowed"] == "/visits/"
    body = response.content.decode()
    assert "__VERSION__" not in body
    assert re.search(r'var VERSION = "[0-9a-f]{12}"', body)
    for asset in ("/static/css/app.css", "/static/js/visits.js", "/static/css/visits.css"):
        assert asset in body
    assert '"/visits/", "/visits/new/", "/visits/log/"' in body
    assert 'var TODO_API = "/api/v1/visits/todo/"' in body


def test_manifest_lets_the_app_be_added_to_the_home_screen(client, world):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = response.json()
    assert data["name"] == "村治" and data["start_url"] == "/visits/" and data["display"] == "standalone"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        assert finders.find(icon["src"].removeprefix(settings.STATIC_URL)), icon["src"]


def test_household_outside_scope_is_not_in_the_todo_list(login, world):
    client = login(world.users.cadre)
    html = client.get("/visits/").content.decode()
    names = set(re.findall(r"<h3>([^<]+)</h3>", html))
    assert names == {"张三", "李四", "王五"}
    assert Household.objects.count() == 5


def _photo(name="photo.png", color=(200, 30, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def test_photos_posted_with_the_form_are_kept_once(login, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(world.users.grid1)
    household = world.households.q1
    url = f"/visits/new/?household={household.pk}"
    html = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in html
    data = _form_data(html, household=household.pk, notes="屋顶漏雨")
    assert client.post(url, {**data, "photos": [_photo(), _photo("b.png")]}).status_code == 302
    assert client.post(url, {**data, "photos": [_photo(), _photo("b.png")]}).status_code == 302
    visit = Visit.objects.get()
    assert visit.photos.count() == 2
    detail = client.get(f"/visits/{visit.pk}/").content.decode()
    photo_urls = re.findall(r'<img src="(/visit-photos/\d+/)"', detail)
    assert len(photo_urls) == 2
    assert client.get(photo_urls[0])["Content-Type"] == "image/jpeg"
    assert "2" in re.search(
        r"<li class=\"chip\">([^<]*)</li>\s*</ul>", client.get("/visits/log/").content.decode()
    ).group(1)


def test_a_photo_that_cannot_be_read_saves_nothing_and_says_so_next_to_the_photos(login, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(world.users.grid1)
    household = world.households.q1
    url = f"/visits/new/?household={household.pk}"
    html = client.get(url).content.decode()
    data = _form_data(html, household=household.pk, notes="照片坏了")
    bad = SimpleUploadedFile("notes.png", b"not a picture", content_type="image/png")
    response = client.post(url, {**data, "photos": [_photo(), bad]})
    assert response.status_code == 200
    assert "errorlist" in field_block(response.content.decode(), "photos")
    assert not Visit.objects.exists()
    # The same form, corrected, is saved once with its photo.
    assert client.post(url, {**data, "photos": [_photo()]}).status_code == 302
    assert Visit.objects.get().photos.count() == 1


def test_todo_cards_and_the_household_select_escape_what_the_register_holds(login, world):
    # The cards and the options are written by the view and the widget, not by templates.
    hh = world.households
    Household.objects.filter(pk=hh.q1.pk).update(head_name='<b>张"三</b>', address="<script>x</script>")
    tag = Tag.objects.create(code="odd", name="<i>困难</i>", is_key_group=True)
    hh.q1.tags.add(tag)
    client = login(world.users.grid1)
    todo = client.get("/visits/").content.decode()
    assert "<b>" not in todo and "<script>x" not in todo and "<i>" not in todo
    assert "<h3>&lt;b&gt;张&quot;三&lt;/b&gt;</h3>" in todo
    assert '<p class="meta">&lt;script&gt;x&lt;/script&gt;</p>' in todo
    assert '<span aria-hidden="true">★</span> &lt;i&gt;困难&lt;/i&gt;</li>' in todo
    assert f'data-household="{hh.q1.pk}" data-courtyard="{world.yard.pk}" data-tags="{tag.pk}"' in todo
    form = client.get("/visits/new/").content.decode()
    assert "<b>" not in form and "<script>x" not in form
    assert f'<option value="{hh.q1.pk}" data-detail="' in form
    assert "&lt;b&gt;张&quot;三&lt;/b&gt; · " in form
