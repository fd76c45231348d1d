"""The mediation reminders (governance.civic.tasks): the 司法确认 window closing and the
return visit due, each sent once, to the recorder and the village's cadres."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.translation import gettext

from governance.civic.models import Mediation
from governance.civic.tasks import CONFIRMATION_WARNING_DAYS, mediation_reminders_send
from governance.models import Notification
from tests.civic import mediation_fixtures

cw = mediation_fixtures.cw  # the fixture

pytestmark = pytest.mark.django_db


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(8, 0)))


def _agreed_by_grid_worker(cw):
    mediation = cw.opened(actor=cw.users.grid1)
    return cw.agreed(mediation, actor=cw.users.grid1)


def test_nothing_is_sent_before_the_window_closes(cw):
    mediation = _agreed_by_grid_worker(cw)
    warn_day = mediation.agreed_on + datetime.timedelta(days=30 - CONFIRMATION_WARNING_DAYS)
    assert mediation_reminders_send(now=_at(warn_day - datetime.timedelta(days=1))) == {
        "confirmation": 0,
        "revisit": 0,
    }
    assert not Notification.objects.exists()


def test_the_confirmation_reminder_goes_once_to_the_recorder_and_the_cadres(cw):
    mediation = _agreed_by_grid_worker(cw)
    warn_day = mediation.agreed_on + datetime.timedelta(days=30 - CONFIRMATION_WARNING_DAYS)
    assert mediation_reminders_send(now=_at(warn_day)) == {"confirmation": 1, "revisit": 0}
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {cw.users.grid1.username, cw.users.cadre.username}
    assert mediation.number in Notification.objects.first().title
    assert Mediation.objects.get(pk=mediation.pk).confirmation_reminded_at == _at(warn_day)
    assert mediation_reminders_send(now=_at(warn_day + datetime.timedelta(days=1))) == {
        "confirmation": 0,
        "revisit": 0,
    }
    assert Notification.objects.count() == 2


def test_a_window_already_closed_is_not_reminded(cw):
    mediation = _agreed_by_grid_worker(cw)
    result = mediation_reminders_send(now=_at(mediation.agreed_on + datetime.timedelta(days=31)))
    assert result["confirmation"] == 0


def test_the_return_visit_reminder_goes_once_when_due_and_not_done(cw):
    mediation = _agreed_by_grid_worker(cw)
    due = _at(mediation.return_visit_due)
    assert mediation_reminders_send(now=due)["revisit"] == 1
    assert mediation_reminders_send(now=due + datetime.timedelta(days=2))["revisit"] == 0
    titles = list(Notification.objects.values_list("title", flat=True))
    assert (
        sum(title.startswith(gettext("A mediation's return visit (回访) is due")) for title in titles) == 2
    )  # grid1 and the cadre


def test_a_done_return_visit_is_not_reminded(cw):
    from governance.civic.mediations import mediation_revisit

    mediation = _agreed_by_grid_worker(cw)
    mediation_revisit(mediation=mediation, actor=cw.users.cadre, performance="performed")
    assert mediation_reminders_send(now=_at(mediation.return_visit_due))["revisit"] == 0


def test_open_and_failed_mediations_are_never_reminded(cw):
    cw.opened()
    cw.failed()
    later = _at(timezone.localdate() + datetime.timedelta(days=40))
    assert mediation_reminders_send(now=later) == {"confirmation": 0, "revisit": 0}


def test_the_command_sends_as_of_now(cw, capsys):
    mediation = _agreed_by_grid_worker(cw)
    call_command("send_mediation_reminders", now=_at(mediation.return_visit_due).isoformat())
    assert "revisit=1" in capsys.readouterr().out


def test_beat_runs_the_reminders_daily_through_celery(cw, settings):
    from governance.civic.tasks import send_mediation_reminders

    entry = settings.CELERY_BEAT_SCHEDULE["send-mediation-reminders"]
    assert entry["task"] == "governance.civic.tasks.send_mediation_reminders"
    assert send_mediation_reminders.apply().get() == {"confirmation": 0, "revisit": 0}
