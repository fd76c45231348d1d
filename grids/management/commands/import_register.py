from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from governance.management.options import counts_line
from grids.idconflicts import id_refusals_kept
from grids.models import Township, Village
from grids.register import RegisterImportError, register_import

# A township's whole register, read with no web worker's timeout to keep within.
OFFLINE_READ_SECONDS = 3600


class Command(BaseCommand):
    help = "Import a household register (.xlsx, the Cunzhi template) for a whole township, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx file")
        parser.add_argument("--township", required=True, help="township code: rows may name any of its villages")
        parser.add_argument("--user", required=True, help="the username recorded as doing the import")

    def handle(self, *args, path, township, user, **options):
        place = Township.objects.filter(code=township).first()
        if place is None:
            raise CommandError(f"No township with code {township}.")
        actor = get_user_model().objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"No user {user}.")
        village_ids = set(Village.objects.filter(township=place).values_list("pk", flat=True))
        try:
            with open(path, "rb") as file, id_refusals_kept():
                result = register_import(
                    user=actor, file=file, village_ids=village_ids, read_seconds=OFFLINE_READ_SECONDS
                )
        except FileNotFoundError:
            raise CommandError(f"No file {path}.")
        except RegisterImportError as refused:
            for error in refused.errors:
                self.stderr.write(f"row {error.row} {error.column}: {error.message}")
            raise CommandError(f"Refused: {len(refused.errors)} errors, nothing was imported.")
        self.stdout.write(self.style.SUCCESS(counts_line(result.as_dict())))
