"""The points bank's pages: who may open what, queries that stay flat as rows grow, one
write per rendered form, errors next to the fields, maker-checker, the public page.

Personas of the points world (tests/points/conftest.py): q1 and q1b in grid 1 of 七星村
(q1 in 老院子), q2 in grid 2, h1 in 化龙村. cadre2 is a second 七星村 cadre, leader1 leads
grid 1. Balances start at 100; the shop spends above 80; the benefit floor is 60.
"""

import datetime
import re

import pytest
from django.utils import timezone, translation

from points import services as s
from points.models import Award, AwardStatus, Board, BoardStatus, Entry, EntryKind, Item, Redemption, Rule
from tests.factories import make_household
from tests.matrix import Case, matrix_params, page_login, page_problems, page_send, run_matrix
from tests.pages.conftest import field_block, form_token

PERSONAS = [
    "anonymous",
    "grid1",
    "grid2",
    "helper",
    "cadre",
    "cadre2",
    "leader1",
    "clerk",
    "supervisor",
    "other_cadre",
    "official",
    "leader",
    "other_official",
    "handler",
    "outsider",
    "admin",
]
# Not the supervision committee (村务监督委员会): it sees the village's 村事, not its passbooks.
READERS = {p for p in PERSONAS if p not in ("anonymous", "handler", "outsider", "supervisor")}
PROPOSERS = {"grid1", "grid2", "helper", "cadre", "cadre2", "leader1", "other_cadre", "admin"}
DECIDERS = {"cadre", "cadre2", "other_cadre", "admin"}
REDEEMERS = {"cadre", "cadre2", "clerk", "other_cadre", "admin"}
# Who sees q1's passbook (grid 1, 老院子, the village, the township) and who decides for it.
SEES_Q1 = {"grid1", "helper", "cadre", "cadre2", "leader1", "clerk", "official", "leader", "admin"}
DECIDES_Q1 = {"cadre", "cadre2", "admin"}
REDEEMS_Q1 = {"cadre", "cadre2", "clerk", "admin"}
SEES_QIXING_BOARD = {"grid1", "grid2", "leader1", "cadre", "cadre2", "clerk", "official", "leader", "admin"}


def _row(allowed: set, *, denied: set | None = None, default: int = 403, public: bool = False) -> dict:
    """200 for `allowed`, 403 for `denied` (else `default` for the rest), 302 for anonymous."""
    row = {p: (200 if p in allowed else default) for p in PERSONAS}
    if denied is not None:
        row.update({p: 403 for p in denied if p not in allowed})
    row["anonymous"] = 200 if public else 302
    return row


MATRIX = {
    ("GET", "home"): _row(READERS),
    ("GET", "queue"): _row(DECIDERS),
    ("GET", "entry-list"): _row(READERS),
    ("GET", "entry-create"): _row(PROPOSERS),
    ("GET", "entry-create-q1"): _row(
        {"grid1", "helper", "cadre", "cadre2", "leader1", "admin"},
        denied={"clerk", "supervisor", "official", "leader", "other_official", "handler", "outsider"},
        default=404,
    ),
    ("GET", "entry-batch"): _row(PROPOSERS),
    ("GET", "entry-detail-q1"): _row(SEES_Q1, default=404),
    ("GET", "entry-evidence-q1"): _row(SEES_Q1, default=404),
    ("POST", "entry-approve-q1"): _row(set(), denied=SEES_Q1 - DECIDES_Q1, default=404),
    ("POST", "entry-reject-q1"): _row(set(), denied=SEES_Q1 - DECIDES_Q1, default=404),
    ("GET", "account-list"): _row(READERS),
    ("GET", "account-detail-q1"): _row(SEES_Q1, default=404),
    ("GET", "account-statement-q1"): _row(SEES_Q1, default=404),
    ("GET", "line-reverse-q1"): _row(DECIDES_Q1, denied=SEES_Q1, default=404),
    ("GET", "counter"): _row(REDEEMERS),
    ("GET", "counter-account-q1"): _row(REDEEMS_Q1, denied=SEES_Q1, default=404),
    ("GET", "item-list"): _row(REDEEMERS),
    # The village's goods: whoever sees the village by name (item photos are public anyway).
    # Those who see 七星村's shop by name: its readers, the township's handler, its supervision committee.
    ("GET", "item-photo"): _row((READERS - {"other_official", "other_cadre"}) | {"handler", "supervisor"}, default=404),
    ("GET", "rule-list"): _row(READERS),
    ("GET", "board-list"): _row(READERS),
    ("GET", "board-detail"): _row(SEES_QIXING_BOARD, default=404),
    ("GET", "board-export"): _row(SEES_QIXING_BOARD, default=404),
    # 七星村's ledger: its readers; outside the points bank 403; another village's staff 404.
    ("GET", "ledger-export"): _row(
        READERS - {"other_official", "other_cadre"}, denied={"handler", "outsider", "supervisor"}, default=404
    ),
    ("GET", "public-village"): _row(set(PERSONAS), public=True),
    ("GET", "public-objection-create"): _row(set(PERSONAS), public=True),
    ("GET", "public-objection-sent"): _row(set(PERSONAS), public=True),
    # The village's own settings and rules: its cadres (another village's cadre: 404 for 七星村's rule).
    ("GET", "settings"): _row(DECIDERS),
    ("GET", "rule-create"): _row(DECIDERS),
    ("GET", "rule-update-q1"): _row(
        DECIDES_Q1, denied=(READERS - {"other_official", "other_cadre"}) | {"handler", "supervisor"}, default=404
    ),
    # Staff record an objection for a resident: whoever sees the passbook (the entry is past its
    # 公示, so they get the entry back with the refusal, 409).
    ("POST", "entry-object-q1"): {**_row(set(), default=404), **dict.fromkeys(SEES_Q1, 409)},
    # A ruling: a cadre of the village other than the objector (grid1) and the proposer (grid1).
    ("POST", "objection-rule-q1"): _row(set(), denied=SEES_Q1 - DECIDES_Q1, default=404),
    ("POST", "account-consent-q1"): _row(set(), denied=SEES_Q1 - DECIDES_Q1, default=404),
}
# The POSTs above are sent empty: allowed deciders get the form back with its errors (400).
for _name in ("entry-approve-q1", "entry-reject-q1", "objection-rule-q1", "account-consent-q1"):
    MATRIX[("POST", _name)].update(dict.fromkeys(DECIDES_Q1, 400))

