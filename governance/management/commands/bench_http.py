"""`make bench`, over HTTP: gunicorn with N workers against the `generate_scale` database, and
a closed-loop load generator in its own process (governance.loadgen).

Every page and endpoint a user touches (lists, search, the matter list and a matter, the to-do
API and pages, logging a visit, the dashboards, 逢十 compliance, a passbook, a redemption) at
concurrency 1, 4 and 16, each API endpoint with its bare floor (governance.bench_urls: the same
authentication, scope and service answered from `.values()`) run right after it at the same
concurrency; then a mixed workload (the day of a township: grid workers, cadres, an official)
at rising concurrency, with 1 and 2 workers: the requests per second it holds with p95 under
300 ms. Writes the table to `docs/bench-http.md` (with --output).

The writes stay in the bench database: visits by the bench's grid worker (a real day's work
more), redemptions in a village opened for them (the ledger is append-only).
"""

import json
import os
import platform
import socket
import subprocess  # nosec B404: our own gunicorn and load generator, no shell
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from governance.management.commands.generate_scale import (
    generate_activity,
    generate_visit_year,
    scale_usernames,
    vacuum_analyze,
)
from governance.models import Assignment
from governance.scoping import scope_for
from governance.tallies import count_tallies
from grids.models import Household, Resident, Village
from grids.visits.selectors import households_to_visit
from petitions.selectors import matters_visible_to
from points.models import Account

PAGE_P95_TARGET = 50  # ms, every list and page at concurrency 1
FLOOR_SHARE_TARGET = 0.5  # every API endpoint's throughput against its floor's at concurrency 16
TODO_P50_TARGET = 25  # ms, the to-do API for a cadre
REDEEM_TARGET = 100  # per second over HTTP
MIXED_P95 = 300  # ms


