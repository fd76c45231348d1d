"""The public matter endpoints: no login, the tracking code as the key, no personal data,
throttled, and idempotent for anonymous callers without handing a code to a guessed key."""

import json

import pytest
from rest_framework.throttling import ScopedRateThrottle

from governance.models import IdempotencyRecord
from petitions.models import Matter, MatterEvent, Source, State
from tests.api.matter_states import civil, database_state, government

URL = "/api/v1/public/matters/"


@pytest.fixture
def form(mw):
    return {
        "title": "修路占地纠纷",
        "description": "邻居硬化便道占了我家耕地",
        "village": mw.qixing.pk,
        "submitter_name": "马某",
        "submitter_phone": "15900001111",
    }


def submit(client, payload, **extra):
    return client.post(URL, payload, format="json", **extra)


def test_submit_returns_an_unguessable_code_and_no_personal_data(mw, api_client, form):
    response = submit(api_client, {**form, "grid": mw.q1.pk})

    assert response.status_code == 201
    body = response.json()
    matter = Matter.objects.get(tracking_code=body["code"])
    assert len(body["code"]) >= 16
    assert (matter.source, matter.created_by, matter.grid) == (Source.PUBLIC_FORM, None, mw.q1)
    assert (body["state"], body["village_name"], body["can_withdraw"]) == ("submitted", "七星村", True)
    assert [s["step"] for s in body["steps"]] == ["submit"]
    # Neither the name nor the phone, whole or as its last four (a time's microseconds may hold
    # "1111": the digits are looked for in the values that are not times).
    text = response.content.decode()
    assert "马某" not in text and "15900001111" not in text
    values = [v for k, v in body.items() if isinstance(v, str) and not k.endswith(("_at", "_by"))]
    assert not any("1111" in value for value in values)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"submitter_phone": ""}, "submitter_phone"),
        ({"submitter_phone": "12345"}, "submitter_phone"),
        ({"title": ""}, "title"),
        ({"village": 999999}, "village"),
        ({"grid": "{h1}"}, "grid"),  # a grid of another village
    ],
)
def test_submit_refuses_bad_input_and_writes_nothing(mw, api_client, form, change, field):
    payload = {**form, **{k: (mw.h1.pk if v == "{h1}" else v) for k, v in change.items()}}
    before = database_state()

    response = submit(api_client, payload)

    assert response.status_code == 400 and field in response.json()
    assert database_state() == before


def test_progress_shows_steps_and_result_without_names_phones_or_minutes(mw, api_client):
    matter = government(mw, State.EVALUATING)
    s_matter = Matter.objects.get(pk=matter.pk)

    response = api_client.get(f"{URL}{s_matter.tracking_code}/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "title",
        "state",
        "state_label",
        "kind",
        "kind_label",
        "category",
        "village_name",
        "created_at",
        "closed_at",
        "result",
        "rating",
        "rating_label",
        "can_evaluate",
        "can_withdraw",
        "can_request_review",
        "where_else",
        "steps",
        "accepted",
        "accept_by",
    }
    assert (body["state"], body["kind"], body["category"]) == ("evaluating", "government", "法律援助")
    # 受理告知: the place and the role that accepted it at each level, never a person.
    assert [(row["level"], row["by"]) for row in body["accepted"]] == [
        ("village", "七星村 · 村干部（村两委）"),
        ("township", "渭沱镇 · 镇干部（分管领导/驻村工作组）"),
    ]
    assert body["accept_by"] is None
    assert body["result"] == "司法所调解，双方达成协议" and body["can_evaluate"] is True
    assert all(set(step) == {"step", "label", "detail", "date"} for step in body["steps"])
    text = response.content.decode()
    for secret in (
        "马某",  # the submitter
        "15900001111",
        "159****1111",
        "邻居硬化便道",  # the description
        "镇综治中心受理",  # the minutes of the review
        "渭沱镇干部",  # staff names
        "七星村干部",
        "t_official",
        "t_sifasuo",
        matter.tracking_code,
    ):
        assert secret not in text, secret


def test_signed_in_staff_get_the_same_public_view(mw, api_client):
    matter = civil(mw, State.CLASSIFIED)
    api_client.force_authenticate(mw.users.cadre)

    body = api_client.get(f"{URL}{matter.tracking_code}/").json()

    assert "submitter_name" not in body and "张三" not in json.dumps(body, ensure_ascii=False)


