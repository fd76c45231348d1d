"""Personas and a small world: 渭沱镇 (七星村 grids 1 and 2, 化龙村) and 小沔镇 (李湾村).

七星村 has a cadre, a shop clerk and a member of its supervision committee (村务监督委员会)."""

import os
from types import SimpleNamespace

import pytest

from governance.models import Role
from governance.services import department_create
from grids.services import courtyard_create, grid_create, township_create, village_create
from tests.factories import assign, make_household, make_user


def _clock_destination():
    """Where CUNZHI_TEST_TODAY (YYYY-MM-DD, at 10:00 Asia/Shanghai) or CUNZHI_TEST_CLOCK_SHIFT_DAYS
    (N days from now, same time of day) moves the clock for the whole run, or None."""
    import datetime
    import zoneinfo

    today, shift = os.environ.get("CUNZHI_TEST_TODAY"), os.environ.get("CUNZHI_TEST_CLOCK_SHIFT_DAYS")
    if today:
        day = datetime.date.fromisoformat(today)
        return datetime.datetime.combine(day, datetime.time(10), tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    if shift:
        return datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=int(shift))
    return None


_traveller = None
_destination = None  # where the clock was moved, computed once (from the real clock)


def pytest_configure(config):
    global _traveller, _destination
    destination = _clock_destination()
    if destination is not None and _traveller is None:
        _destination = destination
        import time_machine

        # Process-wide (every thread, so Celery workers and beat started by tests too), and in
        # each xdist worker, which runs pytest_configure itself. The clock keeps ticking.
        _traveller = time_machine.travel(destination, tick=True)
        _traveller.start()

    from django.conf import settings

    # Hashing a dozen persona passwords with PBKDF2 per test costs seconds; tests do not
    # measure password strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    from governance.celery import app

    # Tasks run in-process by default in tests; the tests that exercise the real broker and
    # worker (tests/governance/test_notifications.py) switch to Redis explicitly.
    app.conf.task_always_eager = True


def pytest_unconfigure(config):
    global _traveller
    if _traveller is not None:
        _traveller.stop()
        _traveller = None


