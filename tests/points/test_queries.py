"""The points lists cost the same queries for a few rows as for many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.services import household_create
from points import services as s

LISTS = [
    ("cadre", "/api/v1/points/accounts/"),
    ("grid1", "/api/v1/points/accounts/"),
    ("official", "/api/v1/points/accounts/?below_floor=1"),
    ("cadre", "/api/v1/points/awards/"),
    ("cadre", "/api/v1/points/awards/?waiting=1"),
    ("helper", "/api/v1/points/awards/"),
    ("admin", "/api/v1/points/awards/"),
    ("cadre", "/api/v1/points/entries/"),  # the old name of awards/
    ("clerk", "/api/v1/points/redemptions/"),
    ("official", "/api/v1/points/redemptions/"),
    ("grid1", "/api/v1/points/rules/"),
    ("clerk", "/api/v1/points/items/"),
    ("cadre", "/api/v1/points/boards/"),
]


def grow(pw, n):
    """n more households in grid 1, each with a passbook, an approved award, a pending one,
    a reversal and a redemption."""
    u = pw.users
    for i in range(n):
        household = household_create(grid=pw.q1, number=f"Q1-{pw.grown + i}", courtyard=pw.yard)
        account = household.points_account
        award = pw.approved(account=account)
        s.award_reverse(award=award, actor=u.cadre, reason="冲正")
        pw.approved(account=account, rule=pw.rules.meeting)
        pw.propose(account=account, rule=pw.rules.tidy, member=None)
        s.points_redeem(actor=u.clerk, account=account, item=pw.items.soap)
    pw.grown += n


def count(client, url, min_rows):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    assert len(rows) >= min_rows, url
    return len(queries)


@pytest.fixture
def grown(pw):
    pw.grown = 0
    return pw


def test_points_lists_stay_flat(grown, as_user):
    pw = grown

    def measure(min_rows):
        counts = {}
        for persona, url in LISTS:
            client = as_user(getattr(pw.users, persona))
            client.get(url)  # the scope, content types
            fixed = any(part in url for part in ("boards", "below", "rules", "items"))  # rows that do not grow
            counts[(persona, url)] = count(client, url, 1 if fixed else min_rows)
        return counts

    grow(pw, 2)
    quarter = (pw.today.month - 1) // 3 + 1
    s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=pw.today.year, quarter=quarter)
    pw.approved(rule=pw.rules.major, note="重大违规")
    few = measure(2)
    grow(pw, 12)
    many = measure(12)
    assert many == few
    assert max(few.values()) <= 3


def test_ledger_and_board_detail_stay_flat(grown, as_user):
    pw = grown
    client = as_user(pw.users.cadre)
    ledger = f"/api/v1/points/accounts/{pw.acc.q1.pk}/ledger/"
    quarter = (pw.today.month - 1) // 3 + 1

    def entries(n):
        for _ in range(n):
            s.award_reverse(award=pw.approved(), actor=pw.users.cadre, reason="冲正")

    def board():
        board = s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=pw.today.year, quarter=quarter)
        return f"/api/v1/points/boards/{board.pk}/"

    entries(2)
    grow(pw, 2)
    url = board()
    client.get(ledger)
    few = (count(client, ledger, 4), count(client, url, 2))
    entries(10)
    grow(pw, 10)
    url = board()
    many = (count(client, ledger, 20), count(client, url, 10))
    assert many == few
