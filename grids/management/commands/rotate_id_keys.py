from django.core.management.base import BaseCommand
from django.db import transaction

from grids.idnumbers import rotate_id_token
from grids.models import Resident


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored ID number with the newest key in ID_ENCRYPTION_KEYS. "
        "Put the new key first, run this, then remove the old key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, batch_size=2000, **options):
        last_id, done = 0, 0
        while True:
            with transaction.atomic():
                batch = list(
                    Resident.objects.select_for_update()
                    .filter(pk__gt=last_id)
                    .exclude(id_number_encrypted="")
                    .order_by("pk")
                    .only("pk", "id_number_encrypted")[:batch_size]
                )
                if not batch:
                    break
                for resident in batch:
                    resident.id_number_encrypted = rotate_id_token(resident.id_number_encrypted)
                Resident.objects.bulk_update(batch, ["id_number_encrypted"])
            last_id = batch[-1].pk
            done += len(batch)
            self.stdout.write(f"re-encrypted {done}")
        self.stdout.write(self.style.SUCCESS(f"done: {done} ID numbers now use the newest key"))
