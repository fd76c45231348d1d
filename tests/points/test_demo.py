"""The demo points bank: loaded by seed_demo, idempotent, and its ledger adds up."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from grids.models import Household
from points.models import Account, Award, AwardStatus, Board, BoardStatus, Entry, EntryKind, Item, Rule
from tests.demo_snapshot import load_demo


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    load_demo()


def counts():
    return [m.objects.count() for m in (Account, Entry, Award, Rule, Item, Board)]


def test_demo_points_bank_is_complete_and_its_ledger_adds_up(demo):
    assert Account.objects.count() == Household.objects.count()
    assert set(Entry.objects.values_list("kind", flat=True)) == set(EntryKind.values)
    assert Rule.objects.filter(village__name="七星村", name="评为“最美家庭”", points=50).exists()
    assert Item.objects.filter(village__name="七星村", name="食用油").exists()
    pending = Award.objects.filter(village__name="七星村", status=AwardStatus.PENDING)
    now = timezone.now()
    assert pending.filter(objection_until__gt=now).exists()  # in its 公示
    assert pending.filter(objection_until__lte=now).exists()  # ready for qixing_cadre
    assert all(a.proposed_by.username == "qixing_grid1" for a in pending)
    assert Board.objects.filter(village__name="李湾村", status=BoardStatus.PUBLISHED).exists()
    out = io.StringIO()
    call_command("check_points_ledger", stdout=out)
    assert "points ledger ok" in out.getvalue()


def test_seed_points_is_idempotent(demo):
    before = counts()
    call_command("seed_demo", force=True, stdout=io.StringIO())
    assert counts() == before
