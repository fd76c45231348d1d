"""Every list endpoint costs the same number of queries for 3 rows as for 30."""

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.models import Notification, Role
from governance.services import department_create
from grids.models import Area, Tag
from grids.services import courtyard_create, grid_create, township_create, village_create
from tests.factories import assign, make_household, make_user

_numbers = itertools.count(100)


def _tagged_households(world, n):
    tag, _ = Tag.objects.get_or_create(code="key", defaults={"name": "重点"})
    for _ in range(n):
        household = make_household(world.q1, members=2)
        household.tags.add(tag)
        for member in household.members.all():
            member.tags.add(tag)


def _townships(world, n):
    for _ in range(n):
        number = next(_numbers)
        township_create(name=f"镇{number}", code=f"T{number}")


def _villages(world, n):
    for _ in range(n):
        number = next(_numbers)
        village_create(township=world.weituo, name=f"村{number}", code=f"V{number}")


def _grids(world, n):
    for _ in range(n):
        number = next(_numbers)
        grid_create(village=world.qixing, number=number, name=f"第{number}网格")


def _courtyards(world, n):
    for _ in range(n):
        courtyard_create(grid=world.q1, name=f"院子{next(_numbers)}")


def _departments(world, n):
    for _ in range(n):
        department_create(township=world.weituo, name=f"部门{next(_numbers)}")


def _assignments(world, n):
    for _ in range(n):
        number = next(_numbers)
        user = make_user(f"worker{number}", name=f"网格员{number}")
        grid = grid_create(village=world.qixing, number=number, name=f"第{number}网格")
        assign(user, Role.GRID_WORKER, grid, valid_from=datetime.date(2024, 1, 1))


def _areas(world, n):
    for _ in range(n):
        area = Area.objects.create(township=world.weituo, name=f"片区{next(_numbers)}")
        area.villages.add(world.qixing, world.hualong)


def _notifications(world, n):
    Notification.objects.bulk_create(
        Notification(user=user, title=f"督办 {next(_numbers)}")
        for user in (world.users.official, world.users.admin)
        for _ in range(n)
    )


# (url, add rows, queries). The caller's scope is built by the first request and kept on the
# user; DRF's pagination here counts nothing. The register: 1 the page of rows, 2 their tags
# (one prefetch). Places, responsibility and notifications: 1 the page of rows.
REGISTER, ROWS = 2, 1
LISTS = [
    ("/api/v1/households/", _tagged_households, REGISTER),
    ("/api/v1/households/?search=zhang", _tagged_households, REGISTER),
    ("/api/v1/households/?tag=key", _tagged_households, REGISTER),
    ("/api/v1/residents/", _tagged_households, REGISTER),
    ("/api/v1/residents/?search=zs", _tagged_households, REGISTER),
    ("/api/v1/townships/", _townships, ROWS),
    ("/api/v1/villages/", _villages, ROWS),
    ("/api/v1/grids/", _grids, ROWS),
    ("/api/v1/courtyards/", _courtyards, ROWS),
    ("/api/v1/departments/", _departments, ROWS),
    ("/api/v1/assignments/", _assignments, ROWS),
    ("/api/v1/areas/", _areas, REGISTER),  # the rows, their villages (one prefetch)
    ("/api/v1/notifications/", _notifications, ROWS),
]


def count_queries(client, url, min_rows):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.json()["results"]) >= min_rows
    return len(queries)


@pytest.mark.parametrize("as_persona", ["official", "admin"])
@pytest.mark.parametrize(("url", "add_rows", "queries"), LISTS, ids=[url for url, _, _ in LISTS])
def test_list_costs_exactly_its_queries_for_3_rows_and_for_30(
    world, api_client, url, add_rows, queries, as_persona, django_assert_num_queries
):
    api_client.force_authenticate(getattr(world.users, as_persona))
    add_rows(world, 3)
    if as_persona == "official" and url.startswith("/api/v1/townships/"):
        min_rows = 1
    else:
        min_rows = 3 if "search" not in url else 0
    api_client.get(url)  # warm caches that are not per row (content types, the scope)
    with django_assert_num_queries(queries):
        count_queries(api_client, url, min_rows)

    add_rows(world, 27)
    with django_assert_num_queries(queries):
        count_queries(api_client, url, min_rows)


def test_residents_cost_a_grid_worker_exactly_the_register_queries(world, as_user, django_assert_num_queries):
    client = as_user(world.users.grid1)
    _tagged_households(world, 3)
    client.get("/api/v1/residents/")  # warm up: the scope
    with django_assert_num_queries(REGISTER):
        count_queries(client, "/api/v1/residents/", 3)
    _tagged_households(world, 27)
    with django_assert_num_queries(REGISTER):
        count_queries(client, "/api/v1/residents/", 30)
