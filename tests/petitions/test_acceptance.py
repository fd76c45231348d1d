"""Acceptance (受理) and sign-off (签收) on their clocks, and a department's return (退回).

A submitted matter is classified or rejected within the village's acceptance clock; a 政事 is
reviewed by the township within its own; a matter assigned to a department is signed for
within the sign-off clock. The sweep warns, marks and escalates each acceptance once, and
flags a late sign-off once, however often it runs (frozen clock, the sweep run twice).
"""

import datetime
import io

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from governance.models import Notification, Role
from petitions import calendar, figures, workflow
from petitions import services as s
from petitions.deadlines import sweep
from petitions.models import ClockLimit, Kind, Matter, MatterEvent, MatterGroupObjectPermission, State
from petitions.selectors import matters_visible_to
from tests.demo_snapshot import load_demo
from tests.petitions.conftest import title_prefix as prefix

# A Monday before National Day 2026 (1–7 October off): three working days end on 8 October.
MONDAY = timezone.make_aware(datetime.datetime(2026, 9, 28, 10))


@pytest.fixture
def frozen():
    """Requested before `mw`, so that the world's assignments start on the frozen day."""
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def notes(user, matter):
    return Notification.objects.filter(user=user, url=f"/matters/{matter.pk}/")


# The notification titles the tests look for (their words before the matter's title).
ACCEPTED = "Accepted (受理): %(title)s"
ACCEPT_DUE = "Acceptance due soon (受理): %(title)s"
ACCEPT_OVERDUE = "Acceptance overdue (督办): %(title)s"
ACCEPT_ESCALATED = "Acceptance escalated to you (督办): %(title)s"
SIGN_OVERDUE = "Sign-off overdue: %(title)s"
SENT_BACK = "A department sent a matter back; assign it again: %(title)s"


def titled(user, matter, title):
    return notes(user, matter).filter(title__startswith=prefix(title))


def events(matter, action):
    return MatterEvent.objects.filter(matter=matter, action=action)


def role(value):
    return str(Role(value).label)


def review(mw, matter, summary="镇综治中心受理"):
    return s.matter_deliberate(
        matter=matter, actor=mw.users.official, kind="review", held_on=timezone.localdate(), summary=summary
    )


def assigned(mw):
    """A 政事 from the public form, classified, reviewed and assigned to 司法所."""
    matter = mw.public_matter()
    s.matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid)
    review(mw, matter)
    return s.matter_handle(matter=matter, actor=mw.users.official, department=mw.sifasuo)


# ---------------------------------------------------------------- the clocks


def test_submission_starts_the_village_acceptance_clock_in_working_days(frozen, mw):
    matter = mw.public_matter()
    assert timezone.localtime(matter.accept_by) == calendar.end_of_day(datetime.date(2026, 10, 8))
    assert matter.created_at < matter.accept_warn_at < matter.accept_by
    # The township administrator edits the limit in the admin; new matters follow it.
    ClockLimit.objects.create(clock=ClockLimit.Clock.VILLAGE_ACCEPTANCE, working_days=1)
    assert timezone.localtime(mw.staff_matter().accept_by).date() == datetime.date(2026, 9, 29)


def test_classification_accepts_it_and_tells_the_recorder_by_place_and_role(frozen, mw):
    matter = mw.staff_matter()  # recorded by grid 1's worker
    matter = s.matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    assert matter.accept_by is None
    accepted = workflow.acceptances(matter.events.all())
    assert accepted == [
        {
            "level": "village",
            "by": f"七星村 · {role(Role.VILLAGE_CADRE)}",
            "date": "2026-09-28",
            "deadline": timezone.localtime(matter.deadline).isoformat(),
        }
    ]
    told = titled(mw.users.grid1, matter, ACCEPTED).get()
    assert "七星村" in told.body and "七星村干部" not in told.body  # a place and a role, never a name
    assert timezone.localtime(matter.deadline).date().isoformat() in told.body


def test_a_grid_leader_accepts_for_the_grid(frozen, mw):
    matter = mw.staff_matter()
    s.matter_classify(matter=matter, actor=mw.users.leader1, kind=Kind.CIVIL, category=mw.categories.environment)
    [row] = workflow.acceptances(matter.events.all())
    assert row["by"] == f"七星村{mw.q1.name} · {role(Role.GRID_LEADER)}"


