"""The matters API: the three journeys end to end, the order of refusals, what each caller
sees, computed quorum, filters, intake and idempotent actions."""

import datetime

import pytest

from governance.models import IdempotencyRecord
from petitions.models import Deliberation, Matter, MatterEvent, State
from tests.api.matter_states import civil, database_state, government


def post(client, url, payload=None, **extra):
    return client.post(url, payload or {}, format="json", **extra)


def action(client, matter_id, name, payload=None, **extra):
    return post(client, f"/api/v1/matters/{matter_id}/{name}/", payload, **extra)


def ok(response, status=200):
    assert response.status_code == status, response.json()
    return response.json()


def step(client, matter_id, n, **extra):
    minutes = f"第{n}步" + (f"：赞成{extra['in_favour']}" if "in_favour" in extra else "")  # a revote's own minutes
    payload = {"kind": "step", "step": n, "held_on": _today(), "summary": minutes, **_rules(n, extra), **extra}
    return action(client, matter_id, "deliberate", payload)


def _rules(n, extra) -> dict:
    """What the decision rules ask beside the counts: the party members' attendance at step 4,
    a villagers' meeting's notice (ten days ahead) at step 5."""
    if n == 4:
        return {"entitled": 30, "present": 25}
    if n == 5 and extra.get("body") == "villagers_meeting":
        return {"announced_on": (datetime.date.today() - datetime.timedelta(days=10)).isoformat()}
    return {}


def _today():
    return datetime.date.today().isoformat()


# ---------------------------------------------------------------- the three journeys


def test_civil_journey_from_grid_worker_to_evaluation_by_tracking_code(mw, api_client, ids):
    u = mw.users
    api_client.force_authenticate(u.grid1)
    created = ok(
        post(
            api_client,
            "/api/v1/matters/",
            {
                "title": "楼道路灯不亮",
                "description": "三号楼道路灯停电，老人出行不便",
                "grid": mw.q1.pk,
                "household": mw.households.q1.pk,
                "source": "visit",
                "submitter_name": "张三",
                "submitter_phone": "15800009119",
                "on_behalf": True,
            },
        ),
        201,
    )
    matter_id, code = created["id"], created["tracking_code"]
    assert created["state"] == "submitted" and created["on_behalf"] is True
    assert code and created["submitter_phone"] == "15800009119"  # the recorder sees both
    assert created["possible_duplicates"] == []
    assert created["actions"] == ["withdraw"]

    api_client.force_authenticate(u.cadre)
    assert matter_id in [m["id"] for m in ok(api_client.get("/api/v1/matters/?waiting=1"))["results"]]
    detail = ok(api_client.get(f"/api/v1/matters/{matter_id}/"))
    assert {"classify", "reject", "withdraw"} <= set(detail["actions"])
    classified = ok(action(api_client, matter_id, "classify", {"kind": "civil", "category": "environment"}))
    assert (classified["state"], classified["kind"], classified["category"]["code"]) == (
        "classified",
        "civil",
        "environment",
    )

    api_client.force_authenticate(u.grid1)
    deliberated = ok(
        action(
            api_client,
            matter_id,
            "deliberate",
            {
                "kind": "meeting",
                "held_on": _today(),
                "summary": "院坝会：大家同意集资修灯",
                "attendees": ["张三", "李四"],
                "participants": [ids["res_q1"]],
            },
        )
    )
    [record] = deliberated["deliberations"]
    assert record["participants"][0]["id"] == ids["res_q1"] and record["recorded_by_name"] == "网格员一"
    assert ok(action(api_client, matter_id, "handle", {"handler": u.grid1.pk}))["state"] == "handling"
    reported = ok(action(api_client, matter_id, "report", {"result": "已更换灯泡，恢复照明"}))
    assert reported["state"] == "verifying" and "verify" not in reported["actions"]

    api_client.force_authenticate(u.cadre)
    assert ok(action(api_client, matter_id, "verify", {"passed": True}))["state"] == "evaluating"

    api_client.force_authenticate(None)
    progress = ok(api_client.get(f"/api/v1/public/matters/{code}/"))
    assert progress["can_evaluate"] is True and progress["result"] == "已更换灯泡，恢复照明"
    closed = ok(post(api_client, f"/api/v1/public/matters/{code}/evaluate/", {"rating": "satisfied"}))
    assert closed["state"] == "closed" and closed["can_evaluate"] is False

    api_client.force_authenticate(u.cadre)
    events = ok(api_client.get(f"/api/v1/matters/{matter_id}/events/"))
    assert [(e["action"], e["actor_name"]) for e in events] == [
        ("submit", "网格员一"),
        ("classify", "七星村干部"),
        ("deliberate", "网格员一"),
        ("handle", "网格员一"),
        ("report", "网格员一"),
        ("verify", "七星村干部"),
        ("evaluate", "submitter"),
    ]
    assert events[-1]["from_state"] == "evaluating" and events[-1]["to_state"] == "closed"
    assert events[-1]["payload"]["rating"] == "satisfied"


