"""The assignment pages (人员安排, governance.assignment_views): who may open and post what (a
permission matrix over every persona of the world and a township administrator), the forms
offering exactly what governance.assigning allows, a cadre's reassignment and a township's 包村
and 片区 done on the pages, on record, with the scope following on the next request."""

import datetime
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.history import history_of
from governance.models import Assignment, Role
from governance.scoping import scope_for
from grids.models import Area
from grids.services import courtyard_create, grid_create
from tests.factories import assign, make_user
from tests.matrix import PAGE_PERSONAS, Case, matrix_params, page_login, page_problems, page_send, run_matrix

PERSONAS = [*PAGE_PERSONAS, "tadmin"]
MANAGE = "/manage/assignments/"
NEW = "/manage/assignments/new/"


@pytest.fixture
def aw(world):
    """The world with 渭沱镇's township administrator (`tadmin`), a 片区 of 七星村 and a past post."""
    world.users.tadmin = make_user("t_weituo_admin", name="渭沱镇管理员")
    assign(world.users.tadmin, Role.TOWNSHIP_ADMIN, world.weituo)
    world.area = Area.objects.create(township=world.weituo, name="北片")
    world.area.villages.add(world.qixing)
    long_ago = timezone.localdate() - datetime.timedelta(days=400)
    world.ended = assign(
        world.users.grid1,
        Role.GRID_LEADER,
        world.q2,
        valid_from=long_ago,
        valid_to=long_ago + datetime.timedelta(days=100),
    )
    return world


def _row(default=403, **statuses):
    """Statuses by persona: `default` for the signed-in, 302 (to the login page) for anonymous."""
    row = dict.fromkeys(PERSONAS, default)
    row["anonymous"] = 302
    row.update(statuses)
    return row


ASSIGNERS = {"cadre": 200, "other_cadre": 200, "tadmin": 200, "admin": 200}
# An assignment of 七星村: seen by its holder, 七星村's cadre and the township (a 404 for others).
SEES_Q2_POST = {"grid2": 403, "cadre": 200, "official": 403, "leader": 403, "tadmin": 200, "admin": 200}
KEEPS_AREAS = {"tadmin": 200, "admin": 200}
WEITUO_STAFF = ("grid1", "grid2", "helper", "cadre", "clerk", "supervisor", "other_cadre", "official", "leader")

PAGE_MATRIX = {
    ("GET", "assignment-manage"): _row(**ASSIGNERS),
    ("GET", "assignment-create"): _row(**ASSIGNERS),
    # At a grid of 七星村: its cadre and the township; 化龙村's cadre does not see it.
    ("GET", "assignment-create-q2"): _row(**{**ASSIGNERS, "other_cadre": 404}),
    # At 七星村 itself: a cadre gives no post at the village's level (403); the township does.
    ("GET", "assignment-create-qixing"): _row(**{**ASSIGNERS, "cadre": 403, "other_cadre": 404}),
    # At 小沔镇's grid: out of everyone's sight but the superuser's.
    ("GET", "assignment-create-l1"): _row(**{**ASSIGNERS, "cadre": 404, "other_cadre": 404, "tadmin": 404}),
    # An empty form comes back with its errors (400).
    ("POST", "assignment-create-q2"): _row(cadre=400, other_cadre=404, tadmin=400, admin=400),
    ("GET", "assignment-end-q2"): _row(404, **SEES_Q2_POST),
    ("POST", "assignment-end-q2"): _row(404, **{**SEES_Q2_POST, "cadre": 400, "tadmin": 400, "admin": 400}),
    # The cadre's own post is the township's to end.
    ("GET", "assignment-end-cadre"): _row(404, cadre=403, official=403, leader=403, tadmin=200, admin=200),
    # An ended post: 409 for those who could end it, the page again with the message.
    ("POST", "assignment-end-ended"): _row(404, grid1=403, cadre=409, official=403, leader=403, tadmin=409, admin=409),
    ("GET", "area-create"): _row(**KEEPS_AREAS),
    ("POST", "area-create"): _row(tadmin=400, admin=400),
    # The township's staff see its areas (403 to change them); other townships' do not (404).
    ("GET", "area-update"): _row(404, **dict.fromkeys(WEITUO_STAFF, 403), handler=403, **KEEPS_AREAS),
    ("POST", "area-update"): _row(404, **dict.fromkeys(WEITUO_STAFF, 403), handler=403, tadmin=400, admin=400),
}
COVERED_URL_NAMES = {"assignment-manage", "assignment-create", "assignment-end", "area-create", "area-update"}


