"""The 逢十 compliance page: who went, per grid and person, for cadres and officials."""

import datetime
import uuid

import pytest
from django.utils import timezone

from governance.models import Assignment
from grids.services import grid_create
from grids.visits.services import visit_record
from tests.factories import forget_boards

pytestmark = pytest.mark.django_db

URL = "/visits/compliance/"
CYCLE = datetime.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _assigned_since_january(world):
    Assignment.objects.update(valid_from=datetime.date(2026, 1, 1))


def _visit(world):
    at = timezone.make_aware(datetime.datetime(2026, 11, 20, 9))
    visit_record(
        author=world.users.grid1,
        client_uuid=uuid.uuid4(),
        visited_at=at,
        method="home",
        household=world.households.q1,
        now=at,
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("official", 200),
        ("leader", 200),
        ("cadre", 200),
        ("clerk", 403),  # passbooks and the shop, not visits
        ("supervisor", 403),  # the supervision committee (村务监督委员会): 村事, not visits
        ("grid1", 200),
        ("helper", 200),
        ("handler", 403),
        ("outsider", 403),
        ("admin", 200),
    ],
)
def test_who_may_see_compliance(login, world, persona, status):
    assert login(getattr(world.users, persona)).get(URL).status_code == status


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_page_names_who_went_and_who_did_not(login, world):
    _visit(world)
    html = login(world.users.cadre).get(URL, {"cycle": CYCLE.isoformat()}).content.decode()
    assert "2026年11月20日" in html
    assert "网格员一" in html and "网格员二" in html
    assert html.count('class="missed"') == 2  # grid2 and the courtyard helper
    assert "化龙村" not in html


def test_official_sees_every_village_of_the_township(login, world):
    html = login(world.users.official).get(URL, {"cycle": CYCLE.isoformat()}).content.decode()
    assert "七星村" in html and "化龙村" in html and "李湾村" not in html


def test_a_day_that_is_not_fengshi_says_so_and_shows_the_latest(login, world):
    response = login(world.users.cadre).get(URL, {"cycle": "2026-11-21"})
    assert response.status_code == 200
    assert response.context["error"]
    assert response.context["cycle"].day in (10, 20, 28, 29, 30)


# The compliance page costs exactly 15 queries, for 3 grids in the township as for 15: 1 the
# session, 2 the user, 3 the assignments (the scope); the roll (grids.visits.fengshi.
# compliance_for): 4 the ids of the grids in scope, 5 those grids, 6 their villages, 7 their
# townships, 8 households per grid, 9 visits per grid, 10 visits per grid and author, 11 the
# people on duty; apart (sent_down_roll): 12 the village cadres, 包村 and 包片 on duty at the
# villages, 13 their visits that day and in its month; the nav: 14 unread notifications (the
# matters waiting come from the cache after the first request: petitions.queue). Read again,
# the roll comes from the cache (compliance_for keeps it), so the count forgets it first.
COMPLIANCE_PAGE = 14


def test_page_costs_exactly_its_queries_for_3_grids_and_for_15(login, world, django_assert_num_queries):
    client = login(world.users.official)

    def measure():
        client.get(URL, {"cycle": CYCLE.isoformat()})  # warm up
        forget_boards()
        with django_assert_num_queries(COMPLIANCE_PAGE):
            assert client.get(URL, {"cycle": CYCLE.isoformat()}).status_code == 200

    measure()
    for n in range(3, 15):
        grid_create(village=world.qixing, number=n, name=f"第{n}网格")
    measure()
