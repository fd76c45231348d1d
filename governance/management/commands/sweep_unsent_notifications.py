import datetime

from django.core.management.base import BaseCommand, CommandError

from governance.messaging.services import deliveries_sweep


class Command(BaseCommand):
    help = (
        "Send the queued messages (e-mail, SMS, 企业微信) whose task was lost (Redis or the worker down "
        "when the request ran), and those held or retried whose time has come, as the periodic sweep "
        "does. Each goes out once, however often this runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=1,
            metavar="MINUTES",
            help="only messages queued at least this many minutes ago (default: 1; 0 for all)",
        )

    def handle(self, *args, older_than=1, **options):
        if older_than < 0:
            raise CommandError(f"--older-than must be 0 or more minutes, not {older_than}")
        sent = deliveries_sweep(older_than=datetime.timedelta(minutes=older_than))
        self.stdout.write(f"sent={sent}")
