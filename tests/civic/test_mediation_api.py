"""The teams' and mediations' API (/api/v1/teams/, /api/v1/mediations/): the permission
matrix over every persona, Idempotency-Key, masked phones, the schema, and lists whose
queries do not grow with their rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.civic import teams as t
from governance.civic.models import Mediation, Team, TeamKind, TeamMember
from tests.civic import mediation_fixtures
from tests.civic.mediation_fixtures import days
from tests.matrix import API_PERSONAS, Case, api_expect, api_login, api_problems, api_send, matrix_params, run_matrix

cw = mediation_fixtures.cw  # the fixture

pytestmark = pytest.mark.django_db


def expect(default: int, *bases: dict, **overrides) -> dict:
    """api_expect with the rows of `bases` merged, then `overrides` (they may repeat a persona)."""
    merged = {}
    for base in bases:
        merged.update(base)
    merged.update(overrides)
    return api_expect(default, **merged)


# Who reads 七星村's civic books: its cadre and grid staff, its township, the superuser.
READERS = ("grid1", "grid2", "cadre", "official", "leader", "admin")
SEES = dict.fromkeys(READERS, 200)
# Roles that read no civic book: refused on the lists, blind on the rows.
NON_READERS = dict.fromkeys(("helper", "clerk", "supervisor", "handler", "outsider"), 403)
IN_SCOPE_403 = dict.fromkeys(READERS, 403)


def _iso(day: datetime.date) -> str:
    return day.isoformat()


MEDIATION_BODY = {
    "village": "{qixing}",
    "mediators": ["{vet1}", "{vet2}"],
    "dispute_kind": "land",
    "parties": [{"name": "张某", "phone": "15800001234"}, {"name": "马某"}],
    "facts": "修路占地",
    "held_on": "{held_on}",
}

MATRIX = [
    ("GET", "/api/v1/teams/", None, expect(200, NON_READERS), ""),
    ("GET", "/api/v1/teams/{veterans}/", None, expect(404, SEES), ""),
    # A township team is read by the township and by the staff of its villages.
    ("GET", "/api/v1/teams/{lawyers}/", None, expect(404, SEES, other_cadre=200), ""),
    (
        "POST",
        "/api/v1/teams/",
        {"kind": "resident_mediators", "name": "居民调解队", "village": "{qixing}"},
        expect(403, IN_SCOPE_403, cadre=201, admin=201, other_cadre=400, other_official=400),
        "a village team",
    ),
    (
        "POST",
        "/api/v1/teams/",
        {"kind": "lawyers", "name": "律师团", "township": "{weituo}"},
        expect(400, NON_READERS, official=201, leader=201, admin=201),
        "a township team",
    ),
    (
        "POST",
        "/api/v1/teams/",
        {"kind": "committee", "name": "第二个治委会", "village": "{qixing}"},
        expect(403, IN_SCOPE_403, cadre=409, admin=409, other_cadre=400, other_official=400),
        "a second committee",
    ),
    (
        "POST",
        "/api/v1/teams/{veterans}/members/",
        {"name": "新老兵", "role": "member", "title": "退役军人"},
        expect(404, IN_SCOPE_403, cadre=200, admin=200),
        "",
    ),
    (
        "POST",
        "/api/v1/teams/{veterans}/members/",
        {"name": "新老兵", "phone": "123"},
        expect(404, IN_SCOPE_403, cadre=400, admin=400),
        "bad phone",
    ),
    (
        "POST",
        "/api/v1/teams/{lawyers}/members/",
        {"name": "新律师"},
        expect(404, grid1=403, grid2=403, cadre=403, other_cadre=403, official=200, leader=200, admin=200),
        "",
    ),
    (
        "POST",
        "/api/v1/teams/{stood_down}/members/",
        {"name": "新人"},
        expect(404, IN_SCOPE_403, cadre=409, admin=409),
        "",
    ),
    (
        "POST",
        "/api/v1/teams/{veterans}/members/{vet3}/leave/",
        {},
        expect(404, IN_SCOPE_403, cadre=200, admin=200),
        "",
    ),
    (
        "POST",
        "/api/v1/teams/{veterans}/members/{left}/leave/",
        {},
        expect(404, IN_SCOPE_403, cadre=409, admin=409),
        "left already",
    ),
    ("GET", "/api/v1/mediations/", None, expect(200, NON_READERS), ""),
    ("GET", "/api/v1/mediations/{open}/", None, expect(404, SEES), ""),
    (
        "POST",
        "/api/v1/mediations/",
        MEDIATION_BODY,
        expect(201, NON_READERS, other_cadre=400, other_official=400),
        "",
    ),
    (
        "POST",
        "/api/v1/mediations/",
        {**MEDIATION_BODY, "parties": [{"name": "张某"}]},
        expect(400, NON_READERS),
        "one party",
    ),
    (
        "POST",
        "/api/v1/mediations/{open}/agree/",
        {"terms": "补偿800元", "perform_by": "{perform_by}"},
        expect(404, SEES),
        "",
    ),
    (
        "POST",
        "/api/v1/mediations/{open}/agree/",
        {"terms": "", "perform_by": "{perform_by}"},
        expect(404, dict.fromkeys(READERS, 400)),
        "no terms",
    ),
    (
        "POST",
        "/api/v1/mediations/{agreed}/agree/",
        {"terms": "再来", "perform_by": "{perform_by}"},
        expect(404, dict.fromkeys(READERS, 409)),
        "",
    ),
    (
        "POST",
        "/api/v1/mediations/{open}/fail/",
        {"guided_to": "litigation", "note": "引导诉讼"},
        expect(404, SEES),
        "",
    ),
    ("POST", "/api/v1/mediations/{agreed}/revisit/", {"performance": "performed"}, expect(404, SEES), ""),
    (
        "POST",
        "/api/v1/mediations/{open}/revisit/",
        {"performance": "performed"},
        expect(404, dict.fromkeys(READERS, 409)),
        "",
    ),
]

CASES = [Case(method, url, expected, data, note=note) for method, url, data, expected, note in MATRIX]


def _state():
    return (
        list(Team.objects.order_by("pk").values_list("pk", "name", "is_active")),
        list(TeamMember.objects.order_by("pk").values_list("pk", "left_on")),
        list(Mediation.objects.order_by("pk").values_list("pk", "status", "terms", "revisited_on")),
    )


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_teams_and_mediations_permission_matrix(cw, api_client, case):
    stood_down = t.team_create(actor=cw.users.cadre, kind=TeamKind.PARTY_MEDIATORS, name="旧调解队", village=cw.qixing)
    t.team_update(team=stood_down, actor=cw.users.cadre, is_active=False)
    left = t.member_add(team=cw.veterans, actor=cw.users.cadre, name="已离队", joined_on=days(-30))
    t.member_leave(member=left, actor=cw.users.cadre)
    ids = {
        "qixing": cw.qixing.pk,
        "weituo": cw.weituo.pk,
        "veterans": cw.veterans.pk,
        "lawyers": cw.lawyers.pk,
        "stood_down": stood_down.pk,
        "vet1": cw.vets[0].pk,
        "vet2": cw.vets[1].pk,
        "vet3": cw.vets[2].pk,
        "left": left.pk,
        "open": cw.opened().pk,
        "agreed": cw.agreed().pk,
        "held_on": _iso(days(-1)),
        "perform_by": _iso(days(20)),
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


def test_the_whole_mediation_through_the_api(cw, as_user):
    client = as_user(cw.users.cadre)
    body = {
        "village": cw.qixing.pk,
        "mediators": [cw.vets[0].pk, cw.lawyer.pk],
        "dispute_kind": "land",
        "parties": [{"name": "张某", "phone": "15800001234", "side": "applicant"}, {"name": "马某"}],
        "facts": "修路占地",
        "held_on": _iso(days(-2)),
    }
    created = client.post("/api/v1/mediations/", body, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["number"].startswith("七星调〔") and data["status"] == "open"
    assert data["parties"][0]["phone"] == "158****1234" and data["next_step"] == "agree_or_fail"
    assert {m["name"] for m in data["mediators"]} == {"王老兵", "陈律师"}
    pk = data["id"]
    agreed = client.post(
        f"/api/v1/mediations/{pk}/agree/", {"terms": "补偿", "perform_by": _iso(days(5))}, format="json"
    )
    assert agreed.status_code == 200, agreed.json()
    assert agreed.json()["return_visit_due"] == _iso(timezone.localdate() + datetime.timedelta(days=30))
    assert agreed.json()["next_actions"] == ["revisit"]
    revisited = client.post(f"/api/v1/mediations/{pk}/revisit/", {"performance": "partly"}, format="json")
    assert revisited.json()["performance"] == "partly"


def test_a_create_with_an_idempotency_key_is_made_once(cw, as_user):
    client = as_user(cw.users.cadre)
    body = {
        "village": cw.qixing.pk,
        "mediators": [cw.vets[0].pk],
        "dispute_kind": "neighbours",
        "parties": [{"name": "甲"}, {"name": "乙"}],
        "facts": "噪音",
        "held_on": _iso(days(0)),
    }
    first = client.post("/api/v1/mediations/", body, format="json", HTTP_IDEMPOTENCY_KEY="med-1")
    second = client.post("/api/v1/mediations/", body, format="json", HTTP_IDEMPOTENCY_KEY="med-1")
    assert first.status_code == second.status_code == 201 and first.json()["id"] == second.json()["id"]
    assert Mediation.objects.count() == 1
    team = client.post(
        "/api/v1/teams/", {"kind": "lawyers", "name": "村律师", "village": cw.qixing.pk}, HTTP_IDEMPOTENCY_KEY="t-1"
    )
    again = client.post(
        "/api/v1/teams/", {"kind": "lawyers", "name": "村律师", "village": cw.qixing.pk}, HTTP_IDEMPOTENCY_KEY="t-1"
    )
    assert team.status_code == again.status_code == 201 and Team.objects.filter(name="村律师").count() == 1


def test_a_member_phone_is_masked_in_the_api(cw, as_user):
    client = as_user(cw.users.cadre)
    answer = client.post(f"/api/v1/teams/{cw.veterans.pk}/members/", {"name": "有电话", "phone": "15800005678"})
    assert answer.status_code == 200
    phones = [m["phone"] for m in answer.json()["members"] if m["name"] == "有电话"]
    assert phones == ["158****5678"]


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_lists_queries_stay_flat(cw, as_user):
    client = as_user(cw.users.cadre)
    cw.opened()
    _count(client, "/api/v1/teams/")  # warm: what is read once per process
    teams_before, mediations_before = _count(client, "/api/v1/teams/"), _count(client, "/api/v1/mediations/")
    for index in range(5):
        team = t.team_create(
            actor=cw.users.cadre, kind=TeamKind.RESIDENT_MEDIATORS, name=f"队{index}", village=cw.qixing
        )
        t.member_add(team=team, actor=cw.users.cadre, name=f"人{index}", joined_on=days(-10))
        cw.agreed(cw.opened(mediators=[cw.vets[index % 3], cw.lawyer]))
    assert _count(client, "/api/v1/teams/") == teams_before
    assert _count(client, "/api/v1/mediations/") == mediations_before


def test_the_schema_describes_the_endpoints(world, client):
    client.force_login(world.users.cadre)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/teams/",
        "/api/v1/teams/{id}/members/",
        "/api/v1/teams/{id}/members/{member_id}/leave/",
        "/api/v1/mediations/",
        "/api/v1/mediations/{id}/agree/",
        "/api/v1/mediations/{id}/fail/",
        "/api/v1/mediations/{id}/revisit/",
    ):
        assert path in paths, path
    agree = paths["/api/v1/mediations/{id}/agree/"]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(agree["responses"])
