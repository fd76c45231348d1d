"""Staff accounts in the API (/api/v1/staff/, governance.staff_api) and signing in with a password
an administrator issued (/api/v1/auth/token/ refuses it, /api/v1/auth/password/ changes it).

The matrix: every endpoint as each persona, in the contract's order (403 for a role that keeps
no accounts, 404 for another township's account, 409 in the wrong state, 400 on bad input); a
refused request changes nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from governance import accounts as a
from governance.models import Role, StaffAccount
from tests.factories import assign, make_user
from tests.matrix import Case, api_login, api_problems, api_send, matrix_params, run_matrix
from tests.staff_fixtures import xlsx

User = get_user_model()
PERSONAS = ("admin", "weituo_admin", "xiaomian_admin", "cadre", "official", "grid1", "handler", "outsider", "anon")


def expect(default, **overrides) -> dict:
    """Every persona refused (403; anonymous 401), the administrators `default`, then overrides."""
    row = dict.fromkeys(PERSONAS, 403)
    row.update(anon=401, admin=default, weituo_admin=default, xiaomian_admin=default)
    row.update(overrides)
    return row


MATRIX = [
    Case("GET", "/api/v1/staff/", expect(200)),
    Case("GET", "/api/v1/staff/import-template/", expect(200)),
    Case("GET", "/api/v1/staff/{opened}/", expect(200, xiaomian_admin=404)),
    Case("GET", "/api/v1/staff/{other_official}/", expect(200, weituo_admin=404)),
    Case("GET", "/api/v1/staff/{superuser}/", expect(404, admin=200)),
    Case(
        "POST",
        "/api/v1/staff/",
        expect(201, xiaomian_admin=400),
        data={"username": "t_api_new", "name": "接口开通", "township": "{weituo}"},
        note="for 渭沱镇",
    ),
    Case(
        "POST",
        "/api/v1/staff/",
        expect(400),
        data={"username": "t_new_grid", "name": "", "password": "123"},
        note="bad payload",
    ),
    Case("POST", "/api/v1/staff/{opened}/reset-password/", expect(200, xiaomian_admin=404), data={}),
    Case(
        "POST",
        "/api/v1/staff/{opened}/reset-password/",
        expect(400, xiaomian_admin=404),
        data={"password": "12345678"},
        note="weak password",
    ),
    Case("POST", "/api/v1/staff/{weituo_admin}/reset-password/", expect(403, xiaomian_admin=404, admin=200), data={}),
    Case("POST", "/api/v1/staff/{opened}/deactivate/", expect(200, xiaomian_admin=404), data={"reason": "离职"}),
    Case("POST", "/api/v1/staff/{opened}/deactivate/", expect(400, xiaomian_admin=404), data={}, note="no reason"),
    Case("POST", "/api/v1/staff/{opened}/reactivate/", expect(409, xiaomian_admin=404), data={}),
    Case("POST", "/api/v1/staff/{gone}/reactivate/", expect(200, xiaomian_admin=404), data={}),
    Case("POST", "/api/v1/staff/{gone}/deactivate/", expect(409, xiaomian_admin=404), data={"reason": "again"}),
    # The list comes as a multipart form: a JSON body is refused before anything is read.
    Case("POST", "/api/v1/staff/import/", expect(415), data={}, note="a JSON body"),
]


def _snapshot():
    return (
        sorted(User.objects.values_list("pk", "username", "password", "is_active")),
        sorted(StaffAccount.objects.values_list("pk", "must_change_password", "deactivated_at", "township_id")),
        sorted(Token.objects.values_list("key", flat=True)),
    )


@pytest.fixture
def staff_ids(sw):
    users = sw.users
    gone, _password = a.staff_account_create(
        by=users.weituo_admin, township=sw.weituo, account=a.NewAccount(username="t_gone", name="已离职")
    )
    a.staff_account_deactivate(by=users.weituo_admin, user=gone, reason="离职")
    return {
        "weituo": sw.weituo.pk,
        "opened": sw.opened.pk,
        "gone": gone.pk,
        "other_official": users.other_official.pk,
        "superuser": users.admin.pk,
        "weituo_admin": users.weituo_admin.pk,
    }


@pytest.mark.parametrize("case", matrix_params(MATRIX))
def test_staff_permission_matrix(sw, staff_ids, api_client, case):
    url, data = case.resolve(staff_ids)
    run_matrix(
        case,
        personas=PERSONAS,
        login=api_login(api_client, sw.users),
        send=api_send(api_client, case.method, url, data),
        snapshot=_snapshot,
        checks=[api_problems] if case.url != "/api/v1/staff/import-template/" else [],
    )


def test_the_list_is_the_township_accounts_filtered_at_a_flat_cost(sw, as_user):
    client = as_user(sw.users.weituo_admin)
    a.staff_account_deactivate(by=sw.users.weituo_admin, user=sw.users.grid2, reason="离职")

    def names(**query):
        response = client.get("/api/v1/staff/", query)
        assert response.status_code == 200
        return {row["username"] for row in response.json()["results"]}

    everyone = names()
    assert {"t_new_grid", "t_grid1", "t_cadre", "t_weituo_admin"} <= everyone
    assert not everyone & {"t_xiaomian", "t_admin", "t_outsider"}
    assert names(active="false") == {"t_grid2"}
    assert names(must_change_password="true") == {"t_new_grid"}
    assert names(search="1234") == {"t_new_grid"}
    row = client.get(f"/api/v1/staff/{sw.users.grid1.pk}/").json()
    assert row["current_assignments"][0]["role"] == Role.GRID_WORKER and row["must_change_password"] is False

    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/staff/")
    for n in range(5):
        assign(make_user(f"t_more{n}"), Role.GRID_WORKER, sw.q1)
    with CaptureQueriesContext(connection) as many:
        client.get("/api/v1/staff/")
    assert len(many) == len(few)


def test_a_create_shows_the_password_once_and_a_replay_opens_nothing_more(sw, as_user):
    client = as_user(sw.users.weituo_admin)
    body = {"username": "t_idem", "name": "幂等", "phone": "15800000009"}
    first = client.post("/api/v1/staff/", body, format="json", HTTP_IDEMPOTENCY_KEY="open-t-idem")
    assert first.status_code == 201
    password = first.json()["initial_password"]
    user = User.objects.get(username="t_idem")
    assert user.check_password(password) and first.json()["must_change_password"] is True
    assert first.json()["township"] == sw.weituo.pk  # the administrator's one township
    replay = client.post("/api/v1/staff/", body, format="json", HTTP_IDEMPOTENCY_KEY="open-t-idem")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == user.pk and replay.json()["initial_password"] is None
    assert User.objects.filter(username="t_idem").count() == 1
    # The stored answer never holds the password.
    from governance.models import IdempotencyRecord

    assert password not in str(IdempotencyRecord.objects.get(key="open-t-idem").body)


def test_an_issued_password_gets_no_token_until_it_is_changed(sw, api_client):
    refused = api_client.post(
        "/api/v1/auth/token/", {"username": "t_new_grid", "password": sw.opened_password}, format="json"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "password_change_required"
    assert not Token.objects.filter(user=sw.opened).exists()

    same = api_client.post(
        "/api/v1/auth/password/",
        {"username": "t_new_grid", "password": sw.opened_password, "new_password": sw.opened_password},
        format="json",
    )
    assert same.status_code == 400 and "new_password" in same.json()
    wrong = api_client.post(
        "/api/v1/auth/password/",
        {"username": "t_new_grid", "password": "wrong-one", "new_password": "liangjiang-2026"},
        format="json",
    )
    assert wrong.status_code == 400
    changed = api_client.post(
        "/api/v1/auth/password/",
        {"username": "t_new_grid", "password": sw.opened_password, "new_password": "liangjiang-2026"},
        format="json",
    )
    assert changed.status_code == 200
    token = changed.json()["token"]
    assert not StaffAccount.objects.get(user=sw.opened).must_change_password
    me = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200 and me.json()["username"] == "t_new_grid"
    again = api_client.post("/api/v1/auth/token/", {"username": "t_new_grid", "password": "liangjiang-2026"})
    assert again.status_code == 200


def test_a_token_of_an_account_that_must_change_its_password_is_refused(sw, api_client):
    token = Token.objects.create(user=sw.opened)  # made outside the API (the Django admin)
    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"


def test_a_reset_through_the_api_revokes_the_accounts_tokens(sw, as_user, api_client):
    token = api_client.post("/api/v1/auth/token/", {"username": "t_grid1", "password": "demo12345"}).json()["token"]
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    client = as_user(sw.users.weituo_admin)
    reset = client.post(f"/api/v1/staff/{sw.users.grid1.pk}/reset-password/", {}, format="json")
    assert reset.status_code == 200
    password = reset.json()["initial_password"]
    api_client.force_authenticate(None)
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    refused = api_client.post("/api/v1/auth/token/", {"username": "t_grid1", "password": password})
    assert refused.status_code == 403 and refused.json()["code"] == "password_change_required"


def test_a_deactivated_account_gets_no_token_and_its_tokens_stop(sw, as_user, api_client):
    token = api_client.post("/api/v1/auth/token/", {"username": "t_grid1", "password": "demo12345"}).json()["token"]
    client = as_user(sw.users.weituo_admin)
    gone = client.post(f"/api/v1/staff/{sw.users.grid1.pk}/deactivate/", {"reason": "离职"}, format="json")
    assert gone.status_code == 200 and gone.json()["is_active"] is False
    assert gone.json()["deactivation_reason"] == "离职"
    # Its assignment ends today (the last day it counts, as governance.services.assignment_end has it).
    assert [row["valid_to"] for row in gone.json()["current_assignments"]] == [timezone.localdate().isoformat()]
    api_client.force_authenticate(None)
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    assert api_client.post("/api/v1/auth/token/", {"username": "t_grid1", "password": "demo12345"}).status_code == 400
    history = as_user(sw.users.weituo_admin).get(f"/api/v1/history/account/{sw.users.grid1.pk}/").json()
    assert history[0]["actor"] == sw.users.weituo_admin.first_name


def test_an_import_through_the_api_opens_all_or_lists_every_error(sw, as_user):
    client = as_user(sw.users.weituo_admin)
    bad = client.post("/api/v1/staff/import/", {"file": xlsx([["t_a1", "", "", "", ""], ["t_a1", "重", "", "", ""]])})
    assert bad.status_code == 400
    body = bad.json()
    assert body["code"] == "invalid_staff_list"
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (2, "姓名", "invalid"),
        (3, "用户名", "duplicate_username"),
    ]
    assert not User.objects.filter(username="t_a1").exists()
    good = client.post(
        "/api/v1/staff/import/",
        {"file": xlsx([["t_a1", "甲", "", "", ""], ["t_a2", "乙", "", "", ""]])},
        HTTP_IDEMPOTENCY_KEY="import-1",
    )
    assert good.status_code == 201 and good.json()["created"] == 2
    first = good.json()["accounts"][0]
    assert User.objects.get(pk=first["id"]).check_password(first["initial_password"])
    not_xlsx = client.post("/api/v1/staff/import/", {"file": SimpleUploadedFile("x.xlsx", b"nope")})
    assert not_xlsx.status_code == 400 and not_xlsx.json()["code"] == "invalid_file"
