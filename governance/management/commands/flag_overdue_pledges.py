from django.core.management.base import BaseCommand

from governance.management.options import add_now_option, now_option
from governance.pledges import pledges_flag_overdue


class Command(BaseCommand):
    help = "Flag pledges past their due day and not done (once each), as of now or --now."

    def add_arguments(self, parser):
        add_now_option(parser)

    def handle(self, *args, now=None, **options):
        flagged = pledges_flag_overdue(now=now_option(now))
        self.stdout.write(f"flagged={flagged}")
