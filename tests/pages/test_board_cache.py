"""The boards of the homes and dashboards are kept a minute (governance.dashboards.BOARD_TTL)
while nothing they count changes; every write they count makes the next reader count afresh."""

import datetime
import uuid

import pytest
import time_machine
from django.utils import timezone

from grids.visits.fengshi import latest_cycle
from grids.visits.services import visit_record
from petitions.models import Source
from petitions.services import matter_submit
from points.models import VillagePointsSettings
from tests.factories import make_household

pytestmark = pytest.mark.django_db


def _home(client):
    response = client.get("/")
    assert response.status_code == 200
    return response.context


def _board(client):
    return _home(client)["village_boards"][0]


def test_a_new_matter_is_on_the_next_board(world, login):
    client = login(world.users.cadre)
    before = _board(client)["waiting"]["total"]
    assert _board(client)["waiting"]["total"] == before  # kept
    matter_submit(
        actor=world.users.grid1,
        title="路灯坏了",
        description="村口路灯不亮",
        grid=world.q1,
        source=Source.VISIT,
        submitter_name="张三",
    )
    assert _board(client)["waiting"]["total"] == before + 1


def test_a_visit_on_the_last_fengshi_day_is_on_the_next_board_and_roll_up(world, login):
    client = login(world.users.cadre)
    cycle = latest_cycle(timezone.localdate())
    visits = {row["id"]: row["visits"] for row in _board(client)["grids"]}
    done = _home(client)["fengshi"]["totals"]["visits"]
    evening = timezone.make_aware(datetime.datetime.combine(cycle, datetime.time(20)))
    visit_record(
        author=world.users.grid1,
        client_uuid=uuid.uuid4(),
        visited_at=evening - datetime.timedelta(hours=2),
        method="home",
        household=world.households.q1,
        now=evening,
    )
    context = _home(client)
    assert {row["id"]: row["visits"] for row in context["village_boards"][0]["grids"]} == {
        **visits,
        world.q1.pk: visits[world.q1.pk] + 1,
    }
    assert context["fengshi"]["totals"]["visits"] == done + 1


def test_a_new_household_is_in_the_next_roll_up(world, login):
    client = login(world.users.official)
    households = _home(client)["fengshi"]["totals"]["households"]
    make_household(world.q2, head_name="新户")
    assert _home(client)["fengshi"]["totals"]["households"] == households + 1


def test_a_points_setting_is_on_the_next_board(world, login):
    client = login(world.users.cadre)
    assert _board(client)["points"]["below_floor"] == 0
    VillagePointsSettings.objects.update_or_create(village=world.qixing, defaults={"benefit_floor": 10_000})
    assert _board(client)["points"]["below_floor"] == 3  # the village's three passbooks


def test_a_board_is_counted_again_in_the_next_minute(world, login, django_assert_max_num_queries):
    """What follows the clock alone (an acceptance deadline passing) is at most a minute late."""
    client = login(world.users.cadre)
    _board(client)
    with django_assert_max_num_queries(12) as kept:
        _board(client)
    later = time_machine.travel(timezone.now() + datetime.timedelta(minutes=1), tick=False)
    with later, django_assert_max_num_queries(100) as counted:
        _board(client)
    assert len(counted.captured_queries) > len(kept.captured_queries) + 10


def test_a_board_is_in_the_readers_language(world, login, client):
    client = login(world.users.cadre)
    client.cookies["django_language"] = "en"
    assert _board(client)["charts"]["stages"]["unit"] == "matters"
    client.cookies["django_language"] = "zh-hans"
    assert _board(client)["charts"]["stages"]["unit"] == "事项"


def test_two_readers_of_one_village_each_see_their_own_board(world, login, client):
    """The cadre sees the points of their village; the township official its matters, no points."""
    cadre = _board(login(world.users.cadre))
    client.logout()
    client.force_login(world.users.official)
    official = client.get(f"/dashboard/villages/{world.qixing.pk}/").context["board"]
    assert "points" in cadre and "points" not in official
