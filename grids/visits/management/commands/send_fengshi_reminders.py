import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from governance.management.options import counts_line, parsed_option
from grids.visits.fengshi import send_fengshi_reminders
from grids.visits.models import Reminder


class Command(BaseCommand):
    help = (
        "Send the 逢十 reminders due on a day: eve (the next day is a 逢十 day), morning (the day is one), "
        "report (the day before was one). Each person gets each reminder once, however often this runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to send for, YYYY-MM-DD (default: today, Asia/Shanghai)")
        parser.add_argument("--kind", choices=Reminder.Kind.values, help="only this kind (default: all that is due)")

    def handle(self, *args, date=None, kind=None, **options):
        day = timezone.localdate()
        if date:
            day = parsed_option(date, datetime.date.fromisoformat, option="--date", expected="YYYY-MM-DD")
        result = send_fengshi_reminders(on=day, kind=kind).as_dict()
        if not result:
            self.stdout.write(f"{day}: nothing due" + (f" of kind {kind}" if kind else ""))
            return
        self.stdout.write(counts_line(result))
