"""Issue 13's work-order actions attacked as a malicious or clumsy user would: every new
action through the API, the pages and the public tracking-code endpoints, by the wrong
people, with bad input, twice, and at once. A refusal answers 404 (out of scope), 403 (role),
409 (state) or 400 (input) and leaves the database exactly as it was.

The matters come from tests/api/matter_states.py: a 民事 of 七星村 grid 1 handled by grid 1's
worker and verified by the cadre; a 政事 from the public form reviewed by the township and
assigned to 司法所; a 村事 handled by the cadre and verified by the township official.
"""

import datetime
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from governance.errors import DomainError
from petitions import services as s
from petitions.models import ExtensionRequest, Kind, Matter, MatterEvent, State
from tests.api.matter_states import civil, database_state, government, village

TODAY = timezone.localdate()  # the app's day (Asia/Shanghai), not the machine's


def url(matter, action):
    return f"/api/v1/matters/{matter.pk}/{action}/"


def public_url(matter, action=""):
    return f"/api/v1/public/matters/{matter.tracking_code}/" + (f"{action}/" if action else "")


def fresh(matter):
    return Matter.objects.get(pk=matter.pk)


def events(matter, action=None):
    rows = MatterEvent.objects.filter(matter=matter)
    return rows.filter(action=action).count() if action else rows.count()


@pytest.fixture
def post(as_user):
    """post(user, matter, action, body) through the API, as `user`."""

    def send(user, matter, action, body=None, **headers):
        return as_user(user).post(url(matter, action), body or {}, format="json", **headers)

    return send


def refused(response, status, code=None):
    assert response.status_code == status, response.content
    if code:
        assert response.json()["code"] == code, response.json()


# ---------------------------------------------------------------- self-dealing on the clock


def test_township_official_may_not_pause_the_clock_of_a_government_matter_it_owns(mw, post):
    """Before it is assigned, a 政事's clock is its owner's (the township official): the owner
    asks for more time like anyone else; the leader, above it, may pause it."""
    u = mw.users
    matter = mw.public_matter()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid)
    before = database_state()
    refused(post(u.official, matter, "pause", {"reason": "等材料"}), 403, "pause_needs_approval")
    assert database_state() == before and fresh(matter).paused_at is None
    assert post(u.leader, matter, "pause", {"reason": "等上级意见"}).status_code == 200


def test_village_cadre_may_not_pause_a_civil_matter_it_handles(mw, post):
    u = mw.users
    matter = mw.staff_matter(household=mw.households.q1)
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    s.matter_deliberate(matter=matter, actor=u.grid1, kind="meeting", held_on=TODAY, summary="院坝会")
    s.matter_handle(matter=matter, actor=u.grid1, handler=u.cadre)
    refused(post(u.cadre, matter, "pause", {"reason": "自己暂停"}), 403, "pause_needs_approval")
    refused(post(u.grid1, matter, "pause", {"reason": "网格员暂停"}), 403)
    assert fresh(matter).paused_at is None


def test_handler_may_not_decide_its_own_extension_nor_the_supervisor_any(mw, post):
    u = mw.users
    matter = village(mw, State.HANDLING)
    wanted = (fresh(matter).deadline + datetime.timedelta(days=5)).isoformat()
    assert post(u.cadre, matter, "request_extension", {"deadline": wanted, "reason": "雨季施工"}).status_code == 200
    before = database_state()
    refused(post(u.cadre, matter, "decide_extension", {"approve": True, "reason": "自批"}), 403)
    refused(post(u.supervisor, matter, "decide_extension", {"approve": True, "reason": "监委会批"}), 403)
    refused(post(u.supervisor, matter, "pause", {"reason": "监委会暂停"}), 403)
    refused(post(u.other_cadre, matter, "decide_extension", {"approve": True, "reason": "外村"}), 404)
    refused(post(u.other_official, matter, "decide_extension", {"approve": True, "reason": "外镇"}), 404)
    refused(post(u.clerk, matter, "decide_extension", {"approve": True, "reason": "超市"}), 404)
    assert database_state() == before
    assert post(u.official, matter, "decide_extension", {"approve": True, "reason": "属实"}).status_code == 200