@dataclass
class Case:
    name: str
    persona: str
    path: str
    floor: str | None = None
    method: str = "GET"
    kind: str = "api"  # api | page
    bodies: object = None  # a function of n: n JSON bodies (POST)
    headers: dict = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Command(BaseCommand):
    help = "Benchmark the app over HTTP (gunicorn + a load generator) on a generate_scale database."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds per run")
        parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per run")
        parser.add_argument("--concurrency", default="1,4,16")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for the per-endpoint table")
        parser.add_argument("--mixed-workers", default="1,2")
        parser.add_argument("--mixed-concurrency", default="1,2,4,8,16,32")
        parser.add_argument("--only", default="", help="only the cases whose name contains this")
        parser.add_argument("--no-mixed", dest="mixed", action="store_false", help="skip the mixed workload")
        parser.add_argument("--output", help="write the Markdown report to this file")

    def handle(
        self,
        *args,
        seconds,
        warmup,
        concurrency,
        workers,
        mixed_workers,
        mixed_concurrency,
        only,
        mixed,
        output,
        **options,
    ):
        if connection.vendor != "postgresql" or not Village.objects.filter(code__startswith="S").exists():
            raise CommandError("No generate_scale data on PostgreSQL here: run `make bench` (it builds it).")
        generate_activity(stdout=self.stdout)
        generate_visit_year(stdout=self.stdout)
        # What `manage.py bench` wrote and rolled back (its sweep over half a million matters)
        # leaves dead rows and stale statistics, which a server without autovacuum keeps.
        vacuum_analyze([], self.stdout)
        self._count_tallies()
        self.levels = [int(c) for c in concurrency.split(",")]
        self.seconds, self.warmup = seconds, warmup
        # The processes run with DEBUG off: hashed static names, as deployed.
        subprocess.run(  # nosec B603
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            env=self._env(),
            cwd=settings.BASE_DIR,
            check=True,
        )
        personas = self._personas()
        cases = [c for c in self._cases(personas) if only in c.name]
        lines = self._header(workers)
        self.stdout.write("\n".join(lines))
        with self._server(workers) as base:
            rows = self._table(base, personas, cases)
        lines += rows
        if mixed and not only:
            lines += [
                "",
                *self._mixed(
                    personas, [int(w) for w in mixed_workers.split(",")], [int(c) for c in mixed_concurrency.split(",")]
                ),
            ]
        if output:
            Path(output).write_text("\n".join(lines) + "\n", encoding="utf-8")
            self.stdout.write(f"written to {output}")

    # ------------------------------------------------------------------ who and what

    def _personas(self) -> dict:
        users = get_user_model().objects
        names = scale_usernames()
        admin, _created = users.get_or_create(username="bench_admin", defaults={"is_superuser": True, "is_staff": True})
        people = {
            "grid worker": users.get(username=names["grid_worker"]),
            "village cadre": users.get(username=names["village_cadre"]),
            "township official": users.get(username=names["township_official"]),
            "superuser": admin,
            "shop clerk": self._clerk(),
        }
        personas = {}
        for label, user in people.items():
            token, _created = Token.objects.get_or_create(user=user)
            client = Client()
            client.force_login(user)
            personas[label] = {
                "user": user,
                "api": {"Authorization": f"Token {token.key}", "Accept-Encoding": "gzip"},
                "page": {
                    "Cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}",
                    "Accept-Encoding": "gzip",
                    "Accept-Language": "zh-hans",
                },
            }
        return personas

    def _clerk(self):
        """A cadre of a scale village whose passbooks are opened for the redemptions (large
        balances, an item in stock per account group), the same village each run."""
        from points.models import Item, VillagePointsSettings
        from points.services import accounts_open_missing

        village = Village.objects.filter(code__startswith="S").order_by("-code").first()
        VillagePointsSettings.objects.update_or_create(
            village=village, defaults={"starting_balance": 1_000_000, "redeem_threshold": 0}
        )
        clerk = Assignment.objects.filter(village=village, role="village_cadre").first().user
        if not Account.objects.filter(village=village).exists():
            accounts_open_missing(village=village)
        for n in range(16):
            item, _created = Item.objects.get_or_create(village=village, name=f"bench-http-{n}", defaults={"price": 1})
            Item.objects.filter(pk=item.pk).update(stock=10_000_000)
        self.shop = {
            "accounts": list(Account.objects.filter(village=village).order_by("pk").values_list("pk", flat=True)),
            "items": list(
                Item.objects.filter(village=village, name__startswith="bench-http-").values_list("pk", flat=True)
            ),
        }
        return clerk

    def _cases(self, personas) -> list[Case]:
        worker = personas["grid worker"]["user"]
        cadre = personas["village cadre"]["user"]
        village = Village.objects.get(pk=min(scope_for(cadre).village_ids))
        resident = scope_for(cadre).filter(Resident.objects.all(), "resident").order_by("-id").first()
        matter = matters_visible_to(cadre).order_by("-id").first()
        account = Account.objects.filter(village=village).order_by("pk").first()
        households = list(households_to_visit(worker).values_list("pk", flat=True))
        shop = self.shop

        def visits(n):
            now = timezone.now().isoformat()
            return [
                json.dumps(
                    {
                        "client_uuid": str(uuid.uuid4()),
                        "household": households[i % len(households)],
                        "visited_at": now,
                        "method": "home",
                        "notes": "bench",
                    }
                )
                for i in range(n)
            ]

        def redemptions(n):
            accounts, items = shop["accounts"], shop["items"]
            return [
                json.dumps({"account": accounts[i % len(accounts)], "item": items[i % len(items)], "quantity": 1})
                for i in range(n)
            ]

        name_search = f"search={urllib.parse.quote(resident.name)}"
        return [
            Case("households API, first page", "village cadre", "/api/v1/households/", "/bare/households/"),
            Case(
                "households API, name search",
                "village cadre",
                f"/api/v1/households/?{name_search}",
                f"/bare/households/?{name_search}",
            ),
            Case("residents API, first page", "township official", "/api/v1/residents/", "/bare/residents/"),
            Case("matters API, grid worker", "grid worker", "/api/v1/matters/", "/bare/matters/"),
            Case("matters API, township official", "township official", "/api/v1/matters/", "/bare/matters/"),
            Case("a matter API", "village cadre", f"/api/v1/matters/{matter.pk}/", f"/bare/matters/{matter.pk}/"),
            Case("to-do API, village cadre", "village cadre", "/api/v1/visits/todo/", "/bare/todo/"),
            Case("to-do API, grid worker", "grid worker", "/api/v1/visits/todo/", "/bare/todo/"),
            Case("visit POST", "grid worker", "/api/v1/visits/", "/bare/visits/", method="POST", bodies=visits),
            Case("compliance API", "township official", "/api/v1/visits/compliance/", "/bare/compliance/"),
            Case(
                "passbook API",
                "village cadre",
                f"/api/v1/points/accounts/{account.pk}/ledger/",
                f"/bare/passbooks/{account.pk}/",
            ),
            Case(
                "redemption POST",
                "shop clerk",
                "/api/v1/points/redemptions/",
                "/bare/redemptions/",
                method="POST",
                bodies=redemptions,
            ),
            Case("page floor", "village cadre", "/bare/page/", kind="page"),
            Case("village home", "village cadre", "/", kind="page"),
            Case("township home", "township official", "/", kind="page"),
            Case("district home", "superuser", "/", kind="page"),
            Case("village dashboard", "village cadre", f"/dashboard/villages/{village.pk}/", kind="page"),
            Case("households page", "village cadre", "/households/", kind="page"),
            Case(
                "households page, name search",
                "village cadre",
                f"/households/?q={urllib.parse.quote(resident.name)}",
                kind="page",
            ),
            Case("matters page", "township official", "/matters/", kind="page"),
            Case("a matter page", "village cadre", f"/matters/{matter.pk}/", kind="page"),
            Case("to-do page, grid worker", "grid worker", "/visits/", kind="page"),
            Case("to-do page, village cadre", "village cadre", "/visits/", kind="page"),
            Case("visit form", "grid worker", "/visits/new/", kind="page"),
            Case("compliance page", "township official", "/visits/compliance/", kind="page"),
            Case("passbook page", "village cadre", f"/points/accounts/{account.pk}/", kind="page"),
        ]

    # ------------------------------------------------------------------ running

    def _env(self) -> dict:
        """The app's environment with DEBUG off and this process's keys (the data were encrypted
        with them), plain HTTP on the loopback."""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "governance.bench_settings",
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "ID_ENCRYPTION_KEYS": ",".join(settings.ID_ENCRYPTION_KEYS),
            "ID_HASH_KEY": settings.ID_HASH_KEY,
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }

    def _server(self, workers: int):
        command = self

        class Server:
            def __enter__(self):
                self.port = _free_port()
                env = command._env()
                self.process = subprocess.Popen(  # nosec B603
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "governance.wsgi",
                        "--workers",
                        str(workers),
                        "--bind",
                        f"127.0.0.1:{self.port}",
                        "--log-level",
                        "warning",
                    ],
                    env=env,
                )
                base = f"http://127.0.0.1:{self.port}"
                for _ in range(120):
                    try:
                        urllib.request.urlopen(f"{base}/accounts/login/", timeout=5)  # nosec B310: our own server
                        break
                    except urllib.error.HTTPError as exc:
                        self.__exit__()
                        raise CommandError(f"gunicorn answered {exc.code} on the login page") from exc
                    except OSError:
                        if self.process.poll() is not None:
                            raise CommandError("gunicorn did not start") from None
                        time.sleep(0.5)
                else:
                    raise CommandError("gunicorn did not answer within a minute")
                command.stdout.write(f"gunicorn, {workers} worker(s), on {base}")
                return base

            def __exit__(self, *exc):
                self.process.terminate()
                self.process.wait(timeout=30)

        return Server()

    def _load(self, base: str, runs: list[dict]) -> list[dict]:
        plan = json.dumps({"base": base, "runs": runs})
        done = subprocess.run(  # nosec B603
            [sys.executable, "-m", "governance.loadgen"],
            input=plan,
            capture_output=True,
            text=True,
            check=True,
            cwd=settings.BASE_DIR,
        )
        return json.loads(done.stdout)

    def _request(self, personas, case: Case, path: str, n: int) -> dict:
        persona = personas[case.persona]
        request = {"method": case.method, "path": path, "headers": {**persona[case.kind], **case.headers}}
        if case.bodies is not None:
            request["bodies"] = case.bodies(n)
        return request

    def _run(self, base, personas, case: Case, path: str, level: int) -> dict:
        # Enough bodies for the fastest a POST could go: 2 000 per second.
        budget = int((self.seconds + self.warmup) * 2000) + 100
        spec = {
            "name": f"{case.name} {path}",
            "concurrency": level,
            "seconds": self.seconds,
            "warmup": self.warmup,
            "requests": [self._request(personas, case, path, budget)],
        }
        (result,) = self._load(base, [spec])
        if result["errors"]:
            raise CommandError(f"{case.name} ({path}) at {level}: " + "; ".join(result["errors"]))
        return result

    # ------------------------------------------------------------------ reports

    def _header(self, workers: int) -> list[str]:
        from grids.visits.models import Visit
        from petitions.models import Matter
        from points.models import Entry

        return [
            "# Over HTTP",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"PostgreSQL {connection.pg_version // 10000}; {Household.objects.count():,} households, "
            f"{Resident.objects.count():,} residents, {Matter.objects.count():,} matters, "
            f"{Visit.objects.count():,} visits, {Account.objects.count():,} passbooks with {Entry.objects.count():,} "
            f"ledger lines. gunicorn with {workers} sync workers (DEBUG off, GZip, every middleware); the load "
            f"generator (governance.loadgen, closed loop, keep-alive where the server allows it) in its own "
            f"process on the same machine; {self.warmup:g} s warm-up and {self.seconds:g} s measured per run. "
            f"An API endpoint's floor (governance.bench_urls) runs right after it at the same concurrency.",
            "",
            "| endpoint | as | c | p50 ms | p95 ms | req/s | floor req/s | share of floor | KB | target |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]

    def _count_tallies(self) -> None:
        """What beat does every five minutes: the boards read fresh tallies (older than
        TALLY_MAX_AGE, a board would count them itself, inside a measured request)."""
        count_tallies()
        self.counted = time.monotonic()

    def _table(self, base, personas, cases: list[Case]) -> list[str]:
        rows = []
        for case in cases:
            if time.monotonic() - self.counted > 300:
                self._count_tallies()
            for level in self.levels:
                result = self._run(base, personas, case, case.path, level)
                floor = self._run(base, personas, case, case.floor, level) if case.floor else None
                rows.append(self._row(case, level, result, floor))
                self.stdout.write(rows[-1])
        return rows

    def _row(self, case: Case, level: int, result: dict, floor: dict | None) -> str:
        share = result["throughput"] / floor["throughput"] if floor else None
        targets = []
        if level == 1 and case.method == "GET":
            targets.append(("p95 ≤ 50", result["p95"] <= PAGE_P95_TARGET))
        if case.name.startswith("to-do API, village cadre") and level == 1:
            targets.append(("p50 < 25", result["p50"] < TODO_P50_TARGET))
        if floor and level == max(self.levels):
            targets.append((f"≥ {FLOOR_SHARE_TARGET} of floor", share >= FLOOR_SHARE_TARGET))
        if case.name.startswith("redemption") and level == max(self.levels):
            targets.append((f"≥ {REDEEM_TARGET}/s", result["throughput"] >= REDEEM_TARGET))
        target = "; ".join(f"{label} {'met' if ok else 'MISSED'}" for label, ok in targets)
        floor_cells = f"{floor['throughput']:.0f} | {share:.2f}" if floor else " | "
        return (
            f"| {case.name} | {case.persona} | {level} | {result['p50']:.1f} | {result['p95']:.1f} | "
            f"{result['throughput']:.0f} | {floor_cells} | {result['mean_bytes'] / 1024:.1f} | {target} |"
        )

    def _mixed(self, personas, workers_list: list[int], levels: list[int]) -> list[str]:
        """The day of a township: weights as the people use it (the grid workers' phones most)."""
        cases = {c.name: c for c in self._cases(personas)}
        mix = [
            ("to-do API, grid worker", 3),
            ("visit POST", 3),
            ("households API, name search", 2),
            ("to-do page, grid worker", 2),
            ("matters API, grid worker", 2),
            ("village home", 1),
            ("matters page", 1),
            ("a matter page", 1),
            ("households page", 1),
            ("township home", 1),
            ("compliance page", 1),
            ("passbook page", 1),
            ("redemption POST", 1),
        ]
        lines = [
            f"Mixed workload (the day of a township, {sum(w for _n, w in mix)} requests per round: "
            + ", ".join(f"{name} ×{weight}" for name, weight in mix)
            + f"), each client cycling through it with no think time. Held: the highest throughput with p95 under "
            f"{MIXED_P95} ms.",
            "",
            "| workers | clients | req/s | p50 ms | p95 ms | p99 ms |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        held = {}
        for workers in workers_list:
            self._count_tallies()
            with self._server(workers) as base:
                for level in levels:
                    budget = int((self.seconds * 2 + self.warmup) * 1000) + 100
                    requests = [
                        self._request(personas, cases[name], cases[name].path, budget)
                        for name, weight in mix
                        for _copy in range(weight)
                    ]
                    spec = {
                        "name": "mixed",
                        "concurrency": level,
                        "seconds": self.seconds * 2,
                        "warmup": self.warmup,
                        "requests": requests,
                    }
                    (result,) = self._load(base, [spec])
                    if result["errors"]:
                        raise CommandError("mixed: " + "; ".join(result["errors"]))
                    if result["p95"] < MIXED_P95:
                        held[workers] = max(held.get(workers, 0), result["throughput"])
                    lines.append(
                        f"| {workers} | {level} | {result['throughput']:.0f} | {result['p50']:.0f} | "
                        f"{result['p95']:.0f} | {result['p99']:.0f} |"
                    )
                    self.stdout.write(lines[-1])
        lines += [
            "",
            "Held with p95 under 300 ms: "
            + ", ".join(f"{w} worker{'s' if w > 1 else ''}: {held.get(w, 0):.0f} req/s" for w in workers_list)
            + ".",
        ]
        return lines
