"""Visits act on what grids announces (grids does not know visits)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from governance.generations import bump
from grids.signals import visit_targets_changed
from grids.visits.models import Visit


@receiver(visit_targets_changed, dispatch_uid="visits.refresh_visit_due")
def refresh_visit_due(sender, *, household_ids, **kwargs):
    from grids.visits.services import households_refresh_visit_due

    households_refresh_visit_due(household_ids)


def visits_generation(township_id) -> str:
    """The generation of a township's visits (governance.generations): the boards count them."""
    return f"visits:t{township_id}"


@receiver(post_save, sender=Visit, dispatch_uid="visits.generation.saved")
@receiver(post_delete, sender=Visit, dispatch_uid="visits.generation.deleted")
def _visit_written(sender, instance, **kwargs):
    bump(visits_generation(instance.township_id))