# ---------------------------------------------------------------- self-dealing on the review


def _review_asked_by(mw, post, matter, asker):
    body = {"reason": "路灯又坏了", "method": "phone"}
    response = post(asker, matter, "request_review", body)
    assert response.status_code == 200, response.content
    return fresh(matter)


def test_who_asked_for_the_review_on_the_residents_behalf_may_not_decide_it(mw, post):
    u = mw.users
    matter = _review_asked_by(mw, post, civil(mw, State.EVALUATING), u.official)
    before = database_state()
    refused(post(u.official, matter, "decide_review", {"upheld": True, "reason": "维持"}), 403)
    assert database_state() == before
    assert post(u.leader, matter, "decide_review", {"upheld": True, "reason": "维持"}).status_code == 200


def test_who_recorded_the_unsatisfied_answer_may_not_decide_the_review_it_opened(mw, post):
    u = mw.users
    matter = civil(mw, State.EVALUATING)
    body = {"rating": "unsatisfied", "comment": "没修好", "method": "visit"}
    assert post(u.official, matter, "evaluate", body).status_code == 200
    assert fresh(matter).state == State.REVIEWING
    refused(post(u.official, matter, "decide_review", {"upheld": True, "reason": "维持"}), 403)
    assert fresh(matter).state == State.REVIEWING


def test_the_committee_asks_for_the_review_of_a_village_matter_and_the_township_decides_it(mw, post):
    """A 村事's review goes to the township; the committee (村务监督委员会) may ask for it on the
    resident's behalf but never decides it, and the township leader who asked may not either."""
    u = mw.users
    matter = _review_asked_by(mw, post, village(mw, State.EVALUATING), u.supervisor)
    before = database_state()
    refused(post(u.supervisor, matter, "decide_review", {"upheld": True, "reason": "维持"}), 403)
    refused(post(u.cadre, matter, "decide_review", {"upheld": True, "reason": "维持"}), 403)  # handled it
    assert database_state() == before
    assert post(u.leader, matter, "decide_review", {"upheld": False, "reason": "重办"}).status_code == 200
    assert fresh(matter).state == State.HANDLING and events(matter, "decide_review") == 1


# ---------------------------------------------------------------- bad input


def test_request_extension_refuses_bad_deadlines_and_reasons_and_writes_nothing(mw, post):
    u = mw.users
    matter = government(mw, State.HANDLING)
    deadline = fresh(matter).deadline
    later = (deadline + datetime.timedelta(days=3)).isoformat()
    bad = [
        ({"deadline": later}, "reason"),
        ({"deadline": later, "reason": "   "}, "reason"),
        ({"deadline": later, "reason": "长" * 20001}, "reason"),
        ({"deadline": (deadline - datetime.timedelta(days=1)).isoformat(), "reason": "往前"}, "deadline"),
        ({"deadline": (deadline + datetime.timedelta(days=31)).isoformat(), "reason": "太久"}, "deadline"),
        ({"deadline": "next tuesday", "reason": "格式"}, "deadline"),
        ({"deadline": "2030-01-01T10:00:00", "reason": "无时区"}, "deadline"),
        ({"deadline": later, "pause": True, "reason": "两样都要"}, "deadline"),
        ({"reason": "什么都没要"}, "deadline"),
        ({"pause": "perhaps", "reason": "布尔"}, "pause"),
        ({"deadline": 12345, "reason": "数字"}, "deadline"),
        ({"deadline": later, "reason": ["列表"]}, "reason"),
    ]
    before = database_state()
    for body, field in bad:
        response = post(u.handler, matter, "request_extension", body)
        assert response.status_code == 400, (body, response.content)
        assert field in str(response.json()), (body, response.json())
    assert database_state() == before and not ExtensionRequest.objects.exists()
    # A string boolean is read as DRF reads it; the pause is asked for, not granted.
    assert post(u.handler, matter, "request_extension", {"pause": "true", "reason": "等鉴定"}).status_code == 200
    assert fresh(matter).paused_at is None and fresh(matter).pending_extension.kind == "pause"