# Every page name of points.urls and points.public_urls this file covers (tests/pages checks the union).
COVERED_URL_NAMES = {
    "home",
    "queue",
    "queue-approve",
    "entry-list",
    "entry-create",
    "entry-batch",
    "meeting-award",  # its own matrix: tests/points/test_meeting_award.py
    "entry-detail",
    "entry-evidence",
    "entry-action",
    "account-list",
    "account-detail",
    "account-statement",
    "line-reverse",
    "counter",
    "counter-account",
    "item-list",
    "item-create",
    "item-restock",
    "item-photo",
    "rule-list",
    "board-list",
    "board-compile",
    "board-detail",
    "board-export",
    "ledger-export",
    "board-action",
    "village",
    "board",
    "settings",
    "rule-create",
    "rule-update",
    "entry-object",
    "objection-rule",
    "account-consent",
    "objection-create",
    "objection-sent",
}


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def pages(pw):
    """The points world with a proposal past its 公示 (with evidence), a redemption, a board
    and an item photo, and the URL of every page of the matrix."""
    award = pw.propose(days_ago=4, evidence=pw.photo())
    s.item_update(item=pw.items.soap, actor=pw.users.clerk, photo=pw.photo("soap.jpg"))
    redemption = s.points_redeem(actor=pw.users.clerk, account=pw.acc.q1, item=pw.items.soap)
    board = s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=pw.today.year, quarter=_quarter(pw.today))
    q1 = pw.acc.q1.pk
    in_notice = pw.propose(rule=pw.rules.meeting)
    objection = s.objection_raise(award=in_notice, actor=pw.users.grid1, reason="不是这一户")
    pw.award, pw.redemption, pw.board, pw.objection = award, redemption, board, objection
    pw.urls = {
        "home": "/points/",
        "queue": "/points/queue/",
        "entry-list": "/points/entries/",
        "entry-create": "/points/entries/new/",
        "entry-create-q1": f"/points/entries/new/?account={q1}",
        "entry-batch": "/points/entries/batch/",
        "entry-detail-q1": f"/points/entries/{award.pk}/",
        "entry-evidence-q1": f"/points/entries/{award.pk}/evidence/",
        "entry-approve-q1": f"/points/entries/{award.pk}/approve/",
        "entry-reject-q1": f"/points/entries/{award.pk}/reject/",
        "account-list": "/points/accounts/",
        "account-detail-q1": f"/points/accounts/{q1}/",
        "account-statement-q1": f"/points/accounts/{q1}/statement/",
        "line-reverse-q1": f"/points/lines/{redemption.entry.pk}/reverse/",
        "counter": "/points/shop/",
        "counter-account-q1": f"/points/shop/{q1}/",
        "item-list": "/points/items/",
        "item-photo": f"/points/items/{pw.items.soap.pk}/photo/",
        "rule-list": "/points/rules/",
        "board-list": "/points/boards/",
        "board-detail": f"/points/boards/{board.pk}/",
        "board-export": f"/points/boards/{board.pk}/export.xlsx",
        "ledger-export": f"/points/ledger.xlsx?village={pw.qixing.pk}",
        "public-village": f"/public/points/{pw.qixing.code}/",
        "public-objection-create": f"/public/points/{pw.qixing.code}/objections/new/?ref={in_notice.public_code}",
        "public-objection-sent": f"/public/points/{pw.qixing.code}/objections/sent/",
        "settings": "/points/settings/",
        "rule-create": "/points/rules/new/",
        "rule-update-q1": f"/points/rules/{pw.rules.volunteer.pk}/edit/",
        "entry-object-q1": f"/points/entries/{award.pk}/object/",
        "objection-rule-q1": f"/points/objections/{objection.pk}/rule/",
        "account-consent-q1": f"/points/accounts/{q1}/consent/",
    }
    return pw


def _quarter(day: datetime.date) -> int:
    return (day.month - 1) // 3 + 1


CASES = [Case(method, name, row) for (method, name), row in MATRIX.items()]


def _points_page_problems(persona, response):
    # A proposer who may not decide gets the proposal's page with the reason, not 403.html.
    return page_problems(persona, response, forbidden_templates=("403.html", "points/entry_detail.html"))


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_page_permissions(client, pages, case):
    run_matrix(
        case,
        personas=list(case.expected),
        login=page_login(client, pages.users),
        send=page_send(client, case.method, pages.urls[case.url]),
        checks=[_points_page_problems],
    )


