from django.core.management.base import BaseCommand, CommandError

from governance.errors import Refused
from governance.reports import parse_month, prepare_monthly_reports


class Command(BaseCommand):
    help = (
        "Prepare (store) the monthly report (月报) of every township and village for a month, as the beat task "
        "does on the first of each month, and tell each township's officials. Each report is prepared once, "
        "however often this runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", metavar="YYYY-MM", help="the month, once it is over (default: last month)")

    def handle(self, *args, month=None, **options):
        try:
            first = parse_month(month) if month else None
        except ValueError:
            raise CommandError(f"--month must be YYYY-MM, not {month!r}") from None
        try:
            result = prepare_monthly_reports(month=first)
        except Refused as error:
            raise CommandError(f"--month: {error.message}") from None
        self.stdout.write(f"month={result['month']} prepared={result['prepared']} told={result['told']}")
