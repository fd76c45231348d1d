"""The decision rules of a 村事 by its category (村民委员会组织法 Art. 21–27, 农村土地承包法 Art. 28):
a land contract adjustment carried by two thirds of all members and then approved by the
township, a village compact decided by the villagers' meeting only and filed (备案), the
matters of Art. 24 left to the villagers' meeting unless it authorised the representatives, a
villagers' meeting announced ten days ahead, the party members' attendance, the outcome at step 7."""

import datetime
import itertools
import re
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from governance.errors import Refused
from governance.models import Notification
from petitions import procedure
from petitions import services as s
from petitions.models import Approval, DecisionRule, Deliberation, Matter, MatterEvent, RepresentativesAuthorisation
from petitions.selectors import matters_waiting_for
from tests.api.matter_states import database_state
from tests.pages.conftest import field_block

# A Monday; every date below follows from it, never from the calendar day.
TODAY = datetime.date(2026, 6, 15)
NOTICE = {"announced_on": TODAY - datetime.timedelta(days=10)}


@pytest.fixture(autouse=True)
def clock():
    moment = datetime.datetime.combine(TODAY, datetime.time(10), tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=True):
        yield


def _at_step_5(mw, category: str) -> Matter:
    """A 村事 of 七星村 grid 1 recorded by its cadre, steps 1 to 4 done (the party members'
    meeting with its attendance)."""
    u = mw.users
    matter = mw.staff_matter(title="二组土地承包调整方案", actor=u.cadre)
    s.matter_classify(matter=matter, actor=u.cadre, kind="village", category=getattr(mw.categories, category))
    for n in (1, 2, 3, 4):
        party = {"entitled": 30, "present": 25} if n == 4 else {}
        s.matter_deliberate(
            matter=matter, actor=u.cadre, kind="step", step=n, held_on=TODAY, summary=f"第{n}步", **party
        )
    return matter


# Minutes repeated word for word are asked about (services.DuplicateDeliberation): each
# vote and publication of these tests is another meeting, with its own words.
MEETINGS = itertools.count(1)


def _vote(mw, matter, *, in_favour, present=90, entitled=100, body="villagers_meeting", **extra):
    notice = NOTICE if body != "representatives_meeting" and not extra else {}
    return s.matter_deliberate(
        matter=matter,
        actor=mw.users.cadre,
        kind="step",
        step=5,
        held_on=TODAY,
        summary=f"表决（第{next(MEETINGS)}次会议）",  # each vote its own minutes
        body=body,
        entitled=entitled,
        present=present,
        in_favour=in_favour,
        against=present - in_favour,
        abstain=0,
        **notice,
        **extra,
    )


def _publish(mw, matter):
    summary = f"决议公开（第{next(MEETINGS)}次）"  # each publication its own minutes
    s.matter_deliberate(matter=matter, actor=mw.users.cadre, kind="step", step=6, held_on=TODAY, summary=summary)


def _post(client, user, matter, action, data):
    client.force_authenticate(user)
    return client.post(f"/api/v1/matters/{matter.pk}/{action}/", data, format="json")


# ---------------------------------------------------------------- land contract adjustment


def test_land_adjustment_carries_only_with_two_thirds_of_all_members_then_waits_for_the_township(mw, api_client):
    u = mw.users
    matter = _at_step_5(mw, "land_adjustment")

    # 54 of the 90 present (60 %) would carry a simple matter, but not 54 of all 100 members.
    failed = _vote(mw, matter, in_favour=54)
    assert (failed.quorum_met, failed.carried, failed.decision_rule) == (True, False, DecisionRule.LAND)
    assert procedure.vote_outcome(body="villagers_meeting", entitled=100, present=90, in_favour=54) == (True, True)
    event = MatterEvent.objects.filter(matter=matter, action="deliberate").latest("id")
    assert (event.payload["carried"], event.payload["rule"]) == (False, "land")
    refused = _post(api_client, u.cadre, matter, "handle", {"handler": u.cadre.pk})
    assert (refused.status_code, refused.json()["code"]) == (409, "deliberation_incomplete")

    # 70 of all 100 members: carried; published; and then the township's approval comes first.
    carried = _vote(mw, matter, in_favour=70)
    assert (carried.quorum_met, carried.carried) == (True, True)
    _publish(mw, matter)
    for _attempt in range(2):  # refused every time until approved, and nothing is written
        before = database_state()
        refused = _post(api_client, u.cadre, matter, "handle", {"handler": u.cadre.pk})
        assert (refused.status_code, refused.json()["code"]) == (409, "awaiting_township_approval")
        assert database_state() == before
    detail = api_client.get(f"/api/v1/matters/{matter.pk}/").json()
    assert detail["decision_rule"] == "land" and detail["township_approval"] == ""
    assert "handle" in detail["actions"] and "township_approval" not in detail["actions"]

    api_client.force_authenticate(u.official)
    assert "township_approval" in api_client.get(f"/api/v1/matters/{matter.pk}/").json()["actions"]
    approved = _post(api_client, u.official, matter, "township_approval", {"approve": True, "reason": "符合规划"})
    assert approved.status_code == 200, approved.json()
    assert (approved.json()["township_approval"], approved.json()["state"]) == ("approved", "deliberating")
    assert "township_approval" not in approved.json()["actions"]

    handled = _post(api_client, u.cadre, matter, "handle", {"handler": u.cadre.pk})
    assert handled.status_code == 200 and handled.json()["state"] == "handling"


