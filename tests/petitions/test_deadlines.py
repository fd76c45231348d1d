"""Matters on time: working-day arithmetic, time limits, pause, recomputation, the sweep."""

import datetime
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from governance.models import Notification
from petitions import calendar
from petitions import services as s
from petitions.deadlines import sweep
from petitions.models import CalendarDay, Kind, Matter, MatterEvent, Rating, State, TimeLimit
from tests.demo_snapshot import load_demo

D = datetime.date


def at(day: D, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start, days, expected",
    [
        # National Day 2026: 1–7 October off, Saturday 10 October is a make-up working day.
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 9, 30), 3, D(2026, 10, 10)),  # 8, 9, then the 调休 Saturday
        (D(2026, 9, 30), 4, D(2026, 10, 12)),
        # Mid-Autumn 2026 (25–27 Sep) and its make-up Sunday 20 September.
        (D(2026, 9, 18), 1, D(2026, 9, 20)),
        # Spring Festival 2026: 15–23 February off; Saturdays 14 and 28 February are working days.
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 13), 2, D(2026, 2, 24)),
        (D(2026, 2, 13), 5, D(2026, 2, 27)),
        (D(2026, 2, 13), 6, D(2026, 2, 28)),
        # A year the package does not know: weekends only, never an error.
        (D(2031, 10, 1), 1, D(2031, 10, 2)),
        (D(2031, 10, 3), 1, D(2031, 10, 6)),
    ],
)
def test_add_working_days(start, days, expected):
    assert calendar.add_working_days(start, days) == expected


@pytest.mark.django_db
def test_admin_override_for_an_unknown_year():
    assert calendar.add_working_days(D(2031, 10, 1), 1) == D(2031, 10, 2)
    CalendarDay.objects.create(date=D(2031, 10, 2), is_workday=False, name="国庆节")
    CalendarDay.objects.create(date=D(2031, 10, 4), is_workday=True, name="调休")
    assert calendar.add_working_days(D(2031, 10, 1), 1) == D(2031, 10, 3)
    assert calendar.add_working_days(D(2031, 10, 1), 2) == D(2031, 10, 4)
    assert calendar.working_days_between(D(2031, 10, 1), D(2031, 10, 6)) == 3


def classify(mw, matter, kind=Kind.CIVIL, category=None):
    return s.matter_classify(
        matter=matter, actor=mw.users.cadre, kind=kind, category=category or mw.categories.environment
    )


def test_classification_sets_the_deadline_from_the_time_limit(mw):
    TimeLimit.objects.create(kind=Kind.CIVIL, category=mw.categories.environment, working_days=3)
    TimeLimit.objects.create(kind=Kind.GOVERNMENT, working_days=15)
    matter = classify(mw, mw.staff_matter())
    assert matter.time_limit_days == 3
    start = timezone.localtime(matter.clock_started_at).date()
    assert timezone.localtime(matter.deadline).date() == calendar.add_working_days(start, 3)
    assert matter.clock_started_at < matter.warn_at < matter.deadline
    # Reclassified as a 政事 with no category limit: the kind's 15 days, from the same start.
    s.matter_reclassify(
        matter=matter, actor=mw.users.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid, reason="镇里管"
    )
    matter.refresh_from_db()
    assert matter.time_limit_days == 15
    assert timezone.localtime(matter.deadline).date() == calendar.add_working_days(start, 15)


def test_pause_moves_the_deadline_by_the_working_days_lost(mw):
    matter = classify(mw, mw.staff_matter())
    before = timezone.localtime(matter.deadline).date()
    # The level above pauses (the village cadre, for a 民事); the owner resumes.
    s.matter_pause(matter=matter, actor=mw.users.cadre, reason="等待村民提供照片")
    paused = Matter.objects.get(pk=matter.pk)
    resume_at = paused.paused_at + datetime.timedelta(days=7)
    lost = calendar.working_days_between(
        timezone.localtime(paused.paused_at).date(), timezone.localtime(resume_at).date()
    )
    s.matter_resume(matter=matter, actor=mw.users.grid1, now=resume_at)
    matter.refresh_from_db()
    assert matter.paused_at is None and lost >= 4
    assert timezone.localtime(matter.deadline).date() == calendar.add_working_days(before, lost)
    assert [e.action for e in matter.events.all()][-2:] == ["pause", "resume"]


def test_paused_matter_is_not_swept(mw):
    matter = classify(mw, mw.staff_matter())
    s.matter_pause(matter=matter, actor=mw.users.cadre, reason="等待")
    assert sweep(now=matter.deadline + datetime.timedelta(days=30)).marked_overdue == 0


def test_sweep_warns_marks_escalates_once_each(mw):
    matter = classify(mw, mw.staff_matter())
    handler_notes = Notification.objects.filter(user=mw.users.grid1, url=f"/matters/{matter.pk}/")
    before = handler_notes.count()
    warn = sweep(now=matter.warn_at + datetime.timedelta(minutes=1))
    assert warn.warned == 1 and sweep(now=matter.warn_at + datetime.timedelta(minutes=2)).warned == 0
    assert handler_notes.count() == before + 1
    late = matter.deadline + datetime.timedelta(hours=1)
    first = sweep(now=late)
    second = sweep(now=late)
    assert (first.marked_overdue, second.marked_overdue) == (1, 0)
    matter.refresh_from_db()
    assert matter.is_overdue and matter.state == State.CLASSIFIED and matter.escalation_level == 0
    assert MatterEvent.objects.filter(matter=matter, action="supervise", actor=None).count() == 1
    # Far past the deadline: one level per run, each level once.
    far = matter.deadline + datetime.timedelta(days=30)
    assert sweep(now=far).escalated == 1
    assert Matter.objects.get(pk=matter.pk).escalation_level == 1
    assert sweep(now=far).escalated == 1
    assert sweep(now=far).escalated == 0
    matter.refresh_from_db()
    assert matter.escalation_level == 2
    assert list(
        MatterEvent.objects.filter(matter=matter, action="escalate").values_list("payload__level", flat=True)
    ) == [1, 2]
    assert Notification.objects.filter(user=mw.users.official, url=f"/matters/{matter.pk}/").exists()


