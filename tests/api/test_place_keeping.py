"""Keeping places through the API: /api/v1/grids/ and /api/v1/courtyards/ create, rename, merge
and split, for 七星村's cadre, 渭沱镇's administrator (镇街管理员) and the superuser.

Out of scope 404, a role that does not keep the place 403, a place merged into another 409,
bad input 400 on its field; a refused request writes nothing; Idempotency-Key on every write.
"""

import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from governance.models import Assignment
from grids.models import Courtyard, Grid, Household, HouseholdMove
from grids.places import grid_merge
from grids.services import courtyard_create, grid_create
from tests.matrix import API_PERSONAS, Case, api_expect, api_login, api_problems, api_send, matrix_params, run_matrix

PERSONAS = (*API_PERSONAS, "township_admin")
KEEPERS = ("cadre", "admin", "township_admin")


def keeps(ok: int, *, sees) -> dict[str, int]:
    """`ok` for the keepers of 七星村, 403 for the others in `sees`, 404 for the rest."""
    return api_expect(404, **dict.fromkeys(sees, 403), **dict.fromkeys(KEEPERS, ok))


# Who sees 七星村 grid 1 (and the courtyard 老院子 in it) by name, without keeping it.
SEES_Q1 = ("grid1", "helper", "clerk", "official", "leader", "handler")
# A create: roles that keep places elsewhere see no 七星村 place (400 on the field); roles that
# keep none are refused before the body is read (403).
CREATES = {**api_expect(403, other_cadre=400), **dict.fromkeys(KEEPERS, 201)}

MATRIX = [
    ("GET", "/api/v1/grids/{q1}/", None, {**keeps(200, sees=SEES_Q1), **dict.fromkeys(SEES_Q1, 200)}),
    ("POST", "/api/v1/grids/", {"village": "{qixing}", "name": "第三网格"}, CREATES),
    ("PATCH", "/api/v1/grids/{q1}/", {"name": "河坝网格"}, keeps(200, sees=SEES_Q1)),
    ("POST", "/api/v1/grids/{q1}/merge/", {"into": "{q2}"}, keeps(200, sees=SEES_Q1)),
    (
        "POST",
        "/api/v1/grids/{q1}/split/",
        {"name": "第三网格", "households": ["{hh_q1b}"]},
        keeps(201, sees=SEES_Q1),
    ),
    ("POST", "/api/v1/courtyards/", {"grid": "{q1}", "name": "竹林院子"}, CREATES),
    ("PATCH", "/api/v1/courtyards/{yard}/", {"name": "新院子"}, keeps(200, sees=SEES_Q1)),
    ("POST", "/api/v1/courtyards/{yard}/merge/", {"into": "{yard2}"}, keeps(200, sees=SEES_Q1)),
]
CASES = [Case(method, url, expected, data) for method, url, data, expected in MATRIX]


def state():
    return (
        list(Grid.objects.order_by("pk").values_list("pk", "name", "number", "retired_on")),
        list(Courtyard.objects.order_by("pk").values_list("pk", "name", "grid_id", "retired_on")),
        list(Household.objects.order_by("pk").values_list("pk", "grid_id", "courtyard_id")),
        list(Assignment.objects.order_by("pk").values_list("pk", "valid_to")),
        HouseholdMove.objects.count(),
    )


@pytest.fixture
def place_ids(pk_world, ids):
    return {**ids, "yard2": courtyard_create(grid=pk_world.q1, name="二号院子").pk}


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_place_keeping_matrix(pk_world, place_ids, api_client, case):
    url, data = case.resolve(place_ids)
    run_matrix(
        case,
        personas=PERSONAS,
        login=api_login(api_client, pk_world.users),
        send=api_send(api_client, case.method, url, data),
        snapshot=state,
        checks=[api_problems],
    )


# ---------------------------------------------------------------- what the answers say