def test_two_thirds_of_all_members_is_enough_and_one_fewer_is_not():
    # 三分之二以上 counts the two thirds itself: 30 of 45 representatives, even if only 31 came.
    rule = {"body": "representatives_meeting", "entitled": 45, "present": 31, "rule": DecisionRule.LAND}
    assert procedure.vote_outcome(in_favour=30, **rule) == (True, True)
    assert procedure.vote_outcome(in_favour=29, **rule) == (True, False)
    assert procedure.majority_needed(31, rule=DecisionRule.LAND, entitled=100) == 67


def test_township_approval_is_the_townships_after_the_vote_with_a_reason(mw, api_client):
    u = mw.users
    matter = _at_step_5(mw, "land_adjustment")
    approve = {"approve": True, "reason": "符合规划"}

    early = _post(api_client, u.official, matter, "township_approval", approve)  # no vote yet
    assert (early.status_code, early.json()["code"]) == (409, "invalid_state")
    _vote(mw, matter, in_favour=70)
    _publish(mw, matter)

    before = database_state()
    for user in (u.cadre, u.grid1):  # the village does not approve its own adjustment
        forbidden = _post(api_client, user, matter, "township_approval", approve)
        assert (forbidden.status_code, forbidden.json()["code"]) == (403, "permission_denied")
    assert _post(api_client, u.other_official, matter, "township_approval", approve).status_code == 404
    no_reason = _post(api_client, u.official, matter, "township_approval", {"approve": False, "reason": " "})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert database_state() == before

    # Refused: handling waits; the township cannot decide again without a new vote.
    refused = _post(api_client, u.leader, matter, "township_approval", {"approve": False, "reason": "面积超出规划"})
    assert refused.status_code == 200 and refused.json()["township_approval"] == "refused"
    again = _post(api_client, u.official, matter, "township_approval", approve)
    assert again.status_code == 409
    waiting = _post(api_client, u.cadre, matter, "handle", {"handler": u.cadre.pk})
    assert (waiting.status_code, waiting.json()["code"]) == (409, "awaiting_township_approval")

    # A new vote clears the old decision and waits for a new one.
    _vote(mw, matter, in_favour=75)
    matter.refresh_from_db()
    assert (matter.township_approval, matter.township_approval_reason) == ("", "")
    _publish(mw, matter)
    assert _post(api_client, u.official, matter, "township_approval", approve).status_code == 200
    matter.refresh_from_db()
    assert (matter.township_approval, matter.township_approved_by) == (Approval.APPROVED, u.official)
    decisions = MatterEvent.objects.filter(matter=matter, action="township_approval").order_by("id")
    assert [e.payload for e in decisions] == [{"approve": False, "reason": "面积超出规划"}, approve]


# ---------------------------------------------------------------- village compact and Art. 24


def test_a_compact_is_decided_by_the_villagers_meeting_only_and_filed_with_the_township(mw, api_client):
    u = mw.users
    matter = _at_step_5(mw, "village_rules")
    before = database_state()
    counts = {"body": "representatives_meeting", "entitled": 45, "present": 40, "in_favour": 40, "against": 0}
    vote = {"kind": "step", "step": 5, "held_on": TODAY.isoformat(), "summary": "代表会议表决", "abstain": 0}
    refused = _post(api_client, u.cadre, matter, "deliberate", {**vote, **counts})
    assert refused.status_code == 400
    assert refused.json()["code"] == "compact_needs_villagers_meeting" and "body" in refused.json()
    assert database_state() == before

    _vote(mw, matter, in_favour=60)
    _publish(mw, matter)
    waiting = _post(api_client, u.cadre, matter, "handle", {"handler": u.cadre.pk})
    assert (waiting.status_code, waiting.json()["code"]) == (409, "awaiting_township_filing")
    filing = {"filed": True, "filed_on": TODAY.isoformat()}
    assert _post(api_client, u.cadre, matter, "record_filing", filing).status_code == 403
    future = _post(api_client, u.official, matter, "record_filing", {"filed": True, "filed_on": "2026-06-16"})
    assert future.status_code == 400 and "filed_on" in future.json()
    filed = _post(api_client, u.official, matter, "record_filing", {**filing, "reason": "镇民政办 备案号 12"})
    assert filed.status_code == 200 and filed.json()["filed_on"] == TODAY.isoformat()
    assert _post(api_client, u.cadre, matter, "handle", {"handler": u.cadre.pk}).status_code == 200


