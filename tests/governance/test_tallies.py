"""The tallies behind the township and district boards (governance.tallies): counted by beat,
read by the boards, counted again by the reader when stale, one count at a time."""

import datetime
import threading

import pytest
from django.db import connection, connections
from django.test import override_settings

from governance.models import Tally, TallyRun
from governance.tallies import count_tallies, count_tallies_task, fresh_run
from grids.models import Household, Resident
from petitions.models import Matter, State
from tests.api.matter_states import government
from tests.governance.test_dashboards import _check_every_figure, _client

pytestmark = pytest.mark.django_db


def _received(township) -> int:
    return sum(Tally.objects.filter(township=township).values_list("received", flat=True))


def test_the_district_board_and_each_township_page_are_their_lists(demo):
    """The superuser sees the townships side by side; every figure is the list behind it, and
    each township opens its own board (villages and departments), whose figures are too."""
    from grids.models import Township

    admin = _client("admin")
    html = admin.get("/").content.decode()
    assert "chart-townships" in html and "chart-months" in html
    assert _check_every_figure(admin, html) >= 20
    for township in Township.objects.order_by("pk"):
        page = admin.get(f"/dashboard/townships/{township.pk}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "chart-villages" in html
        _check_every_figure(admin, html)
        # the drill-down goes on: township → village → its list
        for village in township.villages.all():
            assert f'href="/dashboard/villages/{village.pk}/"' in html


def test_a_count_tallies_every_village_with_its_places(mw):
    count_tallies()
    for village in (mw.qixing, mw.hualong):
        own = Tally.objects.get(village=village, department=None, month=None)
        assert own.households == Household.objects.filter(village=village).count()
        assert own.residents == Resident.objects.filter(village=village).count()
        assert own.grids == village.grids.count()
    run = TallyRun.objects.get()
    assert run.matters == Matter.objects.count() and run.counted_at is not None


def test_the_boards_read_the_last_count_and_count_again_when_it_is_stale(mw):
    first = count_tallies()
    before = _received(mw.weituo)
    government(mw, State.HANDLING)
    # Counted a minute ago: the board reads the tallies as they are (and says when).
    soon = first.counted_at + datetime.timedelta(seconds=60)
    assert fresh_run(soon).counted_at == first.counted_at
    assert _received(mw.weituo) == before
    # Past TALLY_MAX_AGE (beat stopped): the reader counts them first.
    with override_settings(TALLY_MAX_AGE=600):
        later = first.counted_at + datetime.timedelta(seconds=601)
        assert fresh_run(later).counted_at == later
    assert _received(mw.weituo) == before + 1
    # Beat's task counts every time.
    assert count_tallies_task() == Matter.objects.count()
    assert _received(mw.weituo) == before + 1


def test_the_township_board_says_when_its_figures_were_counted(mw, client):
    run = count_tallies()
    client.force_login(mw.users.official)
    html = client.get("/").content.decode()
    local = run.counted_at.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
    assert f"{local.month}月{local.day}日 {local:%H:%M}" in html


def _rows() -> list:
    rows = Tally.objects.values_list("village_id", "department_id", "month", "received", "held", "households")
    return sorted(rows, key=str)


@pytest.mark.django_db(transaction=True)
def test_two_counts_at_once_leave_one_set_of_rows(mw):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (set DATABASE_URL)")
    government(mw, State.HANDLING)
    count_tallies()
    expected = _rows()
    barrier = threading.Barrier(2)
    errors = []

    def count():
        barrier.wait()
        try:
            count_tallies()
        except Exception as error:  # noqa: BLE001 - the assertion below names it
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=count) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _rows() == expected
    assert TallyRun.objects.count() == 1


def test_the_command_counts_them_as_beat_does(mw):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("count_tallies", stdout=out)
    run = TallyRun.objects.get()
    assert f"matters={Matter.objects.count()}" in out.getvalue() and run.counted_at.isoformat() in out.getvalue()
    assert Tally.objects.filter(village=mw.qixing, department=None, month=None).exists()