def test_village_journey_through_seven_steps_and_a_second_vote(mw, api_client):
    u = mw.users
    api_client.force_authenticate(u.cadre)
    matter_id = ok(
        post(
            api_client,
            "/api/v1/matters/",
            {
                "title": "风貌改造续建方案",
                "description": "续建二期",
                "grid": mw.q1.pk,
                "source": "walk_in",
                "submitter_name": "村民代表",
            },
        ),
        201,
    )["id"]
    ok(action(api_client, matter_id, "classify", {"kind": "village", "category": mw.categories.village_project.pk}))
    for n in (1, 2, 3, 4):
        ok(step(api_client, matter_id, n))
    vote = {"body": "villagers_meeting", "entitled": 100, "present": 60, "against": 30, "abstain": 0}
    failed = ok(step(api_client, matter_id, 5, in_favour=30, **vote))["deliberations"][-1]
    assert (failed["quorum_met"], failed["carried"]) == (True, False)

    early = action(api_client, matter_id, "handle", {"handler": u.cadre.pk})
    assert early.status_code == 409 and early.json()["code"] == "deliberation_incomplete"
    assert step(api_client, matter_id, 6).status_code == 400  # nothing to publish after a failed vote

    carried = ok(step(api_client, matter_id, 5, **{**vote, "in_favour": 31, "against": 29}))["deliberations"][-1]
    assert (carried["quorum_met"], carried["carried"]) == (True, True)
    ok(step(api_client, matter_id, 6, summary="决议公开张贴"))
    ok(action(api_client, matter_id, "handle", {"handler": u.cadre.pk}))
    ok(action(api_client, matter_id, "report", {"result": "实施结果公开：已完成改造"}))

    assert action(api_client, matter_id, "verify", {"passed": True}).status_code == 403  # the township verifies
    api_client.force_authenticate(u.official)
    ok(action(api_client, matter_id, "verify", {"passed": True}))

    # 回访 of a 村事: the township, not the cadre who handled it nor the official who verified it.
    api_client.force_authenticate(u.cadre)
    refused = action(api_client, matter_id, "evaluate", {"rating": "satisfied", "method": "visit"})
    assert refused.status_code == 403
    api_client.force_authenticate(u.official)
    refused = action(api_client, matter_id, "evaluate", {"rating": "satisfied", "method": "visit"})
    assert refused.status_code == 403 and refused.json()["code"] == "not_independent"
    api_client.force_authenticate(u.leader)
    payload = {"rating": "basically_satisfied", "comment": "满意", "method": "visit"}
    closed = ok(action(api_client, matter_id, "evaluate", payload))
    assert closed["state"] == "closed" and closed["rating"] == "basically_satisfied"
    assert MatterEvent.objects.get(matter_id=matter_id, action="report").payload["step"] == 7
    assert Deliberation.objects.filter(matter_id=matter_id, step=5).count() == 2