def test_a_government_matter_waits_for_the_township_and_its_review_accepts_it(frozen, mw):
    matter = mw.public_matter()
    matter = s.matter_classify(
        matter=matter, actor=mw.users.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid
    )
    # 15 working days from Monday 28 September: 8 October is the third (National Day), Saturday
    # 10 October (调休) the fifth, 23 October the fifteenth.
    assert timezone.localtime(matter.accept_by) == calendar.end_of_day(datetime.date(2026, 10, 23))
    review(mw, matter)
    matter.refresh_from_db()
    assert matter.accept_by is None
    levels = [(row["level"], row["by"]) for row in workflow.acceptances(matter.events.all())]
    assert levels == [
        ("village", f"七星村 · {role(Role.VILLAGE_CADRE)}"),
        ("township", f"渭沱镇 · {role(Role.TOWNSHIP_OFFICIAL)}"),
    ]
    # A second review is a record, not a second acceptance.
    review(mw, matter, summary="复核：仍由司法所承办")
    assert len(workflow.acceptances(Matter.objects.get(pk=matter.pk).events.all())) == 2


def test_rerouting_starts_or_ends_the_township_clock(frozen, mw):
    u = mw.users
    matter = s.matter_classify(
        matter=mw.staff_matter(), actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment
    )
    matter = s.matter_reclassify(
        matter=matter, actor=u.grid1, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid, reason="镇里管"
    )
    assert matter.accept_by is not None
    matter = s.matter_reclassify(
        matter=matter, actor=u.official, kind=Kind.CIVIL, category=mw.categories.environment, reason="退回村里"
    )
    assert matter.accept_by is None


def test_rejection_and_withdrawal_end_the_acceptance_clock(mw):
    rejected = s.matter_reject(matter=mw.public_matter(), actor=mw.users.cadre, reason="不属实")
    withdrawn = s.matter_withdraw(matter=mw.public_matter(), actor=None)
    assert rejected.accept_by is None and withdrawn.accept_by is None
    assert sweep(now=timezone.now() + datetime.timedelta(days=60)).acceptance_overdue == 0


def test_the_public_status_shows_who_accepted_it_and_by_when(mw, api_client, client):
    matter = mw.public_matter()
    body = api_client.get(f"/api/v1/public/matters/{matter.tracking_code}/").json()
    assert body["accepted"] == [] and body["accept_by"] == timezone.localtime(matter.accept_by).isoformat()
    s.matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    body = api_client.get(f"/api/v1/public/matters/{matter.tracking_code}/").json()
    assert body["accept_by"] is None
    assert [(row["level"], row["by"]) for row in body["accepted"]] == [
        ("village", f"七星村 · {role(Role.VILLAGE_CADRE)}")
    ]
    html = client.get(f"/public/matters/{matter.tracking_code}/").content.decode()
    assert 'id="accepted"' in html and "七星村干部" not in html


# ---------------------------------------------------------------- the sweep: acceptance


def test_the_sweep_warns_marks_and_escalates_the_village_acceptance_once_each(frozen, mw, settings):
    settings.MATTER_ESCALATION_GRACE_HOURS = 48
    u = mw.users
    matter = mw.staff_matter()  # grid 1's: its cadre and its grid leader accept it
    warn_at = matter.accept_warn_at + datetime.timedelta(minutes=1)
    assert [sweep(now=warn_at).acceptance_warned for _ in range(2)] == [1, 0]
    assert titled(u.cadre, matter, ACCEPT_DUE).count() == 1
    assert titled(u.leader1, matter, ACCEPT_DUE).count() == 1

    late = matter.accept_by + datetime.timedelta(hours=1)
    first, second = sweep(now=late), sweep(now=late)
    assert (first.acceptance_overdue, second.acceptance_overdue, first.acceptance_escalated) == (1, 0, 0)
    assert titled(u.cadre, matter, ACCEPT_OVERDUE).count() == 1

    far = matter.accept_by + datetime.timedelta(hours=49)
    assert [sweep(now=far).acceptance_escalated for _ in range(2)] == [1, 0]
    assert titled(u.official, matter, ACCEPT_ESCALATED).count() == 1
    assert not notes(u.leader, matter).exists()  # one level up from the village: the township's officials
    assert [events(matter, a).count() for a in ("accept_warn", "accept_overdue", "accept_escalate")] == [1, 1, 1]
    matter.refresh_from_db()
    assert matter.state == State.SUBMITTED and matter.escalation_level == 0  # the handling clock is its own