def test_decide_extension_and_review_refuse_bad_input_and_wrong_state(mw, post):
    u = mw.users
    matter = government(mw, State.HANDLING)
    refused(
        post(u.leader, matter, "decide_extension", {"approve": True, "reason": "无申请"}), 409, "no_extension_request"
    )
    post(u.handler, matter, "request_extension", {"pause": True, "reason": "等鉴定"})
    before = database_state()
    for body in (
        {"approve": True},
        {"approve": True, "reason": " "},
        {"approve": "maybe", "reason": "x"},
        {"reason": "x"},
    ):
        assert post(u.leader, matter, "decide_extension", body).status_code == 400, body
    refused(post(u.leader, matter, "decide_review", {"upheld": True, "reason": "x"}), 409)
    refused(post(u.leader, matter, "request_review", {"reason": "x", "method": "phone"}), 409)
    assert database_state() == before


def test_evaluate_by_staff_needs_a_method_from_the_list(mw, post):
    u = mw.users
    matter = civil(mw, State.EVALUATING)
    before = database_state()
    for method in ("", "telepathy", None, 3):
        body = {"rating": "satisfied", "method": method}
        response = post(u.official, matter, "evaluate", body)
        assert response.status_code == 400 and "method" in response.json(), (method, response.content)
    refused(post(u.official, matter, "evaluate", {"rating": "thrilled", "method": "phone"}), 400)
    refused(post(u.official, matter, "evaluate", {"rating": "unsatisfied", "comment": " ", "method": "phone"}), 400)
    assert database_state() == before


def test_a_vote_with_impossible_or_huge_counts_is_a_400_never_a_500(mw, post):
    u = mw.users
    matter = mw.staff_matter(title="村道硬化", actor=u.cadre)
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.VILLAGE, category=mw.categories.village_project)
    for n in (1, 2, 3, 4):
        party = {"entitled": 30, "present": 25} if n == 4 else {}
        s.matter_deliberate(
            matter=matter, actor=u.cadre, kind="step", step=n, held_on=TODAY, summary=f"第{n}步", **party
        )
    base = {
        "kind": "step",
        "step": 5,
        "held_on": TODAY.isoformat(),
        "announced_on": (TODAY - datetime.timedelta(days=10)).isoformat(),
        "summary": "村民会议表决",
        "body": "villagers_meeting",
        "entitled": 100,
        "present": 60,
        "in_favour": 45,
        "against": 15,
        "abstain": 0,
    }
    huge = 10**12
    bad = [
        {"in_favour": 70, "against": 0, "present": 60},  # in favour > present
        {"present": 120, "in_favour": 100, "against": 20},  # present > entitled
        {"against": -1},
        {"entitled": "many"},
        {"entitled": huge, "present": huge, "in_favour": huge, "against": 0},
        {"entitled": 2**31, "present": 2**31, "in_favour": 2**31, "against": 0},
        {"announced_on": (TODAY + datetime.timedelta(days=1)).isoformat()},  # announced after it was held
        {"announced_on": None},
        {"held_on": (TODAY + datetime.timedelta(days=1)).isoformat()},
        {"carried": True},
        {"urgent": "sometimes"},
    ]
    before = database_state()
    for change in bad:
        response = post(u.cadre, matter, "deliberate", {**base, **change})
        assert response.status_code == 400, (change, response.status_code, response.content[:300])
    assert database_state() == before
    assert post(u.cadre, matter, "deliberate", base).status_code == 200


# ---------------------------------------------------------------- sign and send back