def test_art_24_matters_go_to_the_representatives_only_with_the_villages_authorisation(mw):
    u = mw.users
    matter = _at_step_5(mw, "collective_income")
    representatives = {"body": "representatives_meeting", "entitled": 45, "present": 40}

    with pytest.raises(Refused) as refused:
        _vote(mw, matter, in_favour=30, **representatives)
    assert (refused.value.code, refused.value.field) == ("representatives_not_authorised", "body")

    # Authorisations that do not reach this vote: another village's, another category's, a later one.
    for village, category, day in (
        (mw.hualong, mw.categories.collective_income, TODAY),
        (mw.qixing, mw.categories.land_adjustment, TODAY),
        (mw.qixing, mw.categories.collective_income, TODAY + datetime.timedelta(days=1)),
    ):
        authorisation = RepresentativesAuthorisation.objects.create(
            village=village, resolved_on=day, summary="授权村民代表会议", recorded_by=u.cadre
        )
        authorisation.categories.set([category])
        with pytest.raises(Refused):
            _vote(mw, matter, in_favour=30, **representatives)
    assert not Deliberation.objects.filter(matter=matter, step=5).exists()

    authorisation = RepresentativesAuthorisation.objects.create(
        village=mw.qixing, resolved_on=TODAY - datetime.timedelta(days=90), summary="村民会议授权", recorded_by=u.cadre
    )
    authorisation.categories.set([mw.categories.collective_income])
    vote = _vote(mw, matter, in_favour=30, **representatives)
    assert (vote.quorum_met, vote.carried, vote.decision_rule) == (True, True, DecisionRule.MEMBERS_MEETING)
    # The villagers' meeting may always decide it itself.
    assert _vote(mw, matter, in_favour=50).carried


# ---------------------------------------------------------------- notice, attendance, outcome


def test_a_villagers_meeting_is_announced_ten_days_ahead_unless_urgent_with_a_reason(mw):
    matter = _at_step_5(mw, "village_project")
    nine_days = TODAY - datetime.timedelta(days=9)

    with pytest.raises(Refused) as short:
        _vote(mw, matter, in_favour=60, announced_on=nine_days)
    assert (short.value.code, short.value.field) == ("short_notice", "announced_on")
    for extra, field in (
        ({"announced_on": None}, "announced_on"),
        ({"announced_on": TODAY + datetime.timedelta(days=1)}, "announced_on"),
        ({"announced_on": nine_days, "urgent": True, "urgent_reason": "  "}, "urgent_reason"),
    ):
        with pytest.raises(ValidationError) as invalid:
            _vote(mw, matter, in_favour=60, **extra)
        assert field in invalid.value.message_dict
    # The household representatives' meeting is a 村民会议 too.
    with pytest.raises(Refused):
        _vote(mw, matter, in_favour=60, body="households_meeting", announced_on=nine_days)
    assert not Deliberation.objects.filter(matter=matter, step=5).exists()

    urgent = _vote(
        mw, matter, in_favour=60, announced_on=TODAY - datetime.timedelta(days=3), urgent=True, urgent_reason="汛期抢修"
    )
    assert (urgent.carried, urgent.urgent, urgent.urgent_reason) == (True, True, "汛期抢修")
    on_time = _vote(mw, matter, in_favour=60)
    assert (on_time.announced_on, on_time.urgent, on_time.urgent_reason) == (NOTICE["announced_on"], False, "")
    # The representatives' meeting needs no ten days' notice.
    assert _vote(mw, matter, in_favour=30, body="representatives_meeting", entitled=45, present=40).carried


def test_the_party_members_meeting_records_its_attendance(mw):
    u = mw.users
    matter = mw.staff_matter(actor=u.cadre)
    s.matter_classify(matter=matter, actor=u.cadre, kind="village", category=mw.categories.village_project)
    for n in (1, 2, 3):
        s.matter_deliberate(matter=matter, actor=u.cadre, kind="step", step=n, held_on=TODAY, summary="x")
    step_4 = {"kind": "step", "step": 4, "held_on": TODAY, "summary": "党员大会审议"}
    for counts, field in (
        ({}, "entitled"),
        ({"entitled": 30}, "present"),
        ({"entitled": 30, "present": 31}, "present"),
    ):
        with pytest.raises(ValidationError) as invalid:
            s.matter_deliberate(matter=matter, actor=u.cadre, **step_4, **counts)
        assert field in invalid.value.message_dict
    record = s.matter_deliberate(matter=matter, actor=u.cadre, **step_4, entitled=32, present=28)
    assert (record.step, record.entitled, record.present, record.in_favour) == (4, 32, 28, None)


