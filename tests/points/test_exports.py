"""A village's ledger and a 红黑榜 as .xlsx: the pages' own rows, their scope."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from points import services as s
from points.models import BoardSide, Entry
from tests.points.test_boards import quarter  # noqa: F401  (the fixture)

LEDGER = "/points/ledger.xlsx"


def _sheets(response):
    assert response.status_code == 200, response.content[:300]
    book = load_workbook(io.BytesIO(response.content))
    return [[list(r) for r in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]


@pytest.fixture
def board(pw, quarter):  # noqa: F811
    year, q = quarter
    return s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=year, quarter=q)


def test_ledger_export_is_the_villages_lines_with_balances(pw, quarter, client, settings):  # noqa: F811
    client.force_login(pw.users.cadre)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    (sheet,) = _sheets(client.get(LEDGER, {"village": pw.qixing.pk}))
    assert sheet[0] == ["Date", "Household", "Grid", "Kind", "Rule", "Points", "Balance after", "Note"]
    expected = Entry.objects.filter(village=pw.qixing).order_by("occurred_on", "id")
    assert [(r[5], r[6]) for r in sheet[1:]] == [(e.points, e.balance_after) for e in expected]
    assert [r[1].split()[0] for r in sheet[1:]] == [e.account.household.number for e in expected]


def test_grid_worker_exports_their_grid_lines_only(pw, quarter, client):  # noqa: F811
    client.force_login(pw.users.grid1)
    (sheet,) = _sheets(client.get(LEDGER, {"village": pw.qixing.pk}))
    expected = Entry.objects.filter(account__household__grid=pw.q1).count()
    assert len(sheet) - 1 == expected and {r[2] for r in sheet[1:]} == {pw.q1.name}


def test_month_narrows_the_ledger(pw, quarter, client):  # noqa: F811
    client.force_login(pw.users.cadre)
    other = pw.today.replace(day=1).replace(year=pw.today.year - 1)
    (sheet,) = _sheets(client.get(LEDGER, {"village": pw.qixing.pk, "month": f"{other:%Y-%m}"}))
    assert sheet[1:] == []


@pytest.mark.parametrize(
    ("persona", "village", "status"),
    [
        ("cadre", "qixing", 200),
        ("official", "qixing", 200),
        ("clerk", "qixing", 200),
        ("other_cadre", "qixing", 404),  # 化龙村's cadre: not their village
        ("other_official", "qixing", 404),  # 小沔镇
        ("handler", "qixing", 403),  # a department does not read passbooks
        ("outsider", "qixing", 403),
        ("cadre", "liwan", 404),
    ],
)
def test_who_may_export_a_ledger(pw, client, persona, village, status):
    client.force_login(getattr(pw.users, persona))
    assert client.get(LEDGER, {"village": getattr(pw, village).pk}).status_code == status


@pytest.mark.parametrize("query", [{}, {"village": "x"}, {"village": "1", "month": "2026-13"}])
def test_bad_ledger_queries_are_a_400(pw, client, query):
    client.force_login(pw.users.cadre)
    assert client.get(LEDGER, query).status_code == 400


def test_ledger_export_queries_stay_flat(pw, quarter, client):  # noqa: F811
    client.force_login(pw.users.cadre)
    client.get(LEDGER, {"village": pw.qixing.pk})
    with CaptureQueriesContext(connection) as few:
        client.get(LEDGER, {"village": pw.qixing.pk})
    for account, rule in [(pw.acc.q1, pw.rules.meeting), (pw.acc.q1b, pw.rules.meeting), (pw.acc.q1, pw.rules.tidy)]:
        pw.approved(account, rule)
    with CaptureQueriesContext(connection) as many:
        client.get(LEDGER, {"village": pw.qixing.pk})
    assert len(many) == len(few)


def test_board_export_has_both_lists_as_the_page(pw, board, client):
    client.force_login(pw.users.cadre)
    red, black = _sheets(client.get(f"/points/boards/{board.pk}/export.xlsx"))
    for sheet, side in ((red, BoardSide.RED), (black, BoardSide.BLACK)):
        lines = board.lines.filter(side=side).order_by("order", "id")
        assert [(r[1].split()[0], r[4], r[5]) for r in sheet[1:]] == [
            (line.account.household.number, line.points, line.reason) for line in lines
        ]
    assert black[1][4] == -20


@pytest.mark.parametrize(
    ("persona", "status"),
    [("cadre", 200), ("clerk", 200), ("official", 200), ("other_cadre", 404), ("other_official", 404)],
)
def test_who_may_export_a_board(pw, board, client, persona, status):
    client.force_login(getattr(pw.users, persona))
    assert client.get(f"/points/boards/{board.pk}/export.xlsx").status_code == status


def test_board_page_links_to_its_export(pw, board, client):
    client.force_login(pw.users.cadre)
    html = client.get(f"/points/boards/{board.pk}/").content.decode()
    assert f"/points/boards/{board.pk}/export.xlsx" in html
