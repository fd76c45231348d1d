"""`make bench`: timings against a `generate_scale` database (PostgreSQL).

For a grid worker, a village cadre and a township official: the household and resident list
API (first page, search by name, by pinyin initials, by ID number), its median and p95 time
and query count, and the same query through a bare `.values()` view, as a throughput ratio.
Then the import of a 10 000-row register file: its time and memory peak. Requests go through
the whole Django stack in-process (middleware, token authentication), without a network.
"""

import datetime
import io
import platform
import resource
import statistics
import time
import tracemalloc
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook
from rest_framework.authtoken.models import Token

from governance.dashboards import forget_boards
from governance.management.commands.generate_scale import scale_usernames
from governance.models import Assignment
from governance.scoping import scope_for
from grids.idnumbers import decrypt_id_number, id_check_char
from grids.models import Grid, Household, Resident, Village
from grids.register import COLUMNS, register_import
from grids.services import grid_create, village_create


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark the register API and the Excel import on a generate_scale database."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=60, help="timed requests per case")
        parser.add_argument("--import-rows", type=int, default=10_000)
        parser.add_argument("--sweep-matters", type=int, default=500_000, help="open matters for the sweep (0: skip)")
        parser.add_argument("--output", help="also write the Markdown report to this file")
        parser.add_argument("--dashboards-only", action="store_true", help="only the dashboard pages (quick)")

    def handle(self, *args, requests, import_rows, sweep_matters, output, dashboards_only, **options):
        residents = Resident.objects.count()
        if not Village.objects.filter(code__startswith="S").exists():
            raise CommandError("No generate_scale data here: run `manage.py generate_scale` first (make bench does).")
        if dashboards_only:
            self._bench_dashboards(requests)
            return
        lines = [
            f"Machine: {platform.processor() or platform.machine()}, {_cpus()} cores, "
            f"Python {platform.python_version()}, {connection.vendor} {_db_version()}; "
            f"{Household.objects.count():,} households, {residents:,} residents; "
            f"{requests} timed requests per case after 5 warm-up, in-process through the whole middleware stack.",
            "",
            "| persona | endpoint | query | API median ms | API p95 ms | API queries | bare median ms | bare queries "
            "| API/bare throughput |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        self.stdout.write("\n".join(lines))
        with override_settings(ROOT_URLCONF="grids.bench", DEBUG=False):
            for persona, username in scale_usernames().items():
                user = get_user_model().objects.get(username=username)
                token, _created = Token.objects.get_or_create(user=user)
                client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
                for endpoint, cases in self._cases(user).items():
                    for label, search in cases:
                        api = self._measure(client, f"/api/v1/{endpoint}/", search, requests)
                        bare = self._measure(client, f"/bare/{endpoint}/", search, requests)
                        ratio = bare["median"] / api["median"]
                        line = (
                            f"| {persona} | {endpoint} | {label} | {api['median']:.1f} | {api['p95']:.1f} | "
                            f"{api['queries']} | {bare['median']:.1f} | {bare['queries']} | {ratio:.2f} |"
                        )
                        lines.append(line)
                        self.stdout.write(line)
        lines += ["", self._bench_import(import_rows)]
        self.stdout.write(lines[-1])
        lines += ["", self._bench_export()]
        self.stdout.write(lines[-1])
        if sweep_matters:
            lines += ["", self._bench_sweep(sweep_matters)]
            self.stdout.write(lines[-1])
        lines += ["", *self._bench_dashboards(requests)]
        sections = (
            self._bench_visit_logging(requests),
            self._bench_fengshi(),
            self._bench_compliance(requests),
            self._bench_redemptions(),
        )
        for section in sections:
            lines += ["", section]
            self.stdout.write(section)
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write("\n".join(lines) + "\n")

    def _cases(self, user) -> dict[str, list[tuple[str, str]]]:
        """First page, and searches for a real resident in the persona's scope (the last one,
        so that the search cannot stop at the first rows of the table)."""
        resident = scope_for(user).filter(Resident.objects.all(), "resident").order_by("-id").first()
        number = decrypt_id_number(resident.id_number_encrypted)
        cases = [
            ("first page", ""),
            (f"name {resident.name}", resident.name),
            (f"initials {resident.name_initials}", resident.name_initials),
            ("ID number", number),
        ]
        return {"households": cases, "residents": cases}

    def _measure(self, client, url, search, requests, *, before=None) -> dict:
        return measure(client, url, {"search": search} if search else {}, requests, before=before)

    def _bench_dashboards(self, requests: int) -> list[str]:
        """The dashboards (驾驶舱) and the monthly report as pages, each persona logged in
        (session), over a year of activity (generate_activity adds it when it is missing) and
        the sweep's open matters: median and p95 time, queries of one request, the target."""
        from governance.management.commands.generate_scale import generate_activity, generate_visit_year
        from governance.models import MonthlyReport, Tally
        from governance.reports import previous_month
        from governance.tallies import count_tallies
        from grids.models import Township
        from grids.visits.models import Visit
        from petitions.models import OPEN_STATES, Matter, MatterEvent

        generate_activity(stdout=self.stdout)
        generate_visit_year(stdout=self.stdout)
        users = get_user_model().objects
        names = scale_usernames()
        official = users.get(username=names["township_official"])
        cadre = users.get(username=names["village_cadre"])
        admin, _created = users.get_or_create(username="bench_admin", defaults={"is_superuser": True, "is_staff": True})
        village = Village.objects.get(pk=min(scope_for(cadre).village_ids))
        month = f"{previous_month(timezone.localdate()):%Y-%m}"
        stored = MonthlyReport.objects.filter(month=previous_month(timezone.localdate())).exists()
        report = "monthly report (stored)" if stored else "monthly report (computed)"
        cases = [
            ("township home", "township official, 1 township", official, "/", 150),
            (
                "district home (townships side by side)",
                f"superuser, {Township.objects.count()} townships",
                admin,
                "/",
                300,
            ),
            (
                "township dashboard page",
                "superuser",
                admin,
                f"/dashboard/townships/{village.township_id}/",
                150,
            ),
            ("village home", "village cadre", cadre, "/", 100),
            ("village dashboard page", "village cadre", cadre, f"/dashboard/villages/{village.pk}/", 100),
            ("village dashboard page", "township official", official, f"/dashboard/villages/{village.pk}/", 100),
            (
                f"village {report} {month}",
                "township official",
                official,
                f"/reports/monthly/?village={village.pk}&month={month}",
                None,
            ),
            (
                f"township {report} {month}",
                "township official",
                official,
                f"/reports/monthly/?township={village.township_id}&month={month}",
                None,
            ),
        ]
        matters = Matter.objects.count()
        open_matters = Matter.objects.filter(state__in=list(OPEN_STATES)).count()
        started = time.perf_counter()
        run = count_tallies()
        counting = time.perf_counter() - started
        lines = [
            f"Dashboards as pages (session login, whole middleware stack, {requests} timed requests after 5 "
            f"warm-up) over {matters:,} matters ({open_matters:,} open, the sweep's included), "
            f"{MatterEvent.objects.count():,} matter events, {Visit.objects.count():,} visits. The township "
            f"and district boards read the tallies (governance.tallies), which beat counts every five minutes: "
            f"{Tally.objects.count():,} rows for {run.matters:,} matters counted in {counting:.1f} s.",
            "",
            "Each page twice: as read again within the minute, its boards kept in the cache "
            "(governance.dashboards.BOARD_TTL), and with its boards counted afresh (as after a write "
            "in its places, or each new minute).",
            "",
            "| page | as | boards | median ms | p95 ms | queries | target p95 ms |",
            "|---|---|---|---:|---:|---:|---:|",
        ]
        self.stdout.write("\n".join(lines))
        with override_settings(DEBUG=False):
            for page, persona, user, url, target in cases:
                client = Client()
                client.force_login(user)
                for boards, before in (("kept", None), ("counted", forget_boards)):
                    result = self._measure(client, url, "", requests, before=before)
                    met = "" if target is None else f"{target}{'' if result['p95'] <= target else ' MISSED'}"
                    timing = f"{result['median']:.0f} | {result['p95']:.0f} | {result['queries']}"
                    line = f"| {page} | {persona} | {boards} | {timing} | {met} |"
                    lines.append(line)
                    self.stdout.write(line)
        return lines

    def _bench_sweep(self, count: int) -> str:
        """The overdue sweep over `count` open matters: a first run that finds work due, a
        second that finds none; both rolled back so the data set stays as it was."""
        from governance.management.commands.generate_scale import vacuum_analyze
        from petitions.deadlines import sweep
        from petitions.models import Matter

        _ensure_open_matters(count)
        # Half a million rows just written (or rewritten) and a server without autovacuum: the
        # sweep's index-only reads want the visibility map, the planner fresh statistics.
        vacuum_analyze(["petitions_matter"], self.stdout)
        open_count = Matter.objects.filter(state="handling").count()
        runs = []
        try:
            with transaction.atomic():
                for _ in range(2):
                    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                    started = time.perf_counter()
                    result = sweep()
                    elapsed = time.perf_counter() - started
                    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss
                    runs.append((elapsed, grown, result))
                raise _Rollback
        except _Rollback:
            pass
        (t1, m1, r1), (t2, m2, r2) = runs
        settled = r1.warned + r1.marked_overdue + r1.escalated
        return (
            f"Overdue sweep over {open_count:,} open matters (deadlines spread over three months, flags as a sweep "
            f"left them a day earlier): first run {t1:.1f} s, settling {settled:,} "
            f"matters (warned {r1.warned:,}, marked overdue {r1.marked_overdue:,}, escalated {r1.escalated:,}), peak "
            f"RSS grew {m1 / 1024:.0f} MiB; a second run right after: {t2:.2f} s "
            f"(settled {r2.warned + r2.marked_overdue + r2.escalated}), RSS grew {m2 / 1024:.0f} MiB. Rolled back."
        )

    def _bench_import(self, rows: int) -> str:
        user = get_user_model().objects.get(username=scale_usernames()["village_cadre"])
        data = None
        timings = {}
        for measure in ("time", "memory"):
            try:
                with transaction.atomic():
                    village = _bench_village()
                    if data is None:
                        data = _register_file(village, rows)
                    if measure == "memory":
                        tracemalloc.start()
                    started = time.perf_counter()
                    result = register_import(
                        user=user, file=io.BytesIO(data), village_ids={village.pk}, read_seconds=3600
                    )
                    timings[measure] = time.perf_counter() - started
                    if measure == "memory":
                        timings["peak"] = tracemalloc.get_traced_memory()[1]
                        tracemalloc.stop()
                    raise _Rollback
            except _Rollback:
                pass
        return (
            f"Import of a {rows:,}-row register file ({result.households_created:,} households, "
            f"{result.residents_created:,} residents, into a new village of the scale database, rolled back): "
            f"{timings['time']:.1f} s; Python memory peak {timings['peak'] / 2**20:.0f} MiB (tracemalloc, "
            f"a separate run: {timings['memory']:.1f} s with tracing)."
        )

    def _bench_export(self) -> str:
        """A township's register export as its job makes it (write-only: the rows stream to
        disk), traced for its Python memory peak; the district's, refused past one sheet."""
        from governance.errors import Refused
        from grids.register import register_export
        from grids.selectors import households_for_register_export, households_visible_to

        official = get_user_model().objects.get(username=scale_usernames()["township_official"])
        admin, _created = get_user_model().objects.get_or_create(
            username="bench_admin", defaults={"is_superuser": True, "is_staff": True}
        )
        households = households_for_register_export(official, households_visible_to(official), reveal=False)
        people = Resident.objects.filter(household__in=households.values("pk")).count()
        try:
            with transaction.atomic():
                tracemalloc.start()
                started = time.perf_counter()
                data = register_export(user=official, households=households, reveal=False)
                elapsed = time.perf_counter() - started
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                started = time.perf_counter()
                try:
                    register_export(user=admin, households=households_visible_to(admin), reveal=False)
                    refused = "not refused"
                except Refused:
                    refused = f"refused in {time.perf_counter() - started:.1f} s"
                raise _Rollback
        except _Rollback:
            pass
        return (
            f"Register export of one township ({people:,} residents, masked, as its job writes it): "
            f"{elapsed:.1f} s with memory tracing on, Python memory peak {peak / 2**20:.0f} MiB, a "
            f"{len(data) / 2**20:.1f} MB file. The district's ({Resident.objects.count():,} residents, more than "
            f"one sheet holds): {refused}, before a row is written. Rolled back."
        )

    def _bench_visit_logging(self, requests: int) -> str:
        """A grid worker logs visits through the API (token, whole middleware stack), each a
        new client UUID; then the same visits again as replays. Rolled back."""
        user = get_user_model().objects.get(username=scale_usernames()["grid_worker"])
        token, _created = Token.objects.get_or_create(user=user)
        client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
        households = list(Household.objects.filter(grid_id=min(scope_for(user).grid_ids)))
        timings, replays, queries = [], [], 0
        try:
            with transaction.atomic():
                bodies = []
                for i in range(requests + 5):
                    bodies.append(
                        {
                            "client_uuid": str(uuid.uuid4()),
                            "household": households[i % len(households)].pk,
                            "visited_at": timezone.now().isoformat(),
                            "method": "sit-down",
                            "met": "head",
                            "notes": "身体好，无诉求。",
                        }
                    )
                for i, body in enumerate(bodies):
                    reset_queries()
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        response = client.post("/api/v1/visits/", body, content_type="application/json")
                        elapsed = (time.perf_counter() - started) * 1000
                    if response.status_code != 201:
                        raise CommandError(f"visit answered {response.status_code}: {response.content[:200]!r}")
                    if i >= 5:
                        timings.append(elapsed)
                        queries = len(captured.captured_queries)
                for body in bodies[5:]:
                    started = time.perf_counter()
                    response = client.post("/api/v1/visits/", body, content_type="application/json")
                    replays.append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        raise CommandError(f"replay answered {response.status_code}")
                raise _Rollback
        except _Rollback:
            pass
        timings.sort()
        replays.sort()
        return (
            f"Logging a visit (POST /api/v1/visits/ as a grid worker, {requests} visits after 5 warm-up, "
            f"{Household.objects.count():,} households in the database): median {statistics.median(timings):.1f} ms, "
            f"p95 {_p95(timings):.1f} ms, {queries} queries (target p95 < 50 ms); a replay of the same visit: "
            f"median {statistics.median(replays):.1f} ms, p95 {_p95(replays):.1f} ms. Rolled back."
        )

    def _bench_fengshi(self) -> str:
        """The 逢十 eve reminders to every grid and courtyard assignee of the district, then the
        same run again (it must send nothing). Rolled back."""
        from governance.models import Notification
        from governance.roles import FENGSHI_ROLES
        from grids.visits.fengshi import send_fengshi_reminders
        from grids.visits.models import Reminder

        day = datetime.date(2026, 11, 29)
        staff = (
            Assignment.objects.filter(role__in=list(FENGSHI_ROLES), valid_from__lte=day + datetime.timedelta(days=1))
            .values("user_id")
            .distinct()
            .count()
        )
        try:
            with transaction.atomic():
                started = time.perf_counter()
                first = send_fengshi_reminders(on=day).as_dict()
                t1 = time.perf_counter() - started
                started = time.perf_counter()
                second = send_fengshi_reminders(on=day).as_dict()
                t2 = time.perf_counter() - started
                sent = Reminder.objects.filter(cycle=day + datetime.timedelta(days=1), kind="eve")
                reminders = sent.count()
                distinct = sent.values("user_id").distinct().count()
                notifications = Notification.objects.filter(pk__in=sent.values("notification_id")).count()
                raise _Rollback
        except _Rollback:
            pass
        return (
            f"逢十 eve reminders for {day + datetime.timedelta(days=1)} to every grid and courtyard assignee of the "
            f"district ({staff:,} people): {first.get('eve', 0):,} sent in {t1:.1f} s (target < 10 s); "
            f"{reminders:,} reminder rows for {distinct:,} people, {notifications:,} notifications; "
            f"an immediate rerun sent {second.get('eve', 0)} in {t2:.2f} s. Rolled back."
        )

    def _bench_compliance(self, requests: int) -> str:
        """The compliance roll-up of one whole township for a 逢十 day on which most grid
        workers logged three visits (inserted for the run, rolled back)."""
        from grids.visits.fengshi import compliance_for
        from grids.visits.models import Visit

        official = get_user_model().objects.get(username=scale_usernames()["township_official"])
        township_id = min(scope_for(official).township_ids)
        cycle = datetime.date(2026, 11, 20)
        at = timezone.make_aware(datetime.datetime(2026, 11, 20, 10))
        workers = list(
            Assignment.objects.filter(township_id=township_id, role="grid_worker").values_list("user_id", "grid_id")
        )
        village_of = dict(Grid.objects.filter(township_id=township_id).values_list("pk", "village_id"))
        first_households = {}
        for grid_id, household_id in Household.objects.filter(township_id=township_id).values_list("grid_id", "pk"):
            first_households.setdefault(grid_id, []).append(household_id)
        timings = []
        try:
            with transaction.atomic():
                rows = []
                for n, (user_id, grid_id) in enumerate(workers):
                    if n % 7 == 0:
                        continue  # a seventh of the grids are not visited: gaps to report
                    for household_id in first_households.get(grid_id, [])[:3]:
                        rows.append(
                            Visit(
                                author_id=user_id,
                                client_uuid=uuid.uuid4(),
                                fingerprint="bench",
                                township_id=township_id,
                                village_id=village_of[grid_id],
                                grid_id=grid_id,
                                household_id=household_id,
                                visited_at=at,
                                visited_on=cycle,
                                method="home",
                            )
                        )
                Visit.objects.bulk_create(rows, batch_size=2000)
                for i in range(requests + 3):
                    official = get_user_model().objects.get(pk=official.pk)  # no cached scope
                    reset_queries()
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        roll = compliance_for(official, cycle=cycle)
                        elapsed = (time.perf_counter() - started) * 1000
                    if i >= 3:
                        timings.append(elapsed)
                raise _Rollback
        except _Rollback:
            pass
        timings.sort()
        t = roll.totals
        return (
            f"Compliance roll-up of one township for one 逢十 day ({t['grids_count']:,} grids, {t['households']:,} "
            f"households, {t['visits']:,} visits, {t['people_total']:,} people on duty): median "
            f"{statistics.median(timings):.0f} ms, p95 {_p95(timings):.0f} ms, "
            f"{len(captured.captured_queries)} queries (target < 1 s). Rolled back."
        )

    def _bench_redemptions(self, threads: int = 8, per_thread: int = 40) -> str:
        """Redemptions at the points shop from real threads, each with its own connection:
        all on one account (they queue on its row lock), then each thread on its own
        accounts and item (what a district's shops do at once). The bench village's
        passbooks open with a large balance (an opening entry), so check_points_ledger stays true;
        the rows stay in the bench database (the ledger is append-only)."""
        import threading

        from django.db import connections

        from points.models import Account, Item, VillagePointsSettings
        from points.selectors import ledger_check
        from points.services import accounts_open_missing, points_redeem

        # A scale village without passbooks yet, opened with a large starting balance: every
        # run takes a fresh village, and the ledger holds only opening entries and redemptions.
        village = (
            Village.objects.filter(code__startswith="S")
            .exclude(pk__in=Account.objects.values("village_id"))
            .order_by("code")
            .first()
        )
        if village is None:
            raise CommandError("every scale village has passbooks already: rebuild the bench database")
        VillagePointsSettings.objects.update_or_create(
            village=village, defaults={"starting_balance": 1_000_000, "redeem_threshold": 0}
        )
        clerk = Assignment.objects.filter(village=village, role="village_cadre").first().user
        accounts_open_missing(village=village)
        accounts = list(Account.objects.filter(village=village).order_by("pk")[: threads * per_thread + 1])
        items = []
        for n in range(threads + 1):
            item, _created = Item.objects.get_or_create(village=village, name=f"bench-{n}", defaults={"price": 1})
            Item.objects.filter(pk=item.pk).update(stock=1_000_000)
            items.append(item)

        def run(jobs):
            errors = []

            def work(pairs):
                try:
                    for account, item in pairs:
                        points_redeem(actor=clerk, account=account, item=item, quantity=1)
                except Exception as exc:  # reported below: a bench that fails says so
                    errors.append(exc)
                finally:
                    connections.close_all()

            workers = [threading.Thread(target=work, args=(pairs,)) for pairs in jobs]
            started = time.perf_counter()
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            elapsed = time.perf_counter() - started
            if errors:
                raise CommandError(f"redemption bench failed: {errors[0]!r}")
            return sum(len(pairs) for pairs in jobs) / elapsed

        one = run([[(accounts[0], items[0])] * per_thread for _ in range(threads)])
        spread = [[(accounts[1 + t * per_thread + i], items[1 + t]) for i in range(per_thread)] for t in range(threads)]
        many = run(spread)
        report = ledger_check()
        redemptions = (
            f"Points redemptions ({threads} threads × {per_thread}, each its own PostgreSQL connection, through "
            f"points_redeem): one account {one:.0f} per second (serialised on its row lock); across "
            f"{threads * per_thread} accounts and {threads} items {many:.0f} per second (target >= 200/s); "
            f"check_points_ledger afterwards: {'FAILS' if report.problems else 'passes'} "
            f"({report.accounts:,} accounts, {report.entries:,} entries)."
        )
        return redemptions + "\n\n" + self._bench_passbook(clerk, accounts[0], items[0])

    def _bench_passbook(self, cadre, account, item, entries: int = 500, requests: int = 30) -> str:
        """The passbook page and its A5 statement for a household with `entries` ledger lines."""
        from points.models import Entry
        from points.services import points_redeem

        while Entry.objects.filter(account=account).count() < entries:
            points_redeem(actor=cadre, account=account, item=item, quantity=1)
        client = Client()
        client.force_login(cadre)
        results = []
        for label, url in (
            ("passbook page", f"/points/accounts/{account.pk}/"),
            ("A5 statement (the whole year on one page)", f"/points/accounts/{account.pk}/statement/"),
        ):
            timings = []
            for i in range(requests + 5):
                reset_queries()
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}")
                if i >= 5:
                    timings.append(elapsed)
            timings.sort()
            results.append(
                f"{label} median {statistics.median(timings):.0f} ms, p95 {_p95(timings):.0f} ms, "
                f"{len(captured.captured_queries)} queries"
            )
        count = Entry.objects.filter(account=account).count()
        return f"Passbook of a household with {count} ledger entries, as its village cadre: " + "; ".join(results) + "."