def test_government_journey_from_public_form_to_evaluation_by_tracking_code(mw, api_client):
    u = mw.users
    api_client.force_authenticate(None)
    created = ok(
        post(
            api_client,
            "/api/v1/public/matters/",
            {
                "title": "修路占地纠纷",
                "description": "邻居硬化便道占了我家耕地",
                "village": mw.qixing.pk,
                "submitter_name": "马某",
                "submitter_phone": "15900001111",
            },
        ),
        201,
    )
    code = created["code"]
    matter_id = Matter.objects.get(tracking_code=code).pk

    api_client.force_authenticate(u.cadre)
    queue = ok(api_client.get("/api/v1/matters/?waiting=1"))["results"]
    assert [m["id"] for m in queue] == [matter_id]
    ok(action(api_client, matter_id, "classify", {"kind": "government", "category": "legal_aid"}))
    review = {"kind": "review", "held_on": _today(), "summary": "受理"}
    assert action(api_client, matter_id, "deliberate", review).status_code == 403  # the village does not review

    api_client.force_authenticate(u.handler)
    assert api_client.get(f"/api/v1/matters/{matter_id}/").status_code == 404  # not yet assigned

    api_client.force_authenticate(u.official)
    ok(action(api_client, matter_id, "deliberate", {**review, "summary": "镇综治中心受理，转司法所"}))
    handled = ok(action(api_client, matter_id, "handle", {"department": mw.sifasuo.pk}))
    assert handled["department_name"] == "司法所" and handled["deadline"]

    api_client.force_authenticate(u.handler2)
    assert [m["id"] for m in ok(api_client.get("/api/v1/matters/?waiting=1"))["results"]] == [matter_id]
    detail = ok(api_client.get(f"/api/v1/matters/{matter_id}/"))
    assert detail["actions"] == ["report", "sign", "send_back", "request_extension"]  # not yet signed for (签收)
    assert detail["submitter_phone"] == "15900001111"  # the handler has to reach the resident
    assert detail["tracking_code"] is None
    ok(action(api_client, matter_id, "report", {"result": "司法所调解，双方达成补偿协议"}))

    api_client.force_authenticate(u.official)
    ok(action(api_client, matter_id, "verify", {"passed": True, "note": "协议已签字"}))

    api_client.force_authenticate(None)
    progress = ok(api_client.get(f"/api/v1/public/matters/{code}/"))
    assert [s["step"] for s in progress["steps"]] == [
        "submit",
        "classify",
        "deliberate",
        "handle",
        "report",
        "verify",
    ]
    assert progress["steps"][3]["detail"] == "司法所"
    closed = ok(post(api_client, f"/api/v1/public/matters/{code}/evaluate/", {"rating": "satisfied"}))
    assert closed["state"] == "closed" and closed["steps"][-1]["step"] == "evaluate"
    text = str(closed)
    for secret in ("马某", "15900001111", "159****1111", "渭沱镇干部", "七星村干部", "t_official", "镇综治中心受理"):
        assert secret not in text


# ---------------------------------------------------------------- the order of refusals


@pytest.mark.parametrize(
    ("persona", "state", "payload", "status"),
    [
        ("grid2", State.SUBMITTED, {"kind": "??"}, 404),  # not in grid 2's scope, whatever the payload
        ("other_cadre", State.SUBMITTED, {}, 404),
        ("grid1", State.SUBMITTED, {"kind": "??"}, 403),  # sees it, may not classify
        ("clerk", State.SUBMITTED, {}, 404),  # the shop clerk reads no matters
        ("supervisor", State.SUBMITTED, {}, 404),  # the supervision committee reads 村事 only
        ("official", State.CLASSIFIED, {"kind": "??"}, 403),  # role first, even in the wrong state
        ("cadre", State.CLASSIFIED, {"kind": "??"}, 409),  # state before payload
        ("cadre", State.SUBMITTED, {"kind": "??"}, 400),
        ("cadre", State.SUBMITTED, {"kind": "civil", "category": "no-such-category"}, 400),
        ("cadre", State.SUBMITTED, {"kind": "civil", "category": "environment"}, 200),
    ],
)
def test_classify_refusals_come_in_the_contract_order(mw, api_client, persona, state, payload, status):
    matter = civil(mw, state)
    before = database_state()
    api_client.force_authenticate(getattr(mw.users, persona))

    response = action(api_client, matter.pk, "classify", payload)

    assert response.status_code == status, response.json()
    if status >= 400:
        assert database_state() == before
    if status in (403, 404, 409):
        assert set(response.json()) == {"detail", "code"}
    if status == 409:
        assert response.json()["code"] == "invalid_state"
    if status == 400:
        assert "kind" in response.json() or "category" in response.json()


