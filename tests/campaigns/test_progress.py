"""Progress on the dashboards (issue 20, point 5): each campaign under way with its done, total
and overdue households on the village's, the township's and the district's boards, the grid
worker's households left to answer on their home, and a campaign's task list behind every
figure (tests/governance/test_dashboards.py follows the matters' figures the same way)."""

import datetime
import re
import uuid

import pytest
from django.utils import timezone

from grids.campaigns import services
from grids.campaigns.models import Task
from grids.campaigns.selectors import running_figures
from tests.governance.test_dashboards import figures

pytestmark = pytest.mark.django_db

LISTED = re.compile(r'<div id="task-results">\s*<p class="muted" role="status">\D*(\d+)')
HAZARD = {
    "uses_gas": "yes",
    "gas_kind": "pipe",
    "hose_ok": "no",
    "alarm": "no",
    "hazard": "yes",
    "hazard_detail": "软管老化",
}


def _answer(task, actor, answers=None):
    return services.task_answer(actor=actor, task=task, client_uuid=uuid.uuid4(), answers=answers or {"uses_gas": "no"})


def _task(campaign, household):
    return Task.objects.get(campaign=campaign, household=household, follows=None)


@pytest.fixture
def under_way(world, safety, make_campaign):
    """The township's gas campaign over 七星村 (张三 and 李四 in 第一网格, 王五 in 第二网格): 张三
    answered with a hazard (a follow-up in a week), 王五 past his due day; 化龙村's own campaign
    (赵六); a draft and a closed campaign that no board shows."""
    u = world.users
    gas = make_campaign(start=True)
    _answer(_task(gas, world.households.q1), u.grid1, HAZARD)
    Task.objects.filter(pk=_task(gas, world.households.q2).pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    hualong = make_campaign(
        actor=u.other_cadre, village=world.hualong, villages=[world.hualong], title="化龙村排查", start=True
    )
    make_campaign(title="草稿")
    closed = make_campaign(title="已结束", start=True)
    services.campaign_close(campaign=closed, actor=u.official)
    return {"gas": gas, "hualong": hualong}


def _campaign_figures(html: str) -> list[tuple[str, int]]:
    return [(href, n) for href, n in figures(html) if href.startswith("/campaigns/")]


def _follow(client, links) -> None:
    """Each figure is the length of the list behind its link."""
    for href, expected in links:
        page = client.get(href)
        assert page.status_code == 200, href
        found = LISTED.search(page.content.decode())
        assert found, href
        assert int(found[1]) == expected, f"{href}: the figure says {expected}, the list has {found[1]}"


def test_the_village_cadres_board_shows_the_villages_campaigns_and_each_figure_is_its_list(world, under_way, client):
    gas = under_way["gas"]
    client.force_login(world.users.cadre)
    html = client.get("/").content.decode()
    assert "进行中的专项排查" in html and "燃气安全排查" in html
    for title in ("化龙村排查", "草稿", "已结束"):  # another village's; a draft; a closed one
        assert title not in html
    links = dict(_campaign_figures(html))
    base = f"/campaigns/{gas.pk}/tasks/?village={world.qixing.pk}"
    assert links == {base: 3, f"{base}&state=done": 1, f"{base}&overdue=1": 1}
    _follow(client, links.items())


def test_the_township_board_shows_each_campaign_of_the_township(world, under_way, client):
    gas, hualong = under_way["gas"], under_way["hualong"]
    client.force_login(world.users.official)
    html = client.get("/").content.decode()
    links = dict(_campaign_figures(html))
    assert links == {
        f"/campaigns/{gas.pk}/tasks/": 3,
        f"/campaigns/{gas.pk}/tasks/?state=done": 1,
        f"/campaigns/{gas.pk}/tasks/?overdue=1": 1,
        f"/campaigns/{hualong.pk}/tasks/": 1,
        f"/campaigns/{hualong.pk}/tasks/?state=done": 0,
        f"/campaigns/{hualong.pk}/tasks/?overdue=1": 0,
    }
    _follow(client, links.items())
    # The township's own dashboard page shows them too; a village's, drilled down to, its own.
    assert dict(_campaign_figures(client.get(f"/dashboard/townships/{world.weituo.pk}/").content.decode())) == links
    page = client.get(f"/dashboard/villages/{world.hualong.pk}/").content.decode()
    assert dict(_campaign_figures(page)) == {
        f"/campaigns/{hualong.pk}/tasks/?village={world.hualong.pk}": 1,
        f"/campaigns/{hualong.pk}/tasks/?village={world.hualong.pk}&state=done": 0,
        f"/campaigns/{hualong.pk}/tasks/?village={world.hualong.pk}&overdue=1": 0,
    }
    # Another township's official: no campaign on the board, and its lists are not found.
    client.force_login(world.users.other_official)
    assert _campaign_figures(client.get("/").content.decode()) == []
    assert client.get(f"/campaigns/{gas.pk}/tasks/").status_code == 404


def test_the_district_board_names_each_campaigns_township(world, under_way, client):
    client.force_login(world.users.admin)
    html = client.get("/").content.decode()
    links = _campaign_figures(html)
    assert len(links) == 6 and "渭沱镇" in html
    _follow(client, links)


def test_the_grid_workers_home_counts_the_households_left_to_answer(world, under_way, client):
    gas = under_way["gas"]
    client.force_login(world.users.grid1)
    html = client.get("/").content.decode()
    # 李四 is left (张三 answered; his follow-up is due in a week, and to answer too).
    assert ("/campaigns/tasks/", 2) in figures(html)
    assert client.get("/campaigns/tasks/").context["page"].paginator.count == 2
    client.force_login(world.users.grid2)
    assert ("/campaigns/tasks/", 1) in figures(client.get("/").content.decode())
    _answer(_task(gas, world.households.q2), world.users.grid2)
    html = client.get("/").content.decode()
    assert "待答的专项排查户" not in html  # nothing left: no tile


@pytest.mark.parametrize(
    ("persona", "households"),
    [
        ("grid1", ["张三", "李四"]),  # only their grid's
        ("grid2", ["王五"]),
        ("cadre", ["张三", "李四", "王五"]),  # their village
        ("official", ["张三", "李四", "王五"]),  # their township
    ],
)
def test_the_task_list_shows_only_the_readers_households(world, under_way, client, persona, households):
    client.force_login(getattr(world.users, persona))
    response = client.get(f"/campaigns/{under_way['gas'].pk}/tasks/")
    assert response.status_code == 200
    assert sorted(task.household.head_name for task in response.context["rows"]) == sorted(households)


def test_the_task_list_filters_and_says_who_answered_when(world, under_way, client):
    gas = under_way["gas"]
    client.force_login(world.users.official)
    url = f"/campaigns/{gas.pk}/tasks/"

    def names(query):
        return [task.household.head_name for task in client.get(url + query).context["rows"]]

    assert names("") == ["王五", "李四", "张三"]  # not answered first, the nearest due day first
    assert names("?state=open") == ["王五", "李四"]
    assert names(f"?grid={world.q1.pk}") == ["李四", "张三"]
    assert names(f"?grid={world.q1.pk}&state=done") == ["张三"]
    assert names("?overdue=1") == ["王五"]
    assert names("?follow_up=1") == ["张三"]  # the hazard's follow-up
    page = client.get(url + "?state=done").content.decode()
    assert "网格员一" in page and "已完成" in page
    answered = _task(gas, world.households.q1)
    assert f'href="/campaigns/tasks/{answered.pk}/"' in page
    assert "软管是否完好" in client.get(f"/campaigns/tasks/{answered.pk}/").content.decode()  # read-only answers
    assert "⚠</span> 超期" in client.get(url + "?overdue=1").content.decode()


def test_a_filter_outside_the_choices_is_an_error_and_lists_nothing(world, under_way, client):
    client.force_login(world.users.cadre)
    gas = under_way["gas"]
    for query in (f"?village={world.hualong.pk}", f"?grid={world.h1.pk}", "?grid=abc", "?state=lost"):
        response = client.get(f"/campaigns/{gas.pk}/tasks/{query}")
        assert response.status_code == 400, query
        assert list(response.context["rows"]) == []
        assert "选择一个有效的选项" in response.content.decode(), query


def test_the_campaign_page_links_each_progress_figure_to_its_list(world, under_way, client):
    gas = under_way["gas"]
    client.force_login(world.users.official)
    html = client.get(f"/campaigns/{gas.pk}/").content.decode()
    rows = re.findall(r'<a href="(/campaigns/\d+/tasks/\?[^"]*)">(?:<strong class="late">⚠ )?(\d+)', html)
    links = {(href.replace("&amp;", "&"), int(n)) for href, n in rows}
    assert (f"/campaigns/{gas.pk}/tasks/?village={world.qixing.pk}", 3) in links
    assert (f"/campaigns/{gas.pk}/tasks/?grid={world.q1.pk}&state=done", 1) in links
    assert (f"/campaigns/{gas.pk}/tasks/?grid={world.q2.pk}&overdue=1", 1) in links
    assert len(links) == 9  # 七星村, 第一网格, 第二网格: done, households, overdue
    _follow(client, links)


def test_running_figures_are_one_query_for_every_campaign(world, under_way, django_assert_num_queries):
    official = world.users.official
    running_figures(official, by="village")  # the scope, read once per user
    # 1 the grouped count: the first tasks of the started campaigns the user reads (their
    # visibility a subquery), per campaign and village.
    with django_assert_num_queries(1):
        rows = running_figures(official, by="village")
    assert [(r["title"], r["place_name"], r["done"], r["total"], r["overdue"]) for r in rows] == [
        ("燃气安全排查", "七星村", 1, 3, 1),
        ("化龙村排查", "化龙村", 0, 1, 0),
    ]


# A campaign's task list: 1 session, 2 user, 3 the scope, 4 the places its campaign readers'
# roles reach (campaigns_visible_to), 5 the campaign, 6 the grids with a task the reader sees
# (the filter's choices, with their villages), 7 COUNT of the tasks (the paginator), 8 the
# unread notifications (the nav; the matters waiting come from the cache), 9 the page with its
# households, places and who answered.
TASK_LIST = 9


def test_the_task_list_costs_exactly_its_queries_for_3_households_and_for_30(
    world, safety, make_campaign, client, django_assert_num_queries
):
    from grids.models import Household
    from tests.factories import make_household

    client.force_login(world.users.official)
    for size in (3, 30):  # 七星村 has 3 households
        while (n := Household.objects.filter(village=world.qixing).count()) < size:
            make_household(world.q2 if n % 2 else world.q1, head_name=f"户{n}")
        campaign = make_campaign(start=True)
        assert campaign.task_count == size
        url = f"/campaigns/{campaign.pk}/tasks/"
        client.get(url)
        with django_assert_num_queries(TASK_LIST):
            assert client.get(url).status_code == 200
