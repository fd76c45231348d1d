import datetime

from django.core.management.base import BaseCommand, CommandError

from governance.services import notification_emails_sweep


class Command(BaseCommand):
    help = (
        "Send the notification emails whose task was lost (Redis or the worker down when the request ran), "
        "as the periodic sweep does. Each email goes out once, however often this runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=1,
            metavar="MINUTES",
            help="only notifications created at least this many minutes ago (default: 1; 0 for all)",
        )

    def handle(self, *args, older_than=1, **options):
        if older_than < 0:
            raise CommandError(f"--older-than must be 0 or more minutes, not {older_than}")
        sent = notification_emails_sweep(older_than=datetime.timedelta(minutes=older_than))
        self.stdout.write(f"sent={sent}")
