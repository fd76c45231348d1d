"""Two web processes, one site: what docs/scaling.md says holds across processes, tried.

Two gunicorn processes (A and B, as two containers or two hosts would run them) serve the
test database and share the test run's Redis. The test client stands where nginx stands (the
processes trust 127.0.0.1, as compose trusts nginx), so each "client" is the address it puts
in X-Forwarded-For. Then: a session made on A is valid on B (sessions are rows in PostgreSQL);
a (username, address) lockout counts failures made on A and B alike (axes' rows in PostgreSQL);
a throttle counts requests to A and B alike (Redis); an Idempotency-Key used on A replays on B
(its record is in PostgreSQL, written with the object); and two `send_fengshi_reminders` run
at once claim each reminder once (row claims in PostgreSQL).

Needs PostgreSQL and Redis: skipped, saying why, on SQLite or without REDIS_URL outside CI.
"""

import datetime
import http.client
import http.cookies
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone

from governance.models import IdempotencyRecord, Notification
from grids.models import Grid
from grids.visits.fengshi import next_cycle
from grids.visits.models import Reminder
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "scale-out-pass-9"
pytestmark = pytest.mark.django_db(transaction=True)


def _require_postgres_and_redis() -> None:
    missing = []
    if connection.vendor != "postgresql":
        missing.append("PostgreSQL (DATABASE_URL)")
    if not os.environ.get("REDIS_URL"):
        missing.append("Redis (REDIS_URL)")
    if missing:
        reason = "two processes share state only through " + " and ".join(missing)
        print(f"\nSKIP scale-out test: {reason}")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    """The test database this run made (test_<name>, test_<name>_gw0 under xdist)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def _environment(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CUNZHI_TEST_"))}
    env.pop("DEBUG", None)
    env.update(
        DJANGO_SETTINGS_MODULE="governance.settings",
        DATABASE_URL=_database_url(),
        # Closed after each request: nothing of theirs holds the test database between tests.
        DB_CONN_MAX_AGE="0",
        **extra,
    )
    return env


def _random_address() -> str:
    # A fresh address each run: the throttle and login counters in Redis outlive a test.
    n = uuid.uuid4().int
    return f"198.18.{n % 250 + 1}.{(n >> 8) % 250 + 1}"


class Browser:
    """Cookies, shared by every process it talks to, as one person's browser would."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, port, method, path, *, client, body=None, headers=None):
        headers = {"Host": "localhost", "X-Forwarded-For": client, **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in http.cookies.SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, response.read()
        finally:
            conn.close()

    def json(self, port, method, path, data, *, client, headers=None):
        headers = {"Content-Type": "application/json", "Accept-Language": "en", **(headers or {})}
        if "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        status, body = self.request(port, method, path, client=client, body=json.dumps(data), headers=headers)
        return status, json.loads(body) if body else None

    def log_in(self, port, username, password, *, client):
        status, page = self.request(port, "GET", "/accounts/login/", client=client)
        assert status == 200
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request(port, "POST", "/accounts/login/", client=client, body=form, headers=headers)[0]


@pytest.fixture
def two_sites():
    """Ports of two gunicorn processes serving the test database, sharing Redis."""
    _require_postgres_and_redis()
    env = _environment(
        TRUSTED_PROXIES="127.0.0.1",
        AXES_FAILURE_LIMIT="3",
        THROTTLE_PUBLIC="3/min",
    )
    ports = [_free_port(), _free_port()]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "governance.wsgi", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", "1", "--threads", "2", "--timeout", "60"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            for _ in range(300):
                assert process.poll() is None, process.stderr.read().decode()[-3000:]
                try:
                    if Browser().request(port, "GET", "/accounts/login/", client="192.0.2.1")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            else:
                pytest.fail(f"gunicorn on port {port} did not answer in 30 s")
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)


