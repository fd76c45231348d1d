"""The points API: bodies, error codes, Idempotency-Key, batches, files, the schema."""

import io

import pytest
from django.core.management import call_command

from points import services as s
from points.models import Account, Award, Entry, Item, Redemption, VillagePointsSettings

URL = "/api/v1/points"


# The proposals are `awards/`; `entries/` is their old name, deprecated but still served.
RESOURCES = pytest.mark.parametrize("resource", ["/awards", "/entries"])


def post(client, url, payload=None, **headers):
    return client.post(f"{URL}{url}", payload or {}, format="json", **headers)


@RESOURCES
def test_propose_then_approve_once_the_objection_window_has_closed(pw, as_user, resource):
    client = as_user(pw.users.grid1)
    member = pw.households.q1.members.first()
    response = post(
        client,
        f"{resource}/",
        {"account": pw.acc.q1.pk, "rule": pw.rules.volunteer.pk, "note": "敬老院", "member": member.pk},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["points"], body["member_name"], body["entry"]) == ("pending", 5, member.name, None)
    assert body["household_number"] == pw.households.q1.number and body["objection_until"]

    cadre = as_user(pw.users.cadre)
    early = post(cadre, f"{resource}/{body['id']}/approve/")
    assert early.status_code == 409
    assert early.json()["code"] == "objection_window_open"

    Award.objects.filter(pk=body["id"]).update(objection_until=pw.now)
    approved = post(cadre, f"{resource}/{body['id']}/approve/", {"note": "属实"})
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["balance_after"]) == ("approved", 105)
    again = post(cadre, f"{resource}/{body['id']}/approve/")
    assert (again.status_code, again.json()["code"]) == (409, "already_decided")

    reversed_ = post(cadre, f"{resource}/{body['id']}/reverse/", {"reason": "登记错户"})
    assert reversed_.status_code == 200 and reversed_.json()["reversed_by"]
    twice = post(cadre, f"{resource}/{body['id']}/reverse/", {"reason": "再冲正"})
    assert (twice.status_code, twice.json()["code"]) == (409, "already_reversed")


def test_payload_errors_are_field_errors(pw, as_user):
    client = as_user(pw.users.grid1)
    response = post(client, "/awards/", {"account": pw.acc.q1.pk, "rule": pw.rules.breach.pk, "note": ""})
    assert response.status_code == 400 and "note" in response.json()
    response = post(client, "/awards/", {"account": pw.acc.h1.pk, "rule": pw.rules.volunteer.pk})
    assert response.status_code == 400 and "account" in response.json()
    response = post(client, "/awards/", {"account": pw.acc.q1.pk, "rule": pw.rules.family.pk, "note": "x"})
    assert response.status_code == 403  # grid workers do not propose titles


def test_cap_reached_at_proposal_is_a_400_with_its_code(pw, as_user):
    pw.propose(rule=pw.rules.tidy)
    response = post(as_user(pw.users.grid1), "/awards/", {"account": pw.acc.q1.pk, "rule": pw.rules.tidy.pk})
    assert response.status_code == 400
    assert response.json()["code"] == "cap_reached" and response.json()["rule"]