def _urls(w) -> dict[str, str]:
    q2_post = w.users.grid2.assignments.get(role=Role.GRID_WORKER)
    return {
        "assignment-manage": MANAGE,
        "assignment-create": NEW,
        "assignment-create-q2": f"{NEW}?place=grid:{w.q2.pk}",
        "assignment-create-qixing": f"{NEW}?place=village:{w.qixing.pk}",
        "assignment-create-l1": f"{NEW}?place=grid:{w.l1.pk}",
        "assignment-end-q2": f"/manage/assignments/{q2_post.pk}/end/",
        "assignment-end-cadre": f"/manage/assignments/{w.users.cadre.assignments.get().pk}/end/",
        "assignment-end-ended": f"/manage/assignments/{w.ended.pk}/end/",
        "area-create": "/manage/areas/new/",
        "area-update": f"/manage/areas/{w.area.pk}/edit/",
    }


def _database():
    return (
        list(Assignment.objects.order_by("pk").values_list("pk", "user_id", "role", "valid_from", "valid_to")),
        list(Area.objects.order_by("pk").values_list("pk", "name")),
        list(Area.villages.through.objects.order_by("pk").values_list("area_id", "village_id")),
    )


@pytest.mark.parametrize("case", matrix_params(Case(m, name, row) for (m, name), row in PAGE_MATRIX.items()))
def test_page_permissions(client, aw, case):
    url = _urls(aw)[case.url]
    run_matrix(
        case,
        personas=PERSONAS,
        login=page_login(client, aw.users),
        send=page_send(client, case.method, url),
        snapshot=_database,
        checks=[page_problems],
    )


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def _post(client, url, data, prefix=""):
    token = f"{prefix}-form_token" if prefix else "form_token"
    return client.post(url, {token: str(uuid.uuid4()), **data})


def test_cadre_reassigns_a_grid_worker_on_the_pages(client, aw):
    cadre, leaving = aw.users.cadre, aw.users.grid2
    newcomer = make_user("t_newcomer", name="新网格员")
    post = leaving.assignments.get(role=Role.GRID_WORKER)
    client.force_login(cadre)
    today = timezone.localdate()

    ended = _post(client, f"/manage/assignments/{post.pk}/end/", {"end-valid_to": today.isoformat()}, "end")
    given = _post(
        client,
        f"{NEW}?place=grid:{aw.q2.pk}",
        {"place": f"grid:{aw.q2.pk}", "role": "grid_worker", "user": newcomer.pk, "valid_from": today.isoformat()},
    )

    assert ended.status_code == 302 and given.status_code == 302
    assert given["Location"] == f"{MANAGE}?village={aw.qixing.pk}#grid-{aw.q2.pk}"
    assert scope_for(fresh(newcomer)).grid_ids == frozenset({aw.q2.pk})
    page = client.get(given["Location"]).content.decode()
    assert "新网格员" in page
    assert reverse("governance:history", args=["account", newcomer.pk]) in page
    new_post = Assignment.objects.get(user=newcomer)
    assert reverse("governance:history", args=["assignment", new_post.pk]) in page
    assert history_of(new_post)[0].actor == cadre.first_name
    assert history_of(post)[0].actor == cadre.first_name


def test_the_cadres_forms_offer_only_the_grid_posts_of_the_village(client, aw):
    client.force_login(aw.users.cadre)
    form = client.get(NEW).context["form"]
    places = {value for _group, options in form.fields["place"].choices for value, _label in options}
    assert places == {f"grid:{aw.q1.pk}", f"grid:{aw.q2.pk}", f"courtyard:{aw.yard.pk}"}
    roles = {value for value, _label in form.fields["role"].choices}
    assert roles == {"grid_worker", "grid_leader", "courtyard_helper"}
    people = set(form.fields["user"].queryset)
    assert aw.users.grid2 in people and aw.users.cadre not in people  # no one assigns themselves
    assert aw.users.other_official not in people and aw.users.other_cadre not in people
    # A township post sent anyway: not a choice (400), nothing written.
    before = Assignment.objects.count()
    refused = _post(
        client,
        NEW,
        {"place": f"township:{aw.weituo.pk}", "role": "township_official", "user": aw.users.grid1.pk},
    )
    assert refused.status_code == 400
    assert {"place", "role"} <= set(refused.context["form"].errors)
    assert Assignment.objects.count() == before
    # The page shows the village's own posts without an end for them.
    page = client.get(MANAGE).content.decode()
    assert reverse("governance:assignment-end", args=[aw.users.cadre.assignments.get().pk]) not in page
    assert reverse("governance:assignment-end", args=[aw.users.grid1.assignments.get(role="grid_worker").pk]) in page