def measure(client, url, params, requests, *, before=None) -> dict:
    """Median and p95 of `requests` timed GETs of `url` with `params` after 5 warm-ups, and the
    queries of one; `before()` runs ahead of each (untimed). Any answer but 200 stops the bench."""
    before = before or (lambda: None)
    for _ in range(5):
        response = client.get(url, params)
        if response.status_code != 200:
            raise CommandError(f"{url} {params} answered {response.status_code}: {response.content[:200]!r}")
    reset_queries()  # the request's own reset would otherwise hide its queries from the capture
    before()
    with CaptureQueriesContext(connection) as captured:
        client.get(url, params)
    queries = len(captured.captured_queries)  # read now: the next request clears the log
    timings = []
    for _ in range(requests):
        before()
        started = time.perf_counter()
        client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "median": statistics.median(timings),
        "p95": _p95(timings),
        "queries": queries,
    }


def _p95(sorted_timings: list[float]) -> float:
    return sorted_timings[max(0, int(len(sorted_timings) * 0.95) - 1)]


BENCH_MATTER_PREFIX = "bench-"


BENCH_HANDLER = "bench_handler"


def _ensure_open_matters(count: int) -> int:
    """Top the scale database up to `count` open bench matters (COPY), with deadlines spread
    over the past month and the next two, as a district's would be."""
    from django.db.models import Max

    from governance.management.commands.generate_scale import Writer
    from petitions.models import Matter

    # Their handler is a user of their own: made the bench's grid worker (as they once were),
    # half a million matters beyond its grid were no grid worker's list any more.
    handler_id = get_user_model().objects.get_or_create(username=BENCH_HANDLER)[0].pk
    bench_matters = Matter.objects.filter(title__startswith=BENCH_MATTER_PREFIX)
    bench_matters.exclude(handler_id=handler_id).update(handler_id=handler_id)
    have = bench_matters.count()
    if have >= count:
        return have
    grids = list(Grid.objects.filter(village__code__startswith="S").values_list("pk", "village_id", "township_id"))
    next_id = (Matter.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    now = timezone.now()
    swept = now - datetime.timedelta(days=1)
    grace = datetime.timedelta(hours=settings.MATTER_ESCALATION_GRACE_HOURS)
    with transaction.atomic(), connection.cursor() as cursor:
        writer = Writer(cursor)
        for i in range(have, count):
            grid_id, village_id, township_id = grids[i % len(grids)]
            # Deadlines from 30 days ago to 60 days ahead. Flags are as a sweep left them one day
            # ago: what crossed a threshold since then (about 1/90 of each) is the work due now.
            deadline = now + datetime.timedelta(minutes=(i * 7919) % (90 * 24 * 60) - 30 * 24 * 60)
            start = deadline - datetime.timedelta(days=14)
            warn_at = start + (deadline - start) * 0.8
            overdue = deadline <= swept
            level = min(2, max(0, int((swept - deadline) / grace))) if overdue else 0
            writer.add(
                Matter,
                id=next_id,
                township_id=township_id,
                village_id=village_id,
                grid_id=grid_id,
                title=f"{BENCH_MATTER_PREFIX}{i}",
                description="基准事项",
                kind="civil",
                state="handling",
                source="visit",
                submitter_name="村民",
                tracking_code=f"bench{i:010d}",
                handler_id=handler_id,
                clock_started_at=start.isoformat(),
                deadline=deadline.isoformat(),
                time_limit_days=10,
                warn_at=warn_at.isoformat(),
                warned_at=warn_at.isoformat() if warn_at <= swept else None,
                is_overdue=overdue,
                overdue_at=swept.isoformat() if overdue else None,
                escalation_level=level,
            )
            next_id += 1
            if writer.pending(Matter) >= 50_000:
                writer.flush(["petitions_matter"])
        writer.flush(["petitions_matter"])
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('petitions_matter', 'id'), "
                "(SELECT MAX(id) FROM petitions_matter))"
            )
            cursor.execute("ANALYZE petitions_matter")
    return count


