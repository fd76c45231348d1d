"""The matter list as .xlsx: the list's rows (scope and filters), the Chinese headers, bounded."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from governance import xlsx
from petitions.models import Kind, Matter, State
from petitions.services import matter_classify


def _sheet(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == xlsx.XLSX
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return sheet, rows[0], rows[1:]


@pytest.fixture
def matters(mw):
    a = mw.staff_matter(title="路灯不亮")
    b = mw.staff_matter(title="水管爆裂", grid=mw.q2, actor=mw.users.grid2)
    c = mw.staff_matter(title="化龙村道路", grid=mw.h1, actor=mw.users.other_cadre)
    matter_classify(matter=a, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    return {"a": a, "b": b, "c": c}


def test_page_export_is_the_filtered_list_with_its_headers(mw, matters, client, settings):
    client.force_login(mw.users.cadre)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sheet, headers, rows = _sheet(client.get("/matters/export.xlsx", {"state": "classified"}))
    assert headers[:5] == ["Number", "Title", "Kind", "Category", "State"]
    assert headers[7:] == ["Handled by", "Deadline", "Overdue", "Received at", "Closed at", "Rating"]
    assert [r[0] for r in rows] == [matters["a"].pk]
    assert rows[0][1:7] == ["路灯不亮", "civil matter (民事)", "环境卫生", "classified (分)", "七星村", "第一网格"]
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(row=1, column=1).font.bold


def test_headers_are_chinese_by_default(mw, matters, client):
    client.force_login(mw.users.cadre)
    _s, headers, _rows = _sheet(client.get("/matters/export.xlsx"))
    assert headers[1] == "标题" and headers[4] == "状态"


def test_export_is_scoped_like_the_list(mw, matters, client):
    client.force_login(mw.users.grid1)
    _s, _h, rows = _sheet(client.get("/matters/export.xlsx"))
    listed = client.get("/matters/")
    assert [r[0] for r in rows] == [matters["a"].pk]
    assert f"#{matters['a'].pk}" in listed.content.decode()
    client.force_login(mw.users.official)
    _s, _h, rows = _sheet(client.get("/matters/export.xlsx"))
    assert sorted(r[0] for r in rows) == sorted(m.pk for m in matters.values())
    client.force_login(mw.users.other_official)
    _s, _h, rows = _sheet(client.get("/matters/export.xlsx"))
    assert rows == []


def test_clerk_may_not_export_matters(mw, matters, client):
    client.force_login(mw.users.clerk)
    assert client.get("/matters/export.xlsx").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/matters/export.xlsx")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_links_to_the_export_with_its_filters(mw, matters, client):
    client.force_login(mw.users.cadre)
    html = client.get("/matters/", {"state": "classified", "page": "1"}).content.decode()
    assert 'href="/matters/export.xlsx?state=classified"' in html


def test_api_export_applies_the_filters_and_scope(mw, matters, as_user):
    api = as_user(mw.users.cadre)
    _s, _h, rows = _sheet(api.get("/api/v1/matters/export/", {"grid": mw.q2.pk}))
    assert [r[0] for r in rows] == [matters["b"].pk]
    _s, _h, rows = _sheet(api.get("/api/v1/matters/export/", {"village": mw.hualong.pk}))
    assert rows == []


def test_too_long_a_list_is_refused_with_a_message(mw, matters, client, as_user, monkeypatch, settings):
    monkeypatch.setattr(xlsx, "MAX_EXPORT_ROWS", 1)
    monkeypatch.setattr("petitions.exports.MAX_EXPORT_ROWS", 1)
    response = as_user(mw.users.official).get("/api/v1/matters/export/")
    assert response.status_code == 400 and response.json()["code"] == "too_many_rows"
    client.force_login(mw.users.official)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/matters/export.xlsx", {"state": State.SUBMITTED}, follow=True)
    assert "at most 1 can be exported" in response.content.decode()


def test_export_queries_stay_flat_as_rows_grow(mw, matters, client):
    client.force_login(mw.users.official)
    client.get("/matters/export.xlsx")
    with CaptureQueriesContext(connection) as few:
        client.get("/matters/export.xlsx")
    for _ in range(5):
        mw.staff_matter(title="更多", grid=mw.q2, actor=mw.users.grid2)
    with CaptureQueriesContext(connection) as many:
        _s, _h, rows = _sheet(client.get("/matters/export.xlsx"))
    assert len(rows) == Matter.objects.filter(township=mw.weituo).count()
    assert len(many) == len(few)
