"""The points lists cost the same queries for a few rows as for many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.services import household_create
from points import services as s

# Each list costs exactly one query, for 2 households as for 14: 1 the page of rows, with
# what each row names joined (the caller's scope is built by the first request and kept on
# the user; the pagination counts nothing).
LISTS = [
    ("cadre", "/api/v1/points/accounts/", 1),
    ("grid1", "/api/v1/points/accounts/", 1),
    ("official", "/api/v1/points/accounts/?below_floor=1", 1),
    ("cadre", "/api/v1/points/awards/", 1),
    ("cadre", "/api/v1/points/awards/?waiting=1", 1),
    ("helper", "/api/v1/points/awards/", 1),
    ("admin", "/api/v1/points/awards/", 1),
    ("cadre", "/api/v1/points/entries/", 1),  # the old name of awards/
    ("clerk", "/api/v1/points/redemptions/", 1),
    ("official", "/api/v1/points/redemptions/", 1),
    ("grid1", "/api/v1/points/rules/", 1),
    ("clerk", "/api/v1/points/items/", 1),
    ("cadre", "/api/v1/points/boards/", 1),
    ("cadre", "/api/v1/points/objections/", 1),
    ("official", "/api/v1/points/objections/", 1),
]


def grow(pw, n):
    """n more households in grid 1, each with a passbook, an approved award, a pending one,
    a reversal, an objection to the pending one and a redemption."""
    u = pw.users
    for i in range(n):
        household = household_create(grid=pw.q1, number=f"Q1-{pw.grown + i}", courtyard=pw.yard)
        account = household.points_account
        award = pw.approved(account=account)
        s.award_reverse(award=award, actor=u.cadre, reason="冲正")
        pw.approved(account=account, rule=pw.rules.meeting)
        objected = pw.propose(account=account, rule=pw.rules.tidy, member=None)
        s.objection_raise(award=objected, actor=u.grid1, reason="不是这一户", contact_phone="15800001234")
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


def test_points_lists_cost_exactly_their_queries(grown, as_user, django_assert_num_queries):
    pw = grown

    def measure(min_rows):
        for persona, url, queries in LISTS:
            client = as_user(getattr(pw.users, persona))
            client.get(url)  # the scope, content types
            fixed = any(part in url for part in ("boards", "below", "rules", "items"))  # rows that do not grow
            with django_assert_num_queries(queries):
                count(client, url, 1 if fixed else min_rows)

    grow(pw, 2)
    quarter = (pw.today.month - 1) // 3 + 1
    s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=pw.today.year, quarter=quarter)
    pw.approved(rule=pw.rules.major, note="重大违规")
    measure(2)
    grow(pw, 12)
    measure(12)


# The ledger costs exactly 2 queries, for 4 lines as for 24: 1 the account (in scope, village and
# household joined), 2 the page of lines (rule, member, author, reversal joined). The board
# costs exactly 2, for 2 lines as for 12: 1 the board (village, compiler joined), 2 its lines
# (account and household joined).
LEDGER, BOARD = 2, 2


def test_ledger_and_board_detail_cost_exactly_their_queries(grown, as_user, django_assert_num_queries):
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
    client.get(ledger)  # warm up: the scope
    with django_assert_num_queries(LEDGER):
        count(client, ledger, 4)
    with django_assert_num_queries(BOARD):
        count(client, url, 2)
    entries(10)
    grow(pw, 10)
    url = board()
    with django_assert_num_queries(LEDGER):
        count(client, ledger, 20)
    with django_assert_num_queries(BOARD):
        count(client, url, 10)


def test_a_redemption_reads_each_row_once_and_answers_as_its_detail(pw, as_user):
    """A redemption over the API: the account and the item read once for the caller's scope
    and once under their locks (the village's settings joined to the account's lock), five
    writes, and the answer rendered from what the service wrote, not read back."""
    client = as_user(pw.users.clerk)
    client.get("/api/v1/points/items/")  # the scope, kept on the user
    member = pw.households.q1.members.first()
    payload = {"account": pw.acc.q1.pk, "item": pw.items.soap.pk, "quantity": 1, "member": member.pk}
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/points/redemptions/", payload, format="json")
    assert response.status_code == 201, response.content
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    reads = [sql.split(" FROM ")[1].split()[0] for sql in statements if sql.startswith("SELECT")]
    assert reads == [
        '"points_account"',  # the target, in the caller's scope
        '"points_item"',
        '"grids_resident"',  # the member, of a passbook the caller sees
        '"points_account"',  # locked, with its household and the village's settings
        '"points_item"',  # locked
    ]
    assert len(statements) == 9
    assert response.json() == client.get(f"/api/v1/points/redemptions/{response.json()['id']}/").json()