def test_the_township_acceptance_clock_acts_once_and_escalates_to_the_leader(frozen, mw, settings):
    settings.MATTER_ESCALATION_GRACE_HOURS = 48
    u = mw.users
    matter = mw.public_matter()
    sweep(now=matter.accept_by + datetime.timedelta(hours=49))  # the village's clock ran out first
    matter = s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid)
    assert matter.accept_overdue_at is None and matter.accept_escalated_at is None  # a fresh clock
    far = matter.accept_by + datetime.timedelta(hours=49)
    runs = [sweep(now=far) for _ in range(3)]
    # First seen past the grace period: marked and escalated in one run, each once.
    assert [(r.acceptance_overdue, r.acceptance_escalated) for r in runs] == [(1, 1), (0, 0), (0, 0)]
    assert list(events(matter, "accept_overdue").values_list("payload__level", flat=True)) == ["village", "township"]
    assert titled(u.official, matter, ACCEPT_OVERDUE).count() == 1
    assert titled(u.leader, matter, ACCEPT_ESCALATED).count() == 1
    review(mw, matter)
    assert sweep(now=far + datetime.timedelta(days=30)).acceptance_overdue == 0


def test_a_sweep_action_taken_twice_by_hand_is_refused(frozen, mw):
    from petitions.deadlines import sweep_one

    matter = mw.public_matter()
    sweep_one(matter, "accept_overdue")
    with pytest.raises(workflow.MatterStateError):
        sweep_one(matter, "accept_overdue")
    with pytest.raises(workflow.MatterPermissionError):
        workflow.matter_transition(matter=matter, actor=mw.users.cadre, action="accept_overdue")


# ---------------------------------------------------------------- sign-off (签收)


def test_a_department_signs_for_it_and_the_sweep_flags_a_late_sign_off_once(frozen, mw):
    u = mw.users
    matter = assigned(mw)
    # One working day: Tuesday 29 September.
    assert timezone.localtime(matter.sign_by) == calendar.end_of_day(datetime.date(2026, 9, 29))
    late = matter.sign_by + datetime.timedelta(hours=1)
    assert [sweep(now=late).sign_off_overdue for _ in range(2)] == [1, 0]
    for person in (u.handler, u.handler2, u.official):  # the department and whoever assigned it
        assert titled(person, matter, SIGN_OVERDUE).count() == 1
    assert events(matter, "sign_overdue").count() == 1

    with pytest.raises(workflow.MatterPermissionError):
        s.matter_sign(matter=matter, actor=u.official)
    matter = s.matter_sign(matter=matter, actor=u.handler2)
    assert matter.signed_by == u.handler2 and matter.signed_at is not None
    with pytest.raises(workflow.MatterStateError):
        s.matter_sign(matter=matter, actor=u.handler)
    assert "sign" not in workflow.available_actions(u.handler, matter)


def test_a_first_report_signs_for_it(frozen, mw):
    matter = assigned(mw)
    matter = s.matter_report(matter=matter, actor=mw.users.handler, result="已调解")
    assert matter.signed_by == mw.users.handler
    assert events(matter, "report").get().payload["signed"] is True
    assert sweep(now=matter.sign_by + datetime.timedelta(days=5)).sign_off_overdue == 0


def test_a_person_handling_it_has_nothing_to_sign(mw):
    u = mw.users
    matter = s.matter_classify(
        matter=mw.staff_matter(), actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment
    )
    s.matter_deliberate(matter=matter, actor=u.grid1, kind="meeting", held_on=timezone.localdate(), summary="院坝会")
    matter = s.matter_handle(matter=matter, actor=u.grid1, handler=u.grid1)
    assert matter.sign_by is None
    with pytest.raises(workflow.MatterPermissionError):
        s.matter_sign(matter=matter, actor=u.grid1)


# ---------------------------------------------------------------- send back (退回)


