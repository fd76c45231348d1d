"""逢十 compliance as .xlsx: a day or a month, the page's own roll-up, scoped like it."""

import datetime
import io
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from governance.models import Assignment
from grids.visits.fengshi import compliance_for, fengshi_days, latest_cycle
from grids.visits.services import visit_record
from tests.factories import forget_boards, make_household

pytestmark = pytest.mark.django_db

URL = "/visits/compliance/export.xlsx"


@pytest.fixture
def cycle(world):
    day = latest_cycle(timezone.localdate() - datetime.timedelta(days=40))
    Assignment.objects.update(valid_from=day - datetime.timedelta(days=100))
    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    visit_record(
        author=world.users.grid1,
        client_uuid=uuid.uuid4(),
        visited_at=at,
        method="home",
        household=world.households.q1,
        now=at,
    )
    return day


def _sheets(response):
    assert response.status_code == 200, response.content[:300]
    book = load_workbook(io.BytesIO(response.content))
    return [[list(r) for r in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]


def test_day_export_matches_the_roll_up(login, world, cycle, settings):
    client = login(world.users.cadre)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    grids, people, _sent_down = _sheets(client.get(URL, {"cycle": cycle.isoformat()}))
    assert grids[0][:5] == ["逢十 day", "Township", "Village", "Grid", "Visited"]
    roll = compliance_for(world.users.cadre, cycle=cycle)
    expected = [g for t in roll.townships for v in t["villages"] for g in v["grids"]]
    assert [(r[3], r[4], r[5]) for r in grids[1:]] == [
        (g["name"], "yes" if g["visited"] else "no", g["visits"]) for g in expected
    ]
    assert {r[2] for r in grids[1:]} == {"七星村"}
    went = {(r[3], r[4]) for r in people[1:]}
    assert ("网格员一", "yes") in went and ("网格员二", "no") in went


def test_month_export_holds_its_three_days(login, world, cycle):
    client = login(world.users.official)
    grids, _people, _sent_down = _sheets(client.get(URL, {"month": f"{cycle:%Y-%m}"}))
    days = [d.isoformat() for d in fengshi_days(cycle.year, cycle.month)]
    assert sorted({r[0] for r in grids[1:]}) == days
    assert {r[2] for r in grids[1:]} == {"七星村", "化龙村"}  # 渭沱镇's villages only


@pytest.mark.parametrize(
    ("persona", "status"),
    [("official", 200), ("cadre", 200), ("grid1", 200), ("clerk", 403), ("supervisor", 403), ("outsider", 403)],
)
def test_who_may_export_compliance(login, world, cycle, persona, status):
    assert login(getattr(world.users, persona)).get(URL, {"cycle": cycle.isoformat()}).status_code == status


def test_grid_worker_exports_their_grid_only(login, world, cycle):
    grids, _people, _sent_down = _sheets(login(world.users.grid1).get(URL, {"cycle": cycle.isoformat()}))
    assert [r[3] for r in grids[1:]] == ["七星村 第一网格"]


@pytest.mark.parametrize("query", [{"cycle": "2026-13-01"}, {"cycle": "nonsense"}, {"month": "2026"}, {}])
def test_bad_dates_are_a_400(login, world, query):
    assert login(world.users.cadre).get(URL, query).status_code == 400


def test_a_day_that_is_not_fengshi_is_a_400(login, world, cycle):
    other = cycle - datetime.timedelta(days=1)
    assert login(world.users.cadre).get(URL, {"cycle": other.isoformat()}).status_code == 400


def test_export_queries_stay_flat_as_households_grow(login, world, cycle):
    client = login(world.users.official)
    client.get(URL, {"month": f"{cycle:%Y-%m}"})
    forget_boards()  # the roll-ups' own queries are counted (the warm-up kept them)
    with CaptureQueriesContext(connection) as few:
        client.get(URL, {"month": f"{cycle:%Y-%m}"})
    for _ in range(4):
        make_household(world.q2)
        make_household(world.h1)
    forget_boards()
    with CaptureQueriesContext(connection) as many:
        client.get(URL, {"month": f"{cycle:%Y-%m}"})
    assert len(many) == len(few)


def test_page_links_to_both_exports(login, world, cycle):
    html = login(world.users.cadre).get("/visits/compliance/", {"cycle": cycle.isoformat()}).content.decode()
    assert f"{URL}?cycle={cycle.isoformat()}" in html
    assert f"{URL}?month={cycle:%Y-%m}" in html
