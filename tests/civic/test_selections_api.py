"""The 最美 selections' and activities' API (/api/v1/selections/, /api/v1/activities/): the
permission matrix over every persona, the selection run through, Idempotency-Key, photos, and
lists whose queries do not grow with their rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.civic import activities as a
from governance.civic.models import Activity, ActivityPhoto, Nomination, Selection
from points.models import Award, AwardStatus
from tests.civic import selection_world
from tests.matrix import API_PERSONAS, Case, api_expect, api_login, api_problems, api_send, matrix_params, run_matrix
from tests.pledge_fixtures import jpeg

pytestmark = pytest.mark.django_db
sw = selection_world.sw
expect = api_expect

READERS = ("grid1", "grid2", "cadre", "official", "leader", "admin")
NON_READERS = dict.fromkeys(("helper", "clerk", "supervisor", "handler", "outsider"), 403)
SEES = dict.fromkeys(READERS, 200)
# In sight but not their step (grid staff and the township, for the council's steps): 403.
NOT_THE_COUNCIL = dict.fromkeys(("grid1", "grid2", "official", "leader"), 403)

MATRIX = [
    ("GET", "/api/v1/selections/", None, expect(200, **NON_READERS)),
    ("GET", "/api/v1/selections/{nominated}/", None, expect(404, **SEES)),
    (
        "POST",
        "/api/v1/selections/",
        {"village": "{qixing}", "kind": "family", "title": "最美家庭", "year": "{year}"},
        expect(403, cadre=201, admin=201, other_cadre=400),
    ),
    (
        "POST",
        "/api/v1/selections/{nominated}/nominations/",
        {"household": "{q2}", "reason": "孝老爱亲"},
        # Grid staff nominate within their own grid: 王五's family is grid 2's.
        expect(404, grid1=403, grid2=200, cadre=200, admin=200, official=403, leader=403),
    ),
    (
        "POST",
        "/api/v1/selections/{nominated}/nominations/{nid}/withdraw/",
        {},
        expect(404, **NOT_THE_COUNCIL, cadre=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/selections/{nominated}/decide/",
        {
            "entitled": 9,
            "present": 8,
            "votes": [{"nomination": "{nid}", "votes_for": 7}, {"nomination": "{nid2}", "votes_for": 1}],
        },
        expect(404, **NOT_THE_COUNCIL, cadre=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/selections/{decided}/decide/",
        {"entitled": 9, "present": 8, "votes": []},
        expect(404, **NOT_THE_COUNCIL, cadre=409, admin=409),
    ),
    (
        "POST",
        "/api/v1/selections/{decided}/publish/",
        {"rule": "{family_rule}"},
        expect(404, **NOT_THE_COUNCIL, cadre=200, admin=200),
    ),
    (
        "POST",
        "/api/v1/selections/{nominated}/publish/",
        {},
        expect(404, **NOT_THE_COUNCIL, cadre=409, admin=409),
    ),
    ("GET", "/api/v1/activities/", None, expect(200, **NON_READERS)),
    ("GET", "/api/v1/activities/{activity}/", None, expect(404, **SEES)),
    (
        "POST",
        "/api/v1/activities/",
        {
            "village": "{qixing}",
            "kind": "neighbours_festival",
            "title": "邻里节",
            "held_on": "{today}",
            "description": "百家宴",
            "participants": ["{member}"],
        },
        expect(403, grid1=201, grid2=201, cadre=201, admin=201, other_cadre=400),
    ),
    (
        "POST",
        "/api/v1/activities/{activity}/points/",
        {"rule": "{festival_rule}"},
        # Grid 2's worker may not propose points for grid 1's households (the points bank's rule).
        expect(404, grid1=200, grid2=403, cadre=200, admin=200, official=403, leader=403),
    ),
]
CASES = [Case(method, url, expected, data) for method, url, data, expected in MATRIX]


def _activity(sw, **extra):
    data = {
        "kind": "neighbours_festival",
        "title": "邻里节",
        "held_on": timezone.localdate() - datetime.timedelta(days=1),
        "description": "百家宴",
        "participants": list(sw.households.q1.members.all()),
    }
    data.update(extra)
    return a.activity_record(actor=sw.users.cadre, village=sw.qixing, **data)


def _state():
    return (
        list(Selection.objects.order_by("pk").values_list("pk", "status", "award_batch")),
        list(Nomination.objects.order_by("pk").values_list("pk", "votes_for")),
        list(Activity.objects.order_by("pk").values_list("pk", "award_batch")),
        Award.objects.count(),
    )


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_selection_and_activity_permission_matrix(sw, api_client, case):
    nominated = sw.nominated()
    first, second = nominated.nominations.order_by("pk")
    ids = {
        "qixing": sw.qixing.pk,
        "year": sw.year,
        "today": timezone.localdate().isoformat(),
        "q2": sw.households.q2.pk,
        "nominated": nominated.pk,
        "nid": first.pk,
        "nid2": second.pk,
        "decided": sw.decided(sw.nominated(sw.opened(title="已决")), votes=(8, 0)).pk,
        "family_rule": sw.rules.family.pk,
        "festival_rule": sw.rules.festival.pk,
        "activity": _activity(sw).pk,
        "member": sw.households.q1.members.first().pk,
    }
    url, data = case.resolve(ids)
    run_matrix(
        case,
        personas=API_PERSONAS,
        login=api_login(api_client, sw.users),
        send=api_send(api_client, case.method, url, data),
        snapshot=_state,
        checks=[api_problems],
    )


def test_a_family_selection_through_the_api_with_idempotency(sw, as_user):
    cadre = as_user(sw.users.cadre)
    body = {"village": sw.qixing.pk, "kind": "family", "title": "最美家庭", "year": sw.year}
    created = cadre.post("/api/v1/selections/", body, format="json", HTTP_IDEMPOTENCY_KEY="open-1")
    again = cadre.post("/api/v1/selections/", body, format="json", HTTP_IDEMPOTENCY_KEY="open-1")
    assert created.status_code == again.status_code == 201 and Selection.objects.count() == 1
    pk = created.json()["id"]
    for household in (sw.households.q1, sw.households.q1b):
        response = cadre.post(
            f"/api/v1/selections/{pk}/nominations/", {"household": household.pk, "reason": "孝老"}, format="json"
        )
        assert response.status_code == 200, response.json()
    nominations = response.json()["nominations"]
    response = cadre.post(
        f"/api/v1/selections/{pk}/decide/",
        {"entitled": 9, "present": 8, "votes": [{"nomination": n["id"], "votes_for": 4} for n in nominations]},
        format="json",
    )
    assert response.status_code == 400 and "votes" in response.json()  # nobody has more than half
    response = cadre.post(
        f"/api/v1/selections/{pk}/decide/",
        {"entitled": 9, "present": 8, "votes": [{"nomination": n["id"], "votes_for": 6} for n in nominations]},
        format="json",
    )
    assert response.status_code == 200 and all(n["selected"] for n in response.json()["nominations"])
    response = cadre.post(f"/api/v1/selections/{pk}/publish/", {"rule": sw.rules.family.pk}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "published"
    awards = Award.objects.filter(batch_id=response.json()["award_batch"])
    assert awards.count() == 2 and {aw.status for aw in awards} == {AwardStatus.PENDING}


def test_activity_photos_by_multipart_and_served_scoped(sw, as_user, client):
    activity = _activity(sw)
    response = as_user(sw.users.grid1).post(
        f"/api/v1/activities/{activity.pk}/photos/", {"photos": [jpeg()]}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    photo = ActivityPhoto.objects.get()
    assert response.json()["photos"] == [{"id": photo.pk, "url": f"/civic/activities/photos/{photo.pk}/"}]
    client.force_login(sw.users.other_cadre)
    assert client.get(f"/civic/activities/photos/{photo.pk}/").status_code == 404
    client.force_login(sw.users.grid2)
    assert client.get(f"/civic/activities/photos/{photo.pk}/")["Content-Type"] == "image/jpeg"


def test_a_second_points_batch_is_409(sw, as_user):
    activity = _activity(sw)
    cadre = as_user(sw.users.cadre)
    assert cadre.post(f"/api/v1/activities/{activity.pk}/points/", {"rule": sw.rules.festival.pk}).status_code == 200
    again = cadre.post(f"/api/v1/activities/{activity.pk}/points/", {"rule": sw.rules.festival.pk})
    assert again.status_code == 409 and again.json()["code"] == "already_proposed"


def _count(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_api_lists_cost_the_same_queries_for_more_rows(sw, as_user):
    client = as_user(sw.users.official)
    sw.nominated()
    _activity(sw)
    few = (_count(client, "/api/v1/selections/"), _count(client, "/api/v1/activities/"))
    for n in range(4):
        sw.published(sw.decided(sw.nominated(sw.opened(title=f"第{n}届"))))
        _activity(sw, title=f"走访{n}")
    assert (_count(client, "/api/v1/selections/"), _count(client, "/api/v1/activities/")) == few


PHOTOS_CASE = Case(
    "POST",
    "/api/v1/activities/{activity}/photos/",
    expect(404, grid1=200, grid2=200, cadre=200, admin=200, official=403, leader=403),
    note="multipart",
)


def test_activity_photos_permission_matrix(sw, api_client):
    activity = _activity(sw)
    url, _data = PHOTOS_CASE.resolve({"activity": activity.pk})
    run_matrix(
        PHOTOS_CASE,
        personas=API_PERSONAS,
        login=api_login(api_client, sw.users),
        send=lambda: api_client.post(url, {"photos": [jpeg()]}, format="multipart"),
        snapshot=lambda: ActivityPhoto.objects.count(),
        checks=[api_problems],
    )
