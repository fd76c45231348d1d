"""Extensions by approval (延期审批), the independent return visit (回访) and the review one
level up (复查): who may, what each moves, and the 403 / 409 / 400 refusals that write nothing.

The clock is frozen on a Wednesday (2026-03-04, 10:00 Asia/Shanghai) so that every deadline
in working days is the same whatever day the suite runs.
"""

import datetime
import zoneinfo
from importlib import import_module

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone

from governance.errors import Refused
from governance.models import Notification
from petitions import calendar
from petitions import services as s
from petitions.deadlines import sweep
from petitions.models import ExtensionRequest, Kind, Matter, MatterEvent, Rating, State, TimeLimit
from petitions.workflow import WHERE_ELSE, MatterPermissionError, MatterStateError
from tests.petitions.conftest import title_prefix

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CLOSED_DISSATISFIED = "Closed with the resident still dissatisfied; tell them where else to turn: %(title)s"
NOW = datetime.datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _handling(mw):
    """A 民事 of grid 1: deliberated and handled by grid 1's worker."""
    u = mw.users
    matter = mw.staff_matter()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    s.matter_deliberate(matter=matter, actor=u.grid1, kind="meeting", held_on=NOW.date(), summary="院坝会")
    return s.matter_handle(matter=matter, actor=u.grid1, handler=u.grid1)


def _evaluating(mw):
    """Reported by grid 1's worker, verified by the village cadre: the resident's answer is due."""
    matter = _handling(mw)
    s.matter_report(matter=matter, actor=mw.users.grid1, result="已修好")
    return s.matter_verify(matter=matter, actor=mw.users.cadre, passed=True)


def _fresh(matter):
    return Matter.objects.get(pk=matter.pk)


def _events(matter):
    return MatterEvent.objects.filter(matter=matter).count()


# ---------------------------------------------------------------- extensions


def test_the_handler_may_not_pause_their_own_clock(mw):
    matter = _handling(mw)
    with pytest.raises(MatterPermissionError) as refused:
        s.matter_pause(matter=matter, actor=mw.users.grid1, reason="等材料")
    assert refused.value.code == "pause_needs_approval"
    assert _fresh(matter).paused_at is None


def test_a_later_deadline_moves_only_when_the_level_above_approves(mw):
    u = mw.users
    matter = _handling(mw)
    before = _fresh(matter).deadline
    wanted = before + datetime.timedelta(days=10)

    request = s.matter_request_extension(matter=matter, actor=u.grid1, deadline=wanted, reason="等材料")
    assert request.status == ExtensionRequest.Status.PENDING
    assert _fresh(matter).deadline == before  # asked is not granted
    assert Notification.objects.filter(user=u.cadre, title__contains="路灯不亮").exists()

    with pytest.raises(MatterStateError) as pending:
        s.matter_request_extension(matter=matter, actor=u.grid1, pause=True, reason="再等等")
    assert pending.value.code == "extension_pending"
    with pytest.raises(MatterPermissionError) as own:
        s.matter_decide_extension(matter=matter, actor=u.grid1, approve=True, reason="自己批")
    assert own.value.code == "own_extension"
    with pytest.raises(MatterPermissionError):  # grid 1's leader is not above the grid
        s.matter_decide_extension(matter=matter, actor=u.leader1, approve=True, reason="同意")

    s.matter_decide_extension(matter=matter, actor=u.cadre, approve=True, reason="情况属实")
    matter = _fresh(matter)
    assert timezone.localtime(matter.deadline).date() == timezone.localtime(wanted).date()
    assert matter.pending_extension is None
    assert ExtensionRequest.objects.get(pk=request.pk).decided_by == u.cadre
    assert Notification.objects.filter(user=u.grid1, body="情况属实").exists()  # the requester is told why

    # One approved extension per matter by default (MATTER_EXTENSION_LIMIT).
    events = _events(matter)
    with pytest.raises(MatterStateError) as limit:
        s.matter_request_extension(matter=matter, actor=u.grid1, pause=True, reason="还要等")
    assert limit.value.code == "extension_limit" and _events(matter) == events


