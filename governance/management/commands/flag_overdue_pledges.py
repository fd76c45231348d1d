import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from governance.management.options import parsed_option
from governance.pledges import pledges_flag_overdue


class Command(BaseCommand):
    help = "Flag pledges past their due day and not done (once each), as of now or --now."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO-8601 time to sweep as of (default: the current time)")

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
        flagged = pledges_flag_overdue(now=moment)
        self.stdout.write(f"flagged={flagged}")
