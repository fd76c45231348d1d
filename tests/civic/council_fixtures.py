"""The councils' fixture (`cw`): the world with matters and pledges (tests/conftest.py `mw`,
`plw`), and makers for meetings of the four councils in 七星村 (governance.civic.councils)."""

import datetime

import pytest
from django.utils import timezone

from governance.civic import councils as c
from governance.civic.models import CouncilKind
from petitions.models import Matter, State
from points.models import Board


@pytest.fixture
def cw(mw, plw):
    """`mw` and `plw` in one namespace, plus plan / held / handled_matter / done_pledge / board."""
    world = mw
    world.own, world.done, world.published = plw.own, plw.done, plw.published
    world.today = timezone.localdate()
    cadre = world.users.cadre

    def plan(kind=CouncilKind.CONCERNS, *, actor=None, village=None, **extra):
        data = {"held_on": world.today, "place": "村委会议室", "agenda": "听取群众意见", "title": ""}
        if kind == CouncilKind.COORDINATION and "matter" not in extra:
            extra["matter"] = world.staff_matter(title="土地边界纠纷")
            extra.setdefault("parties", ["张三", "李四"])
        data.update(extra)
        return c.meeting_plan(actor=actor or cadre, village=village or world.qixing, kind=kind, **data)

    def held(kind=CouncilKind.CONCERNS, **extra):
        meeting = plan(kind, **extra)
        return c.meeting_record(
            meeting=meeting, actor=cadre, chaired_by="陈书记", attendees=["张三", "李四", "王五"], minutes="会议纪要"
        )

    def handled_matter(state=State.EVALUATING, **extra):
        matter = world.staff_matter(**extra)
        Matter.objects.filter(pk=matter.pk).update(state=state)
        matter.refresh_from_db()
        return matter

    def done_pledge():
        """A grid worker's pledge, done: the cadre (neither pledger nor recorder) may rate it."""
        return plw.done(plw.own(actor=world.users.grid1))

    def board(village=None, quarter=1):
        return Board.objects.create(
            village=village or world.qixing,
            year=world.today.year,
            quarter=quarter,
            compiled_by=cadre,
            compiled_at=timezone.now(),
        )

    world.plan, world.held, world.handled_matter = plan, held, handled_matter
    world.done_pledge, world.board = done_pledge, board
    world.tomorrow = world.today + datetime.timedelta(days=1)
    return world
