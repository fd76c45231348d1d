"""The dashboards (governance/dashboards.py): each figure is the list behind its link."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

COUNT = re.compile(r"^(?:⚠\s*)?(\d+)$")
LISTED = re.compile(r'<div id="matter-results"[^>]*>\s*<p class="muted" role="status">\D*(\d+)')


class Figures(HTMLParser):
    """The links of the dashboards' sections whose text is a count: [(href, count)]."""

    def __init__(self):
        super().__init__()
        self.links, self.depth, self.percent, self.href, self.text = [], 0, 0, None, ""
        self.stat = None  # a tile's figure: the text of its span.stat, not of its label

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "section" and ("dashboard" in classes or self.depth):
            self.depth += 1
        if tag == "table" and "percent" in classes:
            self.percent += 1
        if tag == "a" and self.depth and not self.percent:
            self.href, self.text, self.stat, self.closed_stat = attrs.get("href"), "", None, False
        if tag == "span" and "stat" in classes and self.href is not None:
            self.stat = ""

    def handle_endtag(self, tag):
        if tag == "section" and self.depth:
            self.depth -= 1
        if tag == "table" and self.percent:
            self.percent -= 1
        if tag == "span" and self.stat is not None and self.href is not None:
            self.text, self.stat = self.stat, None
            self.closed_stat = True
        if tag == "a" and self.href is not None:
            match = COUNT.match(self.text.strip())
            if match:
                self.links.append((self.href, int(match[1])))
            self.href = None

    def handle_data(self, data):
        if self.stat is not None:
            self.stat += data
        elif self.href is not None and not getattr(self, "closed_stat", False):
            self.text += data


def figures(html: str) -> list[tuple[str, int]]:
    parser = Figures()
    parser.feed(html)
    return parser.links


def _client(username):
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def _check_every_figure(client, html) -> int:
    links = figures(html)
    matter_links = [(href, n) for href, n in links if href.startswith("/matters/?")]
    assert matter_links, "the dashboard shows no figure linking to a matter list"
    for href, expected in matter_links:
        page = client.get(href)
        assert page.status_code == 200, href
        found = LISTED.search(page.content.decode())
        assert found, href
        assert int(found[1]) == expected, f"{href}: the figure says {expected}, the list has {found[1]}"
    return len(matter_links)


def test_village_cadre_home_figures_are_their_lists(demo):
    client = _client("qixing_cadre")
    html = client.get("/").content.decode()
    assert "chart-stages-" in html and "chart-compliance-" in html
    checked = _check_every_figure(client, html)
    assert checked >= 20
    # some figures are not zero: the demo has open matters of every kind, one past acceptance
    assert any(n for href, n in figures(html) if "accept_overdue=1" in href)
    # each chart's figures are in a json_script, and in the table under it
    assert re.search(r'<script id="chart-stages-\d+" type="application/json">', html)
    assert '<details class="chart-table">' in html
    assert "vendor/echarts/echarts.min.js" in html and "js/charts.js" in html


def test_township_home_figures_are_their_lists_and_drill_down_to_a_village(demo):
    from grids.models import Village

    client = _client("weituo_official")
    html = client.get("/").content.decode()
    assert "chart-villages" in html and "chart-months" in html
    assert _check_every_figure(client, html) >= 20
    assert any(n for href, n in figures(html) if "created=" in href)
    qixing = Village.objects.get(name="七星村")
    html = client.get(f"/dashboard/villages/{qixing.pk}/").content.decode()
    assert "chart-stages-" in html
    _check_every_figure(client, html)
    liwan = Village.objects.get(name="李湾村")  # 小沔镇's: not this official's
    assert client.get(f"/dashboard/villages/{liwan.pk}/").status_code == 404
    assert _client("hualong_cadre").get(f"/dashboard/villages/{qixing.pk}/").status_code == 404


