"""Token login (counted and locked per username by django-axes, throttled) and /me/."""

import pytest
from axes.models import AccessAttempt
from rest_framework.authtoken.models import Token
from rest_framework.throttling import ScopedRateThrottle

TOKEN_URL = "/api/v1/auth/token/"


def login(client, username, password="demo12345", **extra):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json", **extra)


def test_token_login_then_me_with_token(world, api_client):
    response = login(api_client, "t_grid1")

    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=world.users.grid1).key
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/v1/me/")
    assert me.status_code == 200
    body = me.json()
    assert (body["id"], body["username"], body["name"]) == (world.users.grid1.pk, "t_grid1", "网格员一")
    assert body["is_superuser"] is False
    [assignment] = body["assignments"]
    assert assignment["role"] == "grid_worker"
    assert (assignment["place_type"], assignment["place_id"]) == ("grid", world.q1.pk)
    assert assignment["place_name"] == "七星村 第一网格"
    assert assignment["role_label"]
    assert assignment["valid_to"] is None


def test_same_token_is_returned_on_the_next_login(world, api_client):
    assert login(api_client, "t_cadre").json() == login(api_client, "t_cadre").json()


def test_me_lists_only_current_assignments(world, as_user):
    import datetime

    from governance.models import Role
    from tests.factories import assign

    assign(
        world.users.cadre,
        Role.GRID_LEADER,
        world.q2,
        valid_from=datetime.date(2020, 1, 1),
        valid_to=datetime.date(2020, 12, 31),
    )
    body = as_user(world.users.cadre).get("/api/v1/me/").json()
    assert [a["role"] for a in body["assignments"]] == ["village_cadre"]


def test_department_handler_me_names_the_department(world, as_user):
    [assignment] = as_user(world.users.handler).get("/api/v1/me/").json()["assignments"]
    assert assignment["place_type"] == "department"
    assert assignment["place_id"] == assignment["department"] == world.sifasuo.pk
    assert assignment["place_name"] == "渭沱镇 司法所"


def test_bad_password_is_400_with_non_field_error(world, api_client):
    response = login(api_client, "t_grid1", "wrong", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}
    assert not Token.objects.exists()


def test_missing_password_is_a_field_error(world, api_client):
    response = api_client.post(TOKEN_URL, {"username": "t_grid1"}, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json() == {"password": ["This field is required."]}


def test_inactive_user_gets_no_token(world, api_client):
    world.users.grid1.is_active = False
    world.users.grid1.save()

    assert login(api_client, "t_grid1").status_code == 400


def test_repeated_failures_lock_the_username_even_with_the_right_password(world, api_client):
    statuses = [login(api_client, "t_grid1", f"wrong{i}").status_code for i in range(6)]

    # The fifth failure reaches the limit: from then on the username is locked.
    assert statuses == [400, 400, 400, 400, 429, 429]
    response = login(api_client, "t_grid1", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "locked_out"
    assert "Too many failed logins" in response.json()["detail"]
    assert not Token.objects.filter(user=world.users.grid1).exists()
    # The lock is per username: another account on the same address still logs in.
    assert login(api_client, "t_grid2").status_code == 200


def test_lockout_is_counted_per_username_and_address(world, api_client):
    for i in range(4):
        login(api_client, "t_grid1", f"wrong{i}", REMOTE_ADDR="10.0.0.1")

    # A fifth failure from another address does not complete the first address's count.
    assert login(api_client, "t_grid1", "wrong", REMOTE_ADDR="10.0.0.2").status_code == 400
    assert login(api_client, "t_grid1", REMOTE_ADDR="10.0.0.2").status_code == 200
    assert login(api_client, "t_grid1", "wrong", REMOTE_ADDR="10.0.0.1").json()["code"] == "locked_out"
    assert AccessAttempt.objects.filter(username="t_grid1", ip_address="10.0.0.1").exists()


def test_successful_login_clears_earlier_failures(world, api_client):
    for i in range(4):
        assert login(api_client, "t_grid1", f"wrong{i}").status_code == 400
    assert login(api_client, "t_grid1").status_code == 200
    for i in range(4):
        assert login(api_client, "t_grid1", f"again{i}").status_code == 400
    assert login(api_client, "t_grid1").status_code == 200


def test_login_is_throttled(world, api_client, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "3/min"})

    statuses = [login(api_client, "t_grid1").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = login(api_client, "t_grid1")
    assert response.json()["code"] == "throttled"
    assert "Retry-After" in response


@pytest.mark.parametrize("url", ["/api/v1/me/", "/api/v1/households/"])
def test_anonymous_is_refused_with_401_and_a_challenge(world, api_client, url):
    response = api_client.get(url, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def test_bad_token_is_refused(world, api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = api_client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_signed_in_page_session_still_reaches_the_api(world, client):
    client.force_login(world.users.grid1)
    assert client.get("/api/v1/me/").status_code == 200