def test_a_refused_extension_changes_no_time_and_the_limit_is_a_setting(mw, settings):
    settings.MATTER_EXTENSION_LIMIT = 2
    u = mw.users
    matter = _handling(mw)
    before = _fresh(matter).deadline
    s.matter_request_extension(matter=matter, actor=u.grid1, pause=True, reason="等鉴定")
    s.matter_decide_extension(matter=matter, actor=u.official, approve=False, reason="不需要暂停")
    matter = _fresh(matter)
    assert matter.deadline == before and matter.paused_at is None
    # An approved pause stops the clock: the sweep leaves it alone.
    s.matter_request_extension(matter=matter, actor=u.grid1, pause=True, reason="等鉴定结果")
    s.matter_decide_extension(matter=matter, actor=u.official, approve=True, reason="同意暂停")
    matter = _fresh(matter)
    assert matter.paused_at == NOW and matter.pause_reason == "等鉴定结果"
    assert sweep(now=matter.deadline + datetime.timedelta(days=30)).marked_overdue == 0
    s.matter_resume(matter=matter, actor=u.grid1)  # the handler resumes
    assert _fresh(matter).paused_at is None


@pytest.mark.parametrize(
    "ask",
    [
        {"deadline": None, "pause": False},  # neither
        {"deadline": "earlier", "pause": False},
        {"deadline": "too_far", "pause": False},
        {"deadline": "later", "pause": True},  # both
    ],
)
def test_bad_dates_are_400_and_write_nothing(mw, ask):
    matter = _fresh(_handling(mw))
    days = {"earlier": -1, "too_far": 31, "later": 5}
    deadline = matter.deadline + datetime.timedelta(days=days[ask["deadline"]]) if ask["deadline"] else None
    events = _events(matter)
    with pytest.raises(Refused) as refused:
        s.matter_request_extension(
            matter=matter, actor=mw.users.grid1, deadline=deadline, pause=ask["pause"], reason="要时间"
        )
    assert (refused.value.code, refused.value.field, refused.value.status) == ("bad_deadline", "deadline", 400)
    assert _events(matter) == events and not ExtensionRequest.objects.exists()