def test_a_figures_list_says_its_filters_in_the_readers_words(demo):
    """The list a figure opens names what it is filtered by as a cadre says it (the village's
    name, the stage, the ratings), not as the API documents it ("None: 1", "on_time")."""
    from governance.models import Department
    from grids.models import Township, Village

    qixing = Village.objects.get(name="七星村")
    weituo = Township.objects.get(name="渭沱镇")
    sifasuo = Department.objects.get(township=weituo, name="司法所")
    client = _client("weituo_official")
    cases = {
        f"village={qixing.pk}&step_group=during": ["村（社区）: 七星村", "阶段: 事中"],
        f"village={qixing.pk}&due=2026Q4&timeliness=on_time": ["办结期限: 2026Q4", "按时办结率: 按时反馈"],
        f"township={weituo.pk}&closed=2026Q4&rating=satisfied&rating=basically_satisfied": [
            "镇（街道）: 渭沱镇",
            "办结: 2026Q4",
            "评价: 满意、基本满意",
        ],
        f"department={sifasuo.pk}&returned_by={sifasuo.pk}&unsigned=1": [
            "职能部门: 司法所",
            "已退回: 司法所",
            "已转职能部门，超过签收时限未签收",
        ],
    }
    for query, wanted in cases.items():
        html = client.get(f"/matters/?{query}").content.decode()
        said = re.search(r'<p class="figure-filters" role="status">(.*?)</p>', html, re.S)[1]
        for words in wanted:
            assert words in said, (query, said)
        for raw in ("None", "on_time", "during", "satisfied", "petitions.figures", ": 1"):
            assert raw not in said, (query, said)


def test_each_dashboard_opens_last_months_report(demo):
    """The 月报 is one tap from the dashboard that its readers already use (not only from the
    notification sent on the first): the village's from the 村级驾驶舱, the township's from the
    镇街驾驶舱, one per township for the superuser."""
    from grids.models import Township, Village

    qixing = Village.objects.get(name="七星村")
    weituo = Township.objects.get(name="渭沱镇")
    reports = re.compile(r'href="(/reports/monthly/\?(?:village|township)=\d+)"')
    for username, wanted in [
        ("qixing_cadre", [f"/reports/monthly/?village={qixing.pk}"]),
        ("weituo_official", [f"/reports/monthly/?township={weituo.pk}"]),
        ("admin", [f"/reports/monthly/?township={t.pk}" for t in Township.objects.order_by("pk")]),
    ]:
        client = _client(username)
        found = reports.findall(client.get("/").content.decode())
        assert set(wanted) <= set(found), (username, found)
        for href in wanted:
            page = client.get(href)
            assert page.status_code == 200 and "monthly-report" in page.content.decode()
    official = _client("weituo_official")
    html = official.get(f"/dashboard/villages/{qixing.pk}/").content.decode()
    assert f'href="/reports/monthly/?village={qixing.pk}"' in html
    assert official.get(f"/reports/monthly/?village={qixing.pk}").status_code == 200


def test_each_places_compliance_figure_opens_its_own_roll_up(demo):
    """A township's or a village's "grids visited" figure opens the 逢十 roll-up of that place
    alone, whose totals are the figure (not the whole district's)."""
    from grids.models import Township

    admin = _client("admin")
    district = admin.get("/").context["district_board"]
    township = Township.objects.get(name="渭沱镇")
    page = admin.get(f"/dashboard/townships/{township.pk}/")
    rows = [*district["townships"], *page.context["board"]["villages"]]
    assert len(rows) > 2
    for row in rows:
        roll = admin.get(row["compliance_url"])
        assert roll.status_code == 200, row["compliance_url"]
        totals = roll.context["roll"].totals
        assert (totals["grids_visited"], totals["grids_count"]) == (row["grids_visited"], row["grids"]), row[
            "compliance_url"
        ]
        assert 'role="status"' in roll.content.decode()
    # Another township's place narrows nothing the official may not see.
    xiaomian = Township.objects.get(name="小沔镇")
    official = _client("weituo_official")
    roll = official.get(f"/visits/compliance/?township={xiaomian.pk}").context["roll"]
    assert roll.totals["grids_count"] == 0
    assert official.get("/visits/compliance/?township=abc").context["place"] == {}