def test_a_department_sends_it_back_to_whoever_assigned_it(frozen, mw):
    u = mw.users
    matter = s.matter_sign(matter=assigned(mw), actor=u.handler)
    assert MatterGroupObjectPermission.objects.filter(content_object=matter).exists()
    matter = s.matter_send_back(matter=matter, actor=u.handler, reason="欠薪应由人社所办理")
    assert matter.state == State.DELIBERATING
    assert (matter.handler, matter.department, matter.sign_by, matter.signed_at, matter.signed_by) == (None,) * 5
    assert not MatterGroupObjectPermission.objects.filter(content_object=matter).exists()
    assert not u.handler2.has_perm("petitions.handle_matter", matter)
    assert not matters_visible_to(u.handler).filter(pk=matter.pk).exists()
    told = titled(u.official, matter, SENT_BACK).get()
    assert told.body == "欠薪应由人社所办理"
    assert events(matter, "send_back").get().payload == {"reason": "欠薪应由人社所办理", "department": mw.sifasuo.pk}
    # The assigner assigns it again, and its sign-off clock starts afresh.
    matter = s.matter_handle(matter=matter, actor=u.official, department=mw.sifasuo)
    assert matter.state == State.HANDLING and matter.sign_by is not None and matter.signed_at is None
    returns = figures.returns(Matter.objects.all())
    assert returns == [{"id": mw.sifasuo.pk, "name": mw.sifasuo.name, "returns": 1}]


def test_sending_back_needs_a_reason_the_department_and_an_unreported_matter(mw):
    u = mw.users
    matter = assigned(mw)
    with pytest.raises(ValidationError) as error:
        s.matter_send_back(matter=matter, actor=u.handler, reason="  ")
    assert "reason" in error.value.message_dict
    with pytest.raises(workflow.MatterPermissionError):
        s.matter_send_back(matter=matter, actor=u.official, reason="不是我们的事")
    s.matter_report(matter=matter, actor=u.handler, result="已调解")
    s.matter_verify(matter=matter, actor=u.official, passed=False, note="还没有落实")
    with pytest.raises(workflow.MatterStateError):  # handled again after a failed check: it is theirs
        s.matter_send_back(matter=matter, actor=u.handler, reason="不是我们的事")
    assert Matter.objects.get(pk=matter.pk).department_id == mw.sifasuo.pk


def test_the_api_answers_a_send_back_without_the_matter_the_caller_no_longer_sees(mw, api_client):
    matter = assigned(mw)
    api_client.force_authenticate(mw.users.handler)
    response = api_client.post(f"/api/v1/matters/{matter.pk}/send_back/", {"reason": "不属于司法所"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": matter.pk, "state": "deliberating", "actions": []}
    api_client.force_authenticate(mw.users.official)
    body = api_client.get("/api/v1/matters/figures/?by=department").json()
    assert body["returns"] == [{"id": mw.sifasuo.pk, "name": mw.sifasuo.name, "returns": 1}]


def test_the_page_sends_it_back_and_goes_to_the_waiting_list(mw, client):
    from tests.pages.test_matter_pages import act

    matter = assigned(mw)
    client.force_login(mw.users.handler)
    html = client.get(f"/matters/{matter.pk}/").content.decode()
    assert 'id="action-sign"' in html and 'id="action-send_back"' in html
    response = act(client, matter, "send_back", {"reason": "不属于司法所"})
    assert response.status_code == 302 and response["Location"] == "/matters/waiting/"
    assert Matter.objects.get(pk=matter.pk).state == State.DELIBERATING


def test_the_page_signs_for_it(mw, client):
    from tests.pages.test_matter_pages import act

    matter = assigned(mw)
    client.force_login(mw.users.handler2)
    response = act(client, matter, "sign")
    assert response.status_code == 302
    assert Matter.objects.get(pk=matter.pk).signed_by == mw.users.handler2


# ---------------------------------------------------------------- the demo


def test_the_demo_holds_a_matter_awaiting_sign_off_and_one_overdue_for_acceptance(db):
    load_demo()
    awaiting = Matter.objects.filter(state=State.HANDLING, department__isnull=False, signed_at__isnull=True)
    assert awaiting.filter(tracking_code="demo-sifasuo-wage").exists()
    late = Matter.objects.get(title="村道边护栏被撞坏")
    assert late.state == State.SUBMITTED and late.accept_by < timezone.now() and late.accept_overdue_at is not None
    assert events(late, "accept_overdue").count() == 1
    call_command("seed_demo", force=True, stdout=io.StringIO())
    assert Matter.objects.filter(title="村道边护栏被撞坏").count() == 1
