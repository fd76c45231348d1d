"""Benchmark a township-sized register import as a background job, end to end.

A village cadre sends a register file of --rows rows (the bench's own generator,
governance.management.commands.bench) through the import page; the command times the web
request (which saves the file and the job, and queues the task), then watches the job's row
as a Celery worker does it, and prints each phase with the rows reported and the time. It
writes: run it on a database of your own (it creates the village 基准后台导入村 and refuses
to run twice), with Redis and a worker running:

    celery -A governance worker -c 1 &
    python manage.py bench_import_job --rows 50000
"""

import re
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.test import Client

from governance.management.commands.bench import _register_file
from governance.models import Job, Role
from governance.services import assignment_create
from grids.models import Township, Village
from grids.services import grid_create, village_create

VILLAGE = "基准后台导入村"


class Command(BaseCommand):
    help = "Time a register import of --rows rows as a background job: the web request, then the job to done."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=50_000)
        parser.add_argument("--timeout", type=int, default=900, help="seconds to wait for the job")

    def handle(self, *args, rows, timeout, **options):
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("Set REDIS_URL and start a worker: this measures the job outside the request.")
        if Village.objects.filter(name=VILLAGE).exists():
            raise CommandError(f"{VILLAGE} is there already (a run before): use a fresh database.")
        township = Township.objects.order_by("pk").first()
        if township is None:
            raise CommandError("No township: run seed_demo (or generate_scale) first.")
        village = village_create(township=township, name=VILLAGE, code="BENCH-JOB")
        for number in range(1, 11):
            grid_create(village=village, number=number, name=f"第{number}网格")
        cadre, _created = get_user_model().objects.get_or_create(username="bench_job_cadre")
        assignment_create(user=cadre, role=Role.VILLAGE_CADRE, place=village)
        started = time.perf_counter()
        data = _register_file(village, rows)
        built = time.perf_counter() - started
        self.stdout.write(f"file: {rows:,} rows, {len(data) / 2**20:.1f} MiB, built in {built:.1f} s")

        client = Client()
        client.force_login(cadre)
        page = client.get("/households/import/").content.decode()
        token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
        upload = SimpleUploadedFile("bench.xlsx", data)
        sent = time.perf_counter()
        response = client.post("/households/import/", {"form_token": token, "file": upload})
        answered = time.perf_counter() - sent
        if response.status_code != 302 or not response["Location"].startswith("/jobs/"):
            raise CommandError(f"the import page answered {response.status_code}")
        job_id = int(response["Location"].split("/")[2])
        self.stdout.write(f"web request (save the file and the job, queue the task): {answered * 1000:.0f} ms")

        seen, job = None, None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = Job.objects.get(pk=job_id)
            state = (job.state, job.phase, job.done, job.total)
            if state != seen:
                seen = state
                self.stdout.write(
                    f"  {time.perf_counter() - sent:6.1f} s  {job.state:8} {job.phase:9} {job.done:>7,} / {job.total:,}"
                )
            if job.state in ("done", "failed"):
                break
            time.sleep(0.2)
        total = time.perf_counter() - sent
        if job is None or job.state != "done":
            raise CommandError(f"job {job_id} ended {job.state if job else '?'}: {job.error if job else ''}")
        ran = (job.finished_at - job.started_at).total_seconds()
        waited = (job.started_at - job.created_at).total_seconds()
        self.stdout.write(
            f"job {job_id}: done in {total:.1f} s from the submit ({waited:.1f} s queued, {ran:.1f} s running); "
            f"{job.result['households_created']:,} households, {job.result['residents_created']:,} residents"
        )