def _cheap_password(user) -> None:
    """A PBKDF2 hash (the processes' hasher) with few rounds: a login costs milliseconds, not a
    second. The tests' own MD5 hasher is unknown to the processes."""
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, uuid.uuid4().hex, iterations=1000)
    user.save(update_fields=["password"])


def test_two_processes_behave_as_one_site(world, two_sites):
    a, b = two_sites
    cadre = world.users.cadre
    _cheap_password(cadre)

    # A session made by logging in on A is valid on B.
    browser, me = Browser(), _random_address()
    assert browser.log_in(a, cadre.username, PASSWORD, client=me) == 302
    assert browser.json(b, "GET", "/api/v1/me/", None, client=me)[1]["username"] == cadre.username
    assert Browser().request(b, "GET", "/api/v1/me/", client=me)[0] in (401, 403)

    # An Idempotency-Key used on A replays on B: one grid, the same answer.
    key, grid = str(uuid.uuid4()), {"village": world.qixing.pk, "name": f"扩容网格{uuid.uuid4().hex[:6]}"}
    first = browser.json(a, "POST", "/api/v1/grids/", grid, client=me, headers={"Idempotency-Key": key})
    again = browser.json(b, "POST", "/api/v1/grids/", grid, client=me, headers={"Idempotency-Key": key})
    assert first[0] == again[0] == 201 and first[1] == again[1]
    assert Grid.objects.filter(name=grid["name"]).count() == 1
    assert IdempotencyRecord.objects.filter(key=key).count() == 1

    # The (username, address) lockout counts failures on A and B alike (AXES_FAILURE_LIMIT=3).
    person = make_user(f"scale{uuid.uuid4().hex[:8]}")
    _cheap_password(person)
    attacker, owner, api = _random_address(), _random_address(), Browser()

    def token(port, password, client):
        return api.json(
            port, "POST", "/api/v1/auth/token/", {"username": person.username, "password": password}, client=client
        )

    # The third failure, on A after one on B, is the one that locks.
    assert [token(port, "wrong", attacker)[0] for port in (a, b, a)] == [400, 400, 429]
    assert token(b, PASSWORD, attacker)[1]["code"] == "locked_out"
    assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [(person.username, attacker)]
    assert token(a, PASSWORD, owner)[0] == 200  # the owner, from elsewhere, is not locked out

    # A throttle counts requests to A and B alike (THROTTLE_PUBLIC=3/min, in Redis).
    visitor = _random_address()
    statuses = [Browser().json(port, "POST", "/api/v1/public/matters/", {}, client=visitor)[0] for port in (a, b, a, b)]
    assert statuses == [400, 400, 400, 429]


def test_two_processes_send_each_fengshi_reminder_once(world):
    _require_postgres_and_redis()
    # The eve of the next 逢十 day: every grid worker and courtyard helper is reminded once.
    cycle = next_cycle(timezone.localdate())
    day = cycle - datetime.timedelta(days=1)
    # No broker for these two: the claims are rows in PostgreSQL, and the messages go out
    # in-process (console SMS) instead of waiting on a shared queue that no worker reads.
    env = _environment(REDIS_URL="")
    people = {world.users.grid1.pk, world.users.grid2.pk, world.users.helper.pk}
    before = {pk: Notification.objects.filter(user_id=pk).count() for pk in people}
    command = [sys.executable, "manage.py", "send_fengshi_reminders", "--date", day.isoformat(), "--kind", "eve"]
    runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in "ab"]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err.decode()[-2000:] for _out, err in outputs]

    reminders = Reminder.objects.filter(cycle=cycle, kind=Reminder.Kind.EVE)
    assert people <= set(reminders.values_list("user_id", flat=True))
    assert not reminders.filter(sent_at=None).exists()
    sent = sum(int(m) for out, _err in outputs for m in re.findall(rb"eve=(\d+)", out))
    assert sent == reminders.count()  # each claimed by one process or the other, never both
    assert {pk: Notification.objects.filter(user_id=pk).count() - before[pk] for pk in people} == dict.fromkeys(
        people, 1
    )
