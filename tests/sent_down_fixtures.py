"""力量沉底's fixture: the world (tests/conftest.py) with its official sent down to 七星村 (包村) and
its leader to the 北片 of 七星村 and 化龙村 (包片), and a visit maker."""

import datetime
import uuid

import pytest
from django.utils import timezone

from governance.models import Assignment, Role
from grids.models import Area
from grids.visits.models import Visit
from grids.visits.services import visit_record
from tests.factories import assign

SINCE = datetime.date(2026, 1, 1)


@pytest.fixture
def sent(world):
    """Everyone holds their places from 1 January 2026, so the fixed 逢十 days the tests use fall
    inside their assignments whatever day the suite runs."""
    area = Area.objects.create(township=world.weituo, name="北片")
    area.villages.add(world.qixing, world.hualong)
    assign(world.users.official, Role.VILLAGE_LIAISON, world.qixing)
    assign(world.users.leader, Role.AREA_LEADER, area)
    Assignment.objects.update(valid_from=SINCE)
    world.area = area
    return world


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour))


def visit(user, household, day: datetime.date, **fields) -> Visit:
    """A visit dated `day`, recorded that evening."""
    fields.setdefault("method", Visit.Method.SIT_DOWN)
    return visit_record(
        author=user, client_uuid=uuid.uuid4(), visited_at=at(day), household=household, now=at(day, 23), **fields
    )[0]
