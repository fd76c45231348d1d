"""提分议办督评 through the services: the three journeys, illegal moves, quorum, concurrency."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from governance.models import Notification
from petitions import services as s
from petitions.models import Deliberation, Kind, Matter, MatterEvent, Rating, State
from petitions.selectors import matters_visible_to, matters_waiting_for
from petitions.workflow import MatterPermissionError, MatterStateError, available_actions

TODAY = timezone.localdate()  # the app's day (Asia/Shanghai), not the machine's


def events(matter):
    return list(MatterEvent.objects.filter(matter=matter).values_list("action", "from_state", "to_state"))


def test_civil_journey_from_grid_worker_to_evaluation(mw):
    u = mw.users
    matter = mw.staff_matter(on_behalf=True)
    assert matter.state == State.SUBMITTED and matter.created_by == u.grid1
    assert Notification.objects.filter(user=u.cadre, title__contains="路灯不亮").exists()
    assert matter in matters_waiting_for(u.cadre)
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    assert matter in matters_waiting_for(u.grid1)
    s.matter_deliberate(
        matter=matter,
        actor=u.grid1,
        kind="meeting",
        held_on=TODAY,
        summary="院坝会：大家同意集资修灯",
        attendees=["张三", "李四"],
        participants=[mw.households.q1.members.first()],
    )
    s.matter_handle(matter=matter, actor=u.grid1, handler=u.grid1)
    s.matter_report(matter=matter, actor=u.grid1, result="已更换灯泡，恢复照明")
    with pytest.raises(MatterPermissionError):  # the handler never verifies their own result
        s.matter_verify(matter=matter, actor=u.grid1, passed=True)
    s.matter_verify(matter=matter, actor=u.cadre, passed=True)
    s.matter_evaluate(matter=matter, actor=None, rating=Rating.SATISFIED)
    matter.refresh_from_db()
    assert matter.state == State.CLOSED and matter.closed_at is not None
    assert events(matter) == [
        ("submit", "", "submitted"),
        ("classify", "submitted", "classified"),
        ("deliberate", "classified", "deliberating"),
        ("handle", "deliberating", "handling"),
        ("report", "handling", "verifying"),
        ("verify", "verifying", "evaluating"),
        ("evaluate", "evaluating", "closed"),
    ]


NOTICE = {"announced_on": TODAY - datetime.timedelta(days=10)}  # a villagers' meeting, ten days ahead
PARTY = {"entitled": 30, "present": 25}  # step 4: the party members' attendance


def _steps_1_to_4(matter, actor, summary=None):
    for step in (1, 2, 3, 4):
        s.matter_deliberate(
            matter=matter,
            actor=actor,
            kind="step",
            step=step,
            held_on=TODAY,
            summary=summary or f"第{step}步",
            **(PARTY if step == 4 else {}),
        )


def _vote(mw, matter, *, present, in_favour, entitled=100, body="villagers_meeting"):
    return s.matter_deliberate(
        matter=matter,
        actor=mw.users.cadre,
        kind="step",
        step=5,
        held_on=TODAY,
        summary=f"表决：到会{present}人，赞成{in_favour}人",  # a second vote has its own minutes
        body=body,
        entitled=entitled,
        present=present,
        in_favour=in_favour,
        against=present - in_favour,
        abstain=0,
        **(NOTICE if body == "villagers_meeting" else {}),
    )


def test_village_matter_seven_steps_and_vote(mw):
    u = mw.users
    matter = mw.staff_matter(title="风貌改造续建方案", actor=u.cadre)
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.VILLAGE, category=mw.categories.village_project)
    with pytest.raises(ValidationError):  # steps in order
        s.matter_deliberate(matter=matter, actor=u.cadre, kind="step", step=2, held_on=TODAY, summary="提议")
    _steps_1_to_4(matter, u.cadre)
    with pytest.raises(MatterStateError):  # no vote yet
        s.matter_handle(matter=matter, actor=u.cadre, handler=u.cadre)
    failed = _vote(mw, matter, present=60, in_favour=30)
    assert (failed.quorum_met, failed.carried) == (True, False)
    with pytest.raises(ValidationError):  # nothing to publish after a failed vote
        s.matter_deliberate(matter=matter, actor=u.cadre, kind="step", step=6, held_on=TODAY, summary="公开")
    carried = _vote(mw, matter, present=60, in_favour=31)
    assert (carried.quorum_met, carried.carried) == (True, True)
    s.matter_deliberate(matter=matter, actor=u.cadre, kind="step", step=6, held_on=TODAY, summary="决议公开张贴")
    s.matter_handle(matter=matter, actor=u.cadre, handler=u.cadre)
    s.matter_report(matter=matter, actor=u.cadre, result="实施结果公开：已完成改造")
    with pytest.raises(MatterPermissionError):  # a village matter is verified by the township
        s.matter_verify(matter=matter, actor=u.other_cadre, passed=True)
    s.matter_verify(matter=matter, actor=u.official, passed=True)
    assert MatterEvent.objects.get(matter=matter, action="report").payload["step"] == 7


@pytest.mark.parametrize(
    "body, entitled, present, in_favour, quorum, carried",
    [
        ("villagers_meeting", 100, 50, 50, False, False),  # exactly half is not more than half
        ("villagers_meeting", 100, 51, 26, True, True),
        ("villagers_meeting", 100, 51, 25, True, False),  # 25 of 51 is not more than half present
        ("households_meeting", 30, 20, 11, True, True),  # two thirds of 30 households
        ("households_meeting", 30, 19, 19, False, False),
        ("representatives_meeting", 45, 30, 16, True, True),
        ("representatives_meeting", 45, 29, 29, False, False),
        ("representatives_meeting", 3, 2, 1, True, False),  # 1 of 2 is not more than half
    ],
)
def test_vote_quorum_and_majority(body, entitled, present, in_favour, quorum, carried):
    assert s.vote_outcome(body=body, entitled=entitled, present=present, in_favour=in_favour) == (quorum, carried)


@pytest.mark.parametrize(
    "counts",
    [
        {"entitled": 10, "present": 11, "in_favour": 1, "against": 0, "abstain": 0},
        {"entitled": 10, "present": 5, "in_favour": 4, "against": 2, "abstain": 0},
        {"entitled": 0, "present": 0, "in_favour": 0, "against": 0, "abstain": 0},
        {"entitled": 10, "present": -1, "in_favour": 0, "against": 0, "abstain": 0},
    ],
)
def test_impossible_vote_counts_are_refused(mw, counts):
    u = mw.users
    matter = mw.staff_matter(actor=u.cadre)
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.VILLAGE, category=mw.categories.village_project)
    _steps_1_to_4(matter, u.cadre, "x")
    with pytest.raises(ValidationError):
        s.matter_deliberate(
            matter=matter,
            actor=u.cadre,
            kind="step",
            step=5,
            held_on=TODAY,
            summary="表决",
            body="villagers_meeting",
            **NOTICE,
            **counts,
        )
    assert not Deliberation.objects.filter(matter=matter, step=5).exists()


def test_government_journey_through_department(mw):
    u = mw.users
    matter = mw.public_matter()
    assert matter.created_by is None and len(matter.tracking_code) >= 16
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid)
    assert matter not in matters_visible_to(u.handler)
    with pytest.raises(MatterPermissionError):  # the village does not review a 政事
        s.matter_deliberate(matter=matter, actor=u.cadre, kind="review", held_on=TODAY, summary="受理")
    s.matter_deliberate(matter=matter, actor=u.official, kind="review", held_on=TODAY, summary="镇综治中心受理")
    s.matter_handle(matter=matter, actor=u.official, department=mw.sifasuo)
    assert matter in matters_visible_to(u.handler) and matter in matters_waiting_for(u.handler2)
    assert "report" in available_actions(u.handler2, Matter.objects.get(pk=matter.pk))
    assert Notification.objects.filter(user=u.handler, title__contains="土地纠纷").exists()
    s.matter_report(matter=matter, actor=u.handler2, result="司法所调解，双方达成补偿协议")
    s.matter_verify(matter=matter, actor=u.official, passed=False, note="协议未签字")
    s.matter_report(matter=matter, actor=u.handler, result="补签协议")
    s.matter_verify(matter=matter, actor=u.official, passed=True)
    s.matter_evaluate(matter=matter, actor=None, rating=Rating.UNSATISFIED, comment="补偿没到位")
    matter.refresh_from_db()
    # Not reopened at the same level: a 政事 goes to the township leader for a review (复查).
    assert matter.state == State.REVIEWING and matter.reopen_count == 0
    with pytest.raises(MatterPermissionError):
        s.matter_decide_review(matter=matter, actor=u.official, upheld=False, reason="重办")
    s.matter_decide_review(matter=matter, actor=u.leader, upheld=False, reason="补偿确未到位，重新办理")
    matter.refresh_from_db()
    assert matter.state == State.HANDLING and matter.reopen_count == 1


def test_department_cannot_report_before_assignment_and_other_department_never(mw):
    from governance.services import department_create
    from tests.factories import assign, make_user

    u = mw.users
    police = department_create(township=mw.weituo, name="派出所")
    officer = make_user("t_police")
    assign(officer, "department_handler", department=police)
    matter = mw.public_matter()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid)
    s.matter_deliberate(matter=matter, actor=u.official, kind="review", held_on=TODAY, summary="受理")
    s.matter_handle(matter=matter, actor=u.official, department=mw.sifasuo)
    assert matter not in matters_visible_to(officer)
    with pytest.raises(MatterPermissionError):
        s.matter_report(matter=matter, actor=officer, result="x")


def test_township_returns_government_matter_to_village(mw):
    u = mw.users
    matter = mw.public_matter()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.GOVERNMENT, category=mw.categories.infrastructure)
    with pytest.raises(ValidationError):
        s.matter_reclassify(
            matter=matter, actor=u.official, kind=Kind.VILLAGE, category=mw.categories.village_project, reason=""
        )
    told = Notification.objects.filter(user=u.cadre, url=f"/matters/{matter.pk}/")
    before = told.count()
    s.matter_reclassify(
        matter=matter, actor=u.official, kind=Kind.VILLAGE, category=mw.categories.village_project, reason="属村级事务"
    )
    matter.refresh_from_db()
    assert (matter.kind, matter.state) == (Kind.VILLAGE, State.CLASSIFIED)
    assert told.count() == before + 1 and told.first().body == "属村级事务"


def test_reject_as_duplicate(mw):
    u = mw.users
    first = mw.staff_matter()
    s.matter_classify(matter=first, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    second = mw.staff_matter(category=mw.categories.environment)
    assert list(s.possible_duplicates(second)) == [first]
    s.matter_reject(matter=second, actor=u.leader1, reason="重复", duplicate_of=first)
    second.refresh_from_db()
    assert second.state == State.REJECTED and second.duplicate_of == first
    with pytest.raises(MatterStateError):
        s.matter_classify(matter=second, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment)


@pytest.mark.parametrize(
    "persona", ["grid2", "other_cadre", "official", "handler", "outsider", "grid1", "clerk", "supervisor"]
)
def test_who_may_not_classify(mw, persona):
    matter = mw.staff_matter()
    with pytest.raises(MatterPermissionError):
        s.matter_classify(
            matter=matter, actor=getattr(mw.users, persona), kind=Kind.CIVIL, category=mw.categories.environment
        )
    matter.refresh_from_db()
    assert matter.state == State.SUBMITTED and MatterEvent.objects.filter(matter=matter).count() == 1


def test_role_checked_before_state(mw):
    matter = mw.staff_matter()
    s.matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    with pytest.raises(MatterPermissionError):  # 403 for grid 2's worker, not 409
        s.matter_classify(matter=matter, actor=mw.users.grid2, kind=Kind.CIVIL, category=mw.categories.environment)
    with pytest.raises(MatterStateError):
        s.matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)


def test_supervise_by_those_above_changes_no_state(mw):
    u = mw.users
    matter = mw.staff_matter()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    with pytest.raises(MatterPermissionError):
        s.matter_supervise(matter=matter, actor=u.grid1, note="快点")
    s.matter_supervise(matter=matter, actor=u.official, note="请三日内处理")
    matter.refresh_from_db()
    assert matter.state == State.CLASSIFIED
    assert Notification.objects.filter(user=u.grid1, body="请三日内处理").exists()


def test_mediation_needs_parties_and_terms(mw):
    u = mw.users
    matter = mw.staff_matter(title="修路占地纠纷")
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.neighbour_dispute)
    with pytest.raises(ValidationError):
        s.matter_deliberate(
            matter=matter, actor=u.grid1, kind="mediation", held_on=TODAY, summary="调解", parties=["张某"]
        )
    record = s.matter_deliberate(
        matter=matter,
        actor=u.grid1,
        kind="mediation",
        held_on=TODAY,
        summary="老兵说法营调解",
        parties=["张某", "马某"],
        facts="张某硬化便道占用马某耕地",
        agreed_terms="张某补偿马某 800 元",
        signed_by=["张某", "马某"],
    )
    assert record.agreed_terms and record.signed_by == ["张某", "马某"]


def test_grant_lets_an_outsider_see_one_matter(mw):
    u = mw.users
    matter = mw.staff_matter()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.neighbour_dispute)
    other = mw.staff_matter()
    assert not matters_visible_to(u.outsider).exists()  # read ahead and kept on the user...
    s.matter_grant(matter=matter, actor=u.grid1, user=u.outsider)
    assert list(matters_visible_to(u.outsider)) == [matter]  # ...which the grant forgets
    assert other not in matters_visible_to(u.outsider)


def test_withdraw_by_creator_only_before_handling(mw):
    matter = mw.staff_matter()
    with pytest.raises(MatterPermissionError):
        s.matter_withdraw(matter=matter, actor=mw.users.grid2)
    s.matter_withdraw(matter=matter, actor=mw.users.grid1, reason="已自行解决")
    assert Matter.objects.get(pk=matter.pk).state == State.WITHDRAWN


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_classifications_cannot_both_succeed(mw):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (set DATABASE_URL)")
    matter = mw.staff_matter()
    outcomes = []
    barrier = threading.Barrier(2)

    def classify(actor, kind):
        from django.db import connections

        barrier.wait()
        try:
            s.matter_classify(matter=matter, actor=actor, kind=kind, category=mw.categories.environment)
            outcomes.append("ok")
        except MatterStateError:
            outcomes.append("409")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=classify, args=(mw.users.cadre, Kind.CIVIL)),
        threading.Thread(target=classify, args=(mw.users.leader1, Kind.VILLAGE)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409", "ok"]
    assert MatterEvent.objects.filter(matter=matter, action="classify").count() == 1


def test_tracking_codes_avoid_look_alike_characters():
    from petitions.models import TRACKING_CODE_ALPHABET, new_tracking_code

    codes = {new_tracking_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 16 and set(code) <= set(TRACKING_CODE_ALPHABET) for code in codes)
    assert not set("01OIL") & set(TRACKING_CODE_ALPHABET)
