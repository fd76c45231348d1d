from django.core.management.base import BaseCommand

from governance.services import idempotency_records_prune


class Command(BaseCommand):
    help = (
        "Forget the stored first answers to Idempotency-Key requests older than IDEMPOTENCY_KEEP_DAYS, "
        "as the nightly task does."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"deleted={idempotency_records_prune()}")