def test_sign_and_send_back_by_every_role(mw, post):
    u = mw.users
    matter = government(mw, State.HANDLING)
    before = database_state()
    expected = {
        "grid1": 404,
        "helper": 404,
        "clerk": 404,
        "supervisor": 404,  # sees only its village's 村事
        "other_cadre": 404,
        "other_official": 404,
        "outsider": 404,
        "cadre": 403,
        "official": 403,
        "leader": 403,
    }
    for name, status in expected.items():
        user = getattr(u, name)
        assert post(user, matter, "sign").status_code == status, name
        assert post(user, matter, "send_back", {"reason": "不归我们"}).status_code == status, name
    assert database_state() == before
    refused(post(u.handler, matter, "send_back", {"reason": "  "}), 400)
    assert post(u.handler, matter, "sign").status_code == 200
    refused(post(mw.users.handler2, matter, "sign"), 409)  # signed once, by the department
    assert events(matter, "sign") == 1


def test_send_back_after_the_report_is_refused(mw, post):
    u = mw.users
    matter = government(mw, State.VERIFYING)
    refused(post(u.handler, matter, "send_back", {"reason": "不归我们"}), 409)
    assert post(u.official, matter, "verify", {"passed": False, "note": "没办完"}).status_code == 200
    assert fresh(matter).state == State.HANDLING
    before = database_state()
    refused(post(u.handler, matter, "send_back", {"reason": "不归我们"}), 409)  # it already reported on it
    refused(post(u.handler, matter, "sign"), 409)  # its first report signed for it
    assert database_state() == before


def test_department_that_sent_a_matter_back_no_longer_reaches_it(mw, post):
    u = mw.users
    matter = government(mw, State.HANDLING)
    response = post(u.handler, matter, "send_back", {"reason": "应由派出所办理"})
    assert response.status_code == 200 and response.json()["actions"] == []
    for action, body in (
        ("sign", {}),
        ("report", {"result": "x"}),
        ("request_extension", {"pause": True, "reason": "x"}),
    ):
        refused(post(u.handler, matter, action, body), 404)
    assert fresh(matter).state == State.DELIBERATING and fresh(matter).department is None


# ---------------------------------------------------------------- the 回访 and the review


def test_the_people_who_did_the_work_may_not_record_the_residents_answer(mw, post):
    u = mw.users
    matter = village(mw, State.EVALUATING)  # handled and reported by the cadre, verified by the official
    before = database_state()
    body = {"rating": "satisfied", "method": "phone"}
    refused(post(u.cadre, matter, "evaluate", body), 403)
    refused(post(u.official, matter, "evaluate", body), 403, "not_independent")
    refused(post(u.official, matter, "request_review", {"reason": "x", "method": "phone"}), 403, "not_independent")
    refused(post(u.grid1, matter, "evaluate", body), 403)
    assert database_state() == before


def test_the_committee_that_verified_may_not_record_the_answer(mw, post):
    u = mw.users
    matter = village(mw, State.VERIFYING)
    assert post(u.supervisor, matter, "verify", {"passed": True}).status_code == 200
    refused(post(u.supervisor, matter, "evaluate", {"rating": "satisfied", "method": "visit"}), 403, "not_independent")
    assert post(u.leader, matter, "evaluate", {"rating": "satisfied", "method": "visit"}).status_code == 200


