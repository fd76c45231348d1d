import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from governance.civic.tasks import mediation_reminders_send
from governance.management.options import counts_line, parsed_option


class Command(BaseCommand):
    help = "Remind of agreed mediations' 司法确认 window closing and return visits due (once each), as of now or --now."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO-8601 time to send as of (default: the current time)")

    def handle(self, *args, now=None, **options):
        moment = timezone.now()
        if now:
            moment = parsed_option(
                now,
                datetime.datetime.fromisoformat,
                option="--now",
                expected="ISO-8601, e.g. 2026-12-01T09:00:00+08:00",
            )
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        self.stdout.write(counts_line(mediation_reminders_send(now=moment)))
