import datetime

from celery import shared_task
from django.utils import timezone

from grids.visits.fengshi import send_fengshi_reminders as send


@shared_task
def send_fengshi_reminders(kind: str | None = None, on: str | None = None) -> dict:
    """Run by beat at 19:00 (eve), 07:30 (morning) and 09:00 (report) every day; on a day
    with nothing of that kind due it sends nothing. `on` (YYYY-MM-DD) replays a given day."""
    day = datetime.date.fromisoformat(on) if on else timezone.localdate()
    return send(on=day, kind=kind).as_dict()


# The task's name before visits became an app of their own: a message queued, or a beat
# schedule written, under the old name still runs. Remove one release after the move.
@shared_task(name="grids.tasks.send_fengshi_reminders")
def send_fengshi_reminders_old_name(kind: str | None = None, on: str | None = None) -> dict:
    return send_fengshi_reminders(kind=kind, on=on)
