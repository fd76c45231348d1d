# ruff: noqa: F811 (the `cw` fixture is imported, then named by each test)
"""The four councils' services (governance.civic.councils): planning, recording, concerns that
become matters, ratings (a pledge's is its 评诺), and every refusal in the contract's order."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from governance.civic import councils as c
from governance.civic.models import Concern, CouncilKind, Meeting, MeetingStatus, ResultRating, Verdict
from governance.errors import Conflict, Forbidden
from governance.models import PledgeStatus
from petitions.models import Matter, MatterEvent, Source, State
from tests.civic.council_fixtures import cw  # noqa: F401

pytestmark = pytest.mark.django_db


def _raises(error, code=None, field=None):
    """A context manager that checks the error class, and its code or the field it names."""

    class Check:
        def __enter__(self):
            return self

        def __exit__(self, kind, value, tb):
            assert kind is not None, f"expected {error.__name__}"
            assert issubclass(kind, error), f"{kind.__name__}: {value}"
            if code:
                assert value.code == code
            if field:
                assert field in value.message_dict, value.message_dict
            return True

    return Check()


# ---------------------------------------------------------------- plan, update, cancel


def test_a_cadre_plans_a_meeting_ahead_on_the_calendar_with_the_councils_name_as_title(cw):
    meeting = cw.plan(held_on=cw.today + datetime.timedelta(days=20), starts_at=datetime.time(9, 30))
    assert meeting.status == MeetingStatus.PLANNED
    assert meeting.village == cw.qixing and meeting.township_id == cw.weituo.pk
    assert "民情恳谈会" in meeting.title
    assert meeting.created_by == cw.users.cadre


@pytest.mark.parametrize("persona", ["grid1", "official", "other_cadre", "outsider", "helper"])
def test_only_a_cadre_of_the_village_plans_its_councils(cw, persona):
    with _raises(Forbidden):
        cw.plan(actor=getattr(cw.users, persona))
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"place": "  "}, "place"),
        ({"agenda": ""}, "agenda"),
        ({"held_on": datetime.date(1990, 1, 1)}, "held_on"),
    ],
)
def test_a_plan_without_its_place_or_agenda_or_too_long_ago_is_refused_on_the_field(cw, changes, field):
    with _raises(ValidationError, field=field):
        cw.plan(**changes)


def test_an_unknown_council_is_refused(cw):
    with _raises(ValidationError, field="kind"):
        cw.plan(kind="party")


def test_a_coordination_meeting_names_an_open_matter_of_its_village(cw):
    meeting = cw.plan(CouncilKind.COORDINATION)
    assert meeting.matter.title == "土地边界纠纷" and meeting.parties == ["张三", "李四"]
    with _raises(ValidationError, field="matter"):
        cw.plan(CouncilKind.COORDINATION, matter=None)
    with _raises(ValidationError, field="matter"):
        cw.plan(CouncilKind.COORDINATION, matter=cw.staff_matter(grid=cw.h1, actor=cw.users.other_cadre))
    with _raises(ValidationError, field="matter"):
        cw.plan(CouncilKind.COORDINATION, matter=cw.handled_matter(state=State.CLOSED))


def test_only_a_coordination_meeting_names_a_matter(cw):
    with _raises(ValidationError, field="matter"):
        cw.plan(CouncilKind.MORAL, matter=cw.staff_matter())


def test_a_planned_meeting_changes_and_a_held_one_does_not(cw):
    meeting = cw.plan()
    later = cw.today + datetime.timedelta(days=3)
    meeting = c.meeting_update(meeting=meeting, actor=cw.users.cadre, held_on=later, place="院坝")
    assert (meeting.held_on, meeting.place, meeting.agenda) == (later, "院坝", "听取群众意见")
    with _raises(Forbidden):
        c.meeting_update(meeting=meeting, actor=cw.users.grid1, place="祠堂")
    held = cw.held()
    with _raises(Conflict, code="not_planned"):
        c.meeting_update(meeting=held, actor=cw.users.cadre, place="祠堂")


def test_a_cancelled_meeting_keeps_its_reason_and_cannot_be_recorded(cw):
    meeting = cw.plan()
    with _raises(ValidationError, field="reason"):
        c.meeting_cancel(meeting=meeting, actor=cw.users.cadre, reason=" ")
    with _raises(Forbidden):
        c.meeting_cancel(meeting=meeting, actor=cw.users.official, reason="下雨")
    meeting = c.meeting_cancel(meeting=meeting, actor=cw.users.cadre, reason="暴雨改期")
    assert (meeting.status, meeting.cancel_reason) == (MeetingStatus.CANCELLED, "暴雨改期")
    with _raises(Conflict, code="not_planned"):
        c.meeting_record(meeting=meeting, actor=cw.users.cadre, chaired_by="陈", attendees=["张三"], minutes="x")
    with _raises(Conflict, code="not_planned"):
        c.meeting_cancel(meeting=meeting, actor=cw.users.cadre, reason="again")


# ---------------------------------------------------------------- record


def test_recording_keeps_chair_attendees_decisions_and_minutes_once(cw):
    meeting = cw.plan()
    meeting = c.meeting_record(
        meeting=meeting,
        actor=cw.users.cadre,
        chaired_by="陈书记",
        attendees="张三、李四\n王五、张三",
        decisions="修路灯",
        minutes="群众反映两件事",
    )
    assert meeting.status == MeetingStatus.HELD
    assert meeting.attendees == ["张三", "李四", "王五"]
    assert (meeting.chaired_by, meeting.decisions, meeting.recorded_by) == ("陈书记", "修路灯", cw.users.cadre)
    with _raises(Conflict, code="not_planned"):
        c.meeting_record(meeting=meeting, actor=cw.users.cadre, chaired_by="陈", attendees=["张三"], minutes="x")


def test_a_meeting_is_not_recorded_before_its_day(cw):
    meeting = cw.plan(held_on=cw.tomorrow)
    with _raises(Conflict, code="not_yet_held"):
        c.meeting_record(meeting=meeting, actor=cw.users.cadre, chaired_by="陈", attendees=["张三"], minutes="x")


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"chaired_by": "", "attendees": ["张三"], "minutes": "x"}, "chaired_by"),
        ({"chaired_by": "陈", "attendees": " 、 ", "minutes": "x"}, "attendees"),
        ({"chaired_by": "陈", "attendees": ["张三"], "minutes": ""}, "minutes"),
    ],
)
def test_a_record_without_chair_attendees_or_minutes_is_refused_and_stays_planned(cw, record, field):
    meeting = cw.plan()
    with _raises(ValidationError, field=field):
        c.meeting_record(meeting=meeting, actor=cw.users.cadre, **record)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED


def test_a_grid_worker_of_the_village_reads_but_does_not_record(cw):
    meeting = cw.plan()
    with _raises(Forbidden):
        c.meeting_record(meeting=meeting, actor=cw.users.grid1, chaired_by="陈", attendees=["张三"], minutes="x")
    assert c.next_actions(cw.users.grid1, meeting) == []
    assert c.next_actions(cw.users.cadre, meeting) == ["update", "cancel", "record"]


def test_a_moral_council_links_the_villages_boards_it_decided(cw):
    meeting = cw.plan(CouncilKind.MORAL)
    board = cw.board()
    record = {"chaired_by": "陈", "attendees": ["张三"], "minutes": "评议"}
    with _raises(ValidationError, field="boards"):
        c.meeting_record(meeting=meeting, actor=cw.users.cadre, boards=[cw.board(village=cw.hualong)], **record)
    meeting = c.meeting_record(meeting=meeting, actor=cw.users.cadre, boards=[board], **record)
    assert list(meeting.boards.all()) == [board]
    board.refresh_from_db()
    assert board.decided_at is None  # the board's own decide step stays in points


def test_only_a_moral_council_links_boards(cw):
    meeting = cw.plan()
    with _raises(ValidationError, field="boards"):
        c.meeting_record(
            meeting=meeting, actor=cw.users.cadre, chaired_by="陈", attendees=["张"], minutes="x", boards=[cw.board()]
        )


# ---------------------------------------------------------------- concerns → matters


def test_two_concerns_raised_at_a_concerns_meeting_become_two_matters_linked_to_it(cw):
    meeting = cw.held()
    first = c.concern_raise(
        meeting=meeting,
        actor=cw.users.cadre,
        raised_by="张三",
        title="路灯坏了",
        description="三组路灯坏了",
        grid=cw.q1,
    )
    second = c.concern_raise(
        meeting=meeting, actor=cw.users.cadre, raised_by="王五", title="水渠堵塞", description="二组水渠", grid=cw.q2
    )
    assert [concern.order for concern in meeting.concerns.all()] == [1, 2]
    matters = Matter.objects.filter(pk__in=[first.matter_id, second.matter_id]).order_by("pk")
    assert [(m.source, m.submitter_name, m.grid_id, m.state) for m in matters] == [
        (Source.MEETING, "张三", cw.q1.pk, State.SUBMITTED),
        (Source.MEETING, "王五", cw.q2.pk, State.SUBMITTED),
    ]
    assert MatterEvent.objects.filter(matter__in=matters, action="submit").count() == 2


def test_a_concern_is_raised_only_at_a_held_concerns_meeting(cw):
    concern = {"raised_by": "张三", "title": "路灯", "description": "坏了", "grid": cw.q1}
    with _raises(Conflict, code="not_held"):
        c.concern_raise(meeting=cw.plan(), actor=cw.users.cadre, **concern)
    with _raises(Conflict, code="not_concerns"):
        c.concern_raise(meeting=cw.held(CouncilKind.RESULTS), actor=cw.users.cadre, **concern)
    with _raises(Forbidden):
        c.concern_raise(meeting=cw.held(), actor=cw.users.grid1, **concern)
    assert not Matter.objects.filter(source=Source.MEETING).exists()


@pytest.mark.parametrize(
    ("concern", "field"),
    [
        ({"raised_by": "", "title": "路灯", "description": "坏了"}, "submitter_name"),
        ({"raised_by": "张三", "title": "", "description": "坏了"}, "title"),
        ({"raised_by": "张三", "title": "路灯", "description": " "}, "description"),
    ],
)
def test_a_concern_without_its_words_writes_nothing(cw, concern, field):
    meeting = cw.held()
    with _raises(ValidationError, field=field):
        c.concern_raise(meeting=meeting, actor=cw.users.cadre, grid=cw.q1, **concern)
    assert not Concern.objects.exists() and not Matter.objects.filter(source=Source.MEETING).exists()


def test_a_concern_goes_to_a_grid_of_the_meetings_village(cw):
    with _raises(ValidationError, field="grid"):
        c.concern_raise(
            meeting=cw.held(), actor=cw.users.cadre, raised_by="张三", title="路灯", description="坏了", grid=cw.h1
        )


# ---------------------------------------------------------------- ratings


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        ((9, 6, 2, 1), Verdict.SATISFIED),
        ((9, 3, 4, 2), Verdict.BASICALLY_SATISFIED),  # 7/9 content, but fewer satisfied than basically
        ((10, 3, 3, 4), Verdict.BASICALLY_SATISFIED),
        ((10, 2, 3, 5), Verdict.UNSATISFIED),
        ((10, 5, 1, 0), Verdict.BASICALLY_SATISFIED),  # abstentions count against
        ((3, 2, 0, 0), Verdict.BASICALLY_SATISFIED),  # exactly two thirds is not more than
        ((4, 3, 0, 0), Verdict.SATISFIED),
    ],
)
def test_the_verdict_follows_from_the_figures(figures, expected):
    raters, satisfied, basically, unsatisfied = figures
    assert (
        c.verdict(raters=raters, satisfied=satisfied, basically_satisfied=basically, unsatisfied=unsatisfied)
        == expected
    )


def test_a_results_council_rates_a_handled_matter_without_changing_it(cw):
    meeting, matter = cw.held(CouncilKind.RESULTS), cw.handled_matter()
    rating = c.rating_record(
        meeting=meeting,
        actor=cw.users.cadre,
        matter=matter,
        raters=9,
        satisfied=6,
        basically_satisfied=2,
        unsatisfied=1,
    )
    assert rating.verdict == Verdict.SATISFIED
    matter.refresh_from_db()
    assert matter.state == State.EVALUATING
    with _raises(ValidationError, field="matter"):
        c.rating_record(
            meeting=meeting,
            actor=cw.users.cadre,
            matter=matter,
            raters=9,
            satisfied=9,
            basically_satisfied=0,
            unsatisfied=0,
        )


@pytest.mark.parametrize(
    ("figures", "field"),
    [
        ({"raters": 0, "satisfied": 0, "basically_satisfied": 0, "unsatisfied": 0}, "raters"),
        ({"raters": 5, "satisfied": 4, "basically_satisfied": 1, "unsatisfied": 1}, "raters"),
        ({"raters": 5, "satisfied": -1, "basically_satisfied": 1, "unsatisfied": 1}, "satisfied"),
    ],
)
def test_figures_that_do_not_add_up_are_refused(cw, figures, field):
    meeting, matter = cw.held(CouncilKind.RESULTS), cw.handled_matter()
    with _raises(ValidationError, field=field):
        c.rating_record(meeting=meeting, actor=cw.users.cadre, matter=matter, **figures)
    assert not ResultRating.objects.exists()


def test_an_open_matter_or_one_of_another_village_is_not_rated(cw):
    meeting = cw.held(CouncilKind.RESULTS)
    figures = {"raters": 5, "satisfied": 5, "basically_satisfied": 0, "unsatisfied": 0}
    with _raises(ValidationError, field="matter"):
        c.rating_record(meeting=meeting, actor=cw.users.cadre, matter=cw.staff_matter(), **figures)
    other = cw.handled_matter(grid=cw.h1, actor=cw.users.other_cadre)
    with _raises(ValidationError, field="matter"):
        c.rating_record(meeting=meeting, actor=cw.users.cadre, matter=other, **figures)
    with _raises(ValidationError, field="matter"):
        c.rating_record(meeting=meeting, actor=cw.users.cadre, **figures)


def test_ratings_only_at_a_held_results_council_by_its_cadre(cw):
    figures = {"raters": 5, "satisfied": 5, "basically_satisfied": 0, "unsatisfied": 0}
    matter = cw.handled_matter()
    with _raises(Conflict, code="not_results"):
        c.rating_record(meeting=cw.held(), actor=cw.users.cadre, matter=matter, **figures)
    with _raises(Conflict, code="not_held"):
        c.rating_record(meeting=cw.plan(CouncilKind.RESULTS), actor=cw.users.cadre, matter=matter, **figures)
    with _raises(Forbidden):
        c.rating_record(meeting=cw.held(CouncilKind.RESULTS), actor=cw.users.official, matter=matter, **figures)


def test_a_pledges_rating_at_the_council_is_its_pingnuo_on_the_meetings_day(cw):
    meeting, pledge = cw.held(CouncilKind.RESULTS), cw.done_pledge()
    rating = c.rating_record(
        meeting=meeting,
        actor=cw.users.cadre,
        pledge=pledge,
        raters=10,
        satisfied=7,
        basically_satisfied=2,
        unsatisfied=1,
    )
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.CLOSED and pledge.rated_on == meeting.held_on
    assert (pledge.raters, pledge.satisfied, pledge.rated_by) == (10, 7, cw.users.cadre)
    assert rating.pledge == pledge and rating.verdict == Verdict.SATISFIED


def test_a_pledges_rating_counts_every_rater_and_writes_nothing_when_short(cw):
    meeting, pledge = cw.held(CouncilKind.RESULTS), cw.done_pledge()
    with _raises(ValidationError, field="raters"):
        c.rating_record(
            meeting=meeting,
            actor=cw.users.cadre,
            pledge=pledge,
            raters=10,
            satisfied=7,
            basically_satisfied=2,
            unsatisfied=0,
        )
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.DONE and not ResultRating.objects.exists()


def test_a_pledge_not_done_or_the_cadres_own_is_not_rated_here(cw):
    meeting = cw.held(CouncilKind.RESULTS)
    figures = {"raters": 5, "satisfied": 5, "basically_satisfied": 0, "unsatisfied": 0}
    with _raises(ValidationError, field="pledge"):
        c.rating_record(meeting=meeting, actor=cw.users.cadre, pledge=cw.published(), **figures)
    own = cw.done()  # the cadre's own pledge: maker-checker in governance.pledges
    with _raises(Forbidden):
        c.rating_record(meeting=meeting, actor=cw.users.cadre, pledge=own, **figures)
    assert not ResultRating.objects.exists()


# ---------------------------------------------------------------- reads


def test_the_calendar_shows_the_months_planned_and_held_meetings_by_day(cw):
    held = cw.held()
    planned = cw.plan(CouncilKind.MORAL)
    c.meeting_cancel(meeting=cw.plan(), actor=cw.users.cadre, reason="改期")
    days = c.calendar_month(cw.users.grid1, cw.today)
    assert days == [(cw.today, [held, planned])]
    assert c.calendar_month(cw.users.other_cadre, cw.today) == []
