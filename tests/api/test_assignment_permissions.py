"""The permission matrix of /api/v1/assignments/ (give, end) and /api/v1/areas/ (片区): every
persona of the world and 渭沱镇's township administrator (`tadmin`). A place out of sight is a 404,
a post the caller may not give there a 403, an ended post a 409; a refused write changes nothing."""

import datetime

import pytest
from django.utils import timezone

from governance.models import Assignment, Role
from grids.models import Area
from tests.factories import assign, make_user
from tests.matrix import API_PERSONAS, Case, api_expect, api_problems, api_send, matrix_params, run_matrix

PERSONAS = (*API_PERSONAS, "tadmin")


def expect(default, **overrides):
    return api_expect(default, **{"tadmin": default, **overrides})


# Who may give posts at all: the village cadres, the township administrator, the superuser; the
# others are refused before anything is read (403).
GIVES = {"cadre", "other_cadre", "tadmin", "admin"}
# An assignment of 七星村's grid 2: its holder and 七星村's cadre see it, and the township.
SEES_Q2_POST = {"grid2": 403, "cadre": 200, "official": 403, "leader": 403, "tadmin": 200, "admin": 200}
WEITUO_STAFF = {"grid1", "grid2", "helper", "cadre", "clerk", "supervisor", "other_cadre", "official", "leader"}
SEES_WEITUO = dict.fromkeys(WEITUO_STAFF | {"handler", "tadmin", "admin"}, 200)


def post(role, place_type, place, user="{newcomer}"):
    return {"user": user, "role": role, "place_type": place_type, "place_id": place}


MATRIX = [
    ("GET", "/api/v1/assignments/", None, expect(200), ""),
    ("GET", "/api/v1/assignments/{q2_post}/", None, expect(404, **dict.fromkeys(SEES_Q2_POST, 200)), ""),
    # A grid worker in 七星村: its cadre and the township; 化龙村's cadre does not see grid 2.
    (
        "POST",
        "/api/v1/assignments/",
        post("grid_worker", "grid", "{q2}"),
        expect(403, cadre=201, other_cadre=404, tadmin=201, admin=201),
        "grid worker in 七星村",
    ),
    # A township post: the township administrator; a cadre sees the township, 403.
    (
        "POST",
        "/api/v1/assignments/",
        post("township_official", "township", "{weituo}"),
        expect(403, tadmin=201, admin=201),
        "township official",
    ),
    # 包村: a township official sent down to 七星村 (the administrator; 化龙村's cadre sees no 七星村).
    (
        "POST",
        "/api/v1/assignments/",
        post("village_liaison", "village", "{qixing}", user="{official}"),
        expect(403, other_cadre=404, tadmin=201, admin=201),
        "包村",
    ),
    # 包片: a township leader for a 片区.
    (
        "POST",
        "/api/v1/assignments/",
        post("area_leader", "area", "{area}", user="{leader}"),
        expect(403, tadmin=201, admin=201),
        "包片",
    ),
    # Another township's grid: out of sight but for the superuser.
    (
        "POST",
        "/api/v1/assignments/",
        post("grid_worker", "grid", "{l1}"),
        expect(403, cadre=404, other_cadre=404, tadmin=404, admin=201),
        "小沔镇 grid",
    ),
    # A township administrator is the superuser's to appoint.
    (
        "POST",
        "/api/v1/assignments/",
        post("township_admin", "township", "{weituo}"),
        expect(403, admin=201),
        "township administrator",
    ),
    ("POST", "/api/v1/assignments/", {}, expect(403, cadre=400, other_cadre=400, tadmin=400, admin=400), "empty"),
    ("POST", "/api/v1/assignments/{q2_post}/end/", {}, expect(404, **SEES_Q2_POST), ""),
    (
        "POST",
        "/api/v1/assignments/{cadre_post}/end/",
        {},
        expect(404, cadre=403, official=403, leader=403, tadmin=200, admin=200),
        "",
    ),
    (
        "POST",
        "/api/v1/assignments/{ended_post}/end/",
        {},
        expect(404, grid1=403, cadre=409, official=403, leader=403, tadmin=409, admin=409),
        "",
    ),
    # Never deleted: an assignment ends, and its history stays.
    ("DELETE", "/api/v1/assignments/{q2_post}/", None, expect(405), ""),
    ("DELETE", "/api/v1/areas/{area}/", None, expect(405), ""),
    # 片区: read by whoever sees the township, kept by its administrator.
    ("GET", "/api/v1/areas/", None, expect(200), ""),
    ("GET", "/api/v1/areas/{area}/", None, expect(404, **SEES_WEITUO), ""),
    (
        "POST",
        "/api/v1/areas/",
        {"township": "{weituo}", "name": "南片", "villages": ["{hualong}"]},
        expect(403, tadmin=201, admin=201),
        "",
    ),
    (
        "PATCH",
        "/api/v1/areas/{area}/",
        {"name": "北部片区"},
        expect(404, **{**dict.fromkeys(SEES_WEITUO, 403), "tadmin": 200, "admin": 200}),
        "",
    ),
]
CASES = [Case(method, url, expected, data, note=note) for method, url, data, expected, note in MATRIX]


@pytest.fixture
def mx(world):
    world.users.tadmin = make_user("t_weituo_admin", name="渭沱镇管理员")
    assign(world.users.tadmin, Role.TOWNSHIP_ADMIN, world.weituo)
    world.area = Area.objects.create(township=world.weituo, name="北片")
    world.area.villages.add(world.qixing)
    long_ago = timezone.localdate() - datetime.timedelta(days=400)
    until = long_ago + datetime.timedelta(days=9)
    world.ended = assign(world.users.grid1, Role.GRID_LEADER, world.q2, valid_from=long_ago, valid_to=until)
    return world


def database_state():
    return (
        list(Assignment.objects.order_by("pk").values_list("pk", "user_id", "role", "valid_from", "valid_to")),
        list(Area.objects.order_by("pk").values_list("pk", "name")),
        list(Area.villages.through.objects.order_by("pk").values_list("area_id", "village_id")),
    )


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_assignment_permission_matrix(mx, ids, api_client, case):
    ids = {
        **ids,
        "newcomer": make_user("t_newcomer", name="新人").pk,
        "official": mx.users.official.pk,
        "leader": mx.users.leader.pk,
        "area": mx.area.pk,
        "q2_post": mx.users.grid2.assignments.get().pk,
        "cadre_post": mx.users.cadre.assignments.get().pk,
        "ended_post": mx.ended.pk,
    }
    url, data = case.resolve(ids)

    def login(persona):
        api_client.force_authenticate(None if persona == "anon" else getattr(mx.users, persona))

    run_matrix(
        case,
        personas=PERSONAS,
        login=login,
        send=api_send(api_client, case.method, url, data),
        snapshot=database_state,
        checks=[api_problems],
    )
