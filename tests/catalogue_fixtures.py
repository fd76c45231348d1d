"""The world of the catalogues' tests: the personas of tests/conftest.py plus a township
administrator of 渭沱镇, the matters' categories (one of them named by a matter), a time limit,
a clock limit, a calendar day, and tags (one carried by a household, one by nobody)."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from governance.models import Role
from grids.models import Tag
from petitions.models import CalendarDay, ClockLimit, Kind, Source, TimeLimit
from petitions.services import matter_submit
from tests.factories import assign, make_user
from tests.matrix import API_PERSONAS, PAGE_PERSONAS

CATALOGUE_PAGE_PERSONAS = [*PAGE_PERSONAS, "township_admin"]
CATALOGUE_API_PERSONAS = (*API_PERSONAS, "township_admin")


@pytest.fixture
def cw(world, categories):
    """The world, its categories, and the catalogue rows the tests act on."""
    world.users.township_admin = make_user("t_weituo_admin", name="渭沱镇管理员")
    assign(world.users.township_admin, Role.TOWNSHIP_ADMIN, world.weituo)
    matter_submit(
        actor=world.users.grid1,
        title="邻居噪音",
        description="夜里噪音扰民",
        grid=world.q1,
        source=Source.VISIT,
        submitter_name="张三",
        category=categories.neighbour_dispute,
    )
    in_use = Tag.objects.create(code="elderly_alone", name="独居老人", is_key_group=True, visit_every_days=30)
    world.households.q1.tags.add(in_use)
    next_year = timezone.localdate().year + 1
    world.catalogue = SimpleNamespace(
        used_category=categories.neighbour_dispute,
        unused_category=categories.infrastructure,
        limit=TimeLimit.objects.create(kind=Kind.CIVIL, category=None, working_days=7),
        clock=ClockLimit.objects.create(clock=ClockLimit.Clock.SIGN_OFF, working_days=1),
        day=CalendarDay.objects.create(date=datetime.date(next_year, 10, 8), is_workday=False, name="国庆节"),
        used_tag=in_use,
        unused_tag=Tag.objects.create(code="veteran", name="退役军人"),
        next_year=next_year,
    )
    world.categories = categories
    return world
