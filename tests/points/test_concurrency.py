"""Redemptions racing on one passbook and one item, from real threads, on PostgreSQL.

Each thread has its own database connection; the account row lock (then the item's)
serialises them, so exactly the affordable number succeed, nothing is spent below the
threshold, the stock never goes below zero, and the ledger still adds up.
"""

import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections

from points import services as s
from points.models import Account, Entry, Item, Redemption, VillagePointsSettings
from points.policy import PointsRefused

THREADS = 50


def run_at_once(call, threads=THREADS) -> list[str]:
    """`call` from `threads` threads released together, each on its own connection: "ok" or the
    refusal's code (anything else, a deadlock or a constraint, as its repr)."""
    barrier = threading.Barrier(threads)
    outcomes, lock = [], threading.Lock()

    def one():
        try:
            barrier.wait()
            call()
            result = "ok"
        except PointsRefused as refused:
            result = refused.code
        except Exception as error:  # a missing transaction, a deadlock or a constraint
            result = repr(error)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcomes


def race(pw, item, threads=THREADS):
    account = pw.households.q1.points_account
    outcomes = run_at_once(lambda: s.points_redeem(actor=pw.users.clerk, account=account, item=item), threads)
    return account, outcomes


def settle(threshold: int) -> None:
    VillagePointsSettings.objects.filter(village__name="七星村").update(redeem_threshold=threshold)


def ledger_ok() -> str:
    out = io.StringIO()
    call_command("check_points_ledger", stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def pg(pw):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (set DATABASE_URL)")
    return pw


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_redemptions_spend_exactly_what_is_affordable(pg):
    settle(threshold=30)  # 100 points, 70 spendable: seven soaps at 10
    account, outcomes = race(pg, pg.items.soap)

    assert outcomes.count("ok") == 7, outcomes
    assert sorted(set(outcomes)) == ["insufficient_points", "ok"]
    account = Account.objects.get(pk=account.pk)
    assert account.balance == 30  # exactly the threshold, never below
    assert Item.objects.get(pk=pg.items.soap.pk).stock == 43
    assert Redemption.objects.count() == 7
    assert Entry.objects.filter(account=account, kind="redeem").count() == 7
    assert "points ledger ok" in ledger_ok()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_redemptions_never_take_the_stock_below_zero(pg):
    settle(threshold=0)
    Item.objects.filter(pk=pg.items.soap.pk).update(stock=5, price=1)  # 100 affordable, 5 in stock
    account, outcomes = race(pg, pg.items.soap)

    assert outcomes.count("ok") == 5, outcomes
    assert sorted(set(outcomes)) == ["insufficient_stock", "ok"]
    assert Item.objects.get(pk=pg.items.soap.pk).stock == 0
    assert Account.objects.get(pk=account.pk).balance == 95
    assert "points ledger ok" in ledger_ok()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("threshold", [0, 85], ids=["plenty", "one-affordable"])
def test_concurrent_replays_of_one_idempotency_key_redeem_once(pg, threshold):
    """However many sends of one key race, one redemption and the same answer for all, also
    when the account could not pay a second time (a late replay must not read 'no points')."""
    from rest_framework.test import APIClient

    settle(threshold=threshold)
    account = pg.households.q1.points_account
    payload = {"account": account.pk, "item": pg.items.soap.pk, "quantity": 1}
    barrier = threading.Barrier(10)
    bodies, lock = [], threading.Lock()

    def send():
        client = APIClient()
        client.force_authenticate(pg.users.clerk)
        try:
            barrier.wait()
            response = client.post("/api/v1/points/redemptions/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
        finally:
            connections.close_all()
        with lock:
            bodies.append((response.status_code, response.json().get("id")))

    workers = [threading.Thread(target=send) for _ in range(10)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert {status for status, _id in bodies} == {201}
    assert len({redemption for _status, redemption in bodies}) == 1
    assert Redemption.objects.count() == 1
    assert Account.objects.get(pk=account.pk).balance == 90
    assert "points ledger ok" in ledger_ok()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_proposals_never_slip_past_the_rules_cap(pg):
    """Ten grid workers propose 志愿服务 (cap 4 a month) for one household at once, each in
    its own request (no transaction around the call): the passbook's row lock lets exactly
    four through and refuses the rest with cap_reached."""
    from points.models import Award

    account = pg.acc.q1
    outcomes = run_at_once(
        lambda: s.award_propose(actor=pg.users.grid1, account=account, rule=pg.rules.volunteer, note="入户核实"),
        threads=10,
    )

    assert sorted(set(outcomes)) == ["cap_reached", "ok"], outcomes
    assert outcomes.count("ok") == 4
    assert Award.objects.filter(account=account, rule=pg.rules.volunteer).count() == 4
