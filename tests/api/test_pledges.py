"""The pledges' API (/api/v1/pledges/): the cycle, the permission matrix, Idempotency-Key,
and a list whose queries do not grow with its rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance import pledges as p
from governance.models import Pledge, PledgeEvent, PledgePhoto, PledgeProgress
from tests.matrix import API_PERSONAS, Case, api_expect, api_login, api_problems, api_send, matrix_params, run_matrix
from tests.pledge_fixtures import content, jpeg

pytestmark = pytest.mark.django_db

PERSONAS, expect = API_PERSONAS, api_expect


def _json_content(**overrides):
    return {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in content(**overrides).items()}


# Who reads 七星村's pledges: its staff (not the shop clerk), its supervision committee, its township.
READERS = ("grid1", "grid2", "helper", "cadre", "supervisor", "official", "leader", "admin")
SEES = dict.fromkeys(READERS, 200)
# In scope but not their step: 403.
REFUSED_IN_SCOPE = dict.fromkeys(READERS, 403)

MATRIX = [
    # The shop clerk and a department handler hold roles that read no pledges: 403.
    ("GET", "/api/v1/pledges/", None, expect(200, clerk=403, handler=403)),
    ("GET", "/api/v1/pledges/{submitted}/", None, expect(404, **SEES)),
    (
        "POST",
        "/api/v1/pledges/",
        {"village": "{qixing}", **_json_content()},
        expect(403, grid1=201, grid2=201, helper=201, cadre=201, admin=201, other_cadre=400),
    ),
    (
        "POST",
        "/api/v1/pledges/{submitted}/approve/",
        {},
        expect(404, **{**REFUSED_IN_SCOPE, "official": 200, "leader": 200, "admin": 200}),
    ),
    (
        "POST",
        "/api/v1/pledges/{submitted}/return/",
        {"reason": "不具体"},
        expect(404, **{**REFUSED_IN_SCOPE, "official": 200, "leader": 200, "admin": 200}),
    ),
    (
        "POST",
        "/api/v1/pledges/{published}/approve/",
        {},
        expect(404, **{**REFUSED_IN_SCOPE, "official": 409, "leader": 409, "admin": 409}),
    ),
    (
        "POST",
        "/api/v1/pledges/{published}/progress/",
        {"note": "走访5户"},
        expect(404, **{**REFUSED_IN_SCOPE, "cadre": 200}),
    ),
    (
        "POST",
        "/api/v1/pledges/{published}/complete/",
        {"note": "完成"},
        expect(404, **{**REFUSED_IN_SCOPE, "cadre": 200}),
    ),
    (
        "POST",
        "/api/v1/pledges/{submitted}/progress/",
        {"note": "未审先做"},
        expect(404, **{**REFUSED_IN_SCOPE, "cadre": 409}),
    ),
    (
        "POST",
        "/api/v1/pledges/{done}/rate/",
        {"held_on": "{today}", "raters": 10, "satisfied": 8, "basically_satisfied": 1, "unsatisfied": 1},
        expect(404, **{**REFUSED_IN_SCOPE, "official": 200, "leader": 200, "admin": 200}),
    ),
    (
        "POST",
        "/api/v1/pledges/{resident_submitted}/approve/",
        {},
        # The cadre recorded it: not theirs to review.
        expect(404, **{**REFUSED_IN_SCOPE, "official": 200, "leader": 200, "admin": 200}),
    ),
    (
        "POST",
        "/api/v1/pledges/{resident_published}/progress/",
        {"note": "宣讲一次"},
        # A village cadre acts for the resident (and the superuser, who may do anything).
        expect(404, **{**REFUSED_IN_SCOPE, "cadre": 200, "admin": 200}),
    ),
]

CASES = [Case(method, url, expected, data) for method, url, data, expected in MATRIX]


def _state():
    return (
        list(Pledge.objects.order_by("pk").values_list("pk", "status", "title", "reviewed_by_id", "raters")),
        PledgeEvent.objects.count(),
        PledgeProgress.objects.count(),
    )


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_pledge_permission_matrix(plw, api_client, case):
    ids = {
        "qixing": plw.qixing.pk,
        "today": timezone.localdate().isoformat(),
        "submitted": plw.own().pk,
        "published": plw.published().pk,
        "done": plw.done().pk,
        "resident_submitted": plw.residents().pk,
        "resident_published": plw.published(plw.residents()).pk,
    }
    url, data = case.resolve(ids)
    run_matrix(
        case,
        personas=PERSONAS,
        login=api_login(api_client, plw.users),
        send=api_send(api_client, case.method, url, data),
        snapshot=_state,
        checks=[api_problems],
    )


def test_the_whole_cycle_through_the_api(plw, as_user):
    u = plw.users
    grid1 = as_user(u.grid1)
    created = grid1.post("/api/v1/pledges/", {"village": plw.qixing.pk, "pledger_title": "网格员", **_json_content()})
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["status"] == "submitted" and created.json()["next_actions"] == []
    cadre = as_user(u.cadre)
    returned = cadre.post(f"/api/v1/pledges/{pk}/return/", {"reason": "写清户数"}, format="json")
    assert returned.json()["status"] == "returned"
    grid1 = as_user(u.grid1)
    assert grid1.post(f"/api/v1/pledges/{pk}/progress/", {"note": "x"}).status_code == 409
    again = grid1.post(f"/api/v1/pledges/{pk}/resubmit/", {"title": "逢十走访困难户12户"}, format="json")
    assert again.json()["status"] == "submitted" and again.json()["title"] == "逢十走访困难户12户"
    assert grid1.post(f"/api/v1/pledges/{pk}/approve/", {}).status_code == 403  # maker-checker
    cadre = as_user(u.cadre)
    assert cadre.post(f"/api/v1/pledges/{pk}/approve/", {"note": "同意"}).json()["status"] == "published"
    assert cadre.post(f"/api/v1/pledges/{pk}/approve/", {}).status_code == 409
    grid1 = as_user(u.grid1)
    line = grid1.post(f"/api/v1/pledges/{pk}/progress/", {"note": "走访6户", "photos": [jpeg()]}, format="multipart")
    assert line.status_code == 200, line.json()
    photos = line.json()["progress"][0]["photos"]
    assert len(photos) == 1 and photos[0]["url"].startswith("/pledge-photos/")
    done = grid1.post(f"/api/v1/pledges/{pk}/complete/", {"note": "全部走访"}, format="multipart")
    assert done.json()["status"] == "done"
    cadre = as_user(u.cadre)
    bad = cadre.post(
        f"/api/v1/pledges/{pk}/rate/",
        {
            "held_on": timezone.localdate().isoformat(),
            "raters": 5,
            "satisfied": 5,
            "basically_satisfied": 1,
            "unsatisfied": 0,
        },
        format="json",
    )
    assert bad.status_code == 400 and "raters" in bad.json()
    rated = cadre.post(
        f"/api/v1/pledges/{pk}/rate/",
        {
            "held_on": timezone.localdate().isoformat(),
            "raters": 5,
            "satisfied": 4,
            "basically_satisfied": 1,
            "unsatisfied": 0,
        },
        format="json",
    )
    assert rated.json()["status"] == "closed" and rated.json()["satisfaction_rate"] == 100
    actions = [event["action"] for event in rated.json()["events"]]
    assert actions == ["propose", "return", "resubmit", "approve", "progress", "complete", "rate"]


def test_a_create_with_an_idempotency_key_is_made_once(plw, as_user):
    client = as_user(plw.users.cadre)
    body = {"village": plw.qixing.pk, **_json_content()}
    first = client.post("/api/v1/pledges/", body, format="json", HTTP_IDEMPOTENCY_KEY="pledge-1")
    second = client.post("/api/v1/pledges/", body, format="json", HTTP_IDEMPOTENCY_KEY="pledge-1")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"] and second["Idempotent-Replayed"] == "true"
    assert Pledge.objects.count() == 1
    other = client.post("/api/v1/pledges/", {**body, "title": "另一件"}, format="json", HTTP_IDEMPOTENCY_KEY="pledge-1")
    assert other.status_code == 409 and Pledge.objects.count() == 1


def test_an_action_with_an_idempotency_key_is_done_once(plw, as_user):
    pledge = plw.published()
    client = as_user(plw.users.cadre)
    for _ in range(2):
        response = client.post(
            f"/api/v1/pledges/{pledge.pk}/progress/", {"note": "走访"}, format="json", HTTP_IDEMPOTENCY_KEY="line-1"
        )
        assert response.status_code == 200
    assert PledgeProgress.objects.filter(pledge=pledge).count() == 1


def test_a_residents_pledge_from_another_village_is_a_400_on_the_field(plw, as_user):
    client = as_user(plw.users.other_cadre)
    response = client.post(
        "/api/v1/pledges/", {"village": plw.hualong.pk, "resident": plw.member.pk, **_json_content()}, format="json"
    )
    assert response.status_code == 400 and "resident" in response.json()
    client = as_user(plw.users.cadre)
    response = client.post(
        "/api/v1/pledges/", {"village": plw.qixing.pk, "resident": plw.member.pk, **_json_content()}, format="json"
    )
    assert response.status_code == 201 and response.json()["pledger_resident"] == plw.member.pk


def test_the_list_filters_by_status_and_village(plw, as_user):
    plw.own(title="等审")
    plw.published(plw.own(title="已亮诺"))
    client = as_user(plw.users.official)
    titles = [row["title"] for row in client.get("/api/v1/pledges/", {"status": "published"}).json()["results"]]
    assert titles == ["已亮诺"]
    assert client.get("/api/v1/pledges/", {"village": plw.hualong.pk}).json()["results"] == []


def test_the_list_costs_the_same_queries_for_more_rows(plw, as_user):
    client = as_user(plw.users.official)
    plw.residents()
    plw.own()
    client.get("/api/v1/pledges/")

    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/pledges/")
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    few, rows = measure()
    for _ in range(4):
        plw.residents()
        plw.published(plw.own(actor=plw.users.grid1))
    many, more_rows = measure()
    assert more_rows > rows and many == few


def test_the_detail_costs_the_same_queries_with_more_lines(plw, as_user):
    pledge = plw.published()
    client = as_user(plw.users.cadre)

    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/pledges/{pledge.pk}/").status_code == 200
        return len(queries)

    p.pledge_progress(pledge=pledge, actor=plw.users.cadre, note="一", photos=[jpeg()])
    client.get(f"/api/v1/pledges/{pledge.pk}/")
    few = measure()
    for n in range(3):
        p.pledge_progress(pledge=pledge, actor=plw.users.cadre, note=str(n), photos=[jpeg()])
    assert measure() == few
    assert PledgePhoto.objects.filter(pledge=pledge).count() == 4


def test_the_schema_lists_the_pledges_and_their_actions(plw, client):
    client.force_login(plw.users.cadre)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/v1/pledges/",
        "/api/v1/pledges/{id}/approve/",
        "/api/v1/pledges/{id}/return/",
        "/api/v1/pledges/{id}/progress/",
        "/api/v1/pledges/{id}/complete/",
        "/api/v1/pledges/{id}/rate/",
    ):
        assert path in schema["paths"], path


def test_a_resident_who_is_not_a_party_member_cannot_be_recorded_as_a_pledger(plw, as_user):
    """The page offers only residents tagged 党员; the API refuses the others on the field."""
    other = plw.households.q1.members.first()
    assert not other.tags.filter(code="party_member").exists()
    response = as_user(plw.users.cadre).post(
        "/api/v1/pledges/", {"village": plw.qixing.pk, "resident": other.pk, **_json_content()}, format="json"
    )
    assert response.status_code == 400 and "resident" in response.json()
    assert not Pledge.objects.filter(pledger_resident=other).exists()