def test_step_7_is_a_record_carrying_the_outcome(mw, api_client):
    u = mw.users
    matter = _at_step_5(mw, "village_project")
    _vote(mw, matter, in_favour=60)
    _publish(mw, matter)
    s.matter_handle(matter=matter, actor=u.cadre, handler=u.cadre)
    s.matter_report(matter=matter, actor=u.cadre, result="实施结果公开：调整土地 10 亩，涉及 52 户。")
    record = Deliberation.objects.get(matter=matter, step=7)
    assert (record.kind, record.summary, record.recorded_by) == (
        "step",
        "实施结果公开：调整土地 10 亩，涉及 52 户。",
        u.cadre,
    )
    event = MatterEvent.objects.get(matter=matter, action="report")
    assert (event.payload["step"], event.payload["record"]) == (7, record.pk)
    api_client.force_authenticate(u.cadre)
    shown = api_client.get(f"/api/v1/matters/{matter.pk}/").json()["deliberations"][-1]
    assert (shown["step"], shown["summary"]) == (7, record.summary) and "实施结果公开" in shown["step_label"]
    # Step 7 is the report's, never a deliberation record.
    assert procedure.step_refusal(7, Deliberation.objects.filter(matter=matter)) is not None


def test_the_matter_page_shows_the_rule_and_what_the_township_still_has_to_do(mw, client):
    matter = _at_step_5(mw, "land_adjustment")
    _vote(mw, matter, in_favour=70)
    _publish(mw, matter)
    client.force_login(mw.users.cadre)
    html = client.get(f"/matters/{matter.pk}/").content.decode()
    assert 'id="decision-rule"' in html
    assert "土地承包调整" in html or "land contract adjustment" in html.lower()
    context = client.get(f"/matters/{matter.pk}/").context
    assert (context["decision_rule"], context["township_step"]) == ("land", "approval")
    # The vote's reckoning: 67 of all 100 members had to vote for it.
    assert [v.majority_needed for v in context["steps"]["votes"]] == [67]
    client.force_login(mw.users.official)
    panels = [p["action"] for p in client.get(f"/matters/{matter.pk}/").context["panels"]]
    assert "township_approval" in panels


def test_a_published_land_adjustment_waits_in_the_townships_queue_until_decided(mw, client):
    u = mw.users
    matter = _at_step_5(mw, "land_adjustment")
    _vote(mw, matter, in_favour=70)
    assert matter not in matters_waiting_for(u.official)  # not before the resolution is published
    _publish(mw, matter)
    assert Notification.objects.filter(user=u.official, title__contains=matter.title).exists()
    assert matter in matters_waiting_for(u.official) and matter in matters_waiting_for(u.leader)
    assert matter not in matters_waiting_for(u.other_official)
    client.force_login(u.official)
    groups = {g["action"]: g["rows"] for g in client.get("/matters/waiting/").context["groups"]}
    assert [m.pk for m in groups["township_approval"]] == [matter.pk]
    assert groups["township_approval"][0].your_turn[0] == "township_approval"

    # A new vote that fails takes it out of the queue; one that carries and is published puts it back.
    _vote(mw, matter, in_favour=60)
    assert matter not in matters_waiting_for(u.official)
    _vote(mw, matter, in_favour=80)
    _publish(mw, matter)
    assert matter in matters_waiting_for(u.official)
    s.matter_township_approval(matter=matter, actor=u.official, approve=True, reason="符合规划")
    assert matter not in matters_waiting_for(u.official)


def test_the_vote_form_says_a_short_notice_next_to_the_field_and_a_compact_next_to_the_body(mw, client):
    matter = _at_step_5(mw, "village_rules")
    client.force_login(mw.users.cadre)
    html = client.get(f"/matters/{matter.pk}/").content.decode()
    assert 'name="step5-announced_on"' in html and 'name="step5-urgent_reason"' in html
    token = re.search(r'name="step5-form_token" value="([0-9a-f-]{36})"', html).group(1)
    vote = {"held_on": TODAY, "summary": "表决", "entitled": 100, "present": 90, "in_favour": 70, "against": 20}
    for body, announced, field in (
        ("villagers_meeting", TODAY - datetime.timedelta(days=5), "step5-announced_on"),
        ("representatives_meeting", TODAY - datetime.timedelta(days=5), "step5-body"),
    ):
        data = {**vote, "body": body, "announced_on": announced, "abstain": 0, "form_token": token}
        payload = {f"step5-{k}": v for k, v in data.items()}
        response = client.post(f"/matters/{matter.pk}/deliberate/", {**payload, "record": "step", "step": 5})
        assert response.status_code == 200
        assert "errorlist" in field_block(response.content.decode(), field)
    assert not Deliberation.objects.filter(matter=matter, step=5).exists()
