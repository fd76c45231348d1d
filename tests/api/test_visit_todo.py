"""The to-visit list of the API (/api/v1/visits/todo/): pages in the order of need, each at a
fixed number of queries however many households there are."""

import datetime

import pytest
from django.utils import timezone

from grids.models import Household, Tag
from tests.factories import make_household

pytestmark = pytest.mark.django_db

URL = "/api/v1/visits/todo/"


def _all_pages(client, url):
    """Every row, following `next`; and the pages as they came."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.data
        pages.append([row["id"] for row in response.data["results"]])
        url = response.data["next"]
    return pages


def _households_with_due_days(world):
    """Eight more households of grid 1 and two of grid 2: some never visited, some sharing an
    overdue day across both grids, some due later."""
    today = timezone.localdate()
    days = [None, None, today - datetime.timedelta(days=30), today - datetime.timedelta(days=30), today]
    made = []
    for grid in (world.q1, world.q1, world.q2):
        for day in days[: 4 if grid == world.q2 else 5]:
            household = make_household(grid, members=0)
            Household.objects.filter(pk=household.pk).update(visit_due_on=day)
            made.append(household)
    return made


def _expected_order(user_households):
    # never visited first, then the longest overdue, then by grid and household number
    return [
        h.pk
        for h in sorted(
            user_households,
            key=lambda h: (h.visit_due_on or datetime.date.min, h.grid_id, h.number, h.pk),
        )
    ]


def test_todo_pages_follow_need_and_next_walks_every_household_once(world, as_user):
    _households_with_due_days(world)
    client = as_user(world.users.cadre)
    pages = _all_pages(client, URL + "?page_size=3")
    rows = [pk for page in pages for pk in page]
    village = Household.objects.filter(village=world.qixing)
    assert rows == _expected_order(village)
    assert len(rows) == len(set(rows)) == village.count()
    assert all(len(page) == 3 for page in pages[:-1])
    # the first page has no way back, the last none forward
    first = client.get(URL + "?page_size=3").data
    assert first["previous"] is None and first["next"]


def test_todo_previous_goes_back_over_the_same_pages(world, as_user):
    _households_with_due_days(world)
    client = as_user(world.users.cadre)
    forward, url = [], URL + "?page_size=4"
    while url:
        data = client.get(url).data
        forward.append(([row["id"] for row in data["results"]], data["previous"]))
        url = data["next"]
    back = client.get(forward[-1][1]).data
    assert [row["id"] for row in back["results"]] == forward[-2][0]
    assert back["next"]


def test_todo_rows_carry_the_household_its_places_tags_and_whether_due(world, as_user):
    poor = Tag.objects.create(code="b-poor", name="困难户", is_key_group=True)
    alone = Tag.objects.create(code="a-alone", name="独居老人")
    world.households.q1.tags.add(poor, alone)
    rows = as_user(world.users.grid1).get(URL).data["results"]
    row = next(r for r in rows if r["id"] == world.households.q1.pk)
    household = world.households.q1
    assert row == {
        "id": household.pk,
        "number": household.number,
        "head_name": "张三",
        "address": household.address,
        "grid": world.q1.pk,
        "grid_name": "第一网格",
        "courtyard": world.yard.pk,
        "courtyard_name": "老院子",
        "tags": ["独居老人", "困难户"],  # in code order
        "last_visited_on": None,
        "visit_due_on": None,
        "due": True,
    }


def test_todo_filters_by_courtyard_and_refuses_a_bad_one(world, as_user):
    client = as_user(world.users.grid1)
    rows = client.get(URL, {"courtyard": world.yard.pk}).data["results"]
    assert [row["id"] for row in rows] == [world.households.q1.pk]
    refused = client.get(URL, {"courtyard": "老院子"})
    assert refused.status_code == 400 and "courtyard" in refused.data


@pytest.mark.parametrize("cursor", ["bm9uc2Vuc2U=", "cD0lNUIxJTVE", "cD0lNUIlMjJ4JTIyJTJDMSUyQyUyMmElMjIlMkMxJTVE"])
def test_todo_answers_a_broken_cursor_with_404(world, as_user, cursor):
    # not a cursor; a key of one column; a key whose due day is not a date
    response = as_user(world.users.grid1).get(URL, {"cursor": cursor})
    assert response.status_code == 404


# A page of the list costs exactly 2 queries, for 3 households as for 60 (more than a page):
# 1 the page of households (grid and courtyard joined, the order and the scope in the one
# statement), 2 the tags of the page's households. The caller's scope is built by the first
# request and kept on the user; the keyset pages count nothing.
TODO_QUERIES = 2


def test_todo_costs_exactly_its_queries_as_households_grow(world, as_user, django_assert_num_queries):
    tags = [Tag.objects.create(code=f"t{i}", name=f"标签{i}") for i in range(3)]
    client = as_user(world.users.cadre)

    def measure(rows):
        client.get(URL)  # warm up: the scope
        with django_assert_num_queries(TODO_QUERIES):
            response = client.get(URL)
        assert len(response.data["results"]) == rows
        return response.data["next"]

    world.households.q1.tags.add(*tags)
    assert measure(3) is None
    for i in range(57):
        household = make_household(world.q1 if i % 2 else world.q2, members=0)
        household.tags.add(tags[i % 3])
    following = measure(50)
    with django_assert_num_queries(TODO_QUERIES):  # a later page, by the key of the row before it
        assert len(client.get(following).data["results"]) == 10
