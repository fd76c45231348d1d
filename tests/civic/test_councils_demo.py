"""The councils' demo (governance.civic.council_demo.seed) on the seeded demo: one meeting of
each council in 李湾村, the 民情恳谈会's two concerns as two matters, one meeting ahead; twice
adds nothing."""

import pytest
from django.utils import timezone

from governance.civic import council_demo
from governance.civic.models import Concern, CouncilKind, Meeting, MeetingStatus
from petitions.models import Source
from tests.demo_snapshot import load_demo

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_meeting_of_each_council_in_liwan_once():
    load_demo()
    lines = []
    council_demo.seed(lines.append)
    council_demo.seed(lines.append)  # a second run adds nothing
    assert lines[1].startswith("councils: 0 meetings added")
    meetings = Meeting.objects.filter(village__code="500117102001")
    assert meetings.count() == 5
    held = {m.kind: m for m in meetings.filter(status=MeetingStatus.HELD)}
    assert set(held) == set(CouncilKind.values)
    concerns = Concern.objects.filter(meeting=held[CouncilKind.CONCERNS]).select_related("matter")
    assert [x.matter.source for x in concerns] == [Source.MEETING, Source.MEETING]
    assert held[CouncilKind.COORDINATION].matter == concerns[1].matter
    assert held[CouncilKind.MORAL].boards.count() == 1
    assert held[CouncilKind.RESULTS].ratings.count() >= 1
    (ahead,) = meetings.filter(status=MeetingStatus.PLANNED)
    assert ahead.held_on > timezone.localdate()
