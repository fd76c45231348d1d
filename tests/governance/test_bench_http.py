"""The HTTP benchmark's parts (`manage.py bench_http`): its bare floors answer what the
endpoints answer with the same authentication and scope (governance.bench_urls), and its load
generator (governance.loadgen) counts what a live server answered."""

import json
import uuid

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from governance import loadgen
from grids.visits.models import Visit

pytestmark = pytest.mark.urls("governance.bench_urls")


def _auth(user) -> dict:
    token, _created = Token.objects.get_or_create(user=user)
    return {"HTTP_AUTHORIZATION": f"Token {token.key}"}


def test_the_floors_refuse_a_request_without_a_token(world, client):
    for url in ("/bare/todo/", "/bare/matters/", "/bare/compliance/", "/bare/page/"):
        assert client.get(url).status_code == 403, url


def test_the_todo_floor_lists_the_users_own_households(world, client):
    rows = client.get("/bare/todo/", **_auth(world.users.grid1)).json()["results"]
    assert {row["head_name"] for row in rows} == {"张三", "李四"}
    others = client.get("/bare/todo/", **_auth(world.users.other_cadre)).json()["results"]
    assert others and world.q1.pk not in {row["grid_id"] for row in others}


def test_the_matters_floor_keeps_to_the_scope(mw, client):
    from tests.api.matter_states import civil

    matter = civil(mw)
    assert [row["id"] for row in client.get("/bare/matters/", **_auth(mw.users.cadre)).json()["results"]] == [matter.pk]
    assert client.get("/bare/matters/", **_auth(mw.users.other_cadre)).json()["results"] == []
    assert client.get(f"/bare/matters/{matter.pk}/", **_auth(mw.users.other_cadre)).status_code == 404
    assert client.get(f"/bare/matters/{matter.pk}/", **_auth(mw.users.cadre)).json()["events"]


def test_the_visit_floor_records_through_the_service_once_per_uuid(world, client):
    body = json.dumps(
        {
            "client_uuid": str(uuid.uuid4()),
            "household": world.households.q1.pk,
            "visited_at": timezone.now().isoformat(),
            "method": "home",
        }
    )
    first = client.post("/bare/visits/", body, content_type="application/json", **_auth(world.users.grid1))
    assert first.status_code == 201
    again = client.post("/bare/visits/", body, content_type="application/json", **_auth(world.users.grid1))
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Visit.objects.filter(author=world.users.grid1).count() == 1


def test_the_page_floor_answers_a_session(world, client):
    client.force_login(world.users.cadre)
    response = client.get("/bare/page/")
    assert response.status_code == 200 and world.users.cadre.username in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_load_generator_counts_answers_and_errors(live_server):
    # No warm-up and no time to fill: each thread measures its first request, whatever it
    # takes (thread 0 starts with the login page, thread 1 with the missing page), and stops.
    spec = {
        "name": "login page",
        "concurrency": 2,
        "seconds": 0,
        "warmup": 0,
        "requests": [
            {"method": "GET", "path": "/accounts/login/", "headers": {"Accept-Encoding": "gzip"}},
            {"method": "GET", "path": "/no-such-page/", "headers": {}},
        ],
    }
    result = loadgen.run(live_server.url, spec)
    assert result["requests"] == 2 == sum(result["statuses"].values())
    assert result["statuses"] == {"200": 1, "404": 1}
    assert result["errors"] and "/no-such-page/ 404" in result["errors"][0]
    assert 0 < result["p50"] <= result["p95"] <= result["p99"]


def test_the_load_generator_hands_each_body_out_once():
    bodies = loadgen._Bodies(["a", "b"])
    assert [bodies.next(), bodies.next()] == ["a", "b"]
    with pytest.raises(RuntimeError):
        bodies.next()
