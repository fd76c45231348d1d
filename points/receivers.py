"""Points plugs itself into what grids announces (grids does not know points)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from governance.generations import bump
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


def points_generation(village_id) -> str:
    """The generation of a village's points (governance.generations): its board counts them."""
    return f"points:v{village_id}"


@receiver(post_save, dispatch_uid="points.generation.saved")
@receiver(post_delete, dispatch_uid="points.generation.deleted")
def _points_written(sender, instance, **kwargs):
    """Any write of the points bank in a village (bulk inserts bump it themselves)."""
    village_id = getattr(instance, "village_id", None)
    if sender._meta.app_label == "points" and village_id:
        bump(points_generation(village_id))
