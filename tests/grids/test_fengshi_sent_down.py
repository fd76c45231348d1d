"""力量沉底: the village cadres, the township official sent down to a village (包村) and the township
leader of a 片区 (包片) go down to the grids on the 逢十 days. They are reminded for their villages,
once per (person, cycle, kind); the visits they log in their villages count for them; compliance
counts them apart from the grid staff, whose figures do not move."""

import datetime
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.translation import gettext

from governance.models import Assignment, Notification, Role
from grids.visits.fengshi import compliance, compliance_for, send_fengshi_reminders, sent_down_roll, village_duty
from grids.visits.models import Reminder, Visit
from tests.factories import assign, forget_boards
from tests.sent_down_fixtures import visit as make_visit

pytestmark = pytest.mark.django_db

D = datetime.date
CYCLE = D(2026, 11, 30)
EVE, MORNING, AFTER = CYCLE - datetime.timedelta(days=1), CYCLE, CYCLE + datetime.timedelta(days=1)


def visit(user, household, day=CYCLE, **fields):
    return make_visit(user, household, day, **fields)


def reminders_of(user) -> set[tuple[str, datetime.date]]:
    return set(Reminder.objects.filter(user=user, sent_at__isnull=False).values_list("kind", "cycle"))


# ---------------------------------------------------------------- reminders


def test_liaison_gets_one_eve_and_one_morning_reminder_for_the_village_however_often_it_runs(sent):
    official = sent.users.official
    for _ in range(3):
        call_command("send_fengshi_reminders", "--date", EVE.isoformat())
        call_command("send_fengshi_reminders", "--date", MORNING.isoformat())
        call_command("send_fengshi_reminders", "--date", MORNING.isoformat(), "--kind", "morning")
    assert reminders_of(official) == {("eve", CYCLE), ("morning", CYCLE)}
    notes = list(Notification.objects.filter(user=official).order_by("pk"))
    assert len(notes) == 2
    # what is theirs: the village, its grids and how many households are due (all three, never visited)
    line = gettext("%(place)s: %(count)d households due across its grids: %(detail)s") % {
        "place": "七星村",
        "count": 3,
        "detail": "第一网格 2、第二网格 1",
    }
    for note in notes:
        assert note.body == line
        assert note.url == "/visits/"
    assert notes[0].title == gettext("Tomorrow (%(day)s) is a 逢十 visiting day") % {"day": "11月30日"}
    assert notes[1].title == gettext("Today (%(day)s) is a 逢十 visiting day") % {"day": "11月30日"}


def test_area_leader_is_reminded_for_each_village_of_the_area_in_one_reminder(sent):
    send_fengshi_reminders(on=EVE)
    send_fengshi_reminders(on=EVE)
    note = Notification.objects.get(user=sent.users.leader)
    lines = note.body.splitlines()
    assert len(lines) == 2
    assert "北片 七星村" in lines[0] and "第一网格 2" in lines[0]
    assert "北片 化龙村" in lines[1] and "第一网格 1" in lines[1]
    assert "李湾村" not in note.body


def test_cadre_is_reminded_for_the_village_and_a_household_visited_is_no_longer_due(sent):
    visit(sent.users.grid1, sent.households.q1, day=CYCLE - datetime.timedelta(days=5))
    send_fengshi_reminders(on=MORNING)
    note = Notification.objects.get(user=sent.users.cadre)
    assert "七星村" in note.body and "化龙村" not in note.body
    assert "第一网格 1" in note.body and "第二网格 1" in note.body
    assert reminders_of(sent.users.cadre) == {("morning", CYCLE)}


def test_a_cadre_who_also_holds_a_grid_gets_one_reminder_with_both(sent):
    assign(sent.users.cadre, Role.GRID_LEADER, sent.q2, valid_from=D(2026, 1, 1))
    send_fengshi_reminders(on=EVE)
    note = Notification.objects.get(user=sent.users.cadre)
    lines = note.body.splitlines()
    assert len(lines) == 2 and "七星村 第二网格" in lines[0] and "王五" in lines[0]
    assert lines[1].startswith("七星村")


def test_nobody_sent_down_after_the_assignment_ends_or_before_it_starts(sent):
    liaison = Assignment.objects.get(user=sent.users.official, role=Role.VILLAGE_LIAISON)
    liaison.valid_to = CYCLE - datetime.timedelta(days=1)
    liaison.save()
    area_duty = Assignment.objects.get(user=sent.users.leader, role=Role.AREA_LEADER)
    area_duty.valid_from = CYCLE + datetime.timedelta(days=1)
    area_duty.save()
    send_fengshi_reminders(on=EVE)
    assert reminders_of(sent.users.official) == set()
    assert reminders_of(sent.users.leader) == set()