def test_a_new_grid_takes_the_next_number(pk_world, as_user):
    response = as_user(pk_world.users.township_admin).post(
        "/api/v1/grids/", {"village": pk_world.hualong.pk, "name": "第二网格"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["village"], body["number"], body["name"], body["retired_on"]) == (
        pk_world.hualong.pk,
        2,
        "第二网格",
        None,
    )


def test_a_merge_answers_what_moved(pk_world, as_user):
    courtyard_create(grid=pk_world.q2, name="老院子")

    response = as_user(pk_world.users.cadre).post(
        f"/api/v1/grids/{pk_world.q1.pk}/merge/", {"into": pk_world.q2.pk}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["grid"]["merged_into"] == pk_world.q2.pk and body["grid"]["retired_on"]
    assert body["into"]["id"] == pk_world.q2.pk
    assert (body["households_moved"], body["courtyards_moved"], body["assignments_ended"]) == (
        2,
        [pk_world.yard.pk],
        1,
    )
    assert [r["old"] for r in body["courtyards_renamed"]] == ["老院子"]


def test_a_split_answers_the_new_grid(pk_world, as_user):
    response = as_user(pk_world.users.cadre).post(
        f"/api/v1/grids/{pk_world.q1.pk}/split/",
        {"name": "第三网格", "number": 9, "households": [pk_world.households.q1.pk]},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["grid"]["number"], body["households_moved"], body["courtyards_moved"]) == (9, 1, [pk_world.yard.pk])


@pytest.mark.parametrize(
    ("url", "payload", "code"),
    [
        ("/api/v1/grids/{q1}/merge/", {"into": "{q1}"}, "same_place"),
        ("/api/v1/grids/{q1}/merge/", {"into": "{retired}"}, "into_retired"),
        ("/api/v1/grids/{retired}/merge/", {"into": "{q1}"}, "retired"),
        ("/api/v1/grids/{retired}/merge/", {}, "retired"),  # the state before the input
        ("/api/v1/grids/{retired}/split/", {"name": "x", "households": ["{hh_q2}"]}, "retired"),
        ("/api/v1/courtyards/", {"grid": "{retired}", "name": "新院子"}, "retired"),
    ],
)
def test_illegal_states_answer_409_and_write_nothing(pk_world, as_user, url, payload, code):
    retired = grid_create(village=pk_world.qixing, name="第三网格")
    grid_merge(grid=retired, into=pk_world.q2, actor=pk_world.users.cadre)
    ids = {"q1": pk_world.q1.pk, "retired": retired.pk, "hh_q2": pk_world.households.q2.pk}
    before = state()

    url, payload = Case("POST", url, {}, payload).resolve(ids)

    response = as_user(pk_world.users.cadre).post(url, payload, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == code and set(response.json()) == {"detail", "code"}
    assert state() == before


def test_renaming_a_retired_grid_answers_409(pk_world, as_user):
    grid_merge(grid=pk_world.q1, into=pk_world.q2, actor=pk_world.users.cadre)

    response = as_user(pk_world.users.cadre).patch(f"/api/v1/grids/{pk_world.q1.pk}/", {"number": 0}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "retired")


@pytest.mark.parametrize(
    ("persona", "method", "url", "payload", "field"),
    [
        # The administrator sees both villages: a grid of another village is a field error.
        ("township_admin", "post", "/api/v1/grids/{q1}/merge/", {"into": "{h1}"}, "into"),
        # The cadre does not see 化龙村's grid at all: answered like one that does not exist.
        ("cadre", "post", "/api/v1/grids/{q1}/merge/", {"into": "{h1}"}, "into"),
        ("cadre", "post", "/api/v1/grids/{q1}/split/", {"name": "第三网格", "households": ["{hh_q2}"]}, "households"),
        ("cadre", "post", "/api/v1/grids/{q1}/split/", {"name": "第三网格", "households": []}, "households"),
        ("cadre", "post", "/api/v1/grids/", {"village": "{qixing}", "name": "新", "number": 2}, "number"),
        ("cadre", "post", "/api/v1/grids/", {"village": "{qixing}", "name": "第二网格"}, "name"),
        ("cadre", "post", "/api/v1/grids/", {"village": "{qixing}"}, "name"),
        ("cadre", "patch", "/api/v1/grids/{q1}/", {"number": 2}, "number"),
        ("cadre", "post", "/api/v1/courtyards/", {"grid": "{q1}", "name": "老院子"}, "name"),
        ("cadre", "post", "/api/v1/courtyards/{yard}/merge/", {"into": "{yard_q2}"}, "into"),
    ],
)
def test_bad_input_answers_400_on_its_field(pk_world, ids, as_user, persona, method, url, payload, field):
    ids = {**ids, "yard_q2": courtyard_create(grid=pk_world.q2, name="二组院子").pk}
    before = state()
    url, payload = Case(method, url, {}, payload).resolve(ids)

    response = getattr(as_user(getattr(pk_world.users, persona)), method)(url, payload, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert state() == before


def test_lists_show_places_in_use_unless_asked_for_the_retired(pk_world, as_user):
    grid_merge(grid=pk_world.q1, into=pk_world.q2, actor=pk_world.users.cadre)
    client = as_user(pk_world.users.cadre)

    in_use = {row["id"] for row in client.get("/api/v1/grids/").json()["results"]}
    retired = client.get("/api/v1/grids/?retired=true").json()["results"]
    one = client.get(f"/api/v1/grids/{pk_world.q1.pk}/")

    assert in_use == {pk_world.q2.pk}
    assert [(row["id"], row["merged_into"]) for row in retired] == [(pk_world.q1.pk, pk_world.q2.pk)]
    assert one.status_code == 200 and one.json()["retired_on"]


# ---------------------------------------------------------------- once, and one at a time


def test_a_replayed_create_or_split_or_merge_does_it_once(pk_world, as_user):
    client = as_user(pk_world.users.cadre)
    create = {"village": pk_world.qixing.pk, "name": "第三网格"}
    split = {"name": "第四网格", "households": [pk_world.households.q1b.pk]}
    merge = {"into": pk_world.q2.pk}

    for url, payload, key in (
        ("/api/v1/grids/", create, "grid-1"),
        (f"/api/v1/grids/{pk_world.q1.pk}/split/", split, "split-1"),
        (f"/api/v1/grids/{pk_world.q1.pk}/merge/", merge, "merge-1"),
    ):
        first = client.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
        again = client.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert first.status_code in (200, 201) and again.json() == first.json()
        assert again["Idempotent-Replayed"] == "true"

    assert Grid.objects.filter(village=pk_world.qixing).count() == 4
    assert HouseholdMove.objects.count() == 2  # q1b split off, then q1 merged


def _at_once(calls) -> list[int]:
    """Each call (a function returning a response) from its own thread, released together, on
    its own database connection: the statuses in the order of `calls`."""
    barrier = threading.Barrier(len(calls))
    statuses = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            statuses[i] = call().status_code
        except Exception as error:  # a deadlock or a constraint would show here
            statuses[i] = repr(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _merge_as(user, grid, into):
    def call():
        client = APIClient()
        client.force_authenticate(user)
        return client.post(f"/api/v1/grids/{grid.pk}/merge/", {"into": into.pk}, format="json")

    return call


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("crosswise", [False, True], ids=["same-merge-twice", "each-into-the-other"])
def test_two_merges_at_once_one_wins_the_other_409(pk_world, crosswise):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (set DATABASE_URL)")
    q1, q2, users = pk_world.q1, pk_world.q2, pk_world.users
    second = _merge_as(users.township_admin, q2, q1) if crosswise else _merge_as(users.township_admin, q1, q2)

    statuses = _at_once([_merge_as(users.cadre, q1, q2), second])

    assert sorted(statuses) == [200, 409], statuses
    retired = Grid.objects.filter(retired_on__isnull=False)
    assert retired.count() == 1
    gone, kept = retired.get(), Grid.objects.active().get(village=pk_world.qixing)
    assert not Household.objects.filter(grid=gone).exists()
    assert Household.objects.filter(grid=kept).count() == 3
    # Each household of the merged grid moved once, on the record (grid 1 had two, grid 2 one).
    assert HouseholdMove.objects.filter(from_grid=gone, to_grid=kept).count() == (2 if gone == q1 else 1)
    assert HouseholdMove.objects.count() == (2 if gone == q1 else 1)
