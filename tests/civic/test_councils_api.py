# ruff: noqa: F811 (the `cw` fixture is imported, then named by each test)
"""The councils' API (/api/v1/meetings/): the permission matrix over every persona, the flow of a
民情恳谈会 whose concerns become matters, Idempotency-Key, filters, and flat query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.civic.models import Concern, CouncilKind, Meeting, ResultRating
from petitions.models import Matter, Source
from tests.civic.council_fixtures import cw  # noqa: F401
from tests.matrix import API_PERSONAS, Case, api_expect, api_login, api_problems, api_send, matrix_params, run_matrix

pytestmark = pytest.mark.django_db

expect = api_expect

# Who reads 七星村's councils: its cadre and grid staff, its township (and the superuser).
READERS = ("grid1", "grid2", "cadre", "official", "leader", "admin")
# Roles that read no civic books: 403 on every endpoint.
NON_READERS = dict.fromkeys(("helper", "clerk", "supervisor", "handler", "outsider"), 403)
# Readers of another village or township: a meeting of 七星村 is not theirs (404).
OTHERS = dict.fromkeys(("other_cadre", "other_official"), 404)
# Readers of 七星村 who do not run its councils: 403 on a step.
NOT_RUNNERS = dict.fromkeys(("grid1", "grid2", "official", "leader"), 403)


def step(runners_get: int) -> dict:
    return expect(404, **NON_READERS, **OTHERS, **NOT_RUNNERS, cadre=runners_get, admin=runners_get)


RECORD = {"chaired_by": "陈书记", "attendees": ["张三", "李四"], "minutes": "纪要", "decisions": "修路灯"}
CONCERN = {"raised_by": "张三", "title": "路灯坏了", "description": "三组路灯", "grid": "{q1}"}
RATING = {"matter": "{handled}", "raters": 9, "satisfied": 6, "basically_satisfied": 2, "unsatisfied": 1}
PLAN = {"village": "{qixing}", "kind": "concerns", "held_on": "{today}", "place": "村委会", "agenda": "听意见"}

MATRIX = [
    ("GET", "/api/v1/meetings/", None, expect(200, **NON_READERS)),
    ("GET", "/api/v1/meetings/{planned}/", None, expect(404, **NON_READERS, **dict.fromkeys(READERS, 200))),
    # other_cadre runs 化龙村's councils: 七星村 is not a village it may name (400 on the field).
    ("POST", "/api/v1/meetings/", PLAN, expect(403, cadre=201, admin=201, other_cadre=400)),
    ("POST", "/api/v1/meetings/{planned}/record/", RECORD, step(200)),
    ("POST", "/api/v1/meetings/{held}/record/", RECORD, step(409)),
    ("POST", "/api/v1/meetings/{planned}/cancel/", {"reason": "改期"}, step(200)),
    ("POST", "/api/v1/meetings/{held}/concerns/", CONCERN, step(201)),
    ("POST", "/api/v1/meetings/{planned}/concerns/", CONCERN, step(409)),
    ("POST", "/api/v1/meetings/{results}/ratings/", RATING, step(201)),
    ("POST", "/api/v1/meetings/{held}/ratings/", RATING, step(409)),
]
CASES = [Case(method, url, expected, data) for method, url, data, expected in MATRIX]
CASES.append(Case("POST", "/api/v1/meetings/{held}/concerns/", step(400), {**CONCERN, "grid": "{h1}"}, note="grid"))


def _state():
    return (
        list(Meeting.objects.order_by("pk").values_list("pk", "status", "minutes", "cancel_reason")),
        Concern.objects.count(),
        ResultRating.objects.count(),
        Matter.objects.count(),
    )


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_meeting_permission_matrix(cw, api_client, case):
    ids = {
        "qixing": cw.qixing.pk,
        "today": cw.today.isoformat(),
        "q1": cw.q1.pk,
        "h1": cw.h1.pk,
        "planned": cw.plan().pk,
        "held": cw.held().pk,
        "results": cw.held(CouncilKind.RESULTS).pk,
        "handled": cw.handled_matter().pk,
    }
    url, data = case.resolve(ids)
    run_matrix(
        case,
        personas=API_PERSONAS,
        login=api_login(api_client, cw.users),
        send=api_send(api_client, case.method, url, data),
        snapshot=_state,
        checks=[api_problems],
    )


def test_a_concerns_meeting_through_the_api_turns_two_concerns_into_two_matters(cw, as_user):
    client = as_user(cw.users.cadre)
    plan = {**PLAN, "village": cw.qixing.pk, "held_on": cw.today.isoformat(), "starts_at": "09:30"}
    meeting = client.post("/api/v1/meetings/", plan, format="json").json()
    assert meeting["status"] == "planned" and meeting["next_actions"] == ["update", "cancel", "record"]
    url = f"/api/v1/meetings/{meeting['id']}/"
    assert client.post(url + "record/", RECORD, format="json").status_code == 200
    for who, title in (("张三", "路灯坏了"), ("王五", "水渠堵了")):
        response = client.post(url + "concerns/", {**CONCERN, "raised_by": who, "title": title, "grid": cw.q1.pk})
        assert response.status_code == 201
    body = client.get(url).json()
    assert [(row["raised_by"], row["matter_title"]) for row in body["concerns"]] == [
        ("张三", "路灯坏了"),
        ("王五", "水渠堵了"),
    ]
    matters = Matter.objects.filter(pk__in=[row["matter"] for row in body["concerns"]])
    assert {m.source for m in matters} == {Source.MEETING}


def test_a_concern_with_an_idempotency_key_is_raised_once(cw, as_user):
    client = as_user(cw.users.cadre)
    meeting = cw.held()
    data = {**CONCERN, "grid": cw.q1.pk}
    for _ in range(2):
        response = client.post(
            f"/api/v1/meetings/{meeting.pk}/concerns/", data, format="json", HTTP_IDEMPOTENCY_KEY="k1"
        )
        assert response.status_code == 201
    assert Concern.objects.filter(meeting=meeting).count() == 1


def test_a_plan_with_an_idempotency_key_is_made_once(cw, as_user):
    client = as_user(cw.users.cadre)
    data = {**PLAN, "village": cw.qixing.pk, "held_on": cw.today.isoformat()}
    first = client.post("/api/v1/meetings/", data, format="json", HTTP_IDEMPOTENCY_KEY="plan-1").json()
    again = client.post("/api/v1/meetings/", data, format="json", HTTP_IDEMPOTENCY_KEY="plan-1").json()
    assert first["id"] == again["id"] and Meeting.objects.count() == 1


def test_the_verdict_is_computed_never_sent(cw, as_user):
    client = as_user(cw.users.cadre)
    meeting, matter = cw.held(CouncilKind.RESULTS), cw.handled_matter()
    data = {
        **RATING,
        "matter": matter.pk,
        "raters": 10,
        "satisfied": 2,
        "basically_satisfied": 3,
        "verdict": "satisfied",
    }
    body = client.post(f"/api/v1/meetings/{meeting.pk}/ratings/", {**data, "unsatisfied": 5}, format="json").json()
    assert body["ratings"][0]["verdict"] == "unsatisfied"  # 5 of 10 content: the "satisfied" sent is ignored


def test_the_list_filters_by_council_village_and_month(cw, as_user):
    cw.plan()
    cw.plan(CouncilKind.MORAL)
    client = as_user(cw.users.official)
    kinds = [row["kind"] for row in client.get("/api/v1/meetings/", {"kind": "moral"}).json()["results"]]
    assert kinds == ["moral"]
    assert client.get("/api/v1/meetings/", {"village": cw.hualong.pk}).json()["results"] == []
    month = cw.today.strftime("%Y-%m")
    assert len(client.get("/api/v1/meetings/", {"month": month}).json()["results"]) == 2
    assert client.get("/api/v1/meetings/", {"month": "2020-01"}).json()["results"] == []
    assert client.get("/api/v1/meetings/", {"month": "soon"}).status_code == 400


def test_the_list_costs_the_same_queries_for_more_rows(cw, as_user):
    client = as_user(cw.users.official)
    cw.held()

    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/meetings/")
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    measure()
    few, rows = measure()
    for kind in CouncilKind.values:
        cw.held(kind)
        cw.plan(kind)
    many, more_rows = measure()
    assert more_rows > rows and many == few


def test_the_schema_lists_the_meetings_and_their_actions(cw, client):
    client.force_login(cw.users.cadre)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/v1/meetings/",
        "/api/v1/meetings/{id}/",
        "/api/v1/meetings/{id}/record/",
        "/api/v1/meetings/{id}/cancel/",
        "/api/v1/meetings/{id}/concerns/",
        "/api/v1/meetings/{id}/ratings/",
    ):
        assert path in schema["paths"], path


def test_a_moral_council_links_its_villages_board_and_no_other(cw, as_user):
    client = as_user(cw.users.cadre)
    meeting, board, other = cw.plan(CouncilKind.MORAL), cw.board(), cw.board(village=cw.hualong)
    url = f"/api/v1/meetings/{meeting.pk}/record/"
    response = client.post(url, {**RECORD, "boards": [other.pk]}, format="json")
    assert response.status_code == 400 and "boards" in response.json()
    body = client.post(url, {**RECORD, "boards": [board.pk]}, format="json").json()
    assert body["boards"] == [board.pk] and body["status"] == "held"


def test_a_pledges_rating_through_the_api_closes_the_pledge(cw, as_user):
    client = as_user(cw.users.cadre)
    meeting, pledge = cw.held(CouncilKind.RESULTS), cw.done_pledge()
    data = {"pledge": pledge.pk, "raters": 10, "satisfied": 8, "basically_satisfied": 1, "unsatisfied": 1}
    body = client.post(f"/api/v1/meetings/{meeting.pk}/ratings/", data, format="json").json()
    assert body["ratings"][0]["pledge"] == pledge.pk and body["ratings"][0]["verdict"] == "satisfied"
    pledge.refresh_from_db()
    assert pledge.status == "closed" and pledge.rated_on == meeting.held_on
