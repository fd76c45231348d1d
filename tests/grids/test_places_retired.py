"""A grid merged into another (grids.places) is kept, retired: no input accepts it (a 400 that
says so, nothing written), no choice offers it, today's figures do not list it, and the past
records that point at it still show it by name."""

import datetime
import uuid

import pytest
from django.utils import timezone

from governance import dashboards
from governance.assigning import assignable_places
from governance.civic import councils
from governance.models import Assignment, Role
from grids import places
from grids.models import Grid, Household, HouseholdMove
from grids.selectors import grids_with_counts, villages_with_counts
from grids.visits.fengshi import compliance
from grids.visits.models import Visit
from grids.visits.services import visit_record
from petitions.models import Matter
from tests.factories import make_user

RETIRED_WORDS = "已并入其他网格"


@pytest.fixture
def merged(pk_world):
    """七星村's first grid merged into its second, today."""
    places.grid_merge(grid=pk_world.q1, into=pk_world.q2, actor=pk_world.users.cadre)
    pk_world.q1.refresh_from_db()
    return pk_world


def _state():
    return (
        Household.objects.count(),
        HouseholdMove.objects.count(),
        Matter.objects.count(),
        Assignment.objects.count(),
    )


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/v1/households/", {"grid": "{retired}", "number": "N-1"}, "grid"),
        ("/api/v1/households/{hh}/move/", {"to_grid": "{retired}", "reason": "回迁"}, "to_grid"),
        (
            "/api/v1/matters/",
            {"grid": "{retired}", "title": "路灯坏了", "description": "路灯", "source": "staff"},
            "grid",
        ),
        (
            "/api/v1/assignments/",
            {"user": "{person}", "role": "grid_worker", "place_type": "grid", "place_id": "{retired}"},
            "place_id",
        ),
    ],
)
def test_an_input_naming_a_retired_grid_is_a_400_that_says_so(merged, as_user, url, payload, field):
    person = make_user("t_newcomer", name="新网格员")
    ids = {"retired": merged.q1.pk, "hh": merged.households.q2.pk, "person": person.pk}
    url = url.format(**ids)
    payload = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in payload.items()}
    before = _state()

    response = as_user(merged.users.cadre).post(url, payload, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 400, response.json()
    assert RETIRED_WORDS in str(response.json()[field]) or RETIRED_WORDS in str(response.json())
    assert _state() == before


def test_a_walk_of_a_retired_grid_after_its_merge_is_refused_and_one_before_still_counts(merged):
    cadre, now = merged.users.cadre, timezone.now()
    tomorrow = now + datetime.timedelta(days=1)

    with pytest.raises(Exception) as refused:
        visit_record(
            author=cadre, client_uuid=uuid.uuid4(), visited_at=tomorrow, method="grid", grid=merged.q1, now=tomorrow
        )
    visit, created = visit_record(
        author=cadre,
        client_uuid=uuid.uuid4(),
        visited_at=now - datetime.timedelta(minutes=5),
        method="grid",
        grid=merged.q1,
        now=now,
    )

    assert "grid" in refused.value.message_dict
    assert created and visit.grid_id == merged.q1.pk


def test_no_choice_offers_a_retired_grid(merged):
    cadre = merged.users.cadre
    assert merged.q1 not in assignable_places(cadre, "grid")
    assert merged.q1 not in councils.village_grids(merged.qixing)
    assert [g.pk for g in grids_with_counts(village_ids={merged.qixing.pk})] == [merged.q2.pk]
    counts = {v.pk: v.grid_count for v in villages_with_counts(village_ids={merged.qixing.pk})}
    assert counts == {merged.qixing.pk: 1}


def test_the_assignment_board_lists_no_retired_grid(merged):
    from governance.assignment_views import _board

    board = _board(merged.users.township_admin)

    assert merged.q1.pk not in {p["obj"].pk for p in _places(board, "grid")}
    assert merged.q2.pk in {p["obj"].pk for p in _places(board, "grid")}


def _places(board, kind):
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("kind") == kind and "obj" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value)

    walk(board)
    return found


def test_today_s_compliance_and_dashboards_do_not_list_a_retired_grid_unvisited(merged):
    today = timezone.localdate()

    roll = compliance(cycle=today, village_ids=[merged.qixing.pk])
    grids = [g["id"] for t in roll.townships for v in t["villages"] for g in v["grids"]]
    board = dashboards.village_dashboard(merged.users.cadre, merged.qixing)

    assert grids == [merged.q2.pk]
    assert [row["id"] for row in board["grids"]] == [merged.q2.pk]
    # The last 逢十 day counts the grid as it was then: live before its merge, gone from it on.
    assert board["trend"][-1]["grids"] == (2 if board["cycle"] < today else 1)


def test_a_retired_grid_visited_before_its_merge_still_counts_that_day(pk_world):
    now = timezone.now()
    visit_record(
        author=pk_world.users.grid1, client_uuid=uuid.uuid4(), visited_at=now, method="grid", grid=pk_world.q1, now=now
    )
    places.grid_merge(grid=pk_world.q1, into=pk_world.q2, actor=pk_world.users.cadre)

    roll = compliance(cycle=timezone.localdate(now), village_ids=[pk_world.qixing.pk])
    grids = {g["id"]: g["visited"] for t in roll.townships for v in t["villages"] for g in v["grids"]}

    assert grids == {pk_world.q1.pk: True, pk_world.q2.pk: False}
    # The past visit still names its grid.
    assert Visit.objects.get(grid=pk_world.q1).grid.name == "第一网格"


def test_past_records_of_a_retired_grid_stay_readable(merged, as_user):
    client = as_user(merged.users.cadre)

    one = client.get(f"/api/v1/grids/{merged.q1.pk}/")
    move = HouseholdMove.objects.filter(from_grid=merged.q1).select_related("from_grid").first()

    assert one.status_code == 200 and one.json()["name"] == "第一网格"
    assert move.from_grid.name == "第一网格"
    assert Grid.objects.filter(pk=merged.q1.pk, retired_on__isnull=False).exists()
    # The merged grid's staff were ended, not deleted.
    assert Assignment.objects.filter(grid=merged.q1, role=Role.GRID_WORKER, valid_to=timezone.localdate()).exists()