def test_matrix_covers_every_points_page():
    from points.public_urls import urlpatterns as public
    from points.urls import urlpatterns as staff

    assert {p.name for p in [*staff, *public]} <= COVERED_URL_NAMES


def test_refused_posts_write_nothing(client, pages):
    award = pages.award
    for persona in ("grid1", "grid2", "helper", "clerk", "official", "other_cadre", "handler"):
        client.force_login(getattr(pages.users, persona))
        client.post(f"/points/entries/{award.pk}/approve/", {"approve-form_token": "x"})
        client.post(f"/points/shop/{pages.acc.q1.pk}/", {"item": pages.items.soap.pk, "quantity": 1})
        client.post(f"/points/lines/{pages.redemption.entry.pk}/reverse/", {"reverse-reason": "x"})
    award.refresh_from_db()
    assert award.status == AwardStatus.PENDING
    assert Redemption.objects.count() == 1
    assert not Entry.objects.filter(kind=EntryKind.REVERSAL).exists()


# ---------------------------------------------------------------- nav


def test_nav_shows_points_to_those_who_use_it_with_the_cadres_count(client, pages):
    client.force_login(pages.users.cadre)
    page = client.get("/").content.decode()
    assert 'href="/points/queue/"' in page
    assert re.search(r'href="/points/queue/"[^>]*>(?:(?!</a>).)*<span class="badge"[^>]*>1</span>', page, re.S)
    client.force_login(pages.users.grid1)
    page = client.get("/").content.decode()
    assert 'href="/points/"' in page and "/points/queue/" not in page
    client.force_login(pages.users.handler)
    assert "/points/" not in client.get("/").content.decode()
    # the clerk's home is the counter, with the points tab current
    client.force_login(pages.users.clerk)
    assert client.get("/").url == "/points/shop/"
    page = client.get("/points/shop/").content.decode()
    assert re.search(r'href="/points/[^"]*" aria-current="page"', page)


# ---------------------------------------------------------------- queries stay flat


def _assert_queries(client, url, expected, django_assert_num_queries):
    client.get(url)  # warm up
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200, url


# Every page: 1 the session, 2 the user, 3 the assignments (the scope), and last the nav's
# counts: unread notifications, then (not the clerk) the matters waiting, then (deciders:
# the cadre) the proposals waiting. Between them, each page's own queries (named below).
# The matters waiting come from the cache after the warm-up (petitions.queue): no query.
NAV = {"cadre": 2, "grid1": 1, "official": 1, "clerk": 1}


def _households(pw, n):
    return [make_household(pw.q1 if i % 2 else pw.q2, members=2) for i in range(n)]


# The queue: 4 the awards waiting for the cadre (account, household, proposer joined), 5 the
# cadre's own pending proposals.
QUEUE = 3 + 2 + NAV["cadre"]


def test_queue_costs_exactly_its_queries_for_3_proposals_and_for_31(login, pw, django_assert_num_queries):
    client = login(pw.users.cadre)
    accounts = [h.points_account for h in _households(pw, 30)]
    for account in accounts[:3]:
        pw.propose(account=account, days_ago=4, actor=pw.users.grid2 if account.household.grid_id == pw.q2.pk else None)
    _assert_queries(client, "/points/queue/", QUEUE, django_assert_num_queries)
    for account in accounts[3:]:
        actor = pw.users.grid2 if account.household.grid_id == pw.q2.pk else pw.users.grid1
        pw.propose(account=account, days_ago=4 if account.pk % 2 else 1, actor=actor, evidence=pw.photo())
    pw.propose(rule=pw.rules.family, actor=pw.users.cadre, evidence=pw.photo())  # the cadre's own
    _assert_queries(client, "/points/queue/", QUEUE, django_assert_num_queries)


# The household pickers (the shop counter, passbooks, proposing): 4 COUNT of the accounts found
# (the paginator), 5 the page of them (village and household joined). No account is below its
# village's floor here: that list's page is empty, and Django's paginator skips the query of an
# empty page. The entries: 4 COUNT of the awards, 5 the page of them (account, household, rule,
# proposer joined). The batch form: 4 the first accounts the user proposes for, 5 the rules of
# their villages; after the nav, 6 the rule choices (the form's field renders them).
PICKER = 3 + 2
SEARCH_AND_LIST = [
    ("clerk", "/points/shop/", PICKER + NAV["clerk"]),
    ("clerk", "/points/shop/?q=H", PICKER + NAV["clerk"]),
    ("clerk", "/points/shop/?q=z", PICKER + NAV["clerk"]),
    ("grid1", "/points/accounts/", PICKER + NAV["grid1"]),
    ("official", "/points/accounts/?below_floor=on", PICKER - 1 + NAV["official"]),
    ("grid1", "/points/entries/new/?q=H", PICKER + NAV["grid1"]),
    ("cadre", "/points/entries/", 3 + 2 + NAV["cadre"]),
    ("grid1", "/points/entries/batch/", 3 + 2 + NAV["grid1"] + 1),
]