@pytest.mark.parametrize("code", ["not-a-code", "A" * 16, "x" * 300, "%E4%B8%AD"])
def test_unknown_code_is_the_same_404(mw, api_client, code):
    government(mw, State.EVALUATING)

    responses = [
        api_client.get(f"{URL}{code}/"),
        api_client.post(f"{URL}{code}/evaluate/", {"rating": "satisfied"}, format="json"),
        api_client.post(f"{URL}{code}/withdraw/", {}, format="json"),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert all(r.json() == responses[0].json() for r in responses)
    assert set(responses[0].json()) == {"detail", "code"}


def test_a_code_is_case_sensitive(mw, api_client):
    matter = civil(mw, State.SUBMITTED)
    altered = matter.tracking_code.swapcase()
    if altered == matter.tracking_code:
        pytest.skip("a code without letters")

    assert api_client.get(f"{URL}{altered}/").status_code == 404


def test_submitter_evaluates_unsatisfied_with_a_comment_and_the_matter_goes_up_for_review(mw, api_client):
    matter = government(mw, State.EVALUATING)
    url = f"{URL}{matter.tracking_code}/evaluate/"
    before = database_state()

    no_comment = api_client.post(url, {"rating": "unsatisfied"}, format="json")
    assert no_comment.status_code == 400 and "comment" in no_comment.json()
    assert database_state() == before

    reviewing = api_client.post(url, {"rating": "unsatisfied", "comment": "补偿没到位"}, format="json")
    assert reviewing.status_code == 200
    body = reviewing.json()
    assert body["state"] == "reviewing" and body["can_evaluate"] is False and body["can_request_review"] is False
    event = MatterEvent.objects.filter(matter=matter, action="evaluate").get()
    assert (event.actor, event.actor_label, event.payload["by"]) == (None, "submitter", "submitter")
    assert event.payload["method"] == "online"
    assert Matter.objects.get(pk=matter.pk).reopen_count == 0


@pytest.mark.parametrize("state", [State.SUBMITTED, State.HANDLING])
def test_evaluate_before_the_result_is_checked_is_409_even_with_a_bad_payload(mw, api_client, state):
    matter = civil(mw, state)
    before = database_state()

    response = api_client.post(f"{URL}{matter.tracking_code}/evaluate/", {"rating": "??"}, format="json")

    assert response.status_code == 409 and response.json()["code"] == "invalid_state"
    assert database_state() == before


def test_submitter_withdraws_then_cannot_again(mw, api_client, form):
    code = submit(api_client, form).json()["code"]
    url = f"{URL}{code}/withdraw/"

    first = api_client.post(url, {"reason": "已和邻居谈妥"}, format="json")
    second = api_client.post(url, {}, format="json")

    assert first.status_code == 200 and first.json()["state"] == "withdrawn"
    assert [s["step"] for s in first.json()["steps"]] == ["submit", "withdraw"]
    assert second.status_code == 409
    assert Matter.objects.get(tracking_code=code).state == State.WITHDRAWN


def test_public_endpoints_are_throttled(mw, api_client, form, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"public": "3/min"})
    matter = civil(mw, State.SUBMITTED)

    statuses = [
        submit(api_client, form).status_code,
        api_client.get(f"{URL}{matter.tracking_code}/").status_code,
        api_client.get(f"{URL}no-such-code/").status_code,
        api_client.get(f"{URL}{matter.tracking_code}/").status_code,
        submit(api_client, form).status_code,
    ]

    assert statuses == [201, 200, 404, 429, 429]
    response = api_client.get(f"{URL}{matter.tracking_code}/")
    assert response.json()["code"] == "throttled" and "Retry-After" in response
    assert Matter.objects.filter(source=Source.PUBLIC_FORM).count() == 1


def test_throttle_counts_per_address(mw, api_client, form, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"public": "1/min"})

    assert submit(api_client, form, REMOTE_ADDR="10.0.0.1").status_code == 201
    assert submit(api_client, form, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert submit(api_client, form, REMOTE_ADDR="10.0.0.2").status_code == 201


# ---------------------------------------------------------------- idempotency without an account


def test_anonymous_replay_with_the_same_body_returns_the_first_code(mw, api_client, form):
    first = submit(api_client, form, HTTP_IDEMPOTENCY_KEY="0b7f3c1e-form")
    again = submit(api_client, form, HTTP_IDEMPOTENCY_KEY="0b7f3c1e-form")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Matter.objects.filter(source=Source.PUBLIC_FORM).count() == 1
    record = IdempotencyRecord.objects.get()
    assert record.user is None and len(record.fingerprint) == 64


def test_a_guessed_key_with_another_body_gets_no_code(mw, api_client, form):
    code = submit(api_client, form, HTTP_IDEMPOTENCY_KEY="1").json()["code"]

    response = submit(api_client, {**form, "submitter_name": "路人"}, HTTP_IDEMPOTENCY_KEY="1")

    assert response.status_code == 409 and response.json()["code"] == "idempotency_key_reused"
    assert code not in response.content.decode()
    assert Matter.objects.filter(source=Source.PUBLIC_FORM).count() == 1


def test_an_anonymous_key_does_not_collide_with_a_staff_key(mw, api_client, form):
    api_client.force_authenticate(mw.users.grid1)
    staff = api_client.post(
        "/api/v1/matters/",
        {"title": "t", "description": "d", "grid": mw.q1.pk, "source": "visit", "submitter_name": "张三"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="same",
    )
    api_client.force_authenticate(None)
    public = submit(api_client, form, HTTP_IDEMPOTENCY_KEY="same")

    assert (staff.status_code, public.status_code) == (201, 201)
    assert Matter.objects.count() == 2


def test_replayed_public_evaluation_evaluates_once(mw, api_client):
    matter = government(mw, State.EVALUATING)
    url = f"{URL}{matter.tracking_code}/evaluate/"
    payload = {"rating": "unsatisfied", "comment": "补偿没到位"}

    first = api_client.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="eval-1")
    again = api_client.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="eval-1")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert MatterEvent.objects.filter(matter=matter, action="evaluate").count() == 1
    assert Matter.objects.get(pk=matter.pk).state == State.REVIEWING
