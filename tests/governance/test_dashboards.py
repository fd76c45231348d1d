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
