"""三治's periodic work: the reminders of an agreed mediation (人民调解), each sent once."""

import datetime

from celery import shared_task
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from governance.civic.models import CONFIRMATION_WINDOW_DAYS, Mediation, MediationStatus
from governance.messaging.models import Kind
from governance.roles import COUNCIL_RUNNERS
from governance.scoping import users_holding
from governance.services import notify_many

# The 司法确认 reminder goes out this many days before the 30-day window closes.
CONFIRMATION_WARNING_DAYS = 5


def _people(mediation: Mediation) -> list:
    """The recorder and the village's cadres, each once."""
    people = {mediation.recorded_by_id: mediation.recorded_by}
    for user in users_holding(COUNCIL_RUNNERS, village_id=mediation.village_id):
        people.setdefault(user.pk, user)
    return [user for user in people.values() if user.is_active]


def _remind(pk: int, claim_field: str, now, title: str, body) -> bool:
    """Claim the reminder (its timestamp still empty), then tell the people: a rerun or a
    second worker finds it claimed and sends nothing."""
    with transaction.atomic():
        claimed = Mediation.objects.filter(pk=pk, **{f"{claim_field}__isnull": True}).update(**{claim_field: now})
        if not claimed:
            return False
        mediation = Mediation.objects.select_related("recorded_by").get(pk=pk)
        url = reverse("civic:mediation-detail", args=[pk])
        text = body(mediation)
        title = f"{title}{pgettext('before what follows', ': ')}{mediation.number}"
        notify_many([(user, title, text, url) for user in _people(mediation)], kind=Kind.REMINDER)
    return True


def mediation_reminders_send(*, now: datetime.datetime | None = None) -> dict:
    """For agreed mediations: a few days before the 30-day window for 司法确认 closes, and once
    the return visit is due and not done; each once (confirmation_reminded_at,
    revisit_reminded_at). Returns the counts sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    agreed = Mediation.objects.filter(status=MediationStatus.AGREED)
    # The window closes on agreed_on + 30 days: warn from 5 days before until it closes.
    warn_from = today - datetime.timedelta(days=CONFIRMATION_WINDOW_DAYS - CONFIRMATION_WARNING_DAYS)
    closing = agreed.filter(
        confirmation_reminded_at__isnull=True,
        agreed_on__lte=warn_from,
        agreed_on__gte=today - datetime.timedelta(days=CONFIRMATION_WINDOW_DAYS),
    )
    due = agreed.filter(revisit_reminded_at__isnull=True, revisited_on__isnull=True, return_visit_due__lte=today)
    # name -> (the mediations, the field that claims each, the title, the text of one)
    reminders = {
        "confirmation": (
            closing,
            "confirmation_reminded_at",
            _("The 30 days for judicial confirmation (司法确认) are closing"),
            lambda m: (
                _(
                    "The parties may jointly ask the people's court to confirm the agreement until %(until)s "
                    "(人民调解法 Art. 33)."
                )
                % {"until": m.confirmation_until.isoformat()}
            ),
        ),
        "revisit": (
            due,
            "revisit_reminded_at",
            _("A mediation's return visit (回访) is due"),
            lambda m: (
                _("Visit the parties: was the agreement carried out (due by %(day)s)?")
                % {"day": m.perform_by.isoformat()}
            ),
        ),
    }
    sent = {}
    for name, (mediations, field, title, text) in reminders.items():
        sent[name] = sum(
            _remind(pk, field, now, title, text) for pk in mediations.order_by("pk").values_list("pk", flat=True)
        )
    return sent


@shared_task
def send_mediation_reminders() -> dict:
    """The daily run of mediation_reminders_send."""
    return mediation_reminders_send()