def _sweep_statements(mw, due: int) -> tuple[int, int]:
    """(statements, inbox rows) of a sweep that marks `due` new matters overdue."""
    from django.test.utils import CaptureQueriesContext

    matters = [classify(mw, mw.staff_matter(title=f"到期{i}")) for i in range(due)]
    late = max(m.deadline for m in matters) + datetime.timedelta(hours=1)
    notes = Notification.objects.count()
    with CaptureQueriesContext(connection) as queries:
        assert sweep(now=late).marked_overdue == due
    return len(queries), Notification.objects.count() - notes


def test_the_sweep_settles_each_matter_in_a_few_statements(mw):
    """The sweep settles each due matter through matter_transition on the row as its batch
    locked it: the row's update, its event, one INSERT of the inbox rows of everyone told and
    the outbox's five (their phone numbers, the townships of those whose staff account names
    none, those townships' channel rules, their choices, one INSERT of their e-mails, SMS and
    企业微信 messages), however many are told, with no second read of the row and no savepoint of
    its own."""
    two, notes_two = _sweep_statements(mw, 2)
    six, notes_six = _sweep_statements(mw, 6)
    told = (notes_six - notes_two) // 4
    assert told >= 1
    assert six - two == 4 * (2 + 1 + 5)


@pytest.mark.django_db(transaction=True)
def test_locked_transitions_need_the_callers_transaction(mw):
    from petitions import workflow

    matter = classify(mw, mw.staff_matter())
    with pytest.raises(RuntimeError):
        workflow.matter_transition(
            matter=matter, actor=workflow.SYSTEM, action="warn", locked=True, now=timezone.now(), people=None
        )
    assert not MatterEvent.objects.filter(matter=matter, action="warn").exists()


def test_unevaluated_matter_closes_after_the_window(mw, settings):
    settings.MATTER_EVALUATION_DAYS = 15
    u = mw.users
    matter = classify(mw, mw.staff_matter())
    s.matter_deliberate(matter=matter, actor=u.grid1, kind="meeting", held_on=timezone.localdate(), summary="院坝会")
    s.matter_handle(matter=matter, actor=u.grid1, handler=u.grid1)
    s.matter_report(matter=matter, actor=u.grid1, result="done")
    s.matter_verify(matter=matter, actor=u.cadre, passed=True)
    matter.refresh_from_db()
    assert sweep(now=matter.evaluation_opened_at + datetime.timedelta(days=14)).closed_unevaluated == 0
    assert sweep(now=matter.evaluation_opened_at + datetime.timedelta(days=16)).closed_unevaluated == 1
    matter.refresh_from_db()
    assert matter.state == State.CLOSED and matter.rating == ""
    assert matter.events.last().action == "close_unevaluated"


def test_reopen_limit_sends_the_matter_to_the_township(mw, settings):
    """Reopening now comes only from a review not upheld (复查); past the limit the township supervises."""
    settings.MATTER_REOPEN_LIMIT = 0
    u = mw.users
    matter = classify(mw, mw.staff_matter())
    s.matter_deliberate(matter=matter, actor=u.grid1, kind="meeting", held_on=timezone.localdate(), summary="院坝会")
    s.matter_handle(matter=matter, actor=u.grid1, handler=u.grid1)
    s.matter_report(matter=matter, actor=u.grid1, result="第1次处理")
    s.matter_verify(matter=matter, actor=u.cadre, passed=True)
    s.matter_evaluate(matter=matter, actor=None, rating=Rating.UNSATISFIED, comment="还是不行")
    s.matter_decide_review(matter=matter, actor=u.official, upheld=False, reason="确未修好，重新办理")
    matter.refresh_from_db()
    assert matter.reopen_count == 1 and matter.escalation_level == 2 and matter.state == State.HANDLING
    assert MatterEvent.objects.filter(matter=matter, action="escalate", payload__reason="reopen_limit").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_settle_each_matter_once(mw):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL (set DATABASE_URL)")
    matters = [classify(mw, mw.staff_matter(title=f"事项{i}")) for i in range(6)]
    late = max(m.deadline for m in matters) + datetime.timedelta(hours=1)
    results = []
    barrier = threading.Barrier(2)

    def run():
        from django.db import connections

        barrier.wait()
        try:
            results.append(sweep(now=late))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.marked_overdue for r in results) == 6
    assert sum(r.warned for r in results) == 0  # already past the warning: marked, not warned
    for m in matters:
        assert MatterEvent.objects.filter(matter=m, action="supervise").count() == 1
        assert (
            Notification.objects.filter(user=mw.users.grid1, url=f"/matters/{m.pk}/", title__contains=m.title).count()
            >= 1
        )


def test_demo_sweep_marks_the_sifasuo_matter_overdue_and_escalates_once(db):
    load_demo()
    matter = Matter.objects.get(tracking_code="demo-sifasuo-wage")
    moment = (matter.deadline + datetime.timedelta(hours=49)).isoformat()
    out = io.StringIO()
    call_command("sweep_overdue_matters", now=moment, stdout=out)
    call_command("sweep_overdue_matters", now=moment, stdout=io.StringIO())
    matter.refresh_from_db()
    assert matter.is_overdue and matter.escalation_level == 1
    assert MatterEvent.objects.filter(matter=matter, action="escalate").count() == 1
    assert "marked_overdue" in out.getvalue()