def test_handle_needs_complete_deliberation(mw, api_client):
    matter = civil(mw, State.CLASSIFIED)
    api_client.force_authenticate(mw.users.grid1)
    before = database_state()

    assert action(api_client, matter.pk, "handle", {"handler": "x"}).status_code == 409  # classified: not yet
    assert database_state() == before


def test_a_refused_service_check_writes_nothing(mw, api_client):
    """Checks only the service can make (a department for a 民事) roll everything back."""
    matter = civil(mw, State.DELIBERATING)
    api_client.force_authenticate(mw.users.cadre)
    before = database_state()

    response = action(api_client, matter.pk, "handle", {"department": mw.sifasuo.pk})

    assert response.status_code == 400 and "department" in response.json()
    assert database_state() == before


@pytest.mark.parametrize("persona", ["clerk", "supervisor", "other_cadre", "handler", "official"])
def test_a_civil_matter_is_handled_only_by_its_grid_or_village_staff(mw, api_client, persona):
    """The API accepts as handler only whom the page offers (petitions.selectors.handler_candidates):
    not the shop clerk, the supervision committee, another village's cadre, a department's
    person or the township (a 民事)."""
    matter = civil(mw, State.DELIBERATING)
    api_client.force_authenticate(mw.users.cadre)
    before = database_state()

    response = action(api_client, matter.pk, "handle", {"handler": getattr(mw.users, persona).pk})

    assert response.status_code == 400 and "handler" in response.json()
    assert database_state() == before
    assert ok(action(api_client, matter.pk, "handle", {"handler": mw.users.grid1.pk}))["state"] == "handling"


def test_deliberation_participants_must_be_residents_the_caller_sees(mw, api_client, ids):
    matter = civil(mw, State.CLASSIFIED)
    api_client.force_authenticate(mw.users.grid1)
    before = database_state()
    payload = {"kind": "meeting", "held_on": _today(), "summary": "院坝会", "participants": [ids["res_q2"]]}

    response = action(api_client, matter.pk, "deliberate", payload)

    assert response.status_code == 400 and "participants" in response.json()
    assert database_state() == before


def test_grant_on_a_closed_matter_is_409_and_by_a_helper_403(mw, api_client):
    matter = civil(mw, State.SUBMITTED)
    api_client.force_authenticate(mw.users.cadre)
    ok(action(api_client, matter.pk, "reject", {"reason": "不属实"}))
    before = database_state()

    assert action(api_client, matter.pk, "grant", {"user": "nobody"}).status_code == 409
    api_client.force_authenticate(mw.users.helper)
    assert action(api_client, matter.pk, "grant", {"user": "nobody"}).status_code == 403
    assert database_state() == before


def test_reject_as_duplicate_of_a_matter_the_caller_sees(mw, api_client):
    first = civil(mw, State.CLASSIFIED)
    second = civil(mw, State.SUBMITTED)
    other_village = mw.staff_matter(grid=mw.h1, actor=mw.users.other_cadre)
    api_client.force_authenticate(mw.users.cadre)

    hidden = action(api_client, second.pk, "reject", {"reason": "重复", "duplicate_of": other_village.pk})
    assert hidden.status_code == 400 and "duplicate_of" in hidden.json()
    rejected = ok(action(api_client, second.pk, "reject", {"reason": "重复", "duplicate_of": first.pk}))
    assert (rejected["state"], rejected["duplicate_of"], rejected["reject_reason"]) == ("rejected", first.pk, "重复")


# ---------------------------------------------------------------- quorum and idempotency


def _village_matter_at_step_5(mw, api_client):
    api_client.force_authenticate(mw.users.cadre)
    matter = mw.staff_matter(actor=mw.users.cadre)
    ok(action(api_client, matter.pk, "classify", {"kind": "village", "category": "village_project"}))
    for n in (1, 2, 3, 4):
        ok(step(api_client, matter.pk, n))
    return matter


