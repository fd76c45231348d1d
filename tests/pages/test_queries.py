"""Every list page costs exactly its queries, the same for 3 rows as for 30."""

import pytest

from governance.models import Notification
from tests.factories import forget_boards, make_household


def _assert_queries(client, url, expected, django_assert_num_queries):
    client.get(url)  # warm up: session, first-time caches
    forget_boards()  # the boards' own queries are counted (the warm-up kept them: BOARD_TTL)
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200


def _grow_households(world, to):
    # grid 1 starts with 2 households, grid 2 with 1: reach `to` in the village.
    from grids.models import Household

    grids = [world.q1, world.q2]
    i = 0
    while Household.objects.filter(village=world.qixing).count() < to:
        make_household(grids[i % 2], members=2)
        i += 1


# Every page starts with 1 the session, 2 the user, 3 the assignments (the scope), and ends
# with the navigation's counts: the unread notifications, the matters waiting for the user (on
# the home page read from the ids its queue card loaded), and (deciders only: the cadre) the
# points proposals waiting.
#
# The home page (/), after the scope: 4 the assignments again (the cards), then by role
# - grid staff (grid1): 5 the grids with their counts, 6 the first households with their
#   member counts, 7 their tags, 8 COUNT of the households, 9 COUNT of the villages,
#   10 COUNT of the grids and 11 any tag (whether the search form offers those filters);
# - village staff (cadre): 5 the villages with their counts, 6 their grids with counts (CARDS:
#   kept for the minute like the boards, governance.dashboards.village_cards);
# - township staff (official): 5 the townships, 6 their villages with counts;
# - the superuser (admin): 5 every township (their figures come from the tallies);
# - 逢十 (village and township staff; the superuser's board shows it per township): the grids
#   in scope, the grids, their villages, their townships, households per grid, visits per
#   grid, visits per grid and author, the duty assignments;
# - the matters waiting (all but the superuser): the ids of the whole queue (the nav's badge
#   counts them), then the first five rows when there are any (none here);
# - the dashboard (governance.dashboards; village cadre, township, superuser), aggregates only,
#   the same number whatever the size: the village's 14 (grids, this cycle's 逢十 days, matters
#   by kind and state, the acceptance and sign-off clocks, open and late per grid, visits per
#   grid, the grid names, on time and satisfaction this quarter and last, redemptions this
#   month, awards waiting, passbooks below the floor); the township's 7 (the villages of the
#   home page's cards reused): the tallies' last count (governance.tallies; a warm-up request
#   counted them), the departments, the tallies summed per village, per department and per
#   month, the grids and the visits of the last 逢十 day per village; the district's 5: the
#   last count, the tallies per township and per month, the grids and the visits per township.
# The households list (/households/): 4 COUNT of the villages, 5 COUNT of the grids (whether
# to offer either filter), 6 any tag (whether to offer the tag filter), 7 COUNT of the
# households (the paginator), 8 the page with member counts, 9 their tags (one prefetch);
# after the nav the filter's choices: the villages when several (official), the grids when
# several (not grid1). A grid filter first loads 7 the chosen grid (the form checks it).
# The grid worker's day (governance.homes.field_home): 4 more, the households due, the visits
# since the last 逢十 day, the open matters they recorded, the campaign households (专项排查)
# left to answer.
# The campaigns under way on the boards (grids.campaigns.selectors.running_figures, counted live,
# outside the boards' cache): the places the user's campaign roles reach (campaigns_visible_to;
# not for the superuser, who reads every campaign) and one grouped count for every campaign of
# the boards' places.
# The first list of matters in a request (the grid worker's day, the village's dashboard)
# reads the matters the user reaches beyond their places, handled elsewhere or granted
# (petitions.selectors.matters_beyond_places), once.
# The matters waiting for the user (the nav's badge, the home's queue card) come from the cache
# once a request has read them (petitions.queue), as every page after the warm-up does here: no
# query, until a matter of the user's changes.
BEYOND = 1
QUEUE = 0
HOME_DAY = 4
HOME_GRID = 3 + 1 + HOME_DAY + BEYOND + 7 + QUEUE + 1  # scope, cards, the day, field section, matters waiting, nav
DASHBOARD_QUERIES = {"village": 14, "township": 7, "district": 5}
CARDS = 2
CAMPAIGNS = 2  # the places reached, the grouped count
HOME_CADRE = 3 + 1 + CARDS + DASHBOARD_QUERIES["village"] + CAMPAIGNS + BEYOND + 8 + QUEUE + 2
HOME_OFFICIAL = 3 + 1 + 2 + DASHBOARD_QUERIES["township"] + CAMPAIGNS + 8 + QUEUE + 1
HOME_ADMIN = (
    3 + 1 + 1 + DASHBOARD_QUERIES["district"] + 1 + 1
)  # the campaigns; no matters waiting; the nav: notifications
HOUSEHOLDS_CADRE = 3 + 6 + 2 + QUEUE + 1  # nav: unread, proposals; + the grid choices
HOUSEHOLDS_OFFICIAL_GRID = 3 + 7 + 1 + QUEUE + 2  # + the chosen grid; nav: unread; + village and grid choices
HOUSEHOLDS_GRID = 3 + 6 + 1 + QUEUE  # nav: unread; one grid, one village: no choices


