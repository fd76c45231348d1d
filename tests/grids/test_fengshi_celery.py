"""逢十 reminders through the real machinery: Celery beat schedules, a worker runs, Redis carries."""

import datetime
import os
import time

import pytest
from celery.beat import EmbeddedService, Scheduler
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from governance.celery import app
from governance.models import Notification
from grids.visits.models import Reminder
from tests.factories import cn_day, next_fengshi_day
from tests.governance.test_notifications import broker

# The world's people reminded on a 逢十 eve: the three on grid and courtyard duty, and the two
# villages' cadres, who go down to their village's grids too (力量沉底).
REMINDED = 5


@pytest.mark.django_db(transaction=True)
def test_beat_and_worker_deliver_each_reminder_once_through_redis(world):
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set: no Redis for beat and the worker")
    saved = app.conf.beat_schedule
    # The settings' entry with the day pinned to the eve of the next 逢十 day (today at the
    # earliest, when the world's assignments begin), firing every second instead of at 19:00:
    # several beats' worth of runs for one (person, cycle, kind).
    cycle = next_fengshi_day(timezone.localdate())
    app.conf.beat_schedule = {
        "fengshi-eve": {
            "task": "grids.visits.tasks.send_fengshi_reminders",
            "schedule": 1.0,
            "kwargs": {"kind": "eve", "on": (cycle - datetime.timedelta(days=1)).isoformat()},
        }
    }
    beat = EmbeddedService(app, max_interval=0.5, scheduler_cls=Scheduler, thread=True)
    try:
        with broker(redis_url), start_worker(app, perform_ping_check=False, shutdown_timeout=10):
            beat.start()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if Reminder.objects.filter(sent_at__isnull=False).count() == REMINDED:
                    break
                time.sleep(0.2)
            time.sleep(2.5)  # let beat fire again: the reruns must send nothing more
    finally:
        beat.stop()
        app.conf.beat_schedule = saved
    assert Reminder.objects.filter(sent_at__isnull=False).count() == REMINDED
    notes = Notification.objects.filter(
        user__in=[world.users.grid1, world.users.grid2, world.users.helper, world.users.cadre, world.users.other_cadre]
    )
    assert notes.count() == REMINDED
    assert all(cn_day(cycle) in n.title for n in notes)


@pytest.mark.django_db
def test_a_reminder_task_queued_under_its_name_before_the_move_still_runs(world, settings):
    """The task moved with visits (grids.tasks → grids.visits.tasks); a message or a beat entry
    written under the old name runs the same task."""
    app.loader.import_default_modules()
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= set(app.tasks)
    eve = (next_fengshi_day(timezone.localdate()) - datetime.timedelta(days=1)).isoformat()
    result = app.tasks["grids.tasks.send_fengshi_reminders"].apply(kwargs={"kind": "eve", "on": eve}).get()
    assert result == {"eve": REMINDED}
    assert Reminder.objects.filter(sent_at__isnull=False).count() == REMINDED
