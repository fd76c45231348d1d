"""Every list page costs the same number of queries for 3 rows as for 30."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.models import Notification
from tests.factories import make_household


def _queries(client, url) -> int:
    client.get(url)  # warm up: session, first-time caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow_households(world, to):
    # grid 1 starts with 2 households, grid 2 with 1: reach `to` in the village.
    from grids.models import Household

    grids = [world.q1, world.q2]
    i = 0
    while Household.objects.filter(village=world.qixing).count() < to:
        make_household(grids[i % 2], members=2)
        i += 1


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("grid1", "/"),
        ("cadre", "/"),
        ("official", "/"),
        ("admin", "/"),
        ("cadre", "/households/"),
        ("cadre", "/households/?q=zs"),
        ("cadre", "/households/?q=张"),
        ("official", "/households/?grid=GRID"),
        ("grid1", "/households/"),
    ],
)
def test_list_pages_queries_do_not_grow(login, world, persona, url):
    client = login(getattr(world.users, persona))
    url = url.replace("GRID", str(world.q1.pk))
    _grow_households(world, 3)
    few = _queries(client, url)
    _grow_households(world, 30)
    many = _queries(client, url)
    assert few == many, f"{url}: {few} queries for 3 households, {many} for 30"


def test_household_detail_queries_do_not_grow_with_members(login, world):
    small = make_household(world.q1, members=3)
    large = make_household(world.q1, members=30)
    client = login(world.users.cadre)
    assert _queries(client, f"/households/{small.pk}/") == _queries(client, f"/households/{large.pk}/")


def test_notification_list_queries_do_not_grow(login, world):
    client = login(world.users.grid1)
    for i in range(3):
        Notification.objects.create(user=world.users.grid1, title=f"n{i}")
    few = _queries(client, "/notifications/")
    for i in range(27):
        Notification.objects.create(user=world.users.grid1, title=f"m{i}")
    assert _queries(client, "/notifications/") == few
