"""The dashboards cost the same queries however many villages, grids and matters there are."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.services import department_create
from governance.tallies import count_tallies
from grids.services import grid_create, village_create
from petitions.models import State
from tests.api.matter_states import civil, government


def _grow(mw, n):
    for i in range(n):
        (civil if i % 2 else government)(mw, State.HANDLING)
        mw.staff_matter(grid=mw.q2, actor=mw.users.grid2)


def _queries(client, url="/"):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _count_tallies() -> int:
    """What beat does every five minutes (the township board reads the tallies)."""
    with CaptureQueriesContext(connection) as queries:
        count_tallies()
    return len(queries)


def test_dashboards_cost_the_same_queries_for_few_and_many(mw, client):
    _grow(mw, 2)
    count_tallies()  # the first count also creates its MatterTallyRun row
    counting = _count_tallies()
    costs = {}
    for user in (mw.users.cadre, mw.users.official):
        client.force_login(user)
        costs[user.username] = (_queries(client), _queries(client, f"/dashboard/villages/{mw.qixing.pk}/"))
    _grow(mw, 8)
    for number in range(3, 6):
        grid_create(village=mw.qixing, number=number, name=f"第{number}网格")
    for code in range(3, 6):
        village = village_create(township=mw.weituo, name=f"新村{code}", code=f"50011710100{code}")
        grid_create(village=village, number=1, name="第一网格")
        department_create(township=mw.weituo, name=f"部门{code}")
    assert _count_tallies() == counting
    for user in (mw.users.cadre, mw.users.official):
        client.force_login(user)
        assert (_queries(client), _queries(client, f"/dashboard/villages/{mw.qixing.pk}/")) == costs[user.username]