def pytest_report_header(config):
    if _destination is not None:  # not _clock_destination() again: the clock has already moved
        return f"clock moved to {_destination.isoformat()} (CUNZHI_TEST_TODAY / CUNZHI_TEST_CLOCK_SHIFT_DAYS)"
    return None


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language. A test client request in English leaves English
    active in the worker's thread (LocaleMiddleware activates it and nothing resets it), and a
    later test that calls a service directly would write its notifications in English."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Login and throttle counters live in the cache (Redis when REDIS_URL is set, shared by
    parallel test workers): each test gets keys of its own, so it starts with none."""
    import uuid

    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"} for name, config in settings.CACHES.items()
    }


@pytest.fixture(autouse=True)
def _demo_forgotten():
    """A test that loaded the demo snapshot (tests.demo_snapshot) leaves no cached content type
    behind for the next one."""
    yield
    from tests.demo_snapshot import after_test

    after_test()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item):
    """A transactional test has committed rows or flushed the tables: the committed database's
    fingerprint that tests.fixture_snapshot keeps is read again."""
    marker = item.get_closest_marker("django_db")
    if "transactional_db" in item.fixturenames or (marker and marker.kwargs.get("transaction")):
        from tests.fixture_snapshot import committed_changed

        committed_changed()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI every test must run: a skip there (no Chromium, no PostgreSQL) is a failure."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where every test must run: {report.longrepr}"


@pytest.fixture
def world(db):
    """The small world of this module's docstring. Built once per test process and copied into
    each test that asks for it (tests.fixture_snapshot): the same rows, ids and objects."""
    from tests.fixture_snapshot import snapshotted

    return snapshotted("world", _build_world)


def _build_world():
    weituo = township_create(name="渭沱镇", code="500117101", district="合川区")
    xiaomian = township_create(name="小沔镇", code="500117102", district="合川区")
    qixing = village_create(township=weituo, name="七星村", code="500117101001")
    hualong = village_create(township=weituo, name="化龙村", code="500117101002")
    liwan = village_create(township=xiaomian, name="李湾村", code="500117102001")
    q1 = grid_create(village=qixing, number=1, name="第一网格")
    q2 = grid_create(village=qixing, number=2, name="第二网格")
    h1 = grid_create(village=hualong, number=1, name="第一网格")
    l1 = grid_create(village=liwan, number=1, name="第一网格")
    yard = courtyard_create(grid=q1, name="老院子")
    sifasuo = department_create(township=weituo, name="司法所")

    users = SimpleNamespace(
        grid1=make_user("t_grid1", name="网格员一"),
        grid2=make_user("t_grid2", name="网格员二"),
        helper=make_user("t_helper", name="包院落党员"),
        cadre=make_user("t_cadre", name="七星村干部", email="cadre@example.com"),
        clerk=make_user("t_clerk", name="积分超市"),
        supervisor=make_user("t_supervisor", name="七星村监委会"),
        other_cadre=make_user("t_hualong", name="化龙村干部"),
        official=make_user("t_official", name="渭沱镇干部"),
        leader=make_user("t_leader", name="渭沱镇领导"),
        other_official=make_user("t_xiaomian", name="小沔镇干部"),
        handler=make_user("t_sifasuo", name="司法所"),
        outsider=make_user("t_outsider", name="无任职"),
        admin=make_user("t_admin", name="管理员", is_superuser=True, is_staff=True),
    )
    assign(users.grid1, Role.GRID_WORKER, q1)
    assign(users.grid2, Role.GRID_WORKER, q2)
    assign(users.helper, Role.COURTYARD_HELPER, yard)
    assign(users.cadre, Role.VILLAGE_CADRE, qixing)
    assign(users.clerk, Role.SHOP_CLERK, qixing)
    assign(users.supervisor, Role.VILLAGE_SUPERVISOR, qixing)
    assign(users.other_cadre, Role.VILLAGE_CADRE, hualong)
    assign(users.official, Role.TOWNSHIP_OFFICIAL, weituo)
    assign(users.leader, Role.TOWNSHIP_LEADER, weituo)
    assign(users.other_official, Role.TOWNSHIP_OFFICIAL, xiaomian)
    assign(users.handler, Role.DEPARTMENT_HANDLER, department=sifasuo)

    households = SimpleNamespace(
        q1=make_household(q1, head_name="张三", courtyard=yard),
        q1b=make_household(q1, head_name="李四"),
        q2=make_household(q2, head_name="王五"),
        h1=make_household(h1, head_name="赵六"),
        l1=make_household(l1, head_name="马七"),
    )
    return SimpleNamespace(
        weituo=weituo,
        xiaomian=xiaomian,
        qixing=qixing,
        hualong=hualong,
        liwan=liwan,
        q1=q1,
        q2=q2,
        h1=h1,
        l1=l1,
        yard=yard,
        sifasuo=sifasuo,
        users=users,
        households=households,
    )


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def as_user(api_client):
    """Log an API client in as a user: as_user(world.users.grid1)."""

    def login(user):
        api_client.force_authenticate(user)
        return api_client

    return login


# The matters fixtures (categories, and `mw`: the world plus matter makers), for every folder.
# The place keepers' fixture (`pk_world`: the world and a township administrator of 渭沱镇).
# The catalogues' fixture (`cw`: the world, a township administrator, catalogue rows), for every folder.
from tests.catalogue_fixtures import cw  # noqa: E402, F401
from tests.grids.place_fixtures import pk_world  # noqa: E402, F401
from tests.petitions.conftest import categories, mw  # noqa: E402, F401

# The pledges' fixture (`plw`: the world, a party member, pledge makers), for every folder.
from tests.pledge_fixtures import plw  # noqa: E402, F401

# 力量沉底's fixture (`sent`: the world with its official 包村 七星村, its leader 包片 of 北片).
from tests.sent_down_fixtures import sent  # noqa: E402, F401

# The staff accounts' fixture (`sw`: the world, two township administrators, an opened account).
from tests.staff_fixtures import sw  # noqa: E402, F401
