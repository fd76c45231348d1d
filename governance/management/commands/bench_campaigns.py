"""`make bench`, campaigns (专项排查, issue 20 point 7) on a `generate_scale` database.

1. Starting: a campaign of one whole township (13 000 households) and the district's (390 000:
   a campaign belongs to one township, so the district's is its 30 townships' campaigns, each
   started by its official, one after another): the time of `campaign_create` and
   `campaign_start`, the tasks written, no household twice, and a second write of a township's
   tasks (ON CONFLICT DO NOTHING) writing none.
2. With both running: the grid worker's and the village cadre's to-do (page and API), the
   visit form and the visit to-do (which carry the campaigns' open tasks), the campaign page
   with its progress per village and grid for the township official, the progress API, the
   campaign list (official, superuser): median and p95 of `--requests` requests after 5
   warm-up, in-process through the whole middleware stack, and the queries of one.
3. Answers: `--answers` tasks of the township's campaign answered through `task_answer` (by
   each household's grid worker, a few hazards found: follow-up tasks), then the .xlsx export
   of those answers and of the whole township answered (filled in bulk, rolled back): its
   time and Python memory peak.

The bench's campaigns are titled `bench-…`; a run deletes those a run before it left (so a
run that died leaves nothing behind for long) and its own at the end, unless `--keep`.
"""

import datetime
import platform
import statistics
import time
import tracemalloc
import uuid

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from governance.management.commands.bench import _cpus, _db_version, _p95, measure
from governance.management.commands.generate_scale import CODE_PREFIX, scale_usernames
from grids.campaigns.exports import answers_xlsx
from grids.campaigns.library import GAS
from grids.campaigns.models import AnswerPhoto, Campaign, Task
from grids.campaigns.selectors import tasks_visible_to
from grids.campaigns.services import _write_tasks, campaign_create, campaign_start, task_answer
from grids.models import Household, Township

PREFIX = "bench-"
START_TOWNSHIP_TARGET = 5.0  # s, "a township-wide campaign is created in seconds"
START_DISTRICT_TARGET = 30.0  # s, the district's households
LIST_TARGET = 100  # ms p95, as the register lists (README)
BOARD_TARGET = 150  # ms p95, as a township's dashboard (README)


class _Rollback(Exception):
    pass


def _form() -> list:
    """燃气安全排查 as the library has it, its hazard leading to a follow-up task only: the scale
    database has no matter categories, and the bench raises no matters."""
    form = []
    for question in GAS.form:
        question = dict(question)
        if question.get("findings"):
            question["findings"] = [{k: v for k, v in f.items() if k != "category"} for f in question["findings"]]
        form.append(question)
    return form


def _answers(n: int) -> dict:
    """A plausible spread of answers (one in twenty a hazard)."""
    if n % 7 == 0:
        return {"uses_gas": "no"}
    return {
        "uses_gas": "yes",
        "gas_kind": ("pipe", "lpg", "lpg", "both")[n % 4],
        "hose_ok": "no" if n % 5 == 0 else "yes",
        "alarm": "yes" if n % 3 == 0 else "no",
        "hazard": "yes" if n % 20 == 1 else "no",
        **({"hazard_detail": "软管老化开裂"} if n % 20 == 1 else {}),
    }


def delete_bench_campaigns() -> int:
    """Delete the bench's campaigns with their tasks: the tasks in one statement (it takes the
    follow-ups with the tasks they follow; the foreign key is checked at its end), not the
    ORM's row-at-a-time cascade over 400 000 of them."""
    ids = list(Campaign.objects.filter(title__startswith=PREFIX).values_list("pk", flat=True))
    if not ids:
        return 0
    tasks = Task.objects.filter(campaign_id__in=ids)
    with transaction.atomic(), connection.cursor() as cursor:
        Task.matters.through.objects.filter(task__in=tasks).delete()
        AnswerPhoto.objects.filter(task__in=tasks).delete()
        cursor.execute(f"DELETE FROM {Task._meta.db_table} WHERE campaign_id = ANY(%s)", [ids])  # nosec B608
        Campaign.objects.filter(pk__in=ids).delete()
    return len(ids)


