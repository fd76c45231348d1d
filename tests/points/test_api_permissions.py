"""The points permission matrix: every endpoint and action, each persona's status.

Out of scope is 404 (an id in a payload that the caller does not see: 400 on that field), a
role that may not act 403, a state that does not allow it 409, a bad payload 400, anonymous
401 (not_authenticated). A refused request leaves the database exactly as it was.
"""

import datetime

import pytest
from django.db.models import Count

from governance.models import IdempotencyRecord, Notification
from points import services as s
from points.models import Account, Award, AwardBatch, Board, BoardLine, Entry, Item, Objection, Redemption
from tests.matrix import Case, api_login, api_problems, api_send, matrix_params, run_matrix

PERSONAS = (
    "grid1",
    "grid2",
    "leader1",
    "helper",
    "cadre",
    "cadre2",
    "clerk",
    "supervisor",
    "other_cadre",
    "official",
    "leader",
    "other_official",
    "handler",
    "outsider",
    "admin",
    "anon",
)

# Who sees 张三's passbook (七星村 grid 1, in the courtyard 老院子).
SEES_ACCOUNT = ("grid1", "leader1", "helper", "cadre", "cadre2", "clerk", "official", "leader", "admin")
# Who sees 七星村 by name (its catalogue and its shop): its staff, its supervision committee
# (村务监督委员会), and the township (the department handler included).
SEES_VILLAGE = ("grid1", "grid2", "leader1", "helper", "cadre", "cadre2", "clerk", "official", "leader")
SEES_VILLAGE += ("supervisor", "handler", "admin")
# Who sees 七星村's boards (internal until published): its cadres, clerk, grid staff, the township.
SEES_BOARD = ("grid1", "grid2", "leader1", "cadre", "cadre2", "clerk", "official", "leader", "admin")
CADRES = {"cadre": 200, "cadre2": 200, "admin": 200}


def expect(sees, default, **overrides):
    statuses = dict.fromkeys(PERSONAS, 404)
    statuses.update(dict.fromkeys(sees, default))
    statuses["anon"] = 401
    statuses.update(overrides)
    return statuses


def everyone(status, **overrides):
    return expect(PERSONAS, status, **overrides)


NOT_PROPOSERS = dict.fromkeys(
    ("clerk", "supervisor", "official", "leader", "other_official", "handler", "outsider"), 403
)

