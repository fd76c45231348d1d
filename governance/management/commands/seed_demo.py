from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from governance.civic.demo import seed_civic
from governance.demo import seed_affairs
from governance.pledge_demo import seed_pledges
from grids.campaigns.demo import seed_campaigns
from grids.demo import seed_demo
from grids.visits.demo import seed_visits
from petitions.demo import seed_matters
from points.demo import seed_points


class Command(BaseCommand):
    help = "Load the demo world (合川区: 渭沱镇 and 小沔镇), its staff accounts and households. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never on real data).")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: it creates accounts with a known password. "
                "Use --force only on a throw-away database."
            )
        seed_demo(log=lambda line: self.stdout.write(line))
        seed_matters(log=lambda line: self.stdout.write(line))
        seed_points(log=lambda line: self.stdout.write(line))
        seed_visits(log=lambda line: self.stdout.write(line))
        seed_affairs(log=lambda line: self.stdout.write(line))
        seed_pledges(log=lambda line: self.stdout.write(line))
        seed_civic(log=lambda line: self.stdout.write(line))
        seed_campaigns(log=lambda line: self.stdout.write(line))
        self.stdout.write(self.style.SUCCESS("demo ready: log in as qixing_grid1 / demo12345"))
