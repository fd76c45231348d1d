"""逢十: the calendar, the reminders (each sent once) and the compliance roll-up."""

import datetime
import uuid

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from governance.models import Notification, Role
from governance.services import assignment_create, assignment_end
from grids.visits.fengshi import (
    compliance,
    compliance_for,
    cycles_between,
    fengshi_days,
    is_fengshi_day,
    kinds_due,
    latest_cycle,
    send_fengshi_reminders,
)
from grids.visits.models import Reminder, Visit
from grids.visits.services import visit_record
from tests.factories import assign, forget_boards, make_user

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def _assigned_since_january(world):
    """The personas hold their places from 1 January 2026, so that the fixed 逢十 days these
    tests use fall inside their assignments whatever day the suite runs."""
    from governance.models import Assignment

    Assignment.objects.update(valid_from=datetime.date(2026, 1, 1))


def at(day: datetime.date, hour: int = 10):
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour))


CYCLE_DAY = D(2026, 11, 30)


def visit(world, user, household=None, day=CYCLE_DAY, **fields):
    fields.setdefault("method", Visit.Method.HOME if household else Visit.Method.GRID)
    return visit_record(
        author=user,
        client_uuid=uuid.uuid4(),
        visited_at=at(day),
        household=household,
        now=at(day, 23),
        **fields,
    )[0]


@pytest.mark.parametrize(
    ("year", "month", "days"),
    [
        (2026, 1, [10, 20, 30]),  # 31 days: the 30th, not the 31st
        (2026, 2, [10, 20, 28]),  # no 30th: the last day
        (2028, 2, [10, 20, 29]),  # leap year
        (2026, 4, [10, 20, 30]),  # 30 days
        (2026, 12, [10, 20, 30]),
    ],
)
def test_fengshi_days_at_month_ends(year, month, days):
    assert [d.day for d in fengshi_days(year, month)] == days


def test_thirty_first_is_not_a_fengshi_day_and_latest_cycle_looks_back():
    assert not is_fengshi_day(D(2026, 1, 31))
    assert latest_cycle(D(2026, 1, 31)) == D(2026, 1, 30)
    assert latest_cycle(D(2026, 3, 5)) == D(2026, 2, 28)
    assert latest_cycle(D(2026, 3, 10)) == D(2026, 3, 10)
    assert cycles_between(D(2026, 2, 15), D(2026, 3, 12)) == [D(2026, 2, 20), D(2026, 2, 28), D(2026, 3, 10)]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 11, 9), [("eve", D(2026, 11, 10))]),
        (D(2026, 11, 10), [("morning", D(2026, 11, 10))]),
        (D(2026, 11, 11), [("report", D(2026, 11, 10))]),
        (D(2026, 11, 15), []),
        (D(2026, 2, 27), [("eve", D(2026, 2, 28))]),
        (D(2026, 2, 28), [("morning", D(2026, 2, 28))]),
        (D(2026, 3, 1), [("report", D(2026, 2, 28))]),
        (D(2028, 2, 28), [("eve", D(2028, 2, 29))]),
        (D(2026, 1, 29), [("eve", D(2026, 1, 30))]),
        (D(2026, 1, 31), [("report", D(2026, 1, 30))]),
        (D(2026, 12, 1), [("report", D(2026, 11, 30))]),
    ],
)
def test_what_is_due_on_each_day(day, expected):
    assert kinds_due(day) == expected


def test_eve_reminder_reaches_every_grid_and_courtyard_assignee_naming_grid_and_households(world):
    result = send_fengshi_reminders(on=D(2026, 11, 29))
    # the three on grid and courtyard duty, and the two villages' cadres (力量沉底)
    assert result.as_dict() == {"eve": 5}
    reminded = set(Reminder.objects.filter(kind="eve", cycle=D(2026, 11, 30)).values_list("user__username", flat=True))
    assert reminded == {"t_grid1", "t_grid2", "t_helper", "t_cadre", "t_hualong"}
    note = Notification.objects.get(user=world.users.grid1)
    assert "11月30日" in note.title
    assert "七星村 第一网格" in note.body and "张三" in note.body and "李四" in note.body
    helper_note = Notification.objects.get(user=world.users.helper)
    assert "老院子" in helper_note.body and "张三" in helper_note.body and "李四" not in helper_note.body
    # A village cadre is reminded for the village (tests/grids/test_fengshi_sent_down.py); a
    # township official sent down to no village is not.
    assert "七星村" in Notification.objects.get(user=world.users.cadre).body
    assert not Notification.objects.filter(user__in=[world.users.official, world.users.leader]).exists()