def vacuum_tasks() -> None:
    """VACUUM ANALYZE the task table alone (after 400 000 rows written or deleted; this server
    runs no autovacuum), in autocommit; inside a transaction (a test's) ANALYZE only."""
    with connection.cursor() as cursor:
        in_transaction = connection.in_atomic_block or not connection.get_autocommit()
        cursor.execute(f"{'ANALYZE' if in_transaction else 'VACUUM ANALYZE'} {Task._meta.db_table}")


class Command(BaseCommand):
    help = "Benchmark campaigns (start, to-do, progress, answers, export) on a generate_scale database."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=30, help="timed requests per case")
        parser.add_argument("--answers", type=int, default=1000, help="tasks answered through task_answer")
        parser.add_argument("--township-only", action="store_true", help="no district campaigns (quick)")
        parser.add_argument("--keep", action="store_true", help="leave the bench's campaigns in the database")
        parser.add_argument("--output", help="also write the Markdown report to this file")

    def handle(self, *args, requests, answers, township_only, keep, output, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The campaigns bench runs on PostgreSQL (make bench).")
        townships = list(Township.objects.filter(code__startswith=CODE_PREFIX).order_by("code"))
        if not townships:
            raise CommandError("No generate_scale data here: run `manage.py generate_scale` first (make bench does).")
        removed = delete_bench_campaigns()
        if removed:
            vacuum_tasks()
            self.stdout.write(f"deleted {removed} campaigns a previous run left")
        lines = [
            f"Campaigns at scale ({timezone.localdate():%Y-%m-%d}). Machine: "
            f"{platform.processor() or platform.machine()}, {_cpus()} cores, Python {platform.python_version()}, "
            f"{connection.vendor} {_db_version()}; "
            f"{Household.objects.count():,} households in {len(townships)} townships; command "
            f"`manage.py bench_campaigns --requests {requests} --answers {answers}`.",
        ]
        self.stdout.write(lines[0])
        # The visit pages before any campaign runs: what the campaigns' panels add to them.
        before = {case: self._time(case, requests) for case in self._visit_cases()}
        started = self._bench_start(lines, townships[:1] if township_only else townships)
        self._bench_answers(lines, started["township"], answers)
        self._bench_requests(lines, started, requests, before)
        self._bench_export(lines, started["township"])
        if not keep:
            at = time.perf_counter()
            count = delete_bench_campaigns()
            vacuum_tasks()
            self._say(lines, f"\nThe bench's {count} campaigns deleted in {time.perf_counter() - at:.1f} s.")
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write("\n".join(lines) + "\n")

    def _say(self, lines: list[str], line: str) -> None:
        lines.append(line)
        self.stdout.write(line)

    # ------------------------------------------------------------ 1. starting

    def _start(self, township, title) -> tuple[Campaign, float, float]:
        official = get_user_model().objects.get(username=f"s{int(township.code[1:]):03d}_official")
        today = timezone.localdate()
        at = time.perf_counter()
        campaign = campaign_create(
            actor=official,
            township=township,
            title=title,
            purpose=GAS.purpose,
            starts_on=today,
            due_on=today + datetime.timedelta(days=30),
            form=_form(),
            form_source=f"template:{GAS.code}",
        )
        created = time.perf_counter() - at
        at = time.perf_counter()
        campaign = campaign_start(campaign=campaign, actor=official)
        return campaign, created, time.perf_counter() - at

    def _bench_start(self, lines, townships) -> dict:
        first = townships[0]
        township, created, took = self._start(first, f"{PREFIX}{first.name}燃气安全排查")
        households = Household.objects.filter(township=first).count()
        district, starts = [], []
        at = time.perf_counter()
        for place in townships:
            campaign, _created, start = self._start(place, f"{PREFIX}全区燃气安全排查·{place.name}")
            district.append(campaign)
            starts.append(start)
        district_total = time.perf_counter() - at
        analyzed = time.perf_counter()
        vacuum_tasks()
        analyzed = time.perf_counter() - analyzed
        tasks = Task.objects.filter(campaign__title__startswith=PREFIX)
        twice = (
            tasks.filter(follows__isnull=True)
            .values("campaign_id", "household_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .count()
        )
        district_tasks = Task.objects.filter(campaign__in=district).count()
        district_households = Household.objects.filter(township__in=townships).count()
        with transaction.atomic():
            at = time.perf_counter()
            again = _write_tasks(township)
            rewrite = time.perf_counter() - at
        met = "met" if took < START_TOWNSHIP_TARGET else "MISSED"
        met_district = "met" if district_total < START_DISTRICT_TARGET else "MISSED"
        self._say(lines, "")
        self._say(lines, "| start | households | tasks written | time | target |")
        self._say(lines, "|---|---:|---:|---:|---|")
        self._say(
            lines,
            f"| one township's campaign ({first.name}): create / start | {households:,} | {township.task_count:,} | "
            f"{created * 1000:.0f} ms / {took:.2f} s | < {START_TOWNSHIP_TARGET:.0f} s: {met} |",
        )
        self._say(
            lines,
            f"| the district's: {len(district)} township campaigns started one after another (create and start) | "
            f"{district_households:,} | {district_tasks:,} | {district_total:.1f} s (a start: median "
            f"{statistics.median(starts):.2f} s, slowest {max(starts):.2f} s) | < {START_DISTRICT_TARGET:.0f} s: "
            f"{met_district} |",
        )
        self._say(
            lines,
            f"| the township's tasks written again (ON CONFLICT DO NOTHING) | {households:,} | {again} | "
            f"{rewrite:.2f} s | none written |",
        )
        self._say(
            lines,
            f"\nA household twice in one campaign: {twice}. Then `ANALYZE campaigns_task` ({analyzed:.1f} s; this "
            f"server runs without autovacuum, which would do it within a minute of the writes).",
        )
        return {"township": township, "district": district}

    # ------------------------------------------------------------ 3. answers (before the reads: done rows)

    def _bench_answers(self, lines, campaign: Campaign, count: int) -> None:
        """`count` tasks of the campaign answered by their grid's worker, spread over every grid."""
        workers = self._workers(campaign)
        grids = sorted(workers)
        per_grid = max(1, -(-count // len(grids)))
        chosen = []
        for grid_id in grids:
            # Not the first households of a grid: the bench's grid worker keeps its first page to do.
            chosen += list(
                Task.objects.filter(campaign=campaign, grid_id=grid_id, state=Task.State.OPEN)
                .order_by("-id")
                .values_list("pk", flat=True)[:per_grid]
            )
        chosen = chosen[:count]
        timings = []
        now = timezone.now()
        for n, pk in enumerate(chosen):
            task = Task.objects.get(pk=pk)
            at = time.perf_counter()
            task_answer(
                actor=workers[task.grid_id],
                task=task,
                client_uuid=uuid.uuid4(),
                answers=_answers(n),
                answered_at=now - datetime.timedelta(minutes=n),
            )
            timings.append((time.perf_counter() - at) * 1000)
        timings.sort()
        follow_ups = Task.objects.filter(campaign=campaign, follows__isnull=False).count()
        self._say(
            lines,
            f"\n{len(chosen):,} tasks of the township's campaign answered through `task_answer` by each grid's worker "
            f"({len(grids)} grids): median {statistics.median(timings):.1f} ms, p95 {_p95(timings):.1f} ms an answer; "
            f"{follow_ups} hazards found, each a follow-up task.",
        )

    @staticmethod
    def _workers(campaign) -> dict:
        from governance.models import Assignment

        rows = Assignment.objects.filter(township_id=campaign.township_id, role="grid_worker").select_related("user")
        return {a.grid_id: a.user for a in rows}

    # ------------------------------------------------------------ 2. the reads

    @staticmethod
    def _visit_cases() -> list[tuple[str, str]]:
        names = scale_usernames()
        return [
            (names[persona], url)
            for persona in ("grid_worker", "village_cadre")
            for url in ("/visits/new/", "/visits/")
        ]

    @staticmethod
    def _time(case: tuple[str, str], requests: int, kind: str = "page") -> dict:
        """`measure` of one GET (`url` may carry a query string) as `username`, by session
        (a page) or token (the API), DEBUG off."""
        username, url = case
        user = get_user_model().objects.get(username=username)
        if kind == "api":
            token, _created = Token.objects.get_or_create(user=user)
            client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
        else:
            client = Client()
            client.force_login(user)
        path, _sep, query = url.partition("?")
        params = dict(part.split("=", 1) for part in query.split("&")) if query else {}
        with override_settings(DEBUG=False):
            return measure(client, path, params, requests)

    def _bench_requests(self, lines, started, requests, before) -> None:
        township = started["township"]
        ours = [c for c in started["district"] if c.township_id == township.township_id]
        users = get_user_model().objects
        names = scale_usernames()
        worker = users.get(username=names["grid_worker"])
        cadre = users.get(username=names["village_cadre"])
        official = users.get(username=names["township_official"])
        admin, _created = users.get_or_create(username="bench_admin", defaults={"is_superuser": True, "is_staff": True})
        worker_open = tasks_visible_to(worker).filter(state="open", campaign__state="started").count()
        cadre_open = tasks_visible_to(cadre).filter(state="open", campaign__state="started").count()
        cases = [
            ("grid worker", f"to-do page /campaigns/tasks/ ({worker_open:,} open tasks)", worker, "/campaigns/tasks/",
             "page", LIST_TARGET),
            ("grid worker", "to-do API /api/v1/campaign-tasks/ (first page)", worker, "/api/v1/campaign-tasks/", "api",
             LIST_TARGET),
            ("grid worker", "visit form /visits/new/ (with its households' tasks)", worker, "/visits/new/", "page",
             LIST_TARGET),
            ("grid worker", "visit to-do /visits/ (with its campaigns)", worker, "/visits/", "page", LIST_TARGET),
            ("village cadre", f"to-do page /campaigns/tasks/ ({cadre_open:,} open tasks)", cadre, "/campaigns/tasks/",
             "page", LIST_TARGET),
            ("village cadre", "to-do API /api/v1/campaign-tasks/", cadre, "/api/v1/campaign-tasks/", "api",
             LIST_TARGET),
            ("village cadre", "visit form /visits/new/", cadre, "/visits/new/", "page", LIST_TARGET),
            ("village cadre", "visit to-do /visits/", cadre, "/visits/", "page", LIST_TARGET),
            ("village cadre", "campaign page, township's (its village's tasks)", cadre, f"/campaigns/{township.pk}/",
             "page", BOARD_TARGET),
            ("village cadre", "campaign list /campaigns/", cadre, "/campaigns/", "page", LIST_TARGET),
            ("township official", f"campaign page, township's ({township.task_count:,} tasks, answered ones)", official,
             f"/campaigns/{township.pk}/", "page", BOARD_TARGET),
            ("township official", "progress API ?by=village", official,
             f"/api/v1/campaigns/{township.pk}/progress/?by=village", "api", BOARD_TARGET),
            ("township official", "progress API ?by=grid", official,
             f"/api/v1/campaigns/{township.pk}/progress/?by=grid", "api", BOARD_TARGET),
            ("township official", "campaign list /campaigns/", official, "/campaigns/", "page", LIST_TARGET),
            ("township official", "campaign list API /api/v1/campaigns/", official, "/api/v1/campaigns/", "api",
             LIST_TARGET),
        ]  # fmt: skip
        if ours:
            district = ours[0]
            cases.insert(
                11,
                ("township official", f"campaign page, the district's in its township ({district.task_count:,} tasks)",
                 official, f"/campaigns/{district.pk}/", "page", BOARD_TARGET),
            )  # fmt: skip
        count = Campaign.objects.count()
        cases += [
            ("superuser", f"campaign list /campaigns/ ({count} campaigns)", admin, "/campaigns/", "page", LIST_TARGET),
            ("superuser", f"campaign page, township's ({township.task_count:,} tasks)", admin,
             f"/campaigns/{township.pk}/", "page", BOARD_TARGET),
            ("superuser", "progress API ?by=grid", admin, f"/api/v1/campaigns/{township.pk}/progress/?by=grid", "api",
             BOARD_TARGET),
        ]  # fmt: skip
        total = Task.objects.count()
        self._say(
            lines,
            f"\nWith both running ({total:,} tasks in the table), {requests} timed requests per case after 5 "
            f"warm-up, in-process through the whole middleware stack (pages: session; API: token):",
        )
        self._say(lines, "")
        self._say(
            lines, "| as | request | median ms | p95 ms | queries | target p95 ms | p95 ms, no campaign running |"
        )
        self._say(lines, "|---|---|---:|---:|---:|---:|---:|")
        for persona, label, user, url, kind, target in cases:
            result = self._time((user.username, url), requests, kind)
            met = f"{target}{'' if result['p95'] <= target else ' MISSED'}"
            earlier = before.get((user.username, url))
            earlier = f"{earlier['p95']:.1f} ({earlier['queries']} queries)" if earlier else ""
            self._say(
                lines,
                f"| {persona} | {label} | {result['median']:.1f} | {result['p95']:.1f} | {result['queries']} | "
                f"{met} | {earlier} |",
            )

    # ------------------------------------------------------------ 3. the export

    def _bench_export(self, lines, campaign: Campaign) -> None:
        official = get_user_model().objects.get(username=scale_usernames()["township_official"])
        tasks = tasks_visible_to(official)

        def traced():
            tracemalloc.start()
            at = time.perf_counter()
            data = answers_xlsx(campaign, tasks)
            took = time.perf_counter() - at
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            at = time.perf_counter()
            answers_xlsx(campaign, tasks)
            return data, took, peak, time.perf_counter() - at

        answered = tasks.filter(campaign=campaign, state="done").count()
        data, traced_s, peak, plain = traced()
        self._say(
            lines,
            f"\nExport of the township's answers as .xlsx (`exports.answers_xlsx`, as its official reads them): "
            f"{answered:,} rows in {plain:.2f} s ({traced_s:.2f} s with memory tracing), Python memory peak "
            f"{peak / 2**20:.0f} MiB, a {len(data) / 2**20:.1f} MB file.",
        )
        try:
            with transaction.atomic():
                open_tasks = Task.objects.filter(campaign=campaign, state="open", follows__isnull=True)
                sample = Task.objects.filter(campaign=campaign, state="done", follows__isnull=True).first()
                open_tasks.update(
                    state="done", answered_at=sample.answered_at, answered_by=sample.answered_by, answers=sample.answers
                )
                answered_all = tasks.filter(campaign=campaign, state="done").count()
                data, traced_s, peak, plain = traced()
                raise _Rollback
        except _Rollback:
            pass
        self._say(
            lines,
            f"The whole township answered (its open tasks filled in bulk with one answer, rolled back): "
            f"{answered_all:,} rows in {plain:.2f} s ({traced_s:.2f} s traced), Python memory peak "
            f"{peak / 2**20:.0f} MiB, a {len(data) / 2**20:.1f} MB file (at most 50 000 rows in one file).",
        )