def test_before_handling_the_owner_asks_and_the_api_answers_the_codes(mw, as_user):
    u = mw.users
    matter = mw.staff_matter()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    url = f"/api/v1/matters/{matter.pk}/"
    asked = as_user(u.grid1).post(url + "request_extension/", {"pause": True, "reason": "等村民回来"}, format="json")
    assert asked.status_code == 200 and asked.json()["pending_extension"]["kind"] == "pause"
    assert "decide_extension" in as_user(u.cadre).get(url).json()["actions"]
    again = as_user(u.grid1).post(url + "request_extension/", {"pause": True, "reason": "x"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "extension_pending"
    decided = as_user(u.cadre).post(url + "decide_extension/", {"approve": True, "reason": "同意"}, format="json")
    assert decided.status_code == 200 and decided.json()["paused_at"] is not None
    none_left = as_user(u.cadre).post(url + "decide_extension/", {"approve": True, "reason": "x"}, format="json")
    assert none_left.status_code == 409 and none_left.json()["code"] == "no_extension_request"


# ---------------------------------------------------------------- 回访: the independent return visit


@pytest.mark.parametrize("who", ["handler", "reporter", "verifier"])
def test_those_who_did_the_work_may_not_record_the_rating(mw, who):
    from governance.models import Role
    from tests.factories import assign, make_user

    u = mw.users
    matter = mw.public_matter()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid)
    s.matter_deliberate(matter=matter, actor=u.official, kind="review", held_on=NOW.date(), summary="受理")
    # The official handles and reports it; the leader verifies: each is refused the rating.
    s.matter_handle(matter=matter, actor=u.official, handler=u.official)
    s.matter_report(matter=matter, actor=u.official, result="已办结")
    s.matter_verify(matter=matter, actor=u.leader, passed=True)
    matter = _fresh(matter)
    assert (matter.handler, matter.reported_by, matter.verified_by) == (u.official, u.official, u.leader)
    actor = {"handler": u.official, "reporter": u.official, "verifier": u.leader}[who]
    events = _events(matter)
    with pytest.raises(MatterPermissionError) as refused:
        s.matter_evaluate(matter=matter, actor=actor, rating=Rating.SATISFIED, method="phone")
    assert refused.value.code == "not_independent" and _events(matter) == events
    # Another township official did none of it: the answer is theirs to record.
    other = make_user("t_official2", name="渭沱镇干部二")
    assign(other, Role.TOWNSHIP_OFFICIAL, mw.weituo)
    s.matter_evaluate(matter=matter, actor=other, rating=Rating.SATISFIED, method="visit")
    assert (_fresh(matter).state, _fresh(matter).evaluation_method) == (State.CLOSED, "visit")


def test_grid_staff_no_longer_record_ratings_and_staff_say_how(mw, as_user):
    u = mw.users
    matter = _evaluating(mw)
    url = f"/api/v1/matters/{matter.pk}/evaluate/"
    leader1 = as_user(u.leader1).post(url, {"rating": "satisfied", "method": "phone"}, format="json")
    assert leader1.status_code == 403 and leader1.json()["code"] == "permission_denied"
    handler = as_user(u.grid1).post(url, {"rating": "satisfied", "method": "phone"}, format="json")
    assert handler.status_code == 403  # a grid worker, and the handler besides
    verifier = as_user(u.cadre).post(url, {"rating": "satisfied", "method": "phone"}, format="json")
    assert verifier.status_code == 403 and verifier.json()["code"] == "not_independent"
    no_method = as_user(u.official).post(url, {"rating": "satisfied"}, format="json")
    assert no_method.status_code == 400 and "method" in no_method.json()
    done = as_user(u.official).post(url, {"rating": "satisfied", "method": "in_person"}, format="json")
    assert done.status_code == 200 and done.json()["evaluation_method"] == "in_person"


def test_the_migration_backfills_the_verifier_from_the_events(mw):
    matter = _evaluating(mw)
    Matter.objects.filter(pk=matter.pk).update(verified_by=None)
    import_module("petitions.migrations.0005_review").backfill_verified_by(apps, None)
    assert _fresh(matter).verified_by == mw.users.cadre


# ---------------------------------------------------------------- 复查: the review one level up


def test_unsatisfied_goes_one_level_up_on_the_reviews_own_clock(mw):
    TimeLimit.objects.create(stage=TimeLimit.Stage.HANDLING, kind=Kind.CIVIL, working_days=5)
    TimeLimit.objects.create(stage=TimeLimit.Stage.REVIEW, kind=Kind.CIVIL, working_days=12)
    matter = _evaluating(mw)
    s.matter_evaluate(matter=matter, actor=None, rating=Rating.UNSATISFIED, comment="灯又坏了")
    matter = _fresh(matter)
    assert matter.state == State.REVIEWING and matter.reopen_count == 0
    assert matter.time_limit_days == 12 and matter.review_requested_at == NOW
    assert timezone.localtime(matter.deadline).date() == calendar.add_working_days(NOW.date(), 12)
    assert Notification.objects.filter(user=mw.users.cadre, title__contains="复查").exists()


def test_the_review_defaults_to_twenty_working_days(mw):
    matter = _evaluating(mw)
    s.matter_request_review(matter=matter, actor=None, reason="只是临时修了一下")
    matter = _fresh(matter)
    assert matter.state == State.REVIEWING and matter.time_limit_days == 20
    assert matter.rating == Rating.UNSATISFIED and matter.evaluation_method == "online"


def test_upheld_closes_and_the_resident_is_told_where_else_to_turn(mw, api_client):
    u = mw.users
    matter = _evaluating(mw)
    s.matter_evaluate(matter=matter, actor=None, rating=Rating.UNSATISFIED, comment="灯又坏了")
    with pytest.raises(MatterPermissionError):  # never the handler
        s.matter_decide_review(matter=matter, actor=u.grid1, upheld=True, reason="x")
    with pytest.raises(MatterPermissionError) as verifier:  # nor the cadre who verified the work
        s.matter_decide_review(matter=matter, actor=u.cadre, upheld=True, reason="x")
    assert verifier.value.code == "not_independent"
    s.matter_decide_review(matter=matter, actor=u.official, upheld=True, reason="处理并无不当")
    matter = _fresh(matter)
    assert (matter.state, matter.review_upheld) == (State.CLOSED, True) and matter.closed_dissatisfied
    body = api_client.get(f"/api/v1/public/matters/{matter.tracking_code}/").json()
    assert body["where_else"] == [str(line) for line in WHERE_ELSE] and body["can_request_review"] is False
    told = Notification.objects.get(
        user=u.grid1,
        title__startswith=title_prefix(
            "Closed with the resident still dissatisfied; tell them where else to turn: %(title)s"
        ),
    )
    assert "30" in told.body


def test_not_upheld_reopens_and_a_second_dissatisfaction_closes_on_the_record(mw, client):
    u = mw.users
    matter = _evaluating(mw)
    s.matter_request_review(matter=matter, actor=u.official, reason="灯又坏了", method="phone")
    s.matter_decide_review(matter=matter, actor=u.leader, upheld=False, reason="确未修好")
    matter = _fresh(matter)
    assert (matter.state, matter.reopen_count, matter.review_upheld) == (State.HANDLING, 1, False)
    s.matter_report(matter=matter, actor=u.grid1, result="换了新灯")
    s.matter_verify(matter=matter, actor=u.cadre, passed=True)
    with pytest.raises(MatterStateError) as once:
        s.matter_request_review(matter=matter, actor=None, reason="还是不行")
    assert once.value.code == "review_used"
    s.matter_evaluate(matter=matter, actor=None, rating=Rating.UNSATISFIED, comment="还是不亮")
    matter = _fresh(matter)
    assert matter.state == State.CLOSED and matter.rating == Rating.UNSATISFIED and matter.closed_dissatisfied
    html = client.get(f"/public/matters/{matter.tracking_code}/").content.decode()
    assert 'id="where-else"' in html and 'name="reason"' not in html


def test_the_resident_asks_for_a_review_on_the_public_page_once(mw, client):
    matter = _evaluating(mw)
    url = f"/public/matters/{matter.tracking_code}/"
    assert f'action="{url}review/"' in client.get(url).content.decode()
    empty = client.post(url + "review/", {"reason": " "})
    assert empty.status_code == 200 and _fresh(matter).state == State.EVALUATING
    assert client.post(url + "review/", {"reason": "路灯还是不亮"}).status_code == 302
    assert _fresh(matter).state == State.REVIEWING
    again = client.post(url + "review/", {"reason": "再查"})
    assert again.status_code == 302 and MatterEvent.objects.filter(matter=matter, action="request_review").count() == 1


def test_a_government_review_is_the_township_leaders(mw, as_user):
    u = mw.users
    matter = mw.public_matter()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid)
    s.matter_deliberate(matter=matter, actor=u.official, kind="review", held_on=NOW.date(), summary="受理")
    s.matter_handle(matter=matter, actor=u.official, department=mw.sifasuo)
    s.matter_report(matter=matter, actor=u.handler, result="已调解")
    s.matter_verify(matter=matter, actor=u.official, passed=True)
    s.matter_evaluate(matter=matter, actor=None, rating=Rating.UNSATISFIED, comment="补偿没到位")
    url = f"/api/v1/matters/{matter.pk}/decide_review/"
    assert as_user(u.official).post(url, {"upheld": True, "reason": "x"}, format="json").status_code == 403
    bad = as_user(u.leader).post(url, {"upheld": True}, format="json")
    assert bad.status_code == 400 and _fresh(matter).state == State.REVIEWING
    assert as_user(u.leader).post(url, {"upheld": False, "reason": "重新调解"}, format="json").status_code == 200
    assert _fresh(matter).state == State.HANDLING
