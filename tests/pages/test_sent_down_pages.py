"""力量沉底 in the pages and the API: a 包村 official logs visits to the village's households; the
逢十 compliance page, its API and its export show the village cadres, 包村 and 包片 apart from the
grid staff; a 包村 official's or 包片 leader's home shows their villages."""

import datetime
import io
import re
import uuid

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from governance.models import Assignment, Role
from grids.visits.fengshi import latest_cycle
from grids.visits.models import Visit
from tests.factories import forget_boards, make_household
from tests.sent_down_fixtures import visit

pytestmark = pytest.mark.django_db

CYCLE = datetime.date(2026, 11, 20)
URL = "/visits/compliance/"


@pytest.fixture
def went(sent):
    """On 20 November grid 1's worker and the 包村 official each visited a household of 七星村,
    the 包片 leader one of 化龙村; the official once more on the 15th."""
    visit(sent.users.grid1, sent.households.q1, CYCLE)
    visit(sent.users.official, sent.households.q2, CYCLE)
    visit(sent.users.official, sent.households.q1b, CYCLE - datetime.timedelta(days=5))
    visit(sent.users.leader, sent.households.h1, CYCLE)
    return sent


def _section(html: str) -> str:
    start = html.index('id="sent-down"')
    return html[start : html.index("</section>", start)]


def _end_township_role(user) -> None:
    """Leave the user 包村 only: their township role ended before today."""
    Assignment.objects.filter(user=user, role__in=[Role.TOWNSHIP_OFFICIAL, Role.TOWNSHIP_LEADER]).update(
        valid_to=timezone.localdate() - datetime.timedelta(days=1)
    )


# ---------------------------------------------------------------- visits


def test_liaison_visit_form_lists_the_villages_households_and_grids(sent, login):
    client = login(sent.users.official)
    page = client.get("/visits/new/")
    assert page.status_code == 200
    households = sent.households
    assert set(page.context["form"].households) == {households.q1.pk, households.q1b.pk, households.q2.pk}
    assert {g.pk for g in page.context["walk_grids"]} == {sent.q1.pk, sent.q2.pk}
    assert client.get(f"/visits/new/?household={sent.households.q2.pk}").status_code == 200
    # 化龙村's household: the township official sees it, but it is not theirs to visit
    assert client.get(f"/visits/new/?household={sent.households.h1.pk}").status_code == 403
    posted = client.post(
        "/visits/new/",
        {
            "client_uuid": str(uuid.uuid4()),
            "household": sent.households.q2.pk,
            "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "method": "home",
            "met": "head",
            "result": "nothing",
        },
    )
    assert posted.status_code == 302
    assert Visit.objects.filter(author=sent.users.official, household=sent.households.q2).count() == 1


# ---------------------------------------------------------------- compliance, apart


def test_township_sees_its_liaison_area_leader_and_cadres_apart_from_the_grid_staff(went, login):
    html = login(went.users.official).get(URL, {"cycle": CYCLE.isoformat()}).content.decode()
    section = _section(html)
    for name in ("渭沱镇领导", "渭沱镇干部", "七星村干部", "化龙村干部"):
        assert name in section
    assert "北片" in section
    assert section.count('class="card compliance-person went"') == 2  # the leader and the official
    assert section.count('class="card compliance-person missed"') == 2  # the two cadres
    # the grid staff's cards are as they were: grid 2's worker and the courtyard helper missed
    grids = html[html.index('id="village-') :]
    assert grids.count('<li class="missed">') == 2 and "渭沱镇干部" not in grids


def test_the_village_sees_its_cadres_liaison_and_area_leader_only(went, login):
    html = login(went.users.cadre).get(URL, {"cycle": CYCLE.isoformat()}).content.decode()
    section = _section(html)
    assert "渭沱镇领导" in section and "渭沱镇干部" in section and "七星村干部" in section
    assert "化龙村" not in section
    # the leader's 化龙村 visit is not 七星村's: the leader logged none here
    assert section.count('class="card compliance-person went"') == 1


def test_grid_staff_see_no_section(went, login):
    html = login(went.users.grid1).get(URL, {"cycle": CYCLE.isoformat()}).content.decode()
    assert 'id="sent-down"' not in html