@pytest.mark.parametrize("field", ["quorum_met", "carried"])
def test_a_client_cannot_send_the_quorum_or_the_result(mw, api_client, field):
    matter = _village_matter_at_step_5(mw, api_client)
    before = database_state()
    counts = {"body": "representatives_meeting", "entitled": 45, "present": 29, "in_favour": 29, "against": 0}

    response = step(api_client, matter.pk, 5, abstain=0, **counts, **{field: True})

    assert response.status_code == 400 and field in response.json()
    assert database_state() == before
    vote = ok(step(api_client, matter.pk, 5, abstain=0, **counts))["deliberations"][-1]
    assert (vote["quorum_met"], vote["carried"]) == (False, False)  # 29 of 45 is short of two thirds


def test_impossible_vote_counts_are_400(mw, api_client):
    matter = _village_matter_at_step_5(mw, api_client)
    before = database_state()

    response = step(
        api_client,
        matter.pk,
        5,
        body="villagers_meeting",
        entitled=10,
        present=11,
        in_favour=1,
        against=0,
        abstain=0,
    )

    assert response.status_code == 400 and "present" in response.json()
    assert database_state() == before


def test_replayed_action_returns_the_first_answer_and_acts_once(mw, api_client):
    matter = civil(mw, State.SUBMITTED)
    api_client.force_authenticate(mw.users.cadre)
    payload = {"kind": "civil", "category": "environment"}

    first = action(api_client, matter.pk, "classify", payload, HTTP_IDEMPOTENCY_KEY="classify-1")
    again = action(api_client, matter.pk, "classify", payload, HTTP_IDEMPOTENCY_KEY="classify-1")
    fresh = action(api_client, matter.pk, "classify", payload, HTTP_IDEMPOTENCY_KEY="classify-2")

    assert (first.status_code, again.status_code, fresh.status_code) == (200, 200, 409)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert MatterEvent.objects.filter(matter=matter, action="classify").count() == 1


def test_a_refused_action_records_no_key(mw, api_client):
    matter = civil(mw, State.SUBMITTED)
    api_client.force_authenticate(mw.users.grid1)

    assert action(api_client, matter.pk, "classify", {}, HTTP_IDEMPOTENCY_KEY="k").status_code == 403
    assert not IdempotencyRecord.objects.exists()


def test_replayed_create_records_one_matter(mw, api_client):
    api_client.force_authenticate(mw.users.grid1)
    payload = {
        "title": "垃圾未清运",
        "description": "三天没有清运",
        "grid": mw.q1.pk,
        "source": "phone",
        "submitter_name": "李四",
    }
    before = Matter.objects.count()

    responses = [post(api_client, "/api/v1/matters/", payload, HTTP_IDEMPOTENCY_KEY="intake-7") for _ in range(3)]

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert Matter.objects.count() == before + 1


# ---------------------------------------------------------------- intake


def test_intake_offers_possible_duplicates_the_caller_sees(mw, api_client):
    first = civil(mw, State.CLASSIFIED)
    api_client.force_authenticate(mw.users.grid1)
    created = ok(
        post(
            api_client,
            "/api/v1/matters/",
            {
                "title": "路灯又坏了",
                "description": "同一处路灯",
                "grid": mw.q1.pk,
                "category": "environment",
                "source": "visit",
                "submitter_name": "李四",
            },
        ),
        201,
    )
    assert [d["id"] for d in created["possible_duplicates"]] == [first.pk]


@pytest.mark.parametrize(
    ("persona", "household", "status", "field"),
    [
        ("helper", "hh_q1", 201, None),  # a household of the helper's courtyard
        ("helper", "hh_q1b", 400, "household"),  # outside the courtyard: not one the helper sees
        ("helper", None, 403, None),  # a helper records for a household, not for the grid
        ("grid1", "hh_q2", 400, "household"),  # grid 2's household is out of grid 1's scope
        ("cadre", "hh_q2", 400, "household"),  # seen, but not in the chosen grid (the service says so)
        ("clerk", "hh_q1", 403, None),  # no intake role at all: refused before reading
    ],
)
def test_intake_scope(mw, api_client, ids, persona, household, status, field):
    api_client.force_authenticate(getattr(mw.users, persona))
    payload = {
        "title": "门前积水",
        "description": "下雨就积水",
        "grid": mw.q1.pk,
        "source": "visit",
        "submitter_name": "张三",
    }
    if household:
        payload["household"] = ids[household]
    before = database_state()

    response = post(api_client, "/api/v1/matters/", payload)

    assert response.status_code == status, response.json()
    if field:
        assert field in response.json()
    if status >= 400:
        assert database_state() == before


