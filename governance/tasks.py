"""Celery tasks: take ids, load, call a service."""

import datetime

from celery import shared_task

from governance.jobs import job_run, jobs_prune, jobs_sweep
from governance.messaging.services import deliveries_sweep
from governance.pledges import pledges_flag_overdue
from governance.services import idempotency_records_prune


@shared_task
def sweep_unsent_notifications(older_than_seconds: int = 60) -> int:
    """The outbox's sweep under its old name (tasks queued before the move still run)."""
    return deliveries_sweep(older_than=datetime.timedelta(seconds=older_than_seconds))


@shared_task
def prune_idempotency_records() -> int:
    return idempotency_records_prune()


@shared_task
def flag_overdue_pledges() -> int:
    """The daily sweep of pledges past their due day and not done (flagged once each)."""
    return pledges_flag_overdue()


@shared_task(name="governance.tasks.run_job")
def run_job(job_id: int) -> str:
    """Do one background job (governance.jobs); a rerun finds it claimed and does nothing."""
    return job_run(job_id)


@shared_task(name="governance.tasks.sweep_jobs")
def sweep_jobs() -> dict:
    """Queue again the jobs the broker never took, and retry or fail those whose worker died."""
    return jobs_sweep()


@shared_task(name="governance.tasks.prune_jobs")
def prune_jobs() -> int:
    """Delete the jobs finished more than JOB_KEEP_DAYS ago, with their files."""
    return jobs_prune()
