"""Points plugs itself into what grids announces (grids does not know points)."""

from django.dispatch import receiver

from grids.models import Village
from grids.signals import households_created


@receiver(households_created, dispatch_uid="points.open_passbooks")
def open_passbooks(sender, *, households, village_ids=None, **kwargs):
    """Every new household gets its passbook: one by one as opened, or per village after a bulk
    insert (which bypassed account_open)."""
    from points.services import account_open, accounts_open_missing

    if village_ids is None:
        for household in households:
            account_open(household=household)
        return
    for village_id in sorted(village_ids):
        accounts_open_missing(village=Village(pk=village_id))
