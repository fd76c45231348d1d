from django.core.management.base import BaseCommand

from governance.tallies import count_tallies


class Command(BaseCommand):
    help = (
        "Count the township and district dashboards' tallies again now, as the beat task does every five "
        "minutes (a dashboard also counts them itself when they are older than TALLY_MAX_AGE seconds)."
    )

    def handle(self, *args, **options):
        run = count_tallies()
        self.stdout.write(f"counted_at={run.counted_at.isoformat()} matters={run.matters} took_ms={run.took_ms}")
