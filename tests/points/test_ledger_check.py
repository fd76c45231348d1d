"""check_points_ledger proves every balance against its entries, and fails loudly when not."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from points import services as s
from points.models import Account, Entry


def check(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("check_points_ledger", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def busy(pw):
    pw.approved()
    pw.approved(account=pw.acc.q1b, rule=pw.rules.breach, note="乱倒垃圾")
    s.award_reverse(award=pw.approved(rule=pw.rules.meeting), actor=pw.users.cadre, reason="重复")
    s.points_redeem(actor=pw.users.clerk, account=pw.acc.q1, item=pw.items.soap)


def test_the_check_passes_on_a_ledger_written_by_the_services(pw):
    busy(pw)
    out, err = check("--batch-size", "2")  # several batches
    assert "points ledger ok: 5 accounts" in out and err == ""


def test_a_tampered_balance_fails_the_check_and_names_the_account(pw):
    busy(pw)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Account._meta.db_table} SET balance = balance + 7 WHERE id = %s", [pw.acc.q1b.pk])
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 bad accounts"):
        call_command("check_points_ledger", "--batch-size", "2", stdout=io.StringIO(), stderr=err)
    assert f"account {pw.acc.q1b.pk}: balance 97 != sum of entries 90" in err.getvalue()


def test_a_tampered_running_balance_fails_the_check(pw):
    busy(pw)
    entry = Entry.objects.filter(account=pw.acc.q1).order_by("id")[1]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Entry._meta.db_table} SET balance_after = 1 WHERE id = %s", [entry.pk])
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("check_points_ledger", stdout=io.StringIO(), stderr=err)
    assert f"entry {entry.pk}: balance_after 1 != running sum" in err.getvalue()


def test_the_check_is_one_aggregate_query_per_batch_not_per_account(pw, django_assert_num_queries):
    from points.selectors import ledger_check

    for _ in range(3):
        pw.approved(account=pw.acc.q2, actor=pw.users.grid2)
    # The fixture's passbooks fill three batches of 2: per batch 1 the next ids, 2 the totals, 3 the
    # running sums; then 10 the next ids, which finds none.
    with django_assert_num_queries(3 * 3 + 1):
        report = ledger_check(batch_size=2)
    assert report.accounts == Account.objects.count() and not report.problems