@pytest.mark.parametrize(
    ("persona", "url", "queries"),
    [
        ("grid1", "/", HOME_GRID),
        ("cadre", "/", HOME_CADRE),
        ("official", "/", HOME_OFFICIAL),
        ("admin", "/", HOME_ADMIN),
        ("cadre", "/households/", HOUSEHOLDS_CADRE),
        ("cadre", "/households/?q=zs", HOUSEHOLDS_CADRE),
        ("cadre", "/households/?q=张", HOUSEHOLDS_CADRE),
        ("official", "/households/?grid=GRID", HOUSEHOLDS_OFFICIAL_GRID),
        ("grid1", "/households/", HOUSEHOLDS_GRID),
    ],
)
def test_list_pages_cost_exactly_their_queries_for_3_households_and_for_30(
    login, world, persona, url, queries, django_assert_num_queries
):
    client = login(getattr(world.users, persona))
    url = url.replace("GRID", str(world.q1.pk))
    for size in (3, 30):
        _grow_households(world, size)
        _assert_queries(client, url, queries, django_assert_num_queries)


# 1 session, 2 user, 3 scope, 4 the household with its places, 5 its tags, 6 the members,
# 7 their tags, 8 its moves, the panels other apps plug in: 9 its points passbook, 10 its latest
# visits, 11 the matters the user reaches beyond their places (matters_beyond_places), 12 its
# latest matters; nav: 13 unread, 14 proposals waiting (the cadre decides); the matters waiting
# come from the cache (QUEUE).
HOUSEHOLD_DETAIL = 14 + QUEUE


def test_household_detail_costs_exactly_its_queries_for_3_members_and_for_30(login, world, django_assert_num_queries):
    client = login(world.users.cadre)
    for members in (3, 30):
        household = make_household(world.q1, members=members)
        _assert_queries(client, f"/households/{household.pk}/", HOUSEHOLD_DETAIL, django_assert_num_queries)


# 1 session, 2 user, 3 COUNT of the notifications (the paginator), 4 the totals (all, unread),
# 5 the scope (for the nav), 6 unread (nav), 7 the page of rows; the matters waiting: QUEUE.
NOTIFICATIONS = 7 + QUEUE


def test_notification_list_costs_exactly_its_queries_for_3_and_for_30(login, world, django_assert_num_queries):
    client = login(world.users.grid1)
    for i in range(3):
        Notification.objects.create(user=world.users.grid1, title=f"n{i}")
    _assert_queries(client, "/notifications/", NOTIFICATIONS, django_assert_num_queries)
    for i in range(27):
        Notification.objects.create(user=world.users.grid1, title=f"m{i}")
    _assert_queries(client, "/notifications/", NOTIFICATIONS, django_assert_num_queries)


# After a first look the boards come from the cache (governance.dashboards.BOARD_TTL) until
# what they count changes (the campaigns under way are counted afresh: CAMPAIGNS): the
# village's 14 aggregates, the village staff's cards, the 逢十
# roll-up's 8 and the matters reached beyond one's places are not read again; the township's and the district's boards
# still read the tallies' last count (whether to count again), their other aggregates not (and
# the township's villages, which the home's cards show, come with its board).
FENGSHI = 8
HOME_KEPT = {
    "cadre": HOME_CADRE - DASHBOARD_QUERIES["village"] - CARDS - FENGSHI - BEYOND,
    "official": HOME_OFFICIAL - DASHBOARD_QUERIES["township"] - FENGSHI,
    "admin": HOME_ADMIN - (DASHBOARD_QUERIES["district"] - 1),
}


@pytest.mark.parametrize("persona", sorted(HOME_KEPT))
def test_a_home_read_again_takes_its_boards_from_the_cache(login, world, persona, django_assert_num_queries):
    client = login(getattr(world.users, persona))
    client.get("/")
    with django_assert_num_queries(HOME_KEPT[persona]):
        assert client.get("/").status_code == 200
