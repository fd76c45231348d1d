"""The matters lists, the queue, the timeline and the detail cost the same queries for a few rows as for many."""

import itertools

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from petitions import services as s
from petitions.models import Matter, State
from tests.api.matter_states import civil, government


def _matters(mw, n):
    """Matters of every shape, each waiting for somebody: a cadre, a department, the township,
    a grid worker."""
    for i in range(n):
        if i % 4 == 0:
            mw.staff_matter(grid=mw.q2, actor=mw.users.grid2)  # submitted, nothing joined
        elif i % 4 == 1:
            government(mw, State.HANDLING)  # a department, a category, no grid
        elif i % 4 == 2:
            government(mw, State.VERIFYING)
        else:
            civil(mw, State.HANDLING)  # a handler, a household


def _supervision_notes(mw, n, matter):
    for i in range(n):
        s.matter_supervise(matter=matter, actor=mw.users.leader, note=f"督办 {i}")


def count(client, url, min_rows):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert len(rows) >= min_rows
    return len(queries)


# Each list costs exactly one query, with 4 matters as with 30: 1 the page of rows, with
# their category, grid, village, handler and department joined (the queue's conditions are
# subqueries of the same statement; the caller's scope is built by the first request and kept
# on the user, and DRF's pagination counts nothing).
LISTS = [
    ("official", "/api/v1/matters/", 1),
    ("admin", "/api/v1/matters/", 1),
    ("cadre", "/api/v1/matters/?state=handling&kind=government", 1),
    ("cadre", "/api/v1/matters/?waiting=1", 1),
    ("official", "/api/v1/matters/?waiting=1", 1),
    ("handler", "/api/v1/matters/?waiting=1", 1),
    ("grid1", "/api/v1/matters/?waiting=1", 1),
]


def test_matter_lists_and_queues_cost_exactly_their_queries(mw, api_client, django_assert_num_queries):
    def measure(min_rows):
        for persona, url, queries in LISTS:
            api_client.force_authenticate(getattr(mw.users, persona))
            api_client.get(url)  # the scope, content types
            with django_assert_num_queries(queries):
                response = api_client.get(url)
            assert response.status_code == 200
            assert len(response.json()["results"]) >= min_rows, (persona, url)

    _matters(mw, 4)
    measure(1)
    _matters(mw, 26)
    measure(7)


# The timeline costs exactly 2 queries, for 6 events as for 33: 1 the matter (in scope, its
# places and handler joined), 2 its events (actor joined). The scope is kept on the user.
TIMELINE = 2


def test_timeline_costs_exactly_its_queries_for_6_events_and_for_33(mw, api_client, django_assert_num_queries):
    matter = government(mw, State.HANDLING)
    api_client.force_authenticate(mw.users.official)
    url = f"/api/v1/matters/{matter.pk}/events/"
    _supervision_notes(mw, 3, matter)
    api_client.get(url)  # warm up: the scope
    with django_assert_num_queries(TIMELINE):
        count(api_client, url, 6)

    _supervision_notes(mw, 27, matter)
    with django_assert_num_queries(TIMELINE):
        count(api_client, url, 30)


# The matter costs exactly 4 queries, for 2 deliberation records as for 22: 1 the matter (in
# scope, places and people joined), 2 its deliberations (recorder joined), 3 their participants,
# 4 its photos (one prefetch each).
DETAIL = 4


def test_detail_costs_exactly_its_queries_for_2_records_and_for_22(mw, api_client, django_assert_num_queries):
    matter = civil(mw, State.CLASSIFIED)
    api_client.force_authenticate(mw.users.cadre)
    residents = list(mw.households.q1.members.all())
    url = f"/api/v1/matters/{matter.pk}/"

    numbers = itertools.count(1)  # each meeting its own minutes (the same words twice are asked about)

    def meetings(n):
        for _ in range(n):
            s.matter_deliberate(
                matter=matter,
                actor=mw.users.grid1,
                kind="meeting",
                held_on=mw.today,
                summary=f"院坝会（第{next(numbers)}次）",
                participants=residents,
            )

    meetings(2)
    api_client.get(url)
    with django_assert_num_queries(DETAIL):
        assert api_client.get(url).status_code == 200
    meetings(20)
    with django_assert_num_queries(DETAIL):
        assert len(api_client.get(url).json()["deliberations"]) == 22


def _list_as_a_new_request(api_client, user, url="/api/v1/matters/"):
    """The list as a request of its own (a fresh user object: no scope kept): its statements
    and the ids it lists."""
    api_client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries], [row["id"] for row in response.json()["results"]]


def test_grid_worker_list_costs_three_queries_with_a_grant_as_without(mw, api_client):
    """1 the scope, 2 the matters reached beyond the grid (handled there, or granted: usually
    none), 3 the page. A grant is OR-ed into the page as a literal id, never as a subquery on
    the grants (which turns the planner from the grid's index to a walk of the whole table)."""
    u = mw.users
    _matters(mw, 8)
    elsewhere = mw.staff_matter(grid=mw.q2, actor=u.grid2)

    statements, ids = _list_as_a_new_request(api_client, u.grid1)
    assert len(statements) == 3 and elsewhere.pk not in ids
    assert "objectpermission" not in statements[-1] and " IN (SELECT" not in statements[-1]

    s.matter_grant(matter=elsewhere, actor=u.cadre, user=u.grid1)
    statements, ids = _list_as_a_new_request(api_client, u.grid1)
    assert len(statements) == 3 and elsewhere.pk in ids
    assert "objectpermission" not in statements[-1] and f'"petitions_matter"."id" IN ({elsewhere.pk})' in statements[-1]


def test_a_grant_and_a_handler_outside_ones_places_still_show_the_matter(mw, api_client):
    u = mw.users
    granted = mw.staff_matter(grid=mw.q2, actor=u.grid2)
    handled = mw.staff_matter(grid=mw.q2, actor=u.grid2)
    other = mw.staff_matter(grid=mw.q2, actor=u.grid2)
    assert _list_as_a_new_request(api_client, u.outsider)[1] == []

    s.matter_grant(matter=granted, actor=u.cadre, user=u.outsider)
    Matter.objects.filter(pk=handled.pk).update(handler=u.outsider)
    assert _list_as_a_new_request(api_client, u.outsider)[1] == [handled.pk, granted.pk]
    assert api_client.get(f"/api/v1/matters/{granted.pk}/").status_code == 200
    assert api_client.get(f"/api/v1/matters/{handled.pk}/").status_code == 200
    assert api_client.get(f"/api/v1/matters/{other.pk}/").status_code == 404