def test_public_form_is_not_a_staff_source(mw, api_client):
    api_client.force_authenticate(mw.users.grid1)
    response = post(
        api_client,
        "/api/v1/matters/",
        {"title": "t", "description": "d", "grid": mw.q1.pk, "source": "public_form", "submitter_name": "张三"},
    )
    assert response.status_code == 400 and "source" in response.json()


# ---------------------------------------------------------------- what each caller sees


@pytest.mark.parametrize(
    ("persona", "phone", "code"),
    [
        ("grid1", "15800009119", True),  # recorded it, and owns the 民事
        ("leader1", "15800009119", True),  # grid leader: a classifier
        ("cadre", "15800009119", True),
        ("helper", "158****9119", False),
        ("official", "158****9119", False),
        ("leader", "158****9119", False),
    ],
)
def test_phone_and_tracking_code_only_to_those_who_act(mw, api_client, persona, phone, code):
    matter = civil(mw, State.CLASSIFIED)
    api_client.force_authenticate(getattr(mw.users, persona))

    detail = ok(api_client.get(f"/api/v1/matters/{matter.pk}/"))

    assert detail["submitter_phone"] == phone
    assert (detail["tracking_code"] == matter.tracking_code) is code
    assert (detail["tracking_code"] is None) is not code


def test_list_shows_no_phone_and_no_code(mw, api_client):
    civil(mw, State.SUBMITTED)
    api_client.force_authenticate(mw.users.cadre)
    [row] = ok(api_client.get("/api/v1/matters/"))["results"]
    assert "submitter_phone" not in row and "tracking_code" not in row
    assert (row["state"], row["grid_name"], row["village_name"]) == ("submitted", "第一网格", "七星村")
    assert row["state_label"] and row["category"] is None


def test_detail_of_a_government_matter(mw, api_client):
    matter = government(mw, State.HANDLING)
    api_client.force_authenticate(mw.users.official)

    detail = ok(api_client.get(f"/api/v1/matters/{matter.pk}/"))

    assert (detail["kind"], detail["department"], detail["grid"]) == ("government", mw.sifasuo.pk, None)
    assert detail["actions"] == []  # the official waits for the department, above it only the leader supervises
    assert [d["kind"] for d in detail["deliberations"]] == ["review"]
    assert detail["submitter_phone"] == "15900001111"  # the owner of a 政事
    assert detail["tracking_code"] is None  # only the village's classifiers


def test_a_matter_by_id_is_not_narrowed_by_the_lists_filters(mw, api_client):
    """The list's filters narrow the list; a matter asked for by id is found (or not) by scope alone."""
    matter = government(mw, State.HANDLING)
    api_client.force_authenticate(mw.users.official)
    assert ok(api_client.get(f"/api/v1/matters/{matter.pk}/", {"state": "closed", "kind": "civil"}))["id"] == matter.pk
    assert api_client.get(f"/api/v1/matters/{matter.pk}/", {"state": "nonsense"}).status_code == 200
    assert api_client.get("/api/v1/matters/", {"state": "nonsense"}).status_code == 400
    api_client.force_authenticate(mw.users.outsider)
    assert api_client.get(f"/api/v1/matters/{matter.pk}/", {"state": "handling"}).status_code == 404


def test_events_name_the_submitter_and_the_system(mw, api_client):
    matter = government(mw, State.HANDLING)
    MatterEvent.objects.create(
        matter=matter, actor_label="system", action="warn", from_state="handling", to_state="handling"
    )
    api_client.force_authenticate(mw.users.cadre)

    events = ok(api_client.get(f"/api/v1/matters/{matter.pk}/events/"))

    assert events[0]["actor_name"] == "submitter" and events[0]["actor"] is None
    assert events[-1]["actor_name"] == "system"
    assert events[1]["actor_name"] == "七星村干部"