def _bench_village() -> Village:
    township = Village.objects.filter(code__startswith="S").first().township
    village = village_create(township=township, name="基准导入村", code="BENCH-IMPORT")
    for number in range(1, 11):
        grid_create(village=village, number=number, name=f"第{number}网格")
    return village


def _register_file(village: Village, rows: int) -> bytes:
    """A realistic 台账 with `rows` residents in households of about three, valid ID numbers."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([c.header for c in COLUMNS])
    grids = list(Grid.objects.filter(village=village).order_by("number"))
    relations = ["户主", "配偶", "子女"]
    for i in range(rows):
        household = i // 3
        birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=(i * 7) % 25_000)
        # Unique for a million rows: a birthday comes back every 25 000 rows, with another sequence.
        first17 = f"500118{birth:%Y%m%d}{(i + i // 25_000) % 1000:03d}"
        sheet.append(
            [
                village.name,
                grids[household % len(grids)].number,
                "",
                f"B{household:05d}",
                f"基准村{household}号",
                f"测试{'甲乙丙丁戊己庚辛'[i % 8]}{'一二三四五六七八九'[(i // 8) % 9]}",
                relations[i % 3],
                "男" if i % 2 else "女",
                "",
                first17 + id_check_char(first17),
                "15800001234" if i % 3 == 0 else "",
                "汉族",
                "在家",
                "",
                "",
                "",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


def _db_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        return cursor.fetchone()[0].split(" on ")[0]
