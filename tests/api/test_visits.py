"""The visits API: create with a client UUID, replays, the batch upload, lists, compliance."""

import datetime
import io
import uuid

import pytest
from django.utils import timezone
from PIL import Image

from grids.visits.models import Visit
from grids.visits.services import visit_record

pytestmark = pytest.mark.django_db

URL = "/api/v1/visits/"


@pytest.fixture(autouse=True)
def _assigned_since_january(world):
    """The personas hold their places from 1 January 2026, so that the fixed 逢十 days these
    tests use fall inside their assignments whatever day the suite runs."""
    from governance.models import Assignment

    Assignment.objects.update(valid_from=datetime.date(2026, 1, 1))


def body(household, **extra):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "household": household.pk,
        "visited_at": timezone.now().isoformat(),
        "method": "sit-down",
        "met": "head",
        "notes": "老人身体好",
        "result": "nothing",
    }
    data.update(extra)
    return data


def test_grid_worker_logs_a_visit(world, as_user):
    response = as_user(world.users.grid1).post(URL, body(world.households.q1), format="json")
    assert response.status_code == 201, response.data
    assert response.data["household"] == world.households.q1.pk
    assert response.data["grid"] == world.q1.pk
    assert response.data["author"] == world.users.grid1.pk


def test_replay_returns_the_stored_visit_with_200_and_creates_nothing(world, as_user):
    client = as_user(world.users.grid1)
    data = body(world.households.q1)
    first = client.post(URL, data, format="json")
    again = client.post(URL, data, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.data["id"] == first.data["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Visit.objects.count() == 1


def test_same_uuid_with_different_body_is_409(world, as_user):
    client = as_user(world.users.grid1)
    data = body(world.households.q1)
    client.post(URL, data, format="json")
    response = client.post(URL, {**data, "notes": "改了"}, format="json")
    assert response.status_code == 409
    assert response.data == {"detail": response.data["detail"], "code": "visit_uuid_reused"}
    assert Visit.objects.count() == 1


def test_household_outside_the_workers_grids_is_400_on_the_field(world, as_user):
    response = as_user(world.users.grid1).post(URL, body(world.households.q2), format="json")
    assert response.status_code == 400
    assert "household" in response.data
    assert not Visit.objects.exists()


def test_visit_in_the_future_is_refused(world, as_user):
    later = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    response = as_user(world.users.grid1).post(URL, body(world.households.q1, visited_at=later), format="json")
    assert response.status_code == 400 and "visited_at" in response.data


def test_a_visit_time_without_a_time_zone_is_refused(world, as_user):
    naive = timezone.localtime().replace(tzinfo=None, microsecond=0).isoformat()
    response = as_user(world.users.grid1).post(URL, body(world.households.q1, visited_at=naive), format="json")
    assert response.status_code == 400
    assert response.data["visited_at"][0].code == "naive_datetime"
    assert not Visit.objects.exists()


def test_bad_input_gets_field_errors(world, as_user):
    response = as_user(world.users.grid1).post(
        URL, {"client_uuid": "not-a-uuid", "method": "teleport", "visited_at": "yesterday"}, format="json"
    )
    assert response.status_code == 400
    assert {"client_uuid", "method", "visited_at"} <= set(response.data)


def test_grid_walk_by_api(world, as_user):
    data = body(world.households.q1, method="grid", grid=world.q1.pk)
    data.pop("household")
    response = as_user(world.users.grid1).post(URL, data, format="json")
    assert response.status_code == 201 and response.data["household"] is None


def test_idempotency_key_replays_the_first_answer(world, as_user):
    client = as_user(world.users.grid1)
    sent = body(world.households.q1)  # a retry sends the very same body
    first = client.post(URL, sent, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post(URL, sent, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201 and again.data["id"] == first.data["id"]
    assert Visit.objects.count() == 1


def test_not_logged_in_is_refused(world, api_client):
    response = api_client.post(URL, body(world.households.q1), format="json")
    assert response.status_code in (401, 403)
    assert response.data["code"] == "not_authenticated"


def test_batch_items_succeed_or_fail_on_their_own(world, as_user):
    client = as_user(world.users.grid1)
    stored = body(world.households.q1)
    client.post(URL, stored, format="json")
    reused = {**body(world.households.q1), "client_uuid": stored["client_uuid"]}
    items = [
        body(world.households.q1b),  # new
        stored,  # replay
        body(world.households.q2),  # another grid
        reused,  # same uuid, other body
        {"client_uuid": "x"},  # malformed
    ]
    response = client.post(URL + "batch/", {"visits": items}, format="json")
    assert response.status_code == 200
    statuses = [row["status"] for row in response.data["results"]]
    assert statuses == [201, 200, 400, 409, 400]
    assert "household" in response.data["results"][2]["errors"]
    assert response.data["results"][3]["errors"]["code"] == "visit_uuid_reused"
    assert Visit.objects.count() == 2


def test_batch_of_nothing_is_400(world, as_user):
    assert as_user(world.users.grid1).post(URL + "batch/", {"visits": []}, format="json").status_code == 400


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("grid1", {"q1", "q1b"}),
        ("grid2", {"q2"}),
        ("helper", {"q1"}),
        ("cadre", {"q1", "q1b", "q2"}),
        ("clerk", None),  # the shop clerk reads passbooks and the shop, not visits: 403
        ("supervisor", None),  # the supervision committee reads its village's 村事, not visits: 403
        ("official", {"q1", "q1b", "q2", "h1"}),
        ("other_cadre", {"h1"}),
        ("other_official", set()),
        ("handler", set()),
        ("outsider", set()),
        ("admin", {"q1", "q1b", "q2", "h1"}),
    ],
)
def test_list_is_scoped_to_the_callers_places(world, as_user, persona, visible):
    hh = world.households
    now = timezone.now()
    for user, household in [
        (world.users.grid1, hh.q1),
        (world.users.grid1, hh.q1b),
        (world.users.grid2, hh.q2),
        (world.users.other_cadre, hh.h1),
    ]:
        visit_record(author=user, client_uuid=uuid.uuid4(), visited_at=now, method="home", household=household)
    names = {v.pk: k for k, v in vars(hh).items()}
    response = as_user(getattr(world.users, persona)).get(URL)
    if visible is None:
        assert response.status_code == 403
        assert Visit.objects.count() == 4
        return
    assert response.status_code == 200
    assert {names[row["household"]] for row in response.data["results"]} == visible


def test_out_of_scope_visit_is_404(world, as_user):
    visit, _ = visit_record(
        author=world.users.grid2,
        client_uuid=uuid.uuid4(),
        visited_at=timezone.now(),
        method="home",
        household=world.households.q2,
    )
    assert as_user(world.users.grid1).get(f"{URL}{visit.pk}/").status_code == 404
    assert as_user(world.users.cadre).get(f"{URL}{visit.pk}/").status_code == 200


def test_list_filters(world, as_user):
    now = timezone.now()
    for household in (world.households.q1, world.households.q1b):
        visit_record(
            author=world.users.grid1, client_uuid=uuid.uuid4(), visited_at=now, method="home", household=household
        )
    client = as_user(world.users.cadre)
    assert len(client.get(URL, {"household": world.households.q1.pk}).data["results"]) == 1
    assert len(client.get(URL, {"author": world.users.grid1.pk}).data["results"]) == 2
    assert len(client.get(URL, {"grid": world.q2.pk}).data["results"]) == 0
    today = timezone.localdate().isoformat()
    assert len(client.get(URL, {"date_from": today, "date_to": today}).data["results"]) == 2


# The visit list costs exactly 2 queries for 2 visits as for 22: 1 the page of visits
# (author, grid, village, household joined), 2 their photos (one prefetch). The caller's
# scope is built by the first request and kept on the user; the pagination counts nothing.
VISIT_LIST = 2


@pytest.mark.parametrize("query", ["", "?household=Q1", "?author=GRID1", "?grid=Q1GRID&date_from=2000-01-01"])
def test_list_costs_exactly_its_queries_for_2_visits_and_for_22(world, as_user, query, django_assert_num_queries):
    client = as_user(world.users.cadre)
    url = URL + (
        query.replace("Q1GRID", str(world.q1.pk))
        .replace("Q1", str(world.households.q1.pk))
        .replace("GRID1", str(world.users.grid1.pk))
    )

    def add(n):
        for _ in range(n):
            visit_record(
                author=world.users.grid1,
                client_uuid=uuid.uuid4(),
                visited_at=timezone.now(),
                method="home",
                household=world.households.q1,
            )

    for n in (2, 20):
        add(n)
        client.get(url)  # warm up: the scope
        with django_assert_num_queries(VISIT_LIST):
            response = client.get(url)
        assert response.status_code == 200
        assert len(response.data["results"]) >= n


def test_todo_lists_own_households_by_need(world, as_user):
    visit_record(
        author=world.users.grid1,
        client_uuid=uuid.uuid4(),
        visited_at=timezone.now(),
        method="home",
        household=world.households.q1,
    )
    response = as_user(world.users.grid1).get(URL + "todo/")
    assert response.status_code == 200
    rows = response.data["results"]
    assert [row["id"] for row in rows] == [world.households.q1b.pk, world.households.q1.pk]
    assert [row["due"] for row in rows] == [True, False]
    assert as_user(world.users.official).get(URL + "todo/").data["results"] == []


def test_compliance_api_matches_the_visits_and_is_scoped(world, as_user):
    cycle = datetime.date(2026, 11, 20)
    at = timezone.make_aware(datetime.datetime(2026, 11, 20, 9))
    visit_record(
        author=world.users.grid1,
        client_uuid=uuid.uuid4(),
        visited_at=at,
        method="home",
        household=world.households.q1,
    )
    response = as_user(world.users.cadre).get(URL + "compliance/", {"cycle": cycle.isoformat()})
    assert response.status_code == 200
    assert response.data["cycle"] == cycle
    village = response.data["townships"][0]["villages"][0]
    assert village["name"] == "七星村"
    assert (village["grids_visited"], village["grids_count"], village["visits"]) == (1, 2, 1)
    assert response.data["totals"]["people_visited"] == 1
    official = as_user(world.users.official).get(URL + "compliance/", {"cycle": cycle.isoformat()})
    assert {v["name"] for v in official.data["townships"][0]["villages"]} == {"七星村", "化龙村"}


def test_compliance_rejects_a_day_that_is_not_fengshi(world, as_user):
    response = as_user(world.users.cadre).get(URL + "compliance/", {"cycle": "2026-11-21"})
    assert response.status_code == 400 and "cycle" in response.data


def test_compliance_is_not_for_department_handlers_or_outsiders(world, as_user):
    assert as_user(world.users.handler).get(URL + "compliance/").status_code == 403
    assert as_user(world.users.outsider).get(URL + "compliance/").status_code == 403


def _jpeg() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, format="JPEG")
    out.seek(0)
    out.name = "p.jpg"
    return out


def test_visitor_adds_a_photo_served_only_in_scope(world, as_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    visit, _ = visit_record(
        author=world.users.grid1,
        client_uuid=uuid.uuid4(),
        visited_at=timezone.now(),
        method="home",
        household=world.households.q1,
    )
    response = as_user(world.users.grid1).post(f"{URL}{visit.pk}/photos/", {"image": _jpeg()}, format="multipart")
    assert response.status_code == 201, response.data
    url = response.data["photos"][0]["url"]
    from django.test import Client

    own, other = Client(), Client()
    own.force_login(world.users.cadre)
    other.force_login(world.users.grid2)
    assert own.get(url).status_code == 200
    assert other.get(url).status_code == 404


def test_only_the_visitor_adds_photos(world, as_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    visit, _ = visit_record(
        author=world.users.grid1,
        client_uuid=uuid.uuid4(),
        visited_at=timezone.now(),
        method="home",
        household=world.households.q1,
    )
    response = as_user(world.users.cadre).post(f"{URL}{visit.pk}/photos/", {"image": _jpeg()}, format="multipart")
    assert response.status_code == 403
    assert (
        as_user(world.users.grid2).post(f"{URL}{visit.pk}/photos/", {"image": _jpeg()}, format="multipart").status_code
        == 404
    )


def test_unknown_household_answers_like_one_outside_the_grids(world, as_user):
    client = as_user(world.users.grid1)
    elsewhere = client.post(URL, body(world.households.h1), format="json")
    missing = client.post(URL, {**body(world.households.h1), "household": 999_999}, format="json")
    assert elsewhere.status_code == missing.status_code == 400
    assert elsewhere.json()["household"] == missing.json()["household"]