def test_rerunning_the_command_never_sends_twice(world):
    for _ in range(3):
        call_command("send_fengshi_reminders", "--date", "2026-11-30")
        call_command("send_fengshi_reminders", "--date", "2026-11-30", "--kind", "morning")
    assert Reminder.objects.count() == 5  # three on grid duty, two villages' cadres
    assert Notification.objects.count() == 5
    assert set(Reminder.objects.values_list("kind", flat=True)) == {"morning"}


def test_email_goes_once_to_those_with_an_address(world, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.users.grid1.email = "grid1@example.com"
    world.users.grid1.save()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            send_fengshi_reminders(on=D(2026, 11, 30))
    # the cadre of the world has an address too (reminded for the village)
    assert sorted(m.to for m in mail.outbox) == [["cadre@example.com"], ["grid1@example.com"]]


def test_kind_not_due_that_day_sends_nothing(world):
    assert send_fengshi_reminders(on=D(2026, 11, 30), kind="eve").as_dict() == {}
    assert not Reminder.objects.exists()


def test_assignments_are_taken_as_on_the_cycle_day(world):
    newcomer = make_user("t_new")
    assignment_create(user=newcomer, role=Role.GRID_WORKER, place=world.q2, valid_from=D(2026, 12, 1))
    leaver = world.users.grid2.assignments.get()
    assignment_end(assignment=leaver, on=D(2026, 11, 30))
    send_fengshi_reminders(on=D(2026, 11, 29))
    users = set(Reminder.objects.values_list("user__username", flat=True))
    assert "t_grid2" in users and "t_new" not in users
    send_fengshi_reminders(on=D(2026, 12, 9))
    users = set(Reminder.objects.filter(cycle=D(2026, 12, 10)).values_list("user__username", flat=True))
    assert "t_new" in users and "t_grid2" not in users


def test_report_tells_each_village_cadre_who_logged_no_visit(world):
    visit(world, world.users.grid1, world.households.q1b)
    send_fengshi_reminders(on=D(2026, 12, 1))
    note = Notification.objects.get(user=world.users.cadre)
    assert "2" in note.title  # grid2 and the courtyard helper did not go
    assert "网格员二" in note.body and "包院落党员" in note.body and "网格员一" not in note.body
    other = Notification.objects.get(user=world.users.other_cadre)
    assert other.title  # 化龙村 has nobody on grid duty: told that nothing is missing
    assert not Notification.objects.filter(user=world.users.grid1).exists()
    send_fengshi_reminders(on=D(2026, 12, 1))
    assert Notification.objects.filter(user=world.users.cadre).count() == 1


def test_compliance_counts_visits_for_the_day_they_are_dated_whenever_they_arrive(world):
    cycle = D(2026, 11, 30)
    visit(world, world.users.grid1, world.households.q1, day=cycle)
    visit(world, world.users.grid1, world.households.q1b, day=cycle)
    visit(world, world.users.grid1, world.households.q1b, day=cycle)  # twice to one household
    visit(world, world.users.grid1, world.households.q1, day=D(2026, 11, 29))  # another day
    roll = compliance(cycle=cycle, village_ids=[world.qixing.pk])
    village = roll.townships[0]["villages"][0]
    grids = {g["id"]: g for g in village["grids"]}
    g1, g2 = grids[world.q1.pk], grids[world.q2.pk]
    assert (g1["visited"], g1["visits"], g1["households_covered"], g1["households"]) == (True, 3, 2, 2)
    assert (g2["visited"], g2["visits"]) == (False, 0)
    people = {p["username"]: p for p in g1["people"]}
    assert people["t_grid1"]["visited"] and people["t_grid1"]["households_covered"] == 2
    assert not people["t_helper"]["visited"]
    assert village["grids_count"] == 2 and village["grids_visited"] == 1
    assert village["people_total"] == 3 and village["people_visited"] == 1
    assert roll.totals["visits"] == 3


def test_a_corrected_visit_counts_once(world):
    cycle = D(2026, 11, 30)
    wrong = visit(world, world.users.grid1, world.households.q1, day=cycle)
    visit_record(
        author=world.users.grid1,
        client_uuid=uuid.uuid4(),
        visited_at=at(cycle),
        household=world.households.q1b,
        method="home",
        supersedes=wrong,
        now=at(cycle, 23),
    )
    g1 = compliance(cycle=cycle, grid_ids=[world.q1.pk]).townships[0]["villages"][0]["grids"][0]
    assert (g1["visits"], g1["households_covered"]) == (1, 1)


def test_compliance_is_scoped_to_the_caller(world):
    cycle = D(2026, 11, 30)
    township_roll = compliance_for(world.users.official, cycle=cycle)
    assert {v["name"] for t in township_roll.townships for v in t["villages"]} == {"七星村", "化龙村"}
    village_roll = compliance_for(world.users.cadre, cycle=cycle)
    assert [v["name"] for t in village_roll.townships for v in t["villages"]] == ["七星村"]
    grid_roll = compliance_for(world.users.grid2, cycle=cycle)
    assert [g["id"] for g in grid_roll.townships[0]["villages"][0]["grids"]] == [world.q2.pk]
    assert compliance_for(world.users.outsider, cycle=cycle).townships == []


# The roll costs exactly 8 queries, for 3 grids as for 13 (the caller's scope is kept on the
# user after the first call): 1 the ids of the grids in scope, 2 those grids, 3 their villages,
# 4 their townships, 5 households per grid, 6 visits per grid, 7 visits per grid and author,
# 8 the people on duty. Read again, the roll comes from the cache (no query) until a visit or a
# place of the caller's townships changes; the counts below forget it first.
COMPLIANCE = 8


def test_compliance_costs_exactly_its_queries_for_3_grids_and_for_13(world, django_assert_num_queries):
    from grids.services import grid_create

    cycle = D(2026, 11, 30)
    compliance_for(world.users.official, cycle=cycle)  # warm up: the scope
    forget_boards()
    with django_assert_num_queries(COMPLIANCE):
        compliance_for(world.users.official, cycle=cycle)
    for n in range(3, 13):
        grid_create(village=world.qixing, number=n, name=f"第{n}网格")
    forget_boards()
    with django_assert_num_queries(COMPLIANCE):
        compliance_for(world.users.official, cycle=cycle)


def test_the_roll_is_kept_until_a_visit_a_post_or_a_place_changes(world, django_assert_num_queries):
    from grids.services import grid_create

    cycle = D(2026, 11, 30)
    official = world.users.official
    first = compliance_for(official, cycle=cycle)
    with django_assert_num_queries(0):
        assert compliance_for(official, cycle=cycle).totals == first.totals
    visit(world, world.users.grid1, world.households.q1, day=cycle)
    after_visit = compliance_for(official, cycle=cycle).totals
    assert after_visit["visits"] == first.totals["visits"] + 1
    grid_create(village=world.qixing, number=9, name="第9网格")
    assert compliance_for(official, cycle=cycle).totals["grids_count"] == after_visit["grids_count"] + 1
    assign(make_user("newgrid"), Role.GRID_WORKER, world.q1, valid_from=D(2026, 1, 1))
    assert compliance_for(official, cycle=cycle).totals["people_total"] == after_visit["people_total"] + 1
    # Another reader (a grid worker: one grid) has a roll of their own, not the official's.
    assert compliance_for(world.users.grid1, cycle=cycle).totals["grids_count"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_at_once_send_each_reminder_once(world):
    """Two senders race on the same day (two beat processes, or a rerun during a run): the
    unique (person, cycle, kind) row and SKIP LOCKED claims give one notification each."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (set DATABASE_URL)")
    barrier = threading.Barrier(4)
    errors = []

    def run():
        try:
            barrier.wait()
            send_fengshi_reminders(on=D(2026, 11, 29))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Reminder.objects.filter(sent_at__isnull=False).count() == 5
    assert Notification.objects.count() == 5