MATRIX = [
    # (method, url, payload, expected statuses)
    ("GET", "/api/v1/points/accounts/", None, everyone(200)),
    ("GET", "/api/v1/points/accounts/{account}/", None, expect(SEES_ACCOUNT, 200)),
    ("GET", "/api/v1/points/accounts/{account}/ledger/", None, expect(SEES_ACCOUNT, 200)),
    (
        "POST",
        "/api/v1/points/accounts/open-missing/",
        {"village": "{qixing}"},
        everyone(403, other_cadre=400, **CADRES),
    ),
    ("GET", "/api/v1/points/rules/", None, everyone(200)),
    ("GET", "/api/v1/points/rules/{rule}/", None, expect(SEES_VILLAGE, 200)),
    ("GET", "/api/v1/points/entries/", None, everyone(200)),
    ("GET", "/api/v1/points/entries/?waiting=1", None, everyone(200)),
    ("GET", "/api/v1/points/entries/{ready}/", None, expect(SEES_ACCOUNT, 200)),
    (
        "POST",
        "/api/v1/points/entries/",
        {"account": "{account}", "rule": "{rule}", "note": "敬老院志愿服务"},
        # The rule names grid staff: a cadre sees the household but may not propose it (403);
        # a proposer elsewhere does not see it (400 on the field).
        everyone(201, grid2=400, other_cadre=400, cadre=403, cadre2=403, **NOT_PROPOSERS),
    ),
    (
        "POST",
        "/api/v1/points/entries/batch/",
        {"rule": "{rule}", "accounts": ["{account}"], "note": "大扫除"},
        everyone(201, grid2=400, other_cadre=400, cadre=403, cadre2=403, **NOT_PROPOSERS),
    ),
    (
        "POST",
        "/api/v1/points/entries/{ready}/approve/",
        {},
        # Maker-checker: the grid worker who proposed it may not approve it.
        expect(SEES_ACCOUNT, 403, **CADRES),
    ),
    # role before state, state before payload
    (
        "POST",
        "/api/v1/points/entries/{in_window}/approve/",
        {},
        expect(SEES_ACCOUNT, 403, cadre=409, cadre2=409, admin=409),
    ),
    (
        "POST",
        "/api/v1/points/entries/{approved}/approve/",
        {},
        expect(SEES_ACCOUNT, 403, cadre=409, cadre2=409, admin=409),
    ),
    ("POST", "/api/v1/points/entries/{ready}/reject/", {"reason": "群众有异议"}, expect(SEES_ACCOUNT, 403, **CADRES)),
    ("POST", "/api/v1/points/entries/{ready}/reject/", {}, expect(SEES_ACCOUNT, 403, cadre=400, cadre2=400, admin=400)),
    (
        "POST",
        "/api/v1/points/entries/{approved}/reject/",
        {},
        expect(SEES_ACCOUNT, 403, cadre=409, cadre2=409, admin=409),
    ),
    ("POST", "/api/v1/points/entries/{approved}/reverse/", {"reason": "登记错户"}, expect(SEES_ACCOUNT, 403, **CADRES)),
    (
        "POST",
        "/api/v1/points/entries/{ready}/reverse/",
        {"reason": "x"},
        expect(SEES_ACCOUNT, 403, cadre=409, cadre2=409, admin=409),
    ),
    ("GET", "/api/v1/points/items/", None, everyone(200)),
    ("GET", "/api/v1/points/items/{item}/", None, expect(SEES_VILLAGE, 200)),
    (
        "POST",
        "/api/v1/points/items/",
        {"village": "{qixing}", "name": "肥皂", "price": 6, "stock": 10},
        everyone(403, clerk=201, cadre=201, cadre2=201, admin=201, other_cadre=400),
    ),
    ("PATCH", "/api/v1/points/items/{item}/", {"price": 12}, expect(SEES_VILLAGE, 403, clerk=200, **CADRES)),
    ("POST", "/api/v1/points/items/{item}/restock/", {"quantity": 5}, expect(SEES_VILLAGE, 403, clerk=200, **CADRES)),
    ("GET", "/api/v1/points/redemptions/", None, everyone(200)),
    ("GET", "/api/v1/points/redemptions/{redemption}/", None, expect(SEES_ACCOUNT, 200)),
    (
        "POST",
        "/api/v1/points/redemptions/",
        {"account": "{account}", "item": "{item}", "quantity": 1},
        everyone(403, clerk=201, cadre=201, cadre2=201, admin=201, other_cadre=400),
    ),
    (
        "POST",
        "/api/v1/points/redemptions/{redemption}/reverse/",
        {"reason": "退货"},
        # Corrections are for the village's cadres, not the clerk who redeemed.
        expect(SEES_ACCOUNT, 403, **CADRES),
    ),
    ("GET", "/api/v1/points/boards/", None, everyone(200)),
    ("GET", "/api/v1/points/boards/{board}/", None, expect(SEES_BOARD, 200)),
    (
        "POST",
        "/api/v1/points/boards/",
        {"village": "{qixing}", "year": "{year}", "quarter": "{quarter}"},
        everyone(403, other_cadre=400, cadre=201, cadre2=201, admin=201),
    ),
    ("POST", "/api/v1/points/boards/{board}/compile/", {}, expect(SEES_BOARD, 403, **CADRES)),
    (
        "POST",
        "/api/v1/points/boards/{board}/decide/",
        {"decision": "评议通过", "meeting_date": "{today}"},
        expect(SEES_BOARD, 403, **CADRES),
    ),
    ("POST", "/api/v1/points/boards/{board}/publish/", {}, expect(SEES_BOARD, 403, cadre=409, cadre2=409, admin=409)),
    ("GET", "/api/v1/points/boards/{board}/public/", None, expect(SEES_BOARD, 404)),
    # Objections during the 公示: whoever sees the passbook records one for a resident (an
    # award out of sight is a 400 on the field); a cadre other than the objector (grid1) rules.
    ("GET", "/api/v1/points/objections/", None, everyone(200)),
    ("GET", "/api/v1/points/objections/{objection}/", None, expect(SEES_ACCOUNT, 200)),
    (
        "POST",
        "/api/v1/points/objections/",
        {"award": "{in_window}", "reason": "他家那天不在村里", "contact_phone": "15800001234"},
        # grid1's own objection to it waits for a ruling: a second one from them is a 409.
        everyone(400, **{**dict.fromkeys(SEES_ACCOUNT, 201), "grid1": 409}),
    ),
    (
        "POST",
        "/api/v1/points/objections/",
        {"award": "{ready}", "reason": "晚了"},
        everyone(400, **dict.fromkeys(SEES_ACCOUNT, 409)),
    ),
    (
        "POST",
        "/api/v1/points/objections/{objection}/rule/",
        {"upheld": False, "note": "核实无误"},
        expect(SEES_ACCOUNT, 403, **CADRES),
    ),
    (
        "POST",
        "/api/v1/points/objections/{objection}/rule/",
        {"upheld": True},
        expect(SEES_ACCOUNT, 403, cadre=400, cadre2=400, admin=400),
    ),
    # A pending objection holds the entry, even past its window.
    ("POST", "/api/v1/points/entries/{held}/approve/", {}, expect(SEES_ACCOUNT, 403, cadre=409, cadre2=409, admin=409)),
]


