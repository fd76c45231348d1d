import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from governance.scoping import scope_for
from grids.idnumbers import decrypt_id_number, validate_id_number
from grids.models import Household, Resident, Township
from grids.services import household_create


def test_generate_scale_builds_a_consistent_scoped_data_set(db):
    out = io.StringIO()
    call_command("generate_scale", townships=2, villages_per=2, grids_per=2, households_per=5, stdout=out)
    assert "township 2/2" in out.getvalue()
    assert Township.objects.filter(code__startswith="S").count() == 2
    assert Household.objects.count() == 2 * 2 * 2 * 5
    residents = Resident.objects.all()
    assert residents.count() >= Household.objects.count()
    hashes = list(residents.values_list("id_number_hash", flat=True))
    assert len(set(hashes)) == len(hashes)
    for resident in residents[:20]:
        number = decrypt_id_number(resident.id_number_encrypted)
        assert validate_id_number(number) == number and resident.id_number_masked[-4:] == number[-4:]
    # Every household has exactly one head, named on the household row.
    for household in Household.objects.all():
        assert household.members.filter(relation_to_head="head").get().name == household.head_name
    grid_worker = get_user_model().objects.get(username="s001_001_01_grid")
    visible = scope_for(grid_worker).filter(Household.objects.all(), "household")
    assert visible.count() == 5 and {h.grid.number for h in visible} == {1}
    official = get_user_model().objects.get(username="s001_official")
    assert scope_for(official).filter(Household.objects.all(), "household").count() == 20
    # Sequences were moved past the explicit ids: the app can keep creating rows.
    household_create(grid=visible[0].grid, number="new-1")


def test_generate_scale_adds_a_year_of_activity_once(db):
    from governance.management.commands.generate_scale import generate_activity
    from grids.visits.models import Visit
    from petitions.models import Matter, MatterEvent
    from points.selectors import ledger_check

    call_command("generate_scale", townships=1, villages_per=2, grids_per=2, households_per=20, stdout=io.StringIO())
    matters = Matter.objects.filter(title__startswith="scale-")
    assert matters.count() == 4 * 20 * 13 // 10  # 1.3 a household
    assert {"closed", "handling", "submitted"} <= set(matters.values_list("state", flat=True))
    # Every matter starts with its submission; every closed one went through its report.
    assert MatterEvent.objects.filter(action="submit").count() == matters.count()
    closed = matters.filter(state="closed")
    assert MatterEvent.objects.filter(action="report", matter__in=closed).values("matter").distinct().count() == (
        closed.count()
    )
    assert Visit.objects.exists()
    assert not ledger_check().problems  # the passbooks: every balance is the sum of its entries
    assert generate_activity() == {}  # already there: nothing added


@pytest.mark.django_db(transaction=True)
def test_generate_scale_ends_with_vacuum_analyze_outside_a_transaction():
    """VACUUM cannot run in a transaction: on an autocommit connection the command vacuums, so
    a server without autovacuum still has the visibility map index-only scans need."""
    if connection.vendor != "postgresql":
        pytest.skip("VACUUM is PostgreSQL's (set DATABASE_URL)")
    out = io.StringIO()
    call_command(
        "generate_scale", townships=1, villages_per=1, grids_per=1, households_per=2, activity=False, stdout=out
    )
    assert "VACUUM ANALYZE (" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_vacuum, last_analyze FROM pg_stat_user_tables WHERE relname = 'grids_resident'")
        vacuumed, analyzed = cursor.fetchone()
    assert vacuumed is not None and analyzed is not None


def test_generate_scale_in_a_transaction_analyzes_only_and_says_so(db):
    out = io.StringIO()
    call_command(
        "generate_scale", townships=1, villages_per=1, grids_per=1, households_per=2, activity=False, stdout=out
    )
    assert "VACUUM ANALYZE skipped inside a transaction: ANALYZE only" in out.getvalue()