def test_compliance_api_has_the_section_apart(went, as_user):
    data = as_user(went.users.official).get("/api/v1/visits/compliance/", {"cycle": CYCLE.isoformat()}).data
    people = {p["username"]: p for p in data["sent_down"]["people"]}
    assert list(people) == ["t_leader", "t_official", "t_cadre", "t_hualong"]
    official = people["t_official"]
    assert official["roles"] == [Role.VILLAGE_LIAISON]
    assert [p["village"] for p in official["places"]] == [went.qixing.pk]
    assert (official["visits"], official["month_visits"], official["month_households_covered"]) == (1, 2, 2)
    assert data["sent_down"]["totals"]["people_visited"] == 2
    assert data["totals"]["people_visited"] == 1  # the grid staff: grid 1's worker alone
    cadre = as_user(went.users.cadre).get("/api/v1/visits/compliance/", {"cycle": CYCLE.isoformat()}).data
    assert {p["username"] for p in cadre["sent_down"]["people"]} == {"t_leader", "t_official", "t_cadre"}
    grid1 = as_user(went.users.grid1).get("/api/v1/visits/compliance/", {"cycle": CYCLE.isoformat()}).data
    assert grid1["sent_down"]["people"] == []


def test_export_has_a_sheet_of_the_cadres_and_sent_down(went, login, settings):
    client = login(went.users.official)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/visits/compliance/export.xlsx", {"cycle": CYCLE.isoformat()})
    book = load_workbook(io.BytesIO(response.content))
    rows = [list(r) for r in book.worksheets[2].iter_rows(values_only=True)]
    assert rows[0][:5] == ["逢十 day", "Name", "Role", "Villages", "Went"]
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["渭沱镇干部"][3:] == ["七星村", "yes", 1, 1, 2, 2]
    assert by_name["渭沱镇领导"][3:6] == ["北片 七星村、化龙村", "yes", 1]


# ---------------------------------------------------------------- homes


def test_liaison_home_shows_the_village_cockpit_and_the_day_of_its_grids(sent, login):
    _end_township_role(sent.users.official)
    client = login(sent.users.official)
    html = client.get("/").content.decode()
    assert f'id="vboard-{sent.qixing.pk}"' in html and f'id="vboard-{sent.hualong.pk}"' not in html
    assert "tboard" not in html  # no township board: the township role ended
    today = re.search(r'id="today-heading">(.*?)</h2>', html)[1]
    assert "包村" in today
    assert client.get("/").context["today"]["total"] == 3  # 七星村's households
    assert client.get(f"/dashboard/villages/{sent.qixing.pk}/").status_code == 200
    assert client.get(f"/dashboard/villages/{sent.hualong.pk}/").status_code == 404
    assert client.get(f"/reports/monthly/?village={sent.qixing.pk}").status_code == 200
    # the last 逢十 day's roll-up over the village
    assert client.get("/").context["fengshi"]["totals"]["grids_count"] == 2


def test_official_sent_down_sees_the_village_cockpit_before_the_township_board(sent, login):
    html = login(sent.users.official).get("/").content.decode()
    assert html.index(f'id="vboard-{sent.qixing.pk}"') < html.index('id="tboard"')


def test_area_leader_home_shows_the_areas_villages_side_by_side(sent, login):
    client = login(sent.users.leader)
    response = client.get("/")
    rows = response.context["sent_down_board"]["villages"]
    assert [row["village"].name for row in rows] == ["七星村", "化龙村"]
    html = response.content.decode()
    assert 'id="sent-down-villages-heading"' in html
    for row in rows:
        assert f'href="{row["dashboard_url"]}"' in html
        assert client.get(row["dashboard_url"]).status_code == 200


# The home of an official sent down to one village (包村) costs exactly its queries for 3
# households as for 30: the township official's (tests/pages/test_queries.py HOME_OFFICIAL: 24)
# and, after the cards, the day of their village (governance.homes.field_home: 4, the open
# matters they recorded, the households due, the visits since the last 逢十 day, the campaign
# households left to answer, and before the first of those the matters the user reaches beyond
# their places: petitions.selectors.matters_beyond_places), then the village itself and its
# cockpit: the cadre's 14 but the three of points (a decider's), 11, and the campaigns under
# way in the village (one grouped count; the township's board has its own).
HOME_LIAISON = 24 + 4 + 1 + 1 + 11 + 1


def test_liaison_home_costs_exactly_its_queries_for_3_households_and_for_30(sent, login, django_assert_num_queries):
    client = login(sent.users.official)
    for size in (3, 30):
        while sent.qixing.households.count() < size:
            make_household(sent.q1, members=2)
        client.get("/")  # warm up
        forget_boards()  # the cockpit counts its own queries (the warm-up kept it)
        with django_assert_num_queries(HOME_LIAISON):
            assert client.get("/").status_code == 200


def test_the_latest_cycle_page_shows_the_section_for_todays_cycle(sent, login):
    """No ?cycle: the latest 逢十 day, whatever today is; the liaison's visit that day shows."""
    cycle = latest_cycle(timezone.localdate())
    visit(sent.users.official, sent.households.q2, cycle)
    html = login(sent.users.official).get(URL).content.decode()
    assert 'class="card compliance-person went"' in _section(html)