def test_categories_are_the_active_ones_in_order(mw, api_client):
    mw.categories.environment.is_active = False
    mw.categories.environment.save()
    api_client.force_authenticate(mw.users.grid1)

    codes = [c["code"] for c in ok(api_client.get("/api/v1/matter-categories/"))]

    assert codes == [  # by order, then code
        "collective_income",
        "infrastructure",
        "land_adjustment",
        "legal_aid",
        "neighbour_dispute",
        "village_project",
        "village_rules",
    ]


# ---------------------------------------------------------------- filters


def test_list_filters(mw, api_client):
    u = mw.users
    submitted = civil(mw, State.SUBMITTED)
    classified = civil(mw, State.CLASSIFIED)
    in_grid_2 = mw.staff_matter(grid=mw.q2, actor=u.grid2, title="井盖丢失")
    public = government(mw, State.HANDLING)
    api_client.force_authenticate(u.cadre)

    def ids(query):
        return [m["id"] for m in ok(api_client.get(f"/api/v1/matters/?{query}"))["results"]]

    assert ids("") == [public.pk, in_grid_2.pk, classified.pk, submitted.pk]  # newest first
    assert ids("state=submitted") == [in_grid_2.pk, submitted.pk]
    assert ids("state=submitted&state=handling") == [public.pk, in_grid_2.pk, submitted.pk]
    assert ids("kind=government") == [public.pk]
    assert ids("category=environment") == [classified.pk]
    assert ids(f"category={mw.categories.legal_aid.pk}") == [public.pk]
    assert ids(f"grid={mw.q2.pk}") == [in_grid_2.pk]
    assert ids(f"household={mw.households.q1.pk}") == [classified.pk, submitted.pk]
    assert ids(f"village={mw.hualong.pk}") == []
    assert ids("search=井盖") == [in_grid_2.pk]
    # The cadre's queue: a 民事 the village may deliberate (its clock is running), then the
    # two to classify, oldest first; an overdue matter goes to the top.
    assert ids("waiting=1") == [classified.pk, submitted.pk, in_grid_2.pk]
    Matter.objects.filter(pk=in_grid_2.pk).update(is_overdue=True)
    assert ids("waiting=1") == [in_grid_2.pk, classified.pk, submitted.pk]
    assert api_client.get("/api/v1/matters/?state=nonsense").status_code == 400
    assert ids("category=99999999999999999999") == []
    assert api_client.get("/api/v1/matters/?grid=99999999999999999999").status_code == 400


def test_waiting_list_of_a_department_member(mw, api_client):
    matter = government(mw, State.HANDLING)
    civil(mw, State.HANDLING)
    api_client.force_authenticate(mw.users.handler)

    assert [m["id"] for m in ok(api_client.get("/api/v1/matters/?waiting=1"))["results"]] == [matter.pk]
    assert [m["id"] for m in ok(api_client.get("/api/v1/matters/"))["results"]] == [matter.pk]


def test_a_bad_phone_is_a_field_error(mw, api_client):
    api_client.force_authenticate(mw.users.grid1)
    response = post(
        api_client,
        "/api/v1/matters/",
        {
            "title": "t",
            "description": "d",
            "grid": mw.q1.pk,
            "source": "visit",
            "submitter_name": "张三",
            "submitter_phone": "12345",
        },
    )
    assert response.status_code == 400 and "submitter_phone" in response.json()


def test_the_queue_pages_through_every_matter_once(mw, api_client):
    made = [civil(mw, State.SUBMITTED) for _ in range(5)]
    Matter.objects.filter(pk__in=[made[1].pk, made[3].pk]).update(is_overdue=True)
    api_client.force_authenticate(mw.users.cadre)

    seen, url = [], "/api/v1/matters/?waiting=1&page_size=2"
    while url:
        page = ok(api_client.get(url))
        seen += [m["id"] for m in page["results"]]
        url = page["next"]

    assert seen == [made[1].pk, made[3].pk, made[0].pk, made[2].pk, made[4].pk]


@pytest.mark.parametrize("category", ["99999999999999999999", "²", "", None, True, ["environment"]])
def test_odd_categories_are_400_not_500(mw, api_client, category):
    matter = civil(mw, State.SUBMITTED)
    api_client.force_authenticate(mw.users.cadre)

    response = action(api_client, matter.pk, "classify", {"kind": "civil", "category": category})

    assert response.status_code == 400 and "category" in response.json()