def test_review_is_asked_for_once(mw, post, api_client):
    u = mw.users
    matter = civil(mw, State.EVALUATING)
    assert (
        api_client.post(public_url(matter, "request_review"), {"reason": "灯还是不亮"}, format="json").status_code
        == 200
    )
    refused(api_client.post(public_url(matter, "request_review"), {"reason": "再查"}, format="json"), 409)
    assert post(u.leader, matter, "decide_review", {"upheld": False, "reason": "重办"}).status_code == 200
    s.matter_report(matter=matter, actor=u.grid1, result="换了新灯")
    s.matter_verify(matter=matter, actor=u.cadre, passed=True)
    before = database_state()
    refused(
        api_client.post(public_url(matter, "request_review"), {"reason": "还不行"}, format="json"), 409, "review_used"
    )
    refused(post(u.official, matter, "request_review", {"reason": "x", "method": "phone"}), 409, "review_used")
    assert database_state() == before
    # A second dissatisfaction closes the matter on the record, with where else to turn.
    response = api_client.post(
        public_url(matter, "evaluate"), {"rating": "unsatisfied", "comment": "不满意"}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == "closed" and response.json()["where_else"]


# ---------------------------------------------------------------- races and replays


def run_at_once(*calls) -> list[str]:
    """Each call in its own thread and connection, released together: "ok" or the refusal's code."""
    barrier = threading.Barrier(len(calls))
    outcomes, lock = [], threading.Lock()

    def one(call):
        try:
            barrier.wait()
            call()
            result = "ok"
        except DomainError as error:
            result = error.code
        except Exception as error:  # a deadlock or a constraint: the test fails on it
            result = repr(error)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=one, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_work_order_actions_let_exactly_one_through(mw):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (set DATABASE_URL)")
    u = mw.users
    one, two = government(mw, State.HANDLING), government(mw, State.HANDLING)
    later = fresh(one).deadline + datetime.timedelta(days=5)

    # Two handlers of 司法所 sign for it at once; then both ask for more time at once.
    assert run_at_once(*(lambda h=h: s.matter_sign(matter=one, actor=h) for h in (u.handler, u.handler2))) == [
        "invalid_state",
        "ok",
    ]
    asks = [
        lambda h=h: s.matter_request_extension(matter=one, actor=h, deadline=later, reason="等材料")
        for h in (u.handler, u.handler2)
    ]
    assert run_at_once(*asks) == ["extension_pending", "ok"]
    assert events(one, "sign") == 1 and ExtensionRequest.objects.filter(matter=one).count() == 1

    # The official and the leader decide the one request at once.
    decide = [
        lambda who=who: s.matter_decide_extension(matter=one, actor=who, approve=True, reason="同意")
        for who in (u.official, u.leader)
    ]
    assert run_at_once(*decide) == ["no_extension_request", "ok"]
    assert events(one, "decide_extension") == 1
    assert fresh(one).deadline == ExtensionRequest.objects.get(matter=one).deadline

    # Reported and verified: the resident asks for the review by code while a return visit records it.
    s.matter_report(matter=two, actor=u.handler, result="已调解")
    s.matter_verify(matter=two, actor=u.official, passed=True)
    reviews = [lambda: s.matter_request_review(matter=two, actor=None, reason="不满意")] * 3 + [
        lambda: s.matter_request_review(matter=two, actor=u.leader, reason="电话回访不满意", method="phone")
    ]
    assert run_at_once(*reviews) == ["ok"] + ["review_used"] * 3
    assert events(two, "request_review") == 1 and fresh(two).state == State.REVIEWING


def test_replayed_idempotency_key_acts_once(mw, post):
    u = mw.users
    matter = government(mw, State.HANDLING)
    later = (fresh(matter).deadline + datetime.timedelta(days=5)).isoformat()
    body = {"deadline": later, "reason": "等材料"}
    first = post(u.handler, matter, "request_extension", body, HTTP_IDEMPOTENCY_KEY="ext-1")
    again = post(u.handler, matter, "request_extension", body, HTTP_IDEMPOTENCY_KEY="ext-1")
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert ExtensionRequest.objects.filter(matter=matter).count() == 1
    # The same key with another body is a client's mistake, never the first answer.
    other = post(u.handler, matter, "request_extension", {"pause": True, "reason": "x"}, HTTP_IDEMPOTENCY_KEY="ext-1")
    assert other.status_code == 409
    # Another user's key of the same name is theirs: the leader's decision is taken.
    decided = post(
        u.leader, matter, "decide_extension", {"approve": False, "reason": "不必"}, HTTP_IDEMPOTENCY_KEY="ext-1"
    )
    assert decided.status_code == 200 and events(matter, "decide_extension") == 1
    assert post(u.handler, matter, "sign", HTTP_IDEMPOTENCY_KEY="sign-1").status_code == 200
    assert post(u.handler, matter, "sign", HTTP_IDEMPOTENCY_KEY="sign-1").status_code == 200
    assert events(matter, "sign") == 1


def test_an_extension_approved_after_the_matter_was_reassigned_never_moves_the_deadline_back(mw, post):
    """The owner asked for a later deadline before assigning the 政事; the assignment then set
    a later one. Approving the stale request must not shorten the time now given."""
    u = mw.users
    matter = mw.public_matter()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid)
    s.matter_deliberate(matter=matter, actor=u.official, kind="review", held_on=TODAY, summary="受理")
    asked = fresh(matter).deadline + datetime.timedelta(days=2)
    s.matter_request_extension(matter=matter, actor=u.official, deadline=asked, reason="需调查")
    far = timezone.now() + datetime.timedelta(days=60)
    s.matter_handle(matter=matter, actor=u.official, department=mw.sifasuo, deadline=far)
    given = fresh(matter).deadline
    before = database_state()
    refused(post(u.leader, matter, "decide_extension", {"approve": True, "reason": "同意"}), 409, "extension_stale")
    assert database_state() == before and fresh(matter).deadline == given
    assert post(u.leader, matter, "decide_extension", {"approve": False, "reason": "已给足时间"}).status_code == 200
    assert fresh(matter).deadline == given and fresh(matter).pending_extension is None