def test_village_duty_expands_an_area_into_its_villages(sent):
    rows = {(d["username"], d["role"], d["village"], d["area"]) for d in village_duty(CYCLE)}
    assert rows == {
        ("t_cadre", Role.VILLAGE_CADRE, "七星村", ""),
        ("t_hualong", Role.VILLAGE_CADRE, "化龙村", ""),
        ("t_official", Role.VILLAGE_LIAISON, "七星村", ""),
        ("t_leader", Role.AREA_LEADER, "七星村", "北片"),
        ("t_leader", Role.AREA_LEADER, "化龙村", "北片"),
    }
    only_hualong = {(d["username"], d["village"]) for d in village_duty(CYCLE, [sent.hualong.pk])}
    assert only_hualong == {("t_hualong", "化龙村"), ("t_leader", "化龙村")}


def test_report_the_day_after_goes_to_the_villages_cadres_liaison_and_area_leader(sent):
    """The report names the grid staff who logged no visit, as before; it now also reaches the
    包村 and the 包片 of the village, each once, an area leader's villages in one report."""
    visit(sent.users.grid1, sent.households.q1b)
    for _ in range(2):
        send_fengshi_reminders(on=AFTER)
    cadre = Notification.objects.get(user=sent.users.cadre)
    liaison = Notification.objects.get(user=sent.users.official)
    assert liaison.title == cadre.title and liaison.body == cadre.body
    assert "网格员二" in cadre.body and "网格员一" not in cadre.body
    leader = Notification.objects.get(user=sent.users.leader)
    assert leader.title == cadre.title  # 化龙村 has nobody on grid duty: the same two missing
    assert "七星村" in leader.body and "化龙村" in leader.body and "网格员二" in leader.body
    assert reminders_of(sent.users.leader) == {("report", CYCLE)}


# ---------------------------------------------------------------- visits


def test_liaison_logs_visits_to_the_villages_households_through_the_api(sent, as_user):
    client = as_user(sent.users.official)
    body = {
        "client_uuid": str(uuid.uuid4()),
        "household": sent.households.q2.pk,
        "visited_at": timezone.now().isoformat(),
        "method": "sit-down",
        "notes": "包村走访",
    }
    response = client.post("/api/v1/visits/", body, format="json")
    assert response.status_code == 201, response.data
    assert response.data["author"] == sent.users.official.pk
    assert Visit.objects.get(pk=response.data["id"]).author == sent.users.official
    # 化龙村 is the township's, not theirs to visit: a field error, nothing written
    other = {**body, "client_uuid": str(uuid.uuid4()), "household": sent.households.h1.pk}
    refused = client.post("/api/v1/visits/", other, format="json")
    assert refused.status_code == 400 and "household" in refused.data
    # a walk of a grid of their village is theirs too
    walk = {"client_uuid": str(uuid.uuid4()), "grid": sent.q2.pk, "visited_at": timezone.now().isoformat()}
    assert client.post("/api/v1/visits/", {**walk, "method": "grid"}, format="json").status_code == 201
    todo = client.get("/api/v1/visits/todo/").data["results"]
    assert {row["id"] for row in todo} == {sent.households.q1.pk, sent.households.q1b.pk, sent.households.q2.pk}


# ---------------------------------------------------------------- compliance, apart


def test_their_visits_count_for_them_apart_and_the_grid_staffs_figures_do_not_move(sent):
    visit(sent.users.grid1, sent.households.q1)
    before = compliance(cycle=CYCLE, village_ids=[sent.qixing.pk])
    visit(sent.users.official, sent.households.q2)
    visit(sent.users.official, sent.households.q1b, day=D(2026, 11, 15))  # the same month
    visit(sent.users.official, sent.households.q1b, day=D(2026, 12, 10))  # another month
    visit(sent.users.leader, sent.households.h1)
    visit(sent.users.leader, sent.households.q1, day=D(2026, 11, 20))
    after = compliance_for(sent.users.official, cycle=CYCLE, sent_down=True)
    qixing = next(v for t in after.townships for v in t["villages"] if v["id"] == sent.qixing.pk)
    people = {p["username"]: p for g in qixing["grids"] for p in g["people"]}
    old_people = {p["username"]: p for g in before.townships[0]["villages"][0]["grids"] for p in g["people"]}
    assert people == old_people  # the grid staff, as they were
    assert (qixing["people_total"], qixing["people_visited"]) == (3, 1)

    rows = {p["username"]: p for p in after.sent_down["people"]}
    assert list(rows) == ["t_leader", "t_official", "t_cadre", "t_hualong"]  # 包片, 包村, then the cadres
    official = rows["t_official"]
    assert [(d["role"], d["villages"]) for d in official["duties"]] == [(Role.VILLAGE_LIAISON, ["七星村"])]
    assert (official["visited"], official["visits"], official["households_covered"]) == (True, 1, 1)
    assert (official["month_visits"], official["month_households_covered"]) == (2, 2)
    leader = rows["t_leader"]
    assert [(d["area"], d["villages"]) for d in leader["duties"]] == [("北片", ["七星村", "化龙村"])]
    assert (leader["visits"], leader["month_visits"], leader["month_households_covered"]) == (1, 2, 2)
    assert not rows["t_cadre"]["visited"] and rows["t_cadre"]["month_visits"] == 0
    totals = after.sent_down["totals"]
    assert (totals["people_total"], totals["people_visited"], totals["visits"]) == (4, 2, 2)
    assert after.sent_down["month"] == D(2026, 11, 1)


