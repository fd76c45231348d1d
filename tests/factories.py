"""Test data built through the same services the app uses."""

import datetime
import itertools
import random

from django.contrib.auth import get_user_model

from governance.dashboards import forget_boards as forget_boards  # the tests call it from here
from governance.services import assignment_create
from grids.idnumbers import id_check_char
from grids.models import Grid, Household, Resident
from grids.services import household_create, resident_create
from grids.visits.fengshi import fengshi_days

_counter = itertools.count(1)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰德福"


def next_fengshi_day(after: datetime.date) -> datetime.date:
    """The first 逢十 day strictly after `after`."""
    month = after.replace(day=1)
    while True:
        for day in fengshi_days(month.year, month.month):
            if day > after:
                return day
        month = (month + datetime.timedelta(days=32)).replace(day=1)


def previous_fengshi_day(before: datetime.date) -> datetime.date:
    """The last 逢十 day strictly before `before`."""
    month = before.replace(day=1)
    while True:
        for day in reversed(fengshi_days(month.year, month.month)):
            if day < before:
                return day
        month = (month - datetime.timedelta(days=1)).replace(day=1)


def cn_day(day: datetime.date) -> str:
    """A day as the app writes it in titles: 11月30日."""
    return f"{day.month}月{day.day}日"


def make_id_number(birth: datetime.date, seq: int, area: str = "500117") -> str:
    first17 = f"{area}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + id_check_char(first17)


def make_user(username: str, *, name: str = "", email: str = "", password: str = "demo12345", **extra):
    user = get_user_model().objects.create_user(
        username=username, password=password, email=email, first_name=name, **extra
    )
    return user


def assign(user, role: str, place=None, department=None, **kwargs):
    return assignment_create(user=user, role=role, place=place, department=department, **kwargs)


def make_household(
    grid: Grid, *, head_name: str | None = None, members: int = 2, courtyard=None, rng=None
) -> Household:
    rng = rng or random.Random(next(_counter))
    n = next(_counter)
    household = household_create(grid=grid, number=f"H{n:06d}", courtyard=courtyard, address=f"{grid.name}{n}号")
    surname = head_name[0] if head_name else rng.choice(SURNAMES)
    for i in range(members):
        relation = Resident.Relation.HEAD if i == 0 else rng.choice([Resident.Relation.SPOUSE, Resident.Relation.CHILD])
        name = head_name if (i == 0 and head_name) else surname + rng.choice(GIVEN) + rng.choice(["", *GIVEN])
        birth = datetime.date(1950 + rng.randrange(60), 1 + rng.randrange(12), 1 + rng.randrange(28))
        resident_create(
            household=household,
            name=name,
            relation_to_head=relation,
            gender=rng.choice(["male", "female"]),
            birth_date=birth,
            id_number=make_id_number(birth, next(_counter)),
            phone=f"158{rng.randrange(10**8):08d}",
        )
    household.refresh_from_db()
    return household


# The demo accounts the design's contract names (DESIGN.md, the README's table).
CONTRACT_ACCOUNTS = [
    "admin",
    "weituo_leader",
    "weituo_official",
    "weituo_sifasuo",
    "qixing_cadre",
    "qixing_clerk",
    "qixing_grid1",
    "qixing_grid2",
    "hualong_cadre",
    "liwan_cadre",
    "xiaomian_official",
    "weituo_admin",
]
