"""The household page's visit history and matters (panels the visits and petitions apps plug
into grids.panels), and the visit log filtered by household.

Households of the world: q1, q1b (grid 1 of 七星村), q2 (grid 2), h1 (化龙村), l1 (李湾村).
"""

import datetime
import re
import uuid

import pytest
from django.utils import timezone

from grids.visits.household_panels import PANEL_VISITS
from grids.visits.models import Visit
from grids.visits.services import visit_record
from petitions.household_panels import PANEL_MATTERS
from tests.factories import make_household
from tests.petitions import conftest as matter_fixtures

categories, mw = matter_fixtures.categories, matter_fixtures.mw


def _visit(world, household, *, user=None, days_ago=1, notes="走访"):
    visit, _ = visit_record(
        author=user or world.users.grid1,
        client_uuid=uuid.uuid4(),
        household=household,
        visited_at=timezone.now() - datetime.timedelta(days=days_ago),
        method=Visit.Method.HOME,
        notes=notes,
    )
    return visit


def _section(html: str, heading_id: str) -> str:
    match = re.search(rf'<section class="section" aria-labelledby="{heading_id}">.*?</section>', html, re.S)
    return match.group(0) if match else ""


def test_the_household_page_shows_its_latest_visits_and_links_to_the_filtered_log(login, mw):
    hh = mw.households
    visits = [_visit(mw, hh.q1, days_ago=days, notes=f"第{days}天") for days in range(PANEL_VISITS + 2, 0, -1)]
    _visit(mw, hh.q1b, notes="别的户")
    html = login(mw.users.grid1).get(f"/households/{hh.q1.pk}/").content.decode()
    panel = _section(html, "visits-heading")
    shown = [int(pk) for pk in re.findall(r'href="/visits/(\d+)/"', panel)]
    assert shown == [v.pk for v in reversed(visits)][:PANEL_VISITS]  # newest first
    assert "别的户" not in panel
    assert f'href="/visits/log/?household={hh.q1.pk}"' in panel

    unvisited = make_household(mw.q1, members=1)
    empty = _section(login(mw.users.grid1).get(f"/households/{unvisited.pk}/").content.decode(), "visits-heading")
    assert empty and "href=" not in empty


def test_the_household_page_shows_its_matters_open_ones_first(login, mw):
    hh = mw.households
    closed = mw.staff_matter(title="旧事", household=hh.q1)
    closed.state, closed.closed_at = "closed", timezone.now()
    closed.save(update_fields=["state", "closed_at"])
    open_ = mw.staff_matter(title="门前排水沟堵塞", household=hh.q1)
    mw.staff_matter(title="别家的事", household=hh.q1b)
    html = login(mw.users.cadre).get(f"/households/{hh.q1.pk}/").content.decode()
    panel = _section(html, "matters-heading")
    shown = [int(pk) for pk in re.findall(r'href="/matters/(\d+)/"', panel)]
    assert shown == [open_.pk, closed.pk]
    assert "别家的事" not in panel


def test_panels_follow_what_the_role_may_read(login, mw):
    hh = mw.households
    _visit(mw, hh.q1)
    mw.staff_matter(title="门前排水沟堵塞", household=hh.q1)
    official = login(mw.users.official).get(f"/households/{hh.q1.pk}/").content.decode()
    assert _section(official, "visits-heading") and "门前排水沟堵塞" in _section(official, "matters-heading")
    # The department handler reads households through its matters, not the visit log.
    handler = mw.staff_matter(title="工资拖欠", household=hh.q1b)
    handler.department, handler.state, handler.kind = mw.sifasuo, "handling", "government"
    handler.save(update_fields=["department", "state", "kind"])
    page = login(mw.users.handler).get(f"/households/{hh.q1b.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert not _section(html, "visits-heading")
    assert "工资拖欠" in _section(html, "matters-heading")


def test_the_visit_log_filters_by_household_within_the_users_sight(login, mw):
    hh = mw.households
    mine = _visit(mw, hh.q1, notes="一户")
    other = _visit(mw, hh.q1b, notes="二户")
    client = login(mw.users.grid1)
    html = client.get(f"/visits/log/?household={hh.q1.pk}").content.decode()
    shown = {int(pk) for pk in re.findall(r'<h3><a href="/visits/(\d+)/"', html)}
    assert shown == {mine.pk}
    assert f'name="household" value="{hh.q1.pk}"' in html  # the other filters keep it
    assert f'href="/households/{hh.q1.pk}/"' in html
    assert other.pk not in shown
    # Out of sight: a 404, as on the household page and the visit form.
    assert client.get(f"/visits/log/?household={hh.q2.pk}").status_code == 404
    assert login(mw.users.other_cadre).get(f"/visits/log/?household={hh.q1.pk}").status_code == 404
    assert login(mw.users.other_official).get(f"/visits/log/?household={hh.q1.pk}").status_code == 404
    # The township sees it; a value that is no id is ignored, as the other filters.
    html = login(mw.users.official).get(f"/visits/log/?household={hh.q1.pk}").content.decode()
    assert {int(pk) for pk in re.findall(r'<h3><a href="/visits/(\d+)/"', html)} == {mine.pk}
    html = client.get("/visits/log/?household=abc").content.decode()
    assert {int(pk) for pk in re.findall(r'<h3><a href="/visits/(\d+)/"', html)} == {mine.pk, other.pk}
    assert client.get("/visits/log/?household=99999999").status_code == 404


# 1 session, 2 user, 3 scope, 4 the household with its places, 5 its tags, 6 the members, 7 their
# tags, 8 its moves, then the panels: 9 the passbook (points), 10 the latest visits (visits),
# 11 the matters the user reaches beyond their places and 12 the latest matters (petitions:
# matters_beyond_places, then the panel); nav: 13 unread, 14 proposals waiting (the matters
# waiting come from the cache after the first request: petitions.queue).
HOUSEHOLD_PAGE = 14


@pytest.mark.parametrize("size", [1, 20])
def test_the_household_page_costs_the_same_queries_however_many_visits_and_matters(
    login, mw, size, django_assert_num_queries
):
    household = make_household(mw.q1, members=2)
    for i in range(size):
        _visit(mw, household, days_ago=i + 1)
        mw.staff_matter(title=f"事项{i}", household=household)
    client = login(mw.users.cadre)
    client.get(f"/households/{household.pk}/")
    with django_assert_num_queries(HOUSEHOLD_PAGE):
        response = client.get(f"/households/{household.pk}/")
    assert response.status_code == 200
    assert len(re.findall(r'href="/matters/\d+/"', _section(response.content.decode(), "matters-heading"))) == min(
        size, PANEL_MATTERS
    )