# ---------------------------------------------------------------- the public tracking code


STAFF_NAMES = (
    "网格员一",
    "七星村干部",
    "七星村监委会",
    "渭沱镇干部",
    "渭沱镇领导",
    "司法所二",
    "t_official",
    "t_leader",
)


def _no_personal_data(text: str) -> None:
    for secret in (*STAFF_NAMES, "马某", "15900001111", "1590000", "****1111"):
        assert secret not in text, secret


def test_public_answers_name_no_person_through_the_whole_work_order(mw, post, api_client, client):
    """Sent back, signed, extended, reviewed, handled again: the public JSON and page name
    places and roles, never staff, and never the submitter's name or phone."""
    u = mw.users
    matter = government(mw, State.HANDLING)
    post(u.handler, matter, "send_back", {"reason": "应由派出所办理"})
    post(u.official, matter, "handle", {"department": mw.sifasuo.pk})
    post(u.handler2, matter, "sign")
    later = (fresh(matter).deadline + datetime.timedelta(days=3)).isoformat()
    post(u.handler2, matter, "request_extension", {"deadline": later, "reason": "等鉴定"})
    post(u.leader, matter, "decide_extension", {"approve": True, "reason": "同意"})
    post(u.handler2, matter, "report", {"result": "已调解"})
    post(u.official, matter, "verify", {"passed": True})
    assert api_client.post(public_url(matter, "request_review"), {"reason": "不满意"}, format="json").status_code == 200
    assert fresh(matter).state == State.REVIEWING
    data = api_client.get(public_url(matter))
    assert data.status_code == 200
    _no_personal_data(data.content.decode())
    page = client.get(f"/public/matters/{matter.tracking_code}/")
    assert page.status_code == 200
    _no_personal_data(page.content.decode())


def test_public_review_and_evaluate_by_code_refuse_wrong_state_bad_input_and_unknown_codes(mw, api_client):
    matter = government(mw, State.HANDLING)
    before = database_state()
    refused(api_client.post(public_url(matter, "request_review"), {"reason": "太慢"}, format="json"), 409)
    refused(api_client.post(public_url(matter, "evaluate"), {"rating": "satisfied"}, format="json"), 409)
    for code in ("A" * 16, "../admin", "x" * 300, matter.tracking_code.lower() + "0"):
        response = api_client.post(f"/api/v1/public/matters/{code}/request_review/", {"reason": "x"}, format="json")
        assert response.status_code == 404, code
    assert database_state() == before
    evaluating = civil(mw, State.EVALUATING)
    before = database_state()
    for body in ({}, {"reason": "  "}, {"reason": "长" * 6000}, {"reason": {"a": 1}}):
        response = api_client.post(public_url(evaluating, "request_review"), body, format="json")
        assert response.status_code == 400, (body, response.content)
    assert database_state() == before
    # The submitter cannot claim a phone call: by tracking code the answer is recorded online.
    body = {"rating": "satisfied", "method": "phone"}
    assert api_client.post(public_url(evaluating, "evaluate"), body, format="json").status_code == 200
    assert fresh(evaluating).evaluation_method == "online"