def database_state():
    """Everything a refused request must leave untouched."""
    return (
        list(Account.objects.order_by("pk").values_list("pk", "balance")),
        list(Award.objects.order_by("pk").values_list("pk", "status", "decided_by_id")),
        list(Objection.objects.order_by("pk").values_list("pk", "ruling", "ruled_by_id")),
        list(Entry.objects.values("kind").annotate(n=Count("id")).order_by("kind")),
        list(Item.objects.order_by("pk").values_list("pk", "stock", "price", "name")),
        Redemption.objects.count(),
        AwardBatch.objects.count(),
        list(Board.objects.order_by("pk").values_list("pk", "status")),
        BoardLine.objects.count(),
        Notification.objects.count(),
        IdempotencyRecord.objects.count(),
    )


@pytest.fixture
def objects(pw):
    u = pw.users
    ready = pw.propose(days_ago=4)
    in_window = pw.propose(account=pw.acc.q1)
    objection = s.objection_raise(award=in_window, actor=u.grid1, reason="不是这一户")
    held = pw.propose(days_ago=4, rule=pw.rules.meeting)
    s.objection_raise(award=held, actor=u.grid1, reason="没有到会", now=pw.now - datetime.timedelta(days=3))
    approved = pw.approved(rule=pw.rules.meeting)
    redemption = s.points_redeem(actor=u.clerk, account=pw.acc.q1, item=pw.items.soap)
    today = pw.today
    quarter = (today.month - 1) // 3 + 1
    board = s.board_compile(actor=u.cadre, village=pw.qixing, year=today.year, quarter=quarter)
    return {
        "qixing": pw.qixing.pk,
        "account": pw.acc.q1.pk,
        "rule": pw.rules.volunteer.pk,
        "item": pw.items.soap.pk,
        "ready": ready.pk,
        "in_window": in_window.pk,
        "objection": objection.pk,
        "held": held.pk,
        "approved": approved.pk,
        "redemption": redemption.pk,
        "board": board.pk,
        "year": today.year,
        "quarter": quarter,
        "today": today.isoformat(),
    }


def _note(url, data) -> str:
    if data == {} and "reject" in url:
        return "bad payload"
    if data == {"upheld": True}:
        return "no note"
    if data and data.get("award") == "{ready}":
        return "window closed"
    return ""


CASES = [Case(method, url, expected, data, note=_note(url, data)) for method, url, data, expected in MATRIX]


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_points_permission_matrix(pw, objects, api_client, case):
    url, data = case.resolve(objects)
    run_matrix(
        case,
        personas=PERSONAS,
        login=api_login(api_client, pw.users),
        send=api_send(api_client, case.method, url, data),
        snapshot=database_state,
        checks=[api_problems],
    )


def test_own_proposal_is_refused_with_its_own_code(pw, api_client):
    award = pw.propose(rule=pw.rules.family, actor=pw.users.cadre, days_ago=4, evidence=pw.photo())
    api_client.force_authenticate(pw.users.cadre)
    response = api_client.post(f"/api/v1/points/entries/{award.pk}/approve/", {}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "own_proposal"
    api_client.force_authenticate(pw.users.cadre2)
    assert api_client.post(f"/api/v1/points/entries/{award.pk}/approve/", {}, format="json").status_code == 200


def test_lists_show_only_what_the_caller_sees(pw, objects, api_client):
    pw.propose(account=pw.acc.q2, actor=pw.users.grid2)

    def ids(persona, url):
        api_client.force_authenticate(getattr(pw.users, persona))
        return {row["account"] if "account" in row else row["id"] for row in api_client.get(url).json()["results"]}

    assert ids("grid2", "/api/v1/points/entries/") == {pw.acc.q2.pk}
    assert ids("helper", "/api/v1/points/entries/") == {pw.acc.q1.pk}
    assert ids("cadre", "/api/v1/points/entries/") == {pw.acc.q1.pk, pw.acc.q2.pk}
    assert ids("other_cadre", "/api/v1/points/entries/") == set()
    assert ids("grid2", "/api/v1/points/accounts/") == {pw.acc.q2.pk}
    assert ids("helper", "/api/v1/points/accounts/") == {pw.acc.q1.pk}
    assert ids("other_official", "/api/v1/points/accounts/") == {pw.households.l1.points_account.pk}
    assert ids("handler", "/api/v1/points/accounts/") == set()
    waiting = {row["id"] for row in api_client.get("/api/v1/points/entries/?waiting=1").json()["results"]}
    assert waiting == set()  # the handler decides nothing
    api_client.force_authenticate(pw.users.cadre)
    waiting = {row["id"] for row in api_client.get("/api/v1/points/entries/?waiting=1").json()["results"]}
    assert objects["ready"] in waiting and objects["approved"] not in waiting
    assert datetime.date.fromisoformat(objects["today"]) == pw.today
