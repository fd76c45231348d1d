from django.core.management.base import BaseCommand, CommandError

from points.selectors import ledger_check, unposted_sources


class Command(BaseCommand):
    help = (
        "Prove the points ledger: every balance equals the sum of its entries, every entry's balance_after is "
        "the running sum, and every approval and redemption posted exactly one entry. Exits non-zero, listing "
        "the bad accounts, if not."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=5000, help="Accounts per aggregate query.")
        parser.add_argument("--limit", type=int, default=1000, help="Stop after this many problems.")

    def handle(self, *args, batch_size=5000, limit=1000, **options):
        report = ledger_check(batch_size=batch_size, limit=limit)
        half_written = {name: n for name, n in unposted_sources().items() if n}
        for account_id, problem in report.problems:
            self.stderr.write(f"account {account_id}: {problem}")
        for name, n in half_written.items():
            self.stderr.write(f"{name}: {n}")
        if report.problems or half_written:
            more = " (and more: stopped at --limit)" if report.truncated else ""
            accounts = len({account_id for account_id, _problem in report.problems})
            raise CommandError(f"points ledger check failed: {accounts} bad accounts{more}")
        self.stdout.write(self.style.SUCCESS(f"points ledger ok: {report.accounts} accounts, {report.entries} entries"))