def test_public_review_and_evaluate_are_throttled(mw, api_client, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"public": "2/min"})
    matter = civil(mw, State.EVALUATING)
    statuses = [
        api_client.post(
            f"/api/v1/public/matters/{'B' * 16}/request_review/", {"reason": "x"}, format="json"
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [404, 404, 429]
    refused(api_client.post(public_url(matter, "request_review"), {"reason": "x"}, format="json"), 429, "throttled")
    assert fresh(matter).state == State.EVALUATING


def test_public_status_page_forms_sent_twice_act_once(mw, client):
    matter = civil(mw, State.EVALUATING)
    page = f"/public/matters/{matter.tracking_code}/"
    first = client.post(f"{page}review/", {"reason": "灯还是不亮"})
    second = client.post(f"{page}review/", {"reason": "灯还是不亮"})
    assert first.status_code == second.status_code == 302
    assert events(matter, "request_review") == 1 and fresh(matter).state == State.REVIEWING
    # Not evaluating any more: an evaluation posted from a stale page changes nothing.
    assert client.post(f"{page}evaluate/", {"rating": "satisfied"}).status_code == 302
    assert fresh(matter).state == State.REVIEWING and events(matter, "evaluate") == 0
    assert client.post(f"/public/matters/{'C' * 16}/review/", {"reason": "x"}).status_code == 404


# ---------------------------------------------------------------- the pages


def test_pages_refuse_the_new_actions_like_the_api(mw, client):
    import uuid

    u = mw.users
    matter = government(mw, State.HANDLING)
    s.matter_request_extension(matter=matter, actor=u.handler, pause=True, reason="等鉴定")
    before = database_state()
    decide = {
        "decide_extension-form_token": uuid.uuid4(),
        "decide_extension-approve": "yes",
        "decide_extension-reason": "x",
    }
    for user, status in ((u.handler, 403), (u.handler2, 403), (u.cadre, 403), (u.other_official, 404), (u.grid1, 404)):
        client.force_login(user)
        assert client.post(f"/matters/{matter.pk}/decide_extension/", decide).status_code == status, user
    assert database_state() == before
    client.force_login(u.leader)
    bad = {**decide, "decide_extension-approve": "perhaps"}
    assert client.post(f"/matters/{matter.pk}/decide_extension/", bad).status_code == 200  # the form, with its error
    assert fresh(matter).pending_extension is not None
    token = uuid.uuid4()
    good = {**decide, "decide_extension-form_token": token}
    assert client.post(f"/matters/{matter.pk}/decide_extension/", good).status_code == 302
    assert client.post(f"/matters/{matter.pk}/decide_extension/", good).status_code == 302  # sent twice
    assert events(matter, "decide_extension") == 1 and fresh(matter).paused_at is not None


def test_the_page_refuses_a_huge_head_count_with_a_message(mw, client):
    import uuid

    u = mw.users
    matter = mw.staff_matter(title="村道硬化", actor=u.cadre)
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.VILLAGE, category=mw.categories.village_project)
    for n in (1, 2, 3, 4):
        party = {"entitled": 30, "present": 25} if n == 4 else {}
        s.matter_deliberate(
            matter=matter, actor=u.cadre, kind="step", step=n, held_on=TODAY, summary=f"第{n}步", **party
        )
    client.force_login(u.cadre)
    huge = str(10**12)
    form = {
        "record": "step",
        "step": "5",
        "step5-form_token": uuid.uuid4(),
        "step5-held_on": TODAY.isoformat(),
        "step5-announced_on": (TODAY - datetime.timedelta(days=10)).isoformat(),
        "step5-summary": "表决",
        "step5-body": "villagers_meeting",
        "step5-entitled": huge,
        "step5-present": huge,
        "step5-in_favour": huge,
        "step5-against": "0",
        "step5-abstain": "0",
    }
    before = database_state()
    response = client.post(f"/matters/{matter.pk}/deliberate/", form)
    assert response.status_code in (200, 400), response.status_code
    assert database_state() == before
