"""Visits act on what grids announces (grids does not know visits)."""

from django.dispatch import receiver

from grids.signals import visit_targets_changed


@receiver(visit_targets_changed, dispatch_uid="visits.refresh_visit_due")
def refresh_visit_due(sender, *, household_ids, **kwargs):
    from grids.visits.services import households_refresh_visit_due

    households_refresh_visit_due(household_ids)
