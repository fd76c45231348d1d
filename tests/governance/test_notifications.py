"""Notifications: the inbox row, the email (an outbox row) after commit, and delivery when Redis is down."""

import os
import uuid
from contextlib import contextmanager

import pytest
from django.core import mail
from django.db import transaction

from governance.celery import app
from governance.messaging.models import Delivery
from governance.models import Notification
from governance.services import notification_mark_read, notify
from governance.tasks import sweep_unsent_notifications


def _forget_keys(url: str, prefix: str) -> None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass  # no Redis (the broker-down test): nothing was written


@contextmanager
def broker(url: str):
    """Point the Celery app at a real broker (not eager) for the duration of a test.

    Every Redis key (queues, unacked sets) gets a prefix of its own per use, so that tests
    running at once (pytest -n, or two checkouts on one Redis) never take each other's tasks."""
    saved = (app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_transport_options)
    prefix = f"cunzhi-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex}:"
    app.conf.broker_url, app.conf.task_always_eager = url, False
    app.conf.broker_transport_options = {**(saved[2] or {}), "global_keyprefix": prefix}
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_transport_options = saved
        _forget_keys(url, prefix)
        app._pool = None
        app.amqp._producer_pool = None


def _email(note):
    return Delivery.objects.get(notification=note, channel="email")


def test_notify_writes_inbox_row_and_emails_once_after_commit(world, django_capture_on_commit_callbacks):
    cadre = world.users.cadre
    with django_capture_on_commit_callbacks(execute=True):
        note = notify(user=cadre, title="新事项", body="七星村一网格有新事项", url="/")
    assert Notification.objects.filter(user=cadre, read_at__isnull=True).count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["cadre@example.com"]
    assert _email(note).status == Delivery.Status.SENT and _email(note).sent_at is not None
    # A second delivery attempt (a retried task, the sweep) sends nothing more.
    assert sweep_unsent_notifications(older_than_seconds=0) == 0
    assert len(mail.outbox) == 1


def test_user_without_email_gets_inbox_only(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = notify(user=world.users.grid1, title="提醒")
    assert not Delivery.objects.filter(notification=note).exists() and mail.outbox == []


def test_rolled_back_action_notifies_nobody(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        notify(user=world.users.cadre, title="不会发出")
        raise RuntimeError("the action failed")
    assert not Notification.objects.exists() and not Delivery.objects.exists() and mail.outbox == []


def test_mark_read_only_touches_own_notifications(world):
    mine = notify(user=world.users.grid1, title="a")
    theirs = notify(user=world.users.grid2, title="b")
    assert notification_mark_read(user=world.users.grid1, notification_ids=[mine.pk, theirs.pk]) == 1
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_redis_down_request_succeeds_and_sweep_delivers_later(world, django_capture_on_commit_callbacks):
    # Port 1 refuses connections exactly like a Redis that has been killed.
    with broker("redis://127.0.0.1:1/0"), django_capture_on_commit_callbacks(execute=True):
        note = notify(user=world.users.cadre, title="Redis 停了也要送到")
    assert Notification.objects.filter(pk=note.pk).exists()
    assert _email(note).status == Delivery.Status.QUEUED and mail.outbox == []
    assert sweep_unsent_notifications(older_than_seconds=0) == 1
    assert len(mail.outbox) == 1
    assert sweep_unsent_notifications(older_than_seconds=0) == 0


def test_sweep_command_sends_lost_emails_older_than_given_minutes(world, django_capture_on_commit_callbacks):
    import datetime
    import io

    from django.core.management import CommandError, call_command
    from django.utils import timezone

    with broker("redis://127.0.0.1:1/0"), django_capture_on_commit_callbacks(execute=True):
        old = notify(user=world.users.cadre, title="十分钟前")
        new = notify(user=world.users.cadre, title="刚刚")
    Delivery.objects.filter(notification=old).update(created_at=timezone.now() - datetime.timedelta(minutes=10))
    out = io.StringIO()
    call_command("sweep_unsent_notifications", "--older-than", "5", stdout=out)
    assert out.getvalue().strip() == "sent=1"
    assert [m.subject for m in mail.outbox] == ["[村治] 十分钟前"]
    call_command("sweep_unsent_notifications", "--older-than", "0", stdout=out)
    call_command("sweep_unsent_notifications", "--older-than", "0", stdout=out)
    assert [m.subject for m in mail.outbox] == ["[村治] 十分钟前", "[村治] 刚刚"]
    assert _email(new).status == Delivery.Status.SENT
    with pytest.raises(CommandError):
        call_command("sweep_unsent_notifications", "--older-than", "-1")


@pytest.mark.django_db(transaction=True)
def test_email_goes_through_real_redis_and_worker(world):
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set: no Redis to send the task through")
    from celery.contrib.testing.worker import start_worker

    with broker(redis_url), start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        note = notify(user=world.users.cadre, title="经由 Redis")
        for _ in range(100):
            if _email(note).sent_at:
                break
            import time

            time.sleep(0.1)
    assert _email(note).status == Delivery.Status.SENT
    assert [m.subject for m in mail.outbox] == ["[村治] 经由 Redis"]
