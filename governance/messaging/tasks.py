"""Celery tasks of the outbox: take ids, call a service."""

import datetime

from celery import shared_task

from governance.messaging.services import deliveries_sweep, delivery_send


@shared_task
def send_delivery(delivery_id: int) -> str:
    """Send one delivery; after a transient failure, queue the retry for when its backoff ends
    (the sweep catches it too, should the broker be down)."""
    from governance.services import enqueue_now

    outcome = delivery_send(delivery_id=delivery_id)
    if outcome.retry_at:
        enqueue_now(send_delivery, delivery_id, eta=outcome.retry_at)
    return outcome.status


@shared_task
def sweep_deliveries(older_than_seconds: int = 60) -> int:
    """Send what is due and has no task on its way (see deliveries_sweep)."""
    return deliveries_sweep(older_than=datetime.timedelta(seconds=older_than_seconds))
