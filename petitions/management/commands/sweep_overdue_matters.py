from django.core.management.base import BaseCommand

from governance.management.options import add_now_option, counts_line, now_option
from petitions.deadlines import sweep


class Command(BaseCommand):
    help = "Warn, mark overdue (督办), escalate, and close unevaluated matters, as of now or --now."

    def add_arguments(self, parser):
        add_now_option(parser)

    def handle(self, *args, now=None, **options):
        result = sweep(now=now_option(now))
        self.stdout.write(counts_line(result.as_dict()))