def test_insufficient_points_and_stock_are_clear_400s(pw, as_user):
    clerk = as_user(pw.users.clerk)
    response = post(
        clerk,
        "/redemptions/",
        {"account": pw.acc.q1.pk, "item": pw.items.soap.pk, "quantity": 3},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "insufficient_points"
    assert body["account"] == [body["detail"]] and "can spend 20" in body["detail"]

    VillagePointsSettings.objects.filter(village=pw.qixing).update(redeem_threshold=-1000)
    response = post(clerk, "/redemptions/", {"account": pw.acc.q1.pk, "item": pw.items.oil.pk, "quantity": 3})
    assert response.status_code == 400
    assert response.json()["code"] == "insufficient_stock" and response.json()["quantity"]
    assert not Redemption.objects.exists()
    assert Item.objects.get(pk=pw.items.oil.pk).stock == 2


def test_a_replayed_redemption_redeems_once(pw, as_user):
    client = as_user(pw.users.clerk)
    payload = {"account": pw.acc.q1.pk, "item": pw.items.soap.pk, "quantity": 1}
    first = post(client, "/redemptions/", payload, HTTP_IDEMPOTENCY_KEY="till-7")
    second = post(client, "/redemptions/", payload, HTTP_IDEMPOTENCY_KEY="till-7")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json() and second["Idempotent-Replayed"] == "true"
    assert Redemption.objects.count() == 1
    assert Account.objects.get(pk=pw.acc.q1.pk).balance == 90
    assert Item.objects.get(pk=pw.items.soap.pk).stock == 49
    third = post(client, "/redemptions/", payload, HTTP_IDEMPOTENCY_KEY="till-8")
    assert third.status_code == 201 and Redemption.objects.count() == 2


def test_a_replayed_approval_posts_once(pw, as_user):
    award = pw.propose(days_ago=4)
    client = as_user(pw.users.cadre)
    first = post(client, f"/awards/{award.pk}/approve/", HTTP_IDEMPOTENCY_KEY="ok-1")
    second = post(client, f"/awards/{award.pk}/approve/", HTTP_IDEMPOTENCY_KEY="ok-1")
    assert (first.status_code, second.status_code) == (200, 200)
    assert Entry.objects.filter(award=award).count() == 1


@RESOURCES
def test_batch_award_for_an_event(pw, as_user, resource):
    client = as_user(pw.users.grid1)
    residents = [m.pk for m in pw.households.q1.members.all()] + [pw.households.q1b.members.first().pk]
    response = post(
        client, f"{resource}/batch/", {"rule": pw.rules.volunteer.pk, "residents": residents, "note": "大扫除"}
    )
    assert response.status_code == 201
    body = response.json()
    assert [row["account"] for row in body["entries"]] == [pw.acc.q1.pk, pw.acc.q1b.pk]
    assert all(row["batch"] == body["batch"] for row in body["entries"])


def test_batch_errors_name_each_bad_position_and_write_nothing(pw, as_user):
    pw.propose(account=pw.acc.q1b, rule=pw.rules.tidy)
    client = as_user(pw.users.grid1)
    before = Award.objects.count()
    response = post(client, "/awards/batch/", {"rule": pw.rules.tidy.pk, "accounts": [pw.acc.q1.pk, pw.acc.q1b.pk]})
    assert response.status_code == 400
    assert list(response.json()["accounts"]) == ["1"]
    response = post(client, "/awards/batch/", {"rule": pw.rules.tidy.pk, "accounts": [pw.acc.q1.pk, pw.acc.h1.pk]})
    assert response.status_code == 400 and list(response.json()["accounts"]) == ["1"]  # not seen
    response = post(client, "/awards/batch/", {"rule": pw.rules.tidy.pk})
    assert response.status_code == 400
    assert Award.objects.count() == before


def test_batch_award_from_a_meeting_record(mw, pw, as_user):
    from petitions import services as ps
    from petitions.models import Kind

    matter = mw.staff_matter()
    ps.matter_classify(matter=matter, actor=pw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    meeting = ps.matter_deliberate(
        matter=matter,
        actor=pw.users.grid1,
        kind="meeting",
        held_on=pw.today,
        summary="院坝会",
        participants=list(pw.households.q1b.members.all()),
    )
    client = as_user(pw.users.grid1)
    payload = {"rule": pw.rules.meeting.pk, "deliberation": meeting.pk}
    response = post(client, "/awards/batch/", payload)
    assert response.status_code == 201 and [r["account"] for r in response.json()["entries"]] == [pw.acc.q1b.pk]
    again = post(client, "/awards/batch/", payload)
    assert (again.status_code, again.json()["code"]) == (409, "already_proposed")
    hidden = post(as_user(pw.users.other_cadre), "/awards/batch/", payload)
    assert hidden.status_code == 400 and "deliberation" in hidden.json()  # a meeting they do not see
    assert post(as_user(pw.users.clerk), "/awards/batch/", payload).status_code == 403  # proposes nothing


@RESOURCES
def test_evidence_is_uploaded_and_served_only_to_those_who_see_the_entry(pw, as_user, resource):
    client = as_user(pw.users.leader1)
    payload = {"account": pw.acc.q1.pk, "rule": pw.rules.family.pk, "note": "获评最美家庭", "evidence": pw.photo()}
    response = client.post(f"{URL}{resource}/", payload, format="multipart")
    assert response.status_code == 201 and response.json()["has_evidence"]
    url = f"{URL}{resource}/{response.json()['id']}/evidence/"
    served = as_user(pw.users.cadre).get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["Cache-Control"].startswith("private")
    assert as_user(pw.users.grid2).get(url).status_code == 404
    without = post(client, f"{resource}/", {"account": pw.acc.q1b.pk, "rule": pw.rules.family.pk, "note": "x"})
    assert without.status_code == 400 and "evidence" in without.json()


def test_ledger_lists_a_passbook_newest_first_with_balances(pw, as_user):
    pw.approved()
    pw.approved(rule=pw.rules.breach, note="乱倒垃圾")
    response = as_user(pw.users.grid1).get(f"{URL}/accounts/{pw.acc.q1.pk}/ledger/")
    rows = response.json()["results"]
    assert [(r["kind"], r["points"], r["balance_after"]) for r in rows] == [
        ("deduct", -10, 95),
        ("earn", 5, 105),
        ("opening", 100, 100),
    ]


def test_accounts_show_standing_and_filter_below_the_floor(pw, as_user):
    pw.approved(rule=pw.rules.major, note="重大违规")
    client = as_user(pw.users.cadre)
    rows = client.get(f"{URL}/accounts/?below_floor=1").json()["results"]
    assert [(r["id"], r["balance"], r["spendable"], r["below_floor"]) for r in rows] == [(pw.acc.q1.pk, -50, 0, True)]
    above = {r["id"] for r in client.get(f"{URL}/accounts/?below_floor=0").json()["results"]}
    assert pw.acc.q1b.pk in above and pw.acc.q1.pk not in above
    one = client.get(f"{URL}/accounts/{pw.acc.q1b.pk}/").json()
    assert (one["balance"], one["spendable"], one["redeem_threshold"], one["benefit_floor"]) == (100, 20, 80, 60)


def test_shop_items_are_managed_by_the_clerk(pw, as_user):
    client = as_user(pw.users.clerk)
    created = client.post(
        f"{URL}/items/",
        {"village": pw.qixing.pk, "name": "大米", "price": 40, "stock": 5, "photo": pw.photo("rice.jpg")},
        format="multipart",
    )
    assert created.status_code == 201 and created.json()["has_photo"]
    item = created.json()["id"]
    assert as_user(pw.users.grid1).get(f"{URL}/items/{item}/photo/").status_code == 200
    assert post(client, f"/items/{item}/restock/", {"quantity": 10}).json()["stock"] == 15
    changed = client.patch(f"{URL}/items/{item}/", {"price": 45, "is_active": False}, format="json")
    assert (changed.json()["price"], changed.json()["is_active"], changed.json()["stock"]) == (45, False, 15)
    assert client.patch(f"{URL}/items/{item}/", {"stock": 999}, format="json").json()["stock"] == 15
    duplicate = post(client, "/items/", {"village": pw.qixing.pk, "name": "大米", "price": 1})
    assert duplicate.status_code == 400 and "name" in duplicate.json()


def test_a_board_is_compiled_decided_and_published(pw, as_user):
    pw.approved()
    client = as_user(pw.users.cadre)
    quarter = (pw.today.month - 1) // 3 + 1
    board = post(client, "/boards/", {"village": pw.qixing.pk, "year": pw.today.year, "quarter": quarter})
    assert board.status_code == 201
    body = board.json()
    assert body["status"] == "draft" and [line["side"] for line in body["lines"]] == ["red"]
    decided = post(
        client, f"/boards/{body['id']}/decide/", {"decision": "评议通过", "meeting_date": pw.today.isoformat()}
    )
    assert decided.status_code == 200 and decided.json()["status"] == "decided"
    published = post(as_user(pw.users.cadre2), f"/boards/{body['id']}/publish/")
    assert published.json()["status"] == "published"
    public = as_user(pw.users.grid2).get(f"{URL}/boards/{body['id']}/public/").json()
    # Named only with the household's consent; counted without it.
    assert public["red"] == [] and public["red_unnamed"] == 1 and public["black"] is None
    s.account_consent(actor=pw.users.cadre, account=pw.acc.q1, consent=True)
    public = as_user(pw.users.grid2).get(f"{URL}/boards/{body['id']}/public/").json()
    assert public["red"][0]["initials"] == "Z.S." and public["red_unnamed"] == 0


def test_the_points_endpoints_are_in_the_schema(db, tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out), stdout=io.StringIO())
    schema = out.read_text()
    for path in (
        "/api/v1/points/accounts/",
        "/api/v1/points/accounts/{id}/ledger/",
        "/api/v1/points/rules/",
        "/api/v1/points/awards/",
        "/api/v1/points/awards/batch/",
        "/api/v1/points/awards/{id}/approve/",
        "/api/v1/points/awards/{id}/reject/",
        "/api/v1/points/awards/{id}/reverse/",
        "/api/v1/points/entries/",
        "/api/v1/points/entries/batch/",
        "/api/v1/points/entries/{id}/approve/",
        "/api/v1/points/entries/{id}/reject/",
        "/api/v1/points/entries/{id}/reverse/",
        "/api/v1/points/items/",
        "/api/v1/points/redemptions/",
        "/api/v1/points/redemptions/{id}/reverse/",
        "/api/v1/points/boards/",
        "/api/v1/points/boards/{id}/publish/",
    ):
        assert f"  {path}:" in schema


def test_the_schema_marks_every_entries_operation_deprecated_and_no_other(db, client, settings):
    """`entries/` is the old name of `awards/`: the same operations, each marked deprecated,
    with operationIds of their own."""
    settings.API_DOCS_PUBLIC = True
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    operations = {(path, method): op for path, ops in paths.items() for method, op in ops.items()}
    deprecated = {key for key, op in operations.items() if op.get("deprecated")}
    entries = {key for key in operations if key[0].startswith(f"{URL}/entries/")}
    awards = {(path.replace("/awards/", "/entries/", 1), method) for path, method in operations if "/awards/" in path}

    assert len(entries) == 8 and deprecated == entries
    assert awards == entries
    ids = [op["operationId"] for op in operations.values()]
    assert len(ids) == len(set(ids))


def test_the_old_entries_path_answers_as_awards_does(pw, as_user):
    ready = pw.propose(days_ago=4)
    cadre = as_user(pw.users.cadre)
    for url in ("/", "/?waiting=1", f"/{ready.pk}/", "/?status=pending"):
        new, old = cadre.get(f"{URL}/awards{url}"), cadre.get(f"{URL}/entries{url}")
        assert (new.status_code, old.status_code) == (200, 200)
        assert old.json() == new.json()
    assert as_user(pw.users.grid2).get(f"{URL}/entries/{ready.pk}/").status_code == 404
    rejected = post(cadre, f"/entries/{ready.pk}/reject/", {"reason": "群众有异议"})
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    assert post(cadre, f"/awards/{ready.pk}/reject/", {"reason": "再驳回"}).json()["code"] == "already_decided"


@pytest.mark.parametrize("payload", [{"order": "11"}, {"photo": "PHOTO"}])
def test_a_multipart_patch_changes_only_what_it_sends(pw, as_user, payload):
    """Form bodies leave out what is not sent: the item stays on sale."""
    item = pw.items.soap
    if "photo" in payload:
        payload = {"photo": pw.photo("soap.jpg")}

    response = as_user(pw.users.clerk).patch(f"{URL}/items/{item.pk}/", payload, format="multipart")

    assert response.status_code == 200, response.json()
    item.refresh_from_db()
    assert item.is_active and item.price == 10 and item.name == "香皂"
    assert item.order == (11 if "order" in payload else 100)
