"""Each role's home (governance/homes.py): the grid worker's day, the department's queue, the
shop clerk's counter; every figure is the list behind its link."""

import re

import pytest
from django.db.models import Q
from django.utils import timezone

from grids.visits.fengshi import latest_cycle, next_cycle
from grids.visits.models import Visit
from tests.governance.test_dashboards import _check_every_figure, _client, figures

pytestmark = pytest.mark.django_db


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'aria-labelledby="{heading_id}"')
    return html[start : html.index("</section>", start)]


def test_grid_worker_home_puts_the_day_first(demo):
    from django.contrib.auth import get_user_model

    from grids.visits.selectors import households_to_visit

    client = _client("qixing_grid1")
    html = client.get("/").content.decode()
    today_html = _section(html, "today-heading")
    # the day's work comes before anything else on the page, with its two actions one tap away
    assert html.index("today-heading") < html.index("waiting-heading")
    assert 'href="/visits/new/"' in today_html and 'href="/matters/new/"' in today_html

    user = get_user_model().objects.get(username="qixing_grid1")
    today = timezone.localdate()
    due = households_to_visit(user).filter(Q(visit_due_on__isnull=True) | Q(visit_due_on__lte=today)).count()
    links = dict(figures(html))
    assert links["/visits/"] == due
    since = latest_cycle(today)
    visits_url = f"/visits/log/?author={user.pk}&date_from={since.isoformat()}"
    mine = Visit.objects.filter(author=user, visited_on__gte=since, superseded_by__isnull=True).count()
    assert links[visits_url] == mine
    assert client.get(visits_url).status_code == 200
    assert f"{next_cycle(today).month}月{next_cycle(today).day}日" in today_html

    # the open matters the worker recorded: the figure is the list (mine=true&state=open)
    assert "/matters/?mine=true&amp;state=open" in today_html or "/matters/?mine=true&state=open" in today_html
    _check_every_figure(client, html)


def test_department_handler_home_is_the_queue(demo):
    client = _client("weituo_sifasuo")
    html = client.get("/").content.decode()
    queue = _section(html, "department-queue-heading")
    assert "awaiting_sign=true" in queue and "unsigned=true" in queue and "overdue=true" in queue
    assert html.index("department-queue-heading") < html.index("waiting-heading")
    assert _check_every_figure(client, html) >= 4
    # no grid worker's day for a department
    assert "today-heading" not in html


def test_shop_clerk_starts_at_the_counter(demo):
    response = _client("qixing_clerk").get("/")
    assert response.status_code == 302 and response.url == "/points/shop/"
    # a cadre, who also redeems, keeps the dashboard
    assert _client("qixing_cadre").get("/").status_code == 200


def test_phone_tabs_name_each_section_once(demo):
    html = _client("qixing_cadre").get("/").content.decode()
    nav = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
    labels = re.findall(r'<span class="tab-label">([^<]+)</span>', nav)
    # The accounts, the compact and the pledges share one tab (村务): seven tabs fit 360 px.
    assert labels == ["首页", "住户", "走访", "事项", "积分", "村务", "通知"]
    assert nav.count('<svg class="tab-icon" aria-hidden="true"') == len(labels)


def test_a_handler_of_two_departments_sees_figures_that_are_their_lists(demo):
    from django.contrib.auth import get_user_model

    from governance.models import Assignment, Department, Role
    from tests.factories import assign

    user = get_user_model().objects.get(username="weituo_sifasuo")
    mine = Assignment.objects.filter(user=user).values("department_id")
    other = Department.objects.exclude(pk__in=mine).filter(township__name="渭沱镇").first()
    assign(user, Role.DEPARTMENT_HANDLER, department=other)
    client = _client("weituo_sifasuo")
    html = client.get("/").content.decode()
    queue = _section(html, "department-queue-heading")
    assert "department=" not in queue
    assert _check_every_figure(client, html) >= 4


def test_township_home_counts_its_queue_once_and_no_resident_however_many(mw, client):
    """A township official's and leader's home (issue 19): the queue is read once for the card
    and the nav's badge, the residents come from the tallies (no query counts them), and the
    queries stay as many when the township's residents and matters grow."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from governance.tallies import count_tallies
    from petitions.models import State
    from petitions.selectors import matters_waiting_for
    from tests.api.matter_states import civil, government
    from tests.factories import make_household

    def grow(n):
        for i in range(n):
            make_household(mw.q1 if i % 2 else mw.h1, members=3)
            civil(mw, State.SUBMITTED) if i % 2 else government(mw, State.VERIFYING)
        count_tallies()

    def home(user) -> tuple[int, list[str]]:
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/")
        assert response.status_code == 200
        waiting = len(matters_waiting_for(user))
        assert response.context["waiting"]["total"] == response.context["nav"]["matters_waiting"] == waiting
        return waiting, [q["sql"] for q in queries.captured_queries]

    def queue_reads(sqls, user) -> int:
        with CaptureQueriesContext(connection) as queue:
            list(matters_waiting_for(user).values_list("pk", flat=True))
        (queue_sql,) = [q["sql"] for q in queue.captured_queries]
        prefix = queue_sql[: queue_sql.index(" WHERE ")]
        return sum(sql.startswith(prefix + " WHERE ") for sql in sqls)

    grow(1)
    costs = {}
    for user in (mw.users.official, mw.users.leader):
        waiting, sqls = home(user)
        assert waiting
        assert queue_reads(sqls, user) == 1
        assert not [sql for sql in sqls if '"grids_resident"' in sql]
        costs[user.username] = len(sqls)
    grow(6)
    for user in (mw.users.official, mw.users.leader):
        waiting, sqls = home(user)
        assert waiting
        assert queue_reads(sqls, user) == 1
        assert not [sql for sql in sqls if '"grids_resident"' in sql]
        assert len(sqls) == costs[user.username]
