"""Attacks on the tallies behind the township and district boards (governance.tallies), the
township page (/dashboard/townships/<id>/), the first report's time, the waiting queue read as
ids, and the visits not superseded: every role, bad ids, races, and every figure against the
list behind it after actions of every kind."""

import datetime
import importlib
import threading
import time
import uuid

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from governance.models import Role, Tally, TallyRun
from governance.tallies import count_tallies, fresh_run
from grids.visits.models import Visit, not_superseded
from grids.visits.services import visit_record
from petitions import services as s
from petitions.deadlines import sweep
from petitions.models import Matter, MatterEvent, Rating, State
from tests.api.matter_states import civil, government, village
from tests.factories import assign, make_user
from tests.governance.test_dashboards import _check_every_figure, figures

pytestmark = pytest.mark.django_db

PERSONAS = [
    "grid1",
    "grid2",
    "helper",
    "cadre",
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


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ---------------------------------------------------------------- the township page, every role


def test_the_township_page_answers_every_role_for_every_id(world):
    """Its own township for its staff and the superuser; any other id, a missing one, one past
    a 64-bit column or not a number: 404 for everyone, never a 500."""
    own = {world.weituo.pk: {"official", "leader", "admin"}, world.xiaomian.pk: {"other_official", "admin"}}
    missing = max(own) + 1000
    for persona in PERSONAS:
        client = _login(getattr(world.users, persona))
        for pk, allowed in own.items():
            status = client.get(f"/dashboard/townships/{pk}/").status_code
            assert status == (200 if persona in allowed else 404), (persona, pk, status)
        for bad in (missing, 0, 2**31, 2**63, 2**64, "abc", "-1", "1.5", "%00"):
            status = client.get(f"/dashboard/townships/{bad}/").status_code
            assert status == 404, (persona, bad, status)
    assert Client().get(f"/dashboard/townships/{world.weituo.pk}/").status_code == 302


def _some_of_everything(mw):
    """Matters of both townships in many states: rated, sent back, supervised, reclassified,
    overdue and escalated by the sweep; returns 小沔镇's own matter."""
    u = mw.users
    civil(mw, State.HANDLING)
    closed = civil(mw, State.EVALUATING)
    s.matter_evaluate(matter=closed, actor=None, rating=Rating.SATISFIED)
    village(mw, State.HANDLING)
    sent = government(mw, State.HANDLING)
    s.matter_send_back(matter=sent, actor=u.handler, reason="不属于司法所职责")
    gov = government(mw, State.HANDLING)
    s.matter_supervise(matter=gov, actor=u.leader, note="请加快办理")
    unhappy = government(mw, State.EVALUATING)
    s.matter_evaluate(matter=unhappy, actor=None, rating=Rating.UNSATISFIED, comment="还是没解决")
    moved = mw.public_matter()
    s.matter_classify(matter=moved, actor=u.cadre, kind="government", category=mw.categories.infrastructure)
    s.matter_reclassify(
        matter=moved, actor=u.official, kind="village", category=mw.categories.village_project, reason="属村级事务"
    )
    late = civil(mw, State.HANDLING)
    sweep(now=late.deadline + datetime.timedelta(days=30))
    # 小沔镇's own matter, which no 渭沱镇 figure may count.
    return mw.public_matter(village=mw.liwan, title="小沔镇的事")


def test_a_township_official_never_sees_another_townships_figures(mw):
    theirs = _some_of_everything(mw)
    count_tallies()
    client = _login(mw.users.official)
    for url in ("/", f"/dashboard/townships/{mw.weituo.pk}/"):
        html = client.get(url).content.decode()
        assert "小沔镇" not in html and "李湾村" not in html, url
        assert f"township={mw.xiaomian.pk}" not in html and f"village={mw.liwan.pk}" not in html, url
        _check_every_figure(client, html)
    assert client.get(f"/dashboard/townships/{mw.xiaomian.pk}/").status_code == 404
    assert client.get(f"/matters/{theirs.pk}/").status_code == 404


def test_every_figure_is_its_list_after_actions_of_every_kind_once_counted(mw):
    """The township page, the township home and the district board: after reclassifying,
    sending back, closing, rating, escalating by the sweep and supervising, a count makes
    every figure the length of the list behind it again (for each reader)."""
    _some_of_everything(mw)
    assert Matter.objects.filter(escalation_level__gt=0).exists()
    assert MatterEvent.objects.filter(action="send_back").exists()
    count_tallies()
    official, leader, admin = (_login(u) for u in (mw.users.official, mw.users.leader, mw.users.admin))
    checked = 0
    for client in (official, leader):
        checked += _check_every_figure(client, client.get("/").content.decode())
        checked += _check_every_figure(client, client.get(f"/dashboard/townships/{mw.weituo.pk}/").content.decode())
    html = admin.get("/").content.decode()
    assert "chart-townships" in html
    checked += _check_every_figure(admin, html)
    for township in (mw.weituo, mw.xiaomian):
        checked += _check_every_figure(admin, admin.get(f"/dashboard/townships/{township.pk}/").content.decode())
    assert checked > 100
    nonzero = {href.split("?")[1].split("&")[-1] for href, n in figures(html) if n}
    assert {"overdue=1", "supervised=1", "escalated=1"} <= nonzero, nonzero


def test_staff_of_two_townships_with_a_third_places_matters_reads_the_same_lists(mw):
    """Someone on the staff of both townships who also sees a matter elsewhere (a grant): the
    district board's figures, month by month too, are still the lists behind them."""
    u = mw.users
    both = make_user("t_both", name="两镇干部")
    assign(both, Role.TOWNSHIP_OFFICIAL, mw.weituo)
    assign(both, Role.TOWNSHIP_OFFICIAL, mw.xiaomian)
    from grids.services import grid_create, township_create, village_create

    third = township_create(name="太和镇", code="500117103", district="合川区")
    taihe = village_create(township=third, name="太和村", code="500117103001")
    grid_create(village=taihe, number=1, name="第一网格")
    elsewhere = mw.public_matter(village=taihe, title="太和的事")
    s.matter_grant(matter=elsewhere, actor=u.admin, user=both)
    mw.public_matter()
    mw.public_matter(village=mw.liwan)
    count_tallies()
    client = _login(both)
    html = client.get("/").content.decode()
    assert "chart-townships" in html and "太和镇" not in html
    # Was: /matters/?created=<this month> said 2 (the two townships' tallies), the list had 3.
    _check_every_figure(client, html)
    # Without the grant the trend links its lists again.
    from petitions.models import MatterUserObjectPermission

    MatterUserObjectPermission.objects.filter(user=both).delete()
    html = client.get("/").content.decode()
    assert any(href.startswith("/matters/?created=") for href, _n in figures(html))
    _check_every_figure(client, html)


# ---------------------------------------------------------------- races


def _in_threads(*targets):
    errors = []

    def run(target):
        try:
            target()
        except Exception as error:  # noqa: BLE001 - the assertion below names it
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a count is stuck"
    return errors


def _rows() -> list:
    return sorted(Tally.objects.values_list("village_id", "department_id", "month", "received", "households"), key=str)


def _needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (set DATABASE_URL)")


@pytest.mark.django_db(transaction=True)
def test_two_first_counts_at_once_on_a_new_database(mw):
    """No TallyRun row yet (a new database, or deleted by hand): two readers that find no
    count both create it; one waits for the other, neither fails, one set of rows remains."""
    _needs_postgresql()
    government(mw, State.HANDLING)
    assert not TallyRun.objects.exists()
    barrier = threading.Barrier(2)

    def read():
        barrier.wait()
        fresh_run()

    assert _in_threads(read, read) == []
    assert TallyRun.objects.count() == 1
    expected = _rows()
    count_tallies()
    assert _rows() == expected and expected


@pytest.mark.django_db(transaction=True)
def test_a_reader_that_waited_for_a_count_does_not_count_again(mw):
    """A reader finds the tallies stale while beat's count holds the lock: it waits, then finds
    them fresh and reads them without a second count."""
    _needs_postgresql()
    from django.db import transaction

    stale = timezone.now() - datetime.timedelta(hours=2)
    TallyRun.objects.create(pk=1, counted_at=stale)
    locked, reader_started = threading.Event(), threading.Event()
    now = timezone.now()
    seen = []

    def beat():
        with transaction.atomic():
            run = TallyRun.objects.select_for_update().get(pk=1)
            locked.set()
            reader_started.wait(10)
            time.sleep(0.5)  # the reader is blocked on the lock by now
            run.counted_at = now
            run.save()

    def reader():
        locked.wait(10)
        reader_started.set()
        seen.append(fresh_run(now + datetime.timedelta(seconds=1)).counted_at)

    assert _in_threads(beat, reader) == []
    assert seen == [now]
    assert not Tally.objects.exists()  # the reader did not count


@pytest.mark.django_db(transaction=True)
def test_a_board_read_during_a_count_shows_the_last_committed_figures(mw):
    """While a count deletes and writes the rows (its transaction open), a board renders the
    last committed ones, not an empty or half-written set."""
    _needs_postgresql()
    from django.db import transaction

    government(mw, State.HANDLING)
    count_tallies()
    before = _rows()
    deleted, read = threading.Event(), threading.Event()
    seen = []

    def count():
        with transaction.atomic():
            TallyRun.objects.select_for_update().get(pk=1)
            Tally.objects.all().delete()
            deleted.set()
            read.wait(10)

    def board():
        deleted.wait(10)
        client = _login(mw.users.official)
        seen.append(client.get("/").status_code)
        seen.append(_rows())
        read.set()

    assert _in_threads(count, board) == []
    assert seen == [200, before]


# ---------------------------------------------------------------- outages


def test_the_boards_render_with_redis_down(mw, settings):
    """REDIS_URL pointing at a closed port: the cache falls back; the boards count and render."""
    settings.CACHES = {
        "default": {
            "BACKEND": "governance.cache.FallbackRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    government(mw, State.HANDLING)
    for user, url in (
        (mw.users.official, "/"),
        (mw.users.official, f"/dashboard/townships/{mw.weituo.pk}/"),
        (mw.users.admin, "/"),
    ):
        assert _login(user).get(url).status_code == 200, url
    assert TallyRun.objects.get().matters == 1


def test_the_boards_render_with_the_run_row_deleted_by_hand(mw):
    government(mw, State.HANDLING)
    count_tallies()
    TallyRun.objects.all().delete()
    official = _login(mw.users.official)
    html = official.get(f"/dashboard/townships/{mw.weituo.pk}/").content.decode()
    _check_every_figure(official, html)
    assert TallyRun.objects.get(pk=1).counted_at is not None
    # A row with no time (created by hand) counts as stale too.
    TallyRun.objects.filter(pk=1).update(counted_at=None)
    assert _login(mw.users.admin).get("/").status_code == 200
    assert TallyRun.objects.get(pk=1).counted_at is not None


# ---------------------------------------------------------------- the first report's time


def test_the_backfill_takes_the_first_of_two_reports(mw):
    """The migration's function on real rows: a matter reported twice gets its first report's
    time, one never reported stays empty, and a matter of another township is not confused."""
    migration = importlib.import_module("petitions.migrations.0011_first_reported_at")
    u = mw.users
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        twice = government(mw, State.VERIFYING)
        first = MatterEvent.objects.get(matter=twice, action="report").created_at
        s.matter_verify(matter=twice, actor=u.official, passed=False, note="协议未签")
        clock.shift(datetime.timedelta(days=3))
        s.matter_report(matter=twice, actor=u.handler, result="协议已签")
        clock.shift(datetime.timedelta(days=1))
        once = government(mw, State.VERIFYING)
        never = government(mw, State.HANDLING)
    twice.refresh_from_db()
    assert twice.first_reported_at == first  # kept on the second report
    assert MatterEvent.objects.filter(matter=twice, action="report").count() == 2
    Matter.objects.update(first_reported_at=None)
    from django.apps import apps

    migration.fill_first_reports(apps, connection.schema_editor())
    values = dict(Matter.objects.values_list("pk", "first_reported_at"))
    assert values[twice.pk] == first
    assert values[once.pk] == MatterEvent.objects.get(matter=once, action="report").created_at
    assert values[never.pk] is None


# ---------------------------------------------------------------- the waiting queue


def test_the_queue_read_as_ids_is_the_queue_for_every_role(mw):
    from django.test import RequestFactory

    from petitions.selectors import matters_by_ids, matters_waiting_for, waiting_ids

    civil(mw, State.SUBMITTED)
    civil(mw, State.CLASSIFIED)
    civil(mw, State.HANDLING)
    civil(mw, State.VERIFYING)
    government(mw, State.HANDLING)
    government(mw, State.VERIFYING)
    late = civil(mw, State.HANDLING)
    sweep(now=late.deadline + datetime.timedelta(days=1))
    checked = 0
    for persona in ("grid1", "grid2", "cadre", "official", "leader", "handler", "leader1", "supervisor"):
        user = getattr(mw.users, persona)
        request = RequestFactory().get("/")
        request.user = user
        expected = list(matters_waiting_for(user))
        ids = waiting_ids(request)
        assert ids == [m.pk for m in expected], persona
        assert waiting_ids(request) is ids  # read once per request
        assert [m.pk for m in matters_by_ids(ids)] == ids
        html = _login(user).get("/").content.decode()
        if ids:
            assert '<span class="badge" title="' in html and f">{len(ids)}</span>" in html, persona
        checked += len(ids)
    assert checked >= 6


def test_a_queue_longer_than_the_page_says_its_length_everywhere(mw):
    """105 matters waiting for the cadre: the badge and the home say 105, the home lists 5, the
    queue page lists the first 100 and says 105 wait (it said 100)."""
    from petitions.views import HOME_QUEUE, QUEUE_LIMIT

    for i in range(QUEUE_LIMIT + 5):
        mw.staff_matter(title=f"排队{i}")
    client = _login(mw.users.cadre)
    home = client.get("/")
    assert home.context["waiting"]["total"] == QUEUE_LIMIT + 5
    assert len(home.context["waiting"]["rows"]) == HOME_QUEUE
    assert f"See all {QUEUE_LIMIT + 5}" in home.content.decode() or f"{QUEUE_LIMIT + 5}" in home.content.decode()
    page = client.get("/matters/waiting/")
    rows = sum(len(group["rows"]) for group in page.context["groups"] if group["action"] == "classify")
    assert rows == QUEUE_LIMIT
    assert page.context["total"] == QUEUE_LIMIT + 5


# ---------------------------------------------------------------- visits not superseded


def test_not_superseded_is_the_old_filter_with_chains_of_corrections(world):
    from grids.visits.fengshi import latest_cycle

    day = latest_cycle(timezone.localdate())  # the last 逢十 day, whatever today is
    at = datetime.datetime.combine(day, datetime.time(10), tzinfo=datetime.timezone(datetime.timedelta(hours=8)))

    def record(user=None, household=None, supersedes=None):
        return visit_record(
            author=user or world.users.grid1,
            client_uuid=uuid.uuid4(),
            visited_at=at,
            method=Visit.Method.HOME,
            household=household or world.households.q1,
            supersedes=supersedes,
            now=at + datetime.timedelta(hours=1),
        )[0]

    plain = record()
    first = record(household=world.households.q1b)
    second = record(supersedes=first)
    third = record(supersedes=second)  # a correction of a correction
    other = record(user=world.users.grid2, household=world.households.q2)
    fixed = record(user=world.users.grid2, household=world.households.q2, supersedes=other)
    old = set(Visit.objects.filter(superseded_by__isnull=True).values_list("pk", flat=True))
    new = set(Visit.objects.filter(not_superseded()).values_list("pk", flat=True))
    assert old == new == {plain.pk, third.pk, fixed.pk}
    for filters in ({"visited_on": day}, {"grid_id__in": [world.q1.pk]}, {"author": world.users.grid2}):
        assert set(Visit.objects.filter(not_superseded(), **filters)) == set(
            Visit.objects.filter(superseded_by__isnull=True, **filters)
        )
    assert Visit.objects.filter(not_superseded()).count() == 3


# ---------------------------------------------------------------- edges of months and places


def test_a_matter_received_just_after_local_midnight_is_in_its_local_month(mw):
    """Received at 00:10 on 1 December 2025 in 重庆 (16:10 UTC the day before): counted in
    December, the window's first month when the board is read at 23:50 on 30 November 2026."""
    tz = datetime.timezone(datetime.timedelta(hours=8))
    with time_machine.travel(datetime.datetime(2025, 12, 1, 0, 10, tzinfo=tz), tick=False):
        mw.public_matter(title="午夜后")
    with time_machine.travel(datetime.datetime(2026, 11, 30, 23, 50, tzinfo=tz), tick=False):
        count_tallies()
        client = _login(mw.users.admin)  # the world's assignments start on the real today
        html = client.get(f"/dashboard/townships/{mw.weituo.pk}/").content.decode()
        found = dict(figures(html))
        assert found[f"/matters/?township={mw.weituo.pk}&created=2025-12"] == 1
        assert found[f"/matters/?village={mw.qixing.pk}&created=2025-12..2026-11"] == 1
        _check_every_figure(client, html)


def test_a_township_with_no_villages_has_a_board(mw):
    from grids.services import township_create

    empty = township_create(name="空镇", code="500117109", district="合川区")
    nobody = make_user("t_empty", name="空镇干部")
    assign(nobody, Role.TOWNSHIP_OFFICIAL, empty)
    mw.public_matter()
    count_tallies()
    assert _login(nobody).get("/").status_code == 200
    assert _login(nobody).get(f"/dashboard/townships/{empty.pk}/").status_code == 200
    admin = _login(mw.users.admin)
    html = admin.get("/").content.decode()
    assert "空镇" in html
    _check_every_figure(admin, html)


def test_a_count_dated_in_the_future_is_counted_again(mw):
    """A count stamped a day ahead (a server clock moved forward, then back): the board used to
    read it as fresh until that day came, saying 'counted at' a time not yet reached."""
    government(mw, State.HANDLING)
    TallyRun.objects.create(pk=1, counted_at=timezone.now() + datetime.timedelta(days=1))
    assert not Tally.objects.exists()
    assert fresh_run().counted_at <= timezone.now()
    assert Tally.objects.filter(township=mw.weituo).exists()


def test_an_ended_assignment_opens_no_township_board(mw):
    from governance.models import Assignment

    today = timezone.localdate()
    Assignment.objects.filter(user=mw.users.official).update(
        valid_from=today - datetime.timedelta(days=30), valid_to=today - datetime.timedelta(days=1)
    )
    client = _login(mw.users.official)
    assert client.get(f"/dashboard/townships/{mw.weituo.pk}/").status_code == 404
    assert "chart-villages" not in client.get("/").content.decode()