def test_the_village_sees_its_cadres_and_liaison_and_only_its_own_visits(sent):
    visit(sent.users.leader, sent.households.h1)  # in 化龙村: not 七星村's to see
    visit(sent.users.leader, sent.households.q1)
    roll = compliance_for(sent.users.cadre, cycle=CYCLE, sent_down=True)
    rows = {p["username"]: p for p in roll.sent_down["people"]}
    assert set(rows) == {"t_leader", "t_official", "t_cadre"}
    assert [d["villages"] for d in rows["t_leader"]["duties"]] == [["七星村"]]
    assert rows["t_leader"]["visits"] == 1
    # grid staff see no one's but their grid's; another township sees none of these
    assert compliance_for(sent.users.grid1, cycle=CYCLE, sent_down=True).sent_down["people"] == []
    assert compliance_for(sent.users.other_official, cycle=CYCLE, sent_down=True).sent_down["people"] == []


def test_a_liaison_alone_sees_the_roll_up_of_the_village(sent):
    """包村 with no township role left (it ended): the village's roll-up all the same."""
    township_role = Assignment.objects.get(user=sent.users.official, role=Role.TOWNSHIP_OFFICIAL)
    township_role.valid_to = D(2026, 6, 30)
    township_role.save()
    roll = compliance_for(sent.users.official, cycle=CYCLE, sent_down=True)
    assert [v["name"] for t in roll.townships for v in t["villages"]] == ["七星村"]
    assert {p["username"] for p in roll.sent_down["people"]} == {"t_leader", "t_official", "t_cadre"}


def test_sent_down_roll_without_villages_is_empty(sent):
    assert sent_down_roll(cycle=CYCLE, villages=[]) == {
        "month": D(2026, 11, 1),
        "people": [],
        "totals": {
            "people_total": 0,
            "people_visited": 0,
            "people_rate": None,
            "visits": 0,
            "households_covered": 0,
            "month_visits": 0,
            "month_households_covered": 0,
        },
    }


# The roll with the section apart costs exactly 10 queries for 3 grids and 2 villages as for
# 13 grids and 12 villages with their cadres: the roll's 8 (tests/grids/test_fengshi.py), then
# 9 the village cadres, 包村 and 包片 on duty at the villages, 10 their visits that day and in
# its month.
COMPLIANCE_SENT_DOWN = 10


def test_compliance_with_the_section_apart_costs_exactly_its_queries(sent, django_assert_num_queries):
    from django.contrib.auth import get_user_model

    from grids.services import grid_create, village_create

    official = sent.users.official
    compliance_for(official, cycle=CYCLE, sent_down=True)  # warm up: the scope
    forget_boards()  # the roll read again comes from the cache: its own queries are counted
    with django_assert_num_queries(COMPLIANCE_SENT_DOWN):
        compliance_for(official, cycle=CYCLE, sent_down=True)
    for n in range(3, 13):
        village = village_create(township=sent.weituo, name=f"村{n}", code=f"V{n}")
        grid_create(village=village, number=1, name="第一网格")
        sent.area.villages.add(village)
        cadre = get_user_model().objects.create_user(f"cadre{n}")
        assign(cadre, Role.VILLAGE_CADRE, village, valid_from=D(2026, 1, 1))
        visit(sent.users.leader, sent.households.q1, day=CYCLE)
    forget_boards()
    with django_assert_num_queries(COMPLIANCE_SENT_DOWN):
        roll = compliance_for(official, cycle=CYCLE, sent_down=True)
    assert len(roll.sent_down["people"]) == 14
