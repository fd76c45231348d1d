import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from petitions.deadlines import sweep


class Command(BaseCommand):
    help = "Warn, mark overdue (督办), escalate, and close unevaluated matters, as of now or --now."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO-8601 time to sweep as of (default: the current time)")

    def handle(self, *args, now=None, **options):
        moment = timezone.now()
        if now:
            try:
                moment = datetime.datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now must be ISO-8601, e.g. 2026-12-01T09:00:00+08:00, not {now!r}")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        result = sweep(now=moment)
        self.stdout.write(" ".join(f"{key}={value}" for key, value in result.as_dict().items()))
