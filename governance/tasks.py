"""Celery tasks: take ids, load, call a service."""

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from governance.models import Notification
from governance.services import idempotency_records_prune, notification_send_email

logger = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 5


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_notification_email(notification_id: int) -> bool:
    return notification_send_email(notification_id=notification_id)


@shared_task
def sweep_unsent_notifications(older_than_seconds: int = 60) -> int:
    """Send emails whose task was lost (Redis or the worker down when the request ran)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    ids = list(
        Notification.objects.filter(
            wants_email=True, emailed_at__isnull=True, created_at__lte=cutoff, email_attempts__lt=MAX_EMAIL_ATTEMPTS
        ).values_list("pk", flat=True)[:500]
    )
    sent = 0
    for notification_id in ids:
        try:
            sent += notification_send_email(notification_id=notification_id)
        except Exception:
            logger.warning("email for notification %s failed", notification_id, exc_info=True)
    return sent


@shared_task
def prune_idempotency_records() -> int:
    return idempotency_records_prune()