@pytest.mark.parametrize(("persona", "url", "queries"), SEARCH_AND_LIST)
def test_search_and_list_cost_exactly_their_queries_for_3_households_and_for_30(
    login, pw, persona, url, queries, django_assert_num_queries
):
    client = login(getattr(pw.users, persona))
    _households(pw, 3)
    pw.approved(account=pw.acc.q1b)
    _assert_queries(client, url, queries, django_assert_num_queries)
    for household in _households(pw, 27):
        if household.grid_id == pw.q1.pk:
            pw.approved(account=household.points_account)
    _assert_queries(client, url, queries, django_assert_num_queries)


# The passbook: 4 the account (village, household, grid joined), 5 COUNT of its lines (the
# paginator), 6 its pending awards, 7 the page of lines (rule, member, author, reversal
# joined). The statement: 4 the account, 5 the year's lines, 6 the balance brought forward;
# after the nav, 7 the village's township (the letterhead reads account.village.township,
# which the account's query does not join).
PASSBOOK = 3 + 4 + NAV["cadre"]
STATEMENT = 3 + 3 + NAV["cadre"] + 1


def test_passbook_and_statement_cost_exactly_their_queries_for_1_line_and_for_30(login, pw, django_assert_num_queries):
    client = login(pw.users.cadre)
    pw.approved(account=pw.acc.q1b)
    small_url = f"/points/accounts/{pw.acc.q1b.pk}/"
    for _ in range(2):
        s.points_redeem(actor=pw.users.clerk, account=pw.acc.q1, item=pw.items.soap)
    for i in range(30):
        pw.propose(account=pw.acc.q1, rule=pw.rules.breach, note=f"第{i}次")
    for award in Award.objects.filter(account=pw.acc.q1):
        Award.objects.filter(pk=award.pk).update(objection_until=timezone.now() - datetime.timedelta(minutes=1))
        s.award_approve(award=award, actor=pw.users.cadre)
    s.award_reverse(award=Award.objects.filter(account=pw.acc.q1).first(), actor=pw.users.cadre, reason="重复")
    assert Entry.objects.filter(account=pw.acc.q1).count() > 30
    large_url = f"/points/accounts/{pw.acc.q1.pk}/"
    for url in (small_url, large_url):
        _assert_queries(client, url, PASSBOOK, django_assert_num_queries)
        _assert_queries(client, url + "statement/", STATEMENT, django_assert_num_queries)


# The rules: 4 the active rules the user sees, with their villages.
RULES = 3 + 1 + NAV["official"]


def test_rules_cost_exactly_their_queries_before_and_after_30_more(login, pw, django_assert_num_queries):
    client = login(pw.users.official)
    _assert_queries(client, "/points/rules/", RULES, django_assert_num_queries)
    for i in range(30):
        Rule.objects.create(
            village=pw.qixing if i % 2 else pw.hualong, category="civility", name=f"规则{i}", points=i + 1
        )
    _assert_queries(client, "/points/rules/", RULES, django_assert_num_queries)


def _publish(pw, village, cadre):
    board = s.board_compile(actor=cadre, village=village, year=pw.today.year, quarter=_quarter(pw.today))
    s.board_decide(board=board, actor=cadre, decision="评议通过", meeting_date=pw.today)
    return s.board_publish(board=board, actor=cadre)


# The board (a draft): 4 the board (village, compiler joined), 5 its lines (account, household
# joined), 6 the village's points settings; after the nav, 7 the lines again as the decide
# form's choices. The public page (read here by the signed-in cadre): 1 the village (township
# joined), 2 its published boards, 3 the latest of them, 4 the village's points settings (for
# the page and the board), 5 the village's grids with their sizes (which names a public page may
# show), 6 the active rules, 7 the awards in 公示, 8 the board's lines, 9 the shop items; then,
# as the template reaches request.user, 10 the session, 11 the user, 12 the scope, and the
# cadre's nav.
BOARD = 3 + 3 + NAV["cadre"] + 1
PUBLIC = 9 + 3 + NAV["cadre"]


def test_board_and_public_page_cost_exactly_their_queries_for_1_line_and_for_25(client, pw, django_assert_num_queries):
    from points.models import VillagePointsSettings

    VillagePointsSettings.objects.update(publish_black_list=True)
    client.force_login(pw.users.cadre)
    pw.approved(account=pw.acc.q1b)
    small = s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=pw.today.year, quarter=_quarter(pw.today))
    _assert_queries(client, f"/points/boards/{small.pk}/", BOARD, django_assert_num_queries)
    # 化龙村's published board is empty and nothing of it is in 公示.
    _publish(pw, pw.hualong, pw.users.other_cadre)
    _assert_queries(client, f"/public/points/{pw.hualong.code}/", PUBLIC, django_assert_num_queries)
    for household in _households(pw, 12):
        actor = pw.users.grid1 if household.grid_id == pw.q1.pk else pw.users.grid2
        pw.approved(account=household.points_account, actor=actor)
        pw.approved(account=household.points_account, actor=actor, rule=pw.rules.breach, note="乱倒垃圾")
        pw.propose(account=household.points_account, rule=pw.rules.meeting, actor=actor)
    large = s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=pw.today.year, quarter=_quarter(pw.today))
    assert large.lines.count() > 20
    _assert_queries(client, f"/points/boards/{large.pk}/", BOARD, django_assert_num_queries)
    _publish(pw, pw.qixing, pw.users.cadre)
    _assert_queries(client, f"/public/points/{pw.qixing.code}/", PUBLIC, django_assert_num_queries)


