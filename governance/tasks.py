"""Celery tasks: take ids, load, call a service."""

import datetime

from celery import shared_task

from governance.pledges import pledges_flag_overdue
from governance.services import idempotency_records_prune, notification_emails_sweep, notification_send_email


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_notification_email(notification_id: int) -> bool:
    return notification_send_email(notification_id=notification_id)


@shared_task
def sweep_unsent_notifications(older_than_seconds: int = 60) -> int:
    """Send emails whose task was lost (Redis or the worker down when the request ran)."""
    return notification_emails_sweep(older_than=datetime.timedelta(seconds=older_than_seconds))


@shared_task
def prune_idempotency_records() -> int:
    return idempotency_records_prune()


@shared_task
def flag_overdue_pledges() -> int:
    """The daily sweep of pledges past their due day and not done (flagged once each)."""
    return pledges_flag_overdue()
