from django.core.management.base import BaseCommand, CommandError

from grids.models import Village
from points.services import accounts_open_missing


class Command(BaseCommand):
    help = (
        "Open a passbook (with its opening entry) for every household that has none: households loaded in bulk "
        "(the register import, generate_scale) are created without one. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--village", help="Only this village (its code).")

    def handle(self, *args, village=None, **options):
        target = None
        if village:
            target = Village.objects.filter(code=village).first()
            if target is None:
                raise CommandError(f"no village with code {village}")
        opened = accounts_open_missing(village=target)
        self.stdout.write(self.style.SUCCESS(f"opened {opened} passbooks"))