# The shop's items (the clerk): 4 the villages whose shop the user runs, 5 their items (village
# joined). The boards (the cadre): 4 the boards (village and compiler joined), then the compile
# form: 5 any village the user compiles for, 6 COUNT of them, 7 the first (the default when
# there is one).
ITEMS = 3 + 2 + NAV["clerk"]
BOARDS = 3 + 4 + NAV["cadre"]


def test_items_cost_exactly_their_queries_for_2_items_and_for_14(login, pw, django_assert_num_queries):
    client = login(pw.users.clerk)
    for size in (2, 14):
        while Item.objects.filter(village=pw.qixing).count() < size:
            n = Item.objects.count()
            Item.objects.create(village=pw.qixing, name=f"物品{n}", unit="个", price=5, stock=3)
        _assert_queries(client, "/points/items/", ITEMS, django_assert_num_queries)


def test_boards_cost_exactly_their_queries_for_1_board_and_for_4(login, pw, django_assert_num_queries):
    client = login(pw.users.cadre)
    year = pw.today.year - 1
    s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=year, quarter=1)
    _assert_queries(client, "/points/boards/", BOARDS, django_assert_num_queries)
    for quarter in (2, 3, 4):
        s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=year, quarter=quarter)
    assert Board.objects.filter(village=pw.qixing).count() == 4
    _assert_queries(client, "/points/boards/", BOARDS, django_assert_num_queries)


# ---------------------------------------------------------------- one write per rendered form


def test_a_double_post_of_the_redeem_form_redeems_once(login, pw):
    client = login(pw.users.clerk)
    url = f"/points/shop/{pw.acc.q1.pk}/"
    token = form_token(client.get(url).content.decode())
    member = pw.households.q1.members.order_by("id").first()
    data = {"form_token": token, "item": pw.items.soap.pk, "quantity": 2, "member": member.pk}
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert Redemption.objects.filter(account=pw.acc.q1).count() == 1
    assert Item.objects.get(pk=pw.items.soap.pk).stock == 48
    pw.acc.q1.refresh_from_db()
    assert pw.acc.q1.balance == 80
    page = client.get(url).content.decode()
    assert "nothing was redeemed twice" in page or "没有重复" in page or "already been sent" in page


def test_a_double_post_of_an_approval_approves_once(login, pw):
    award = pw.propose(days_ago=4)
    client = login(pw.users.cadre)
    token = re.search(
        r'name="approve-form_token" value="([0-9a-f-]{36})"',
        client.get(f"/points/entries/{award.pk}/").content.decode(),
    ).group(1)
    for _ in range(2):
        response = client.post(
            f"/points/entries/{award.pk}/approve/", {"approve-form_token": token, "approve-note": "核实"}
        )
        assert response.status_code == 302
    assert Entry.objects.filter(award=award).count() == 1
    pw.acc.q1.refresh_from_db()
    assert pw.acc.q1.balance == 105


# ---------------------------------------------------------------- errors next to the fields


def test_the_counter_refuses_more_than_the_household_can_spend_and_keeps_the_input(login, pw):
    client = login(pw.users.clerk)
    url = f"/points/shop/{pw.acc.q1.pk}/"
    member = pw.households.q1.members.order_by("id").first()
    token = form_token(client.get(url).content.decode())
    response = client.post(url, {"form_token": token, "item": pw.items.oil.pk, "quantity": 1, "member": member.pk})
    assert response.status_code == 400
    page = response.content.decode()
    block = field_block(page, "item")  # next to the item chosen
    assert "errorlist" in block and "20" in block and "80" in block and "60" in block  # spends 20 above 80; costs 60
    assert re.search(rf'value="{pw.items.oil.pk}" checked', page)
    assert Redemption.objects.count() == 0


def test_the_counter_refuses_more_than_the_stock_next_to_the_quantity(login, pw):
    pw.approved(rule=pw.rules.family, actor=pw.users.leader1, evidence=pw.photo())  # 150: spends 70
    pw.approved(account=pw.acc.q1, rule=pw.rules.volunteer)  # 155: spends 75
    client = login(pw.users.clerk)
    url = f"/points/shop/{pw.acc.q1.pk}/"
    member = pw.households.q1.members.order_by("id").first()
    token = form_token(client.get(url).content.decode())
    Item.objects.filter(pk=pw.items.oil.pk).update(price=20)
    response = client.post(url, {"form_token": token, "item": pw.items.oil.pk, "quantity": 3, "member": member.pk})
    assert response.status_code == 400
    block = field_block(response.content.decode(), "quantity")
    assert "errorlist" in block and "2" in block and 'value="3"' in block
    assert Item.objects.get(pk=pw.items.oil.pk).stock == 2


