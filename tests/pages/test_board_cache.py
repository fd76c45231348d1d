"""The boards of the homes and dashboards are kept a minute (governance.dashboards.BOARD_TTL)
while nothing they count changes; every write they count makes the next reader count afresh."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from grids.visits.fengshi import latest_cycle
from petitions.models import Source
from petitions.services import matter_submit
from points.models import VillagePointsSettings
from tests.factories import make_household
from tests.sent_down_fixtures import visit

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
    visits = {row["id"]: row["visits"] for row in _board(client)["grids"]}
    done = _home(client)["fengshi"]["totals"]["visits"]
    _fengshi_visit(world)
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


def test_a_new_household_and_resident_are_on_the_village_staffs_next_cards(world, login):
    client = login(world.users.cadre)
    [village] = _home(client)["villages"]
    grids = {grid.pk: grid.household_count for grid in village["children"]}
    make_household(world.q2, head_name="新户", members=3)
    [village_after] = _home(client)["villages"]
    assert (village_after["households"], village_after["residents"]) == (
        village["households"] + 1,
        village["residents"] + 3,
    )
    assert {grid.pk: grid.household_count for grid in village_after["children"]} == {
        **grids,
        world.q2.pk: grids[world.q2.pk] + 1,
    }


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


def _fengshi_visit(world):
    """grid1 visits 张三 on the last 逢十 day (the day every board's compliance counts)."""
    visit(world.users.grid1, world.households.q1, latest_cycle(timezone.localdate()))


def test_a_visit_on_the_last_fengshi_day_is_on_the_next_township_and_district_boards(world, login):
    """The township's and the district's figures are the tallies', but their 逢十 compliance
    is counted from the visits: a visit shows on the official's and the superuser's next board."""

    def visited(board, key, pk):
        rows = board["villages" if key == "village" else "townships"]
        return next(row["grids_visited"] for row in rows if row[key].pk == pk)

    official = login(world.users.official)
    before = visited(_home(official)["township_board"], "village", world.qixing.pk)
    admin = login(world.users.admin)
    district = visited(_home(admin)["district_board"], "township", world.weituo.pk)
    _fengshi_visit(world)
    assert visited(_home(admin)["district_board"], "township", world.weituo.pk) == district + 1
    official = login(world.users.official)
    assert visited(_home(official)["township_board"], "village", world.qixing.pk) == before + 1


def test_a_redemption_at_the_shop_is_on_the_next_board(world, login):
    """The clerk hands out goods: the cadre's board counts the month's redemptions at once."""
    from points.models import Item
    from points.services import points_redeem

    VillagePointsSettings.objects.update_or_create(village=world.qixing, defaults={"redeem_threshold": 0})
    soap = Item.objects.create(village=world.qixing, name="香皂", unit="块", price=1, stock=5)
    client = login(world.users.cadre)
    before = _board(client)["points"]
    assert _board(client)["points"] == before  # kept
    points_redeem(actor=world.users.clerk, account=world.households.q1.points_account, item=soap)
    after = _board(client)["points"]
    assert after["redemptions"] == before["redemptions"] + 1
    assert after["redeemed_points"] == before["redeemed_points"] + 1