def test_a_role_at_a_place_of_another_level_is_refused_next_to_the_role(client, aw):
    client.force_login(aw.users.cadre)
    response = _post(
        client,
        NEW,
        {
            "place": f"courtyard:{aw.yard.pk}",
            "role": "grid_worker",
            "user": aw.users.grid1.pk,
            "valid_from": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["role"]


def test_a_start_more_than_a_month_back_is_refused_next_to_its_day(client, aw):
    client.force_login(aw.users.cadre)
    newcomer = make_user("t_newcomer", name="新网格员")
    long_ago = timezone.localdate() - datetime.timedelta(days=32)
    response = _post(
        client,
        NEW,
        {"place": f"grid:{aw.q2.pk}", "role": "grid_worker", "user": newcomer.pk, "valid_from": long_ago.isoformat()},
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["valid_from"]
    assert "31" in response.context["form"].errors["valid_from"][0]
    assert not Assignment.objects.filter(user=newcomer).exists()


def test_township_admin_sends_an_official_to_a_village_and_keeps_an_area(client, aw):
    tadmin, official, leader = aw.users.tadmin, aw.users.official, aw.users.leader
    client.force_login(tadmin)
    form = client.get(NEW).context["form"]
    roles = {value for value, _label in form.fields["role"].choices}
    assert {"village_liaison", "area_leader", "village_cadre", "township_official", "department_handler"} <= roles
    assert "township_admin" not in roles
    places = {value for _group, options in form.fields["place"].choices for value, _label in options}
    assert {f"township:{aw.weituo.pk}", f"village:{aw.hualong.pk}", f"area:{aw.area.pk}"} <= places
    assert f"grid:{aw.l1.pk}" not in places and f"township:{aw.xiaomian.pk}" not in places

    today = timezone.localdate().isoformat()
    sent = _post(
        client,
        f"{NEW}?place=village:{aw.qixing.pk}",
        {"place": f"village:{aw.qixing.pk}", "role": "village_liaison", "user": official.pk, "valid_from": today},
    )
    assert sent.status_code == 302
    assert scope_for(fresh(official)).by_role[Role.VILLAGE_LIAISON] == frozenset({aw.qixing.pk})

    made = _post(client, "/manage/areas/new/", {"township": aw.weituo.pk, "name": "南片", "villages": [aw.hualong.pk]})
    assert made.status_code == 302
    south = Area.objects.get(name="南片")
    led = _post(
        client,
        f"{NEW}?place=area:{south.pk}",
        {"place": f"area:{south.pk}", "role": "area_leader", "user": leader.pk, "valid_from": today},
    )
    assert led.status_code == 302
    assert scope_for(fresh(leader)).by_role[Role.AREA_LEADER] == frozenset({aw.hualong.pk})
    changed = _post(
        client, f"/manage/areas/{south.pk}/edit/", {"name": "南片区", "villages": [aw.hualong.pk, aw.qixing.pk]}
    )
    assert changed.status_code == 302
    assert scope_for(fresh(leader)).by_role[Role.AREA_LEADER] == frozenset({aw.hualong.pk, aw.qixing.pk})
    page = client.get(MANAGE).content.decode()
    assert "南片区" in page and leader.first_name in page
    assert reverse("governance:history", args=["area", south.pk]) in page
    assert len(history_of(south)) == 4  # created, its village, renamed, a second village


def test_an_area_keeps_villages_of_its_own_township(client, aw):
    client.force_login(aw.users.admin)
    refused = _post(client, "/manage/areas/new/", {"township": aw.weituo.pk, "name": "跨镇", "villages": [aw.liwan.pk]})
    assert refused.status_code == 400 and "villages" in refused.context["form"].errors
    assert not Area.objects.filter(name="跨镇").exists()


def test_the_manage_page_costs_the_same_queries_for_a_larger_township(client, aw):
    client.force_login(aw.users.tadmin)
    client.get(MANAGE)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(MANAGE).status_code == 200
        return len(queries)

    small = count()
    for number in range(10, 14):
        grid = grid_create(village=aw.hualong, number=number, name=f"第{number}网格")
        courtyard_create(grid=grid, name=f"院子{number}")
        assign(make_user(f"t_w{number}", name=f"网格员{number}"), Role.GRID_WORKER, grid)
    area = Area.objects.create(township=aw.weituo, name="东片")
    area.villages.add(aw.hualong)
    assert count() == small