def test_a_deduction_without_a_note_is_refused_next_to_the_note(login, pw):
    client = login(pw.users.grid1)
    url = f"/points/entries/new/?account={pw.acc.q1.pk}"
    token = form_token(client.get(url).content.decode())
    response = client.post(
        url, {"form_token": token, "rule": pw.rules.breach.pk, "occurred_on": pw.today.isoformat(), "note": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "errorlist" in field_block(page, "note")
    assert re.search(rf'<option value="{pw.rules.breach.pk}" selected>', page)
    assert not Award.objects.exists()


def test_a_proposal_over_the_cap_is_refused_next_to_the_rule(login, pw):
    pw.propose(rule=pw.rules.tidy)
    client = login(pw.users.grid1)
    url = f"/points/entries/new/?account={pw.acc.q1.pk}"
    token = form_token(client.get(url).content.decode())
    response = client.post(url, {"form_token": token, "rule": pw.rules.tidy.pk, "occurred_on": pw.today.isoformat()})
    assert response.status_code == 400
    assert "errorlist" in field_block(response.content.decode(), "rule")
    assert Award.objects.count() == 1


def test_a_future_date_is_refused_next_to_the_date(login, pw):
    client = login(pw.users.grid1)
    url = f"/points/entries/new/?account={pw.acc.q1.pk}"
    token = form_token(client.get(url).content.decode())
    tomorrow = pw.today + datetime.timedelta(days=1)
    response = client.post(
        url, {"form_token": token, "rule": pw.rules.volunteer.pk, "occurred_on": tomorrow.isoformat()}
    )
    assert response.status_code == 400
    block = field_block(response.content.decode(), "occurred_on")
    assert "errorlist" in block and tomorrow.isoformat() in block


@pytest.mark.parametrize("day", ["1900-01-01", "too_far_back"])
def test_a_date_long_ago_is_refused_next_to_the_date(login, pw, day):
    client = login(pw.users.grid1)
    url = f"/points/entries/new/?account={pw.acc.q1.pk}"
    token = form_token(client.get(url).content.decode())
    if day == "too_far_back":
        day = (pw.today - datetime.timedelta(days=367)).isoformat()
    response = client.post(url, {"form_token": token, "rule": pw.rules.volunteer.pk, "occurred_on": day})
    assert response.status_code == 400
    assert "errorlist" in field_block(response.content.decode(), "occurred_on")
    assert not Award.objects.exists()


def test_a_rejection_needs_a_reason_next_to_the_field(login, pw):
    award = pw.propose()
    client = login(pw.users.cadre)
    token = re.search(
        r'name="reject-form_token" value="([0-9a-f-]{36})"', client.get(f"/points/entries/{award.pk}/").content.decode()
    ).group(1)
    response = client.post(f"/points/entries/{award.pk}/reject/", {"reject-form_token": token, "reject-reason": " "})
    assert response.status_code == 400
    assert "errorlist" in field_block(response.content.decode(), "reject-reason")
    award.refresh_from_db()
    assert award.status == AwardStatus.PENDING


def test_a_batch_names_the_households_it_refuses(login, pw):
    pw.propose(account=pw.acc.q1b, rule=pw.rules.tidy)
    client = login(pw.users.grid1)
    token = form_token(client.get("/points/entries/batch/").content.decode())
    response = client.post(
        "/points/entries/batch/",
        {
            "form_token": token,
            "rule": pw.rules.tidy.pk,
            "occurred_on": pw.today.isoformat(),
            "note": "清洁家园",
            "accounts": [pw.acc.q1.pk, pw.acc.q1b.pk],
        },
    )
    assert response.status_code == 400
    block = field_block(response.content.decode(), "accounts")
    assert "errorlist" in block and pw.households.q1b.number in block
    assert re.search(rf'value="{pw.acc.q1.pk}"[^>]*checked', block)
    assert Award.objects.count() == 1


def test_a_batch_proposes_every_ticked_household_once(login, pw):
    client = login(pw.users.grid1)
    token = form_token(client.get("/points/entries/batch/").content.decode())
    data = {
        "form_token": token,
        "rule": pw.rules.volunteer.pk,
        "occurred_on": pw.today.isoformat(),
        "note": "清洁家园",
        "accounts": [pw.acc.q1.pk, pw.acc.q1b.pk],
    }
    assert client.post("/points/entries/batch/", data).status_code == 302
    assert client.post("/points/entries/batch/", data).status_code == 302
    assert Award.objects.filter(rule=pw.rules.volunteer, batch__isnull=False).count() == 2


# ---------------------------------------------------------------- maker-checker and the objection window


def test_the_proposer_gets_no_decision_forms_and_a_forced_post_is_refused(login, pw):
    award = pw.propose(rule=pw.rules.family, actor=pw.users.cadre, evidence=pw.photo(), days_ago=4)
    client = login(pw.users.cadre)
    page = client.get(f"/points/entries/{award.pk}/").content.decode()
    assert "approve-form_token" not in page and "reject-form_token" not in page
    assert "另一名村干部" in page  # maker-checker: another cadre must decide
    queue = client.get("/points/queue/").content.decode()
    assert f'name="awards" value="{award.pk}"' not in queue
    assert f"/points/entries/{award.pk}/" in queue  # listed under "proposed by you"
    forged = {"approve-form_token": "6f1c1a8e-8a59-4a55-9d55-6d5e8f0c2a11"}
    response = client.post(f"/points/entries/{award.pk}/approve/", forged)
    assert response.status_code == 403
    assert "另一名村干部" in response.content.decode()
    response = client.post("/points/queue/approve/", {"form_token": forged["approve-form_token"], "awards": [award.pk]})
    assert response.status_code == 400
    award.refresh_from_db()
    assert award.status == AwardStatus.PENDING
    client = login(pw.users.cadre2)
    token = re.search(
        r'name="approve-form_token" value="([0-9a-f-]{36})"',
        client.get(f"/points/entries/{award.pk}/").content.decode(),
    ).group(1)
    assert client.post(f"/points/entries/{award.pk}/approve/", {"approve-form_token": token}).status_code == 302
    award.refresh_from_db()
    assert award.status == AwardStatus.APPROVED and award.decided_by == pw.users.cadre2


def test_approval_during_the_objection_window_is_refused_with_a_message(login, pw):
    award = pw.propose(days_ago=1)
    client = login(pw.users.cadre)
    page = client.get(f"/points/entries/{award.pk}/").content.decode()
    assert "approve-form_token" not in page and "reject-form_token" in page
    response = client.post(
        f"/points/entries/{award.pk}/approve/", {"approve-form_token": "6f1c1a8e-8a59-4a55-9d55-6d5e8f0c2a12"}
    )
    assert response.status_code == 409
    assert "公示" in response.content.decode()
    award.refresh_from_db()
    assert award.status == AwardStatus.PENDING


def test_the_queue_approves_the_ticked_entries_at_once(login, pw):
    first, second = pw.propose(days_ago=4), pw.propose(account=pw.acc.q1b, days_ago=4)
    waiting = pw.propose(account=pw.acc.q1b, rule=pw.rules.meeting)
    client = login(pw.users.cadre)
    page = client.get("/points/queue/").content.decode()
    assert f'name="awards" value="{waiting.pk}"' not in page
    response = client.post("/points/queue/approve/", {"form_token": form_token(page), "awards": [first.pk, second.pk]})
    assert response.status_code == 302
    assert set(Award.objects.filter(status=AwardStatus.APPROVED).values_list("pk", flat=True)) == {first.pk, second.pk}


def test_the_queue_names_its_field_in_the_error_summary_in_the_page_language(login, pw):
    pw.propose(days_ago=4)
    client = login(pw.users.cadre)
    page = client.get("/points/queue/").content.decode()
    response = client.post("/points/queue/approve/", {"form_token": form_token(page)})
    summary = response.content.decode().split('id="form-errors"', 1)[1].split("</div>", 1)[0]
    assert ">Awards<" not in summary
    with translation.override(response.headers["Content-Language"]):
        assert f'">{translation.gettext("Proposals to approve")}</a>' in summary


# ---------------------------------------------------------------- reversal


def test_a_cadre_reverses_a_redemption_from_the_passbook(login, pw):
    redemption = s.points_redeem(actor=pw.users.clerk, account=pw.acc.q1, item=pw.items.soap, quantity=2)
    client = login(pw.users.cadre)
    passbook = client.get(f"/points/accounts/{pw.acc.q1.pk}/").content.decode()
    url = f"/points/lines/{redemption.entry.pk}/reverse/"
    assert url in passbook
    token = re.search(r'name="reverse-form_token" value="([0-9a-f-]{36})"', client.get(url).content.decode()).group(1)
    response = client.post(url, {"reverse-form_token": token, "reverse-reason": ""})
    assert response.status_code == 400 and "errorlist" in field_block(response.content.decode(), "reverse-reason")
    assert client.post(url, {"reverse-form_token": token, "reverse-reason": "登记错误，退回"}).status_code == 302
    assert client.post(url, {"reverse-form_token": token, "reverse-reason": "登记错误，退回"}).status_code == 302
    assert Entry.objects.filter(kind=EntryKind.REVERSAL).count() == 1
    assert Item.objects.get(pk=pw.items.soap.pk).stock == 50
    pw.acc.q1.refresh_from_db()
    assert pw.acc.q1.balance == 100
    assert url not in client.get(f"/points/accounts/{pw.acc.q1.pk}/").content.decode()


# ---------------------------------------------------------------- the household page and the passbook


def test_the_household_page_shows_the_passbook_and_what_the_floor_costs(login, pw):
    client = login(pw.users.grid1)
    page = client.get(f"/households/{pw.households.q1.pk}/").content.decode()
    assert f"/points/accounts/{pw.acc.q1.pk}/" in page and "floor-warning" not in page
    pw.approved(rule=pw.rules.major, note="严重违反村规民约")
    page = client.get(f"/households/{pw.households.q1.pk}/").content.decode()
    # Below the floor a household loses only what the village itself grants, never 惠民待遇.
    assert "floor-warning" in page and "积分超市" in page and "评优评先" in page
    assert "惠民待遇" not in page
    assert re.search(r'class="figure negative">-50<', page)


def test_the_statement_is_a_year_oldest_first_with_the_balance_carried(login, pw):
    pw.approved()
    s.points_redeem(actor=pw.users.clerk, account=pw.acc.q1, item=pw.items.soap)
    client = login(pw.users.grid1)
    page = client.get(f"/points/accounts/{pw.acc.q1.pk}/statement/").content.decode()
    balances = re.findall(r'<td class="num">(-?\d+)</td>\s*</tr>', page)
    assert balances == ["100", "105", "95"]  # opening (no balance brought in its first year), earned, redeemed
    assert "<strong>95</strong>" in page


# ---------------------------------------------------------------- boards through the pages


def test_a_cadre_compiles_decides_and_publishes_the_board(login, pw):
    pw.approved(account=pw.acc.q1b)
    pw.approved(rule=pw.rules.breach, note="乱倒垃圾")
    client = login(pw.users.cadre)
    page = client.get("/points/boards/").content.decode()
    quarter = _quarter(pw.today)
    response = client.post(
        "/points/boards/compile/",
        {"form_token": form_token(page), "village": pw.qixing.pk, "year": pw.today.year, "quarter": quarter},
    )
    board = Board.objects.get(village=pw.qixing)
    assert response.status_code == 302 and response["Location"] == f"/points/boards/{board.pk}/"
    page = client.get(f"/points/boards/{board.pk}/").content.decode()
    token = re.search(r'name="decide-form_token" value="([0-9a-f-]{36})"', page).group(1)
    future = (pw.today + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        f"/points/boards/{board.pk}/decide/",
        {"decide-form_token": token, "decide-meeting_date": future, "decide-decision": "通过"},
    )
    assert response.status_code == 400 and "errorlist" in field_block(response.content.decode(), "decide-meeting_date")
    response = client.post(
        f"/points/boards/{board.pk}/decide/",
        {"decide-form_token": token, "decide-meeting_date": pw.today.isoformat(), "decide-decision": "评议通过"},
    )
    assert response.status_code == 302
    page = client.get(f"/points/boards/{board.pk}/").content.decode()
    token = re.search(r'name="publish-form_token" value="([0-9a-f-]{36})"', page).group(1)
    assert client.post(f"/points/boards/{board.pk}/publish/", {"publish-form_token": token}).status_code == 302
    board.refresh_from_db()
    assert board.status == BoardStatus.PUBLISHED
    grid_worker = login(pw.users.grid1)
    assert grid_worker.post(f"/points/boards/{board.pk}/compile/", {"compile-form_token": token}).status_code == 403


# ---------------------------------------------------------------- the public page


def test_the_public_page_names_households_by_initials_only(client, pw):
    pw.propose(note="入户核实 13800001111")  # in 公示
    pw.approved(account=pw.acc.q1b)
    pw.approved(rule=pw.rules.breach, note="乱倒垃圾")
    board = s.board_compile(actor=pw.users.cadre, village=pw.qixing, year=pw.today.year, quarter=_quarter(pw.today))
    s.board_decide(board=board, actor=pw.users.cadre, decision="通过", meeting_date=pw.today)
    s.board_publish(board=board, actor=pw.users.cadre)
    page = client.get(f"/public/points/{pw.qixing.code}/").content.decode()
    assert "Z.S." in page and "L.S." not in page  # 张三 in 公示; 李四 on the red list without consent
    s.account_consent(actor=pw.users.cadre, account=pw.acc.q1b, consent=True)
    page = client.get(f"/public/points/{pw.qixing.code}/").content.decode()
    assert "L.S." in page
    for household in (pw.households.q1, pw.households.q1b):
        assert household.head_name not in page and household.number not in page
        for member in household.members.all():
            assert member.name not in page and member.phone not in page and member.id_number_masked not in page
    assert "13800001111" not in page and "入户核实" not in page and "乱倒垃圾" not in page
    assert "public-board black" not in page
    from points.models import VillagePointsSettings

    VillagePointsSettings.objects.filter(village=pw.qixing).update(publish_black_list=True)
    page = client.get(f"/public/points/{pw.qixing.code}/").content.decode()
    assert "public-board black" in page and "取消当年评先评优资格" in page
    assert client.get("/public/points/000/").status_code == 404


def test_evidence_photos_are_scoped_and_item_photos_public_only_for_goods_on_sale(client, pw):
    award = pw.propose(evidence=pw.photo())
    client.force_login(pw.users.grid1)
    response = client.get(f"/points/entries/{award.pk}/evidence/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    client.force_login(pw.users.grid2)
    assert client.get(f"/points/entries/{award.pk}/evidence/").status_code == 404
    client.logout()
    assert client.get(f"/points/entries/{award.pk}/evidence/").status_code == 302
    s.item_update(item=pw.items.soap, actor=pw.users.clerk, photo=pw.photo("soap.jpg"))
    public = f"/public/points/{pw.qixing.code}/items/{pw.items.soap.pk}/photo/"
    assert client.get(public).status_code == 200
    assert client.get(f"/public/points/{pw.hualong.code}/items/{pw.items.soap.pk}/photo/").status_code == 404
    s.item_update(item=pw.items.soap, actor=pw.users.clerk, is_active=False)
    assert client.get(public).status_code == 404


def test_the_proposals_page_filters_as_the_api_does(login, pw):
    """The page reads ?status= and ?batch= with the API's AwardFilter; a value that is not
    one is ignored, as the page always did."""
    pending = pw.propose()
    approved = pw.approved(account=pw.acc.q1b)
    batch = s.award_propose_batch(actor=pw.users.grid1, rule=pw.rules.volunteer, accounts=[pw.acc.q1b])
    client = login(pw.users.cadre)

    def shown(query):
        page = client.get(f"/points/entries/?{query}")
        assert page.status_code == 200
        return {award.pk for award in page.context["rows"]}

    in_batch = set(batch.awards.values_list("pk", flat=True))
    assert shown("status=approved") == {approved.pk}
    assert shown("status=pending") == {pending.pk} | in_batch
    assert shown(f"batch={batch.pk}") == in_batch
    assert shown("status=nonsense&batch=x") == {pending.pk, approved.pk} | in_batch
    assert client.get("/points/entries/?status=approved").context["status"] == "approved"
