"""What grids keeps up to date when places, households and posts change."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from governance.generations import bump
from governance.models import Assignment, Department
from grids.models import Area, Courtyard, Grid, Household, Resident, Township, Village
from grids.signals import households_created, households_moved


def places_generation(township_id) -> str:
    """The generation of a township's places, households, residents and posts
    (governance.generations): the boards and the 逢十 roll-up count them."""
    return f"places:t{township_id}"


# The township's board names its departments (and, like the district's, the township itself);
# an area's villages say who is on duty there (包片: the 逢十 roll-up's people sent down).
PLACES = (Village, Grid, Courtyard, Household, Resident, Assignment, Department, Area)


def _written(sender, instance, **kwargs):
    if sender is Township:
        bump(places_generation(instance.pk))
    elif sender in PLACES:
        bump(places_generation(instance.township_id))


post_save.connect(_written, dispatch_uid="grids.generation.saved")
post_delete.connect(_written, dispatch_uid="grids.generation.deleted")


@receiver(m2m_changed, sender=Area.villages.through, dispatch_uid="grids.generation.area_villages")
def _area_villages_changed(sender, instance, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        # From either side (an area given villages, a village given areas): one township.
        bump(places_generation(instance.township_id))


@receiver(households_created, dispatch_uid="grids.generation.households_created")
@receiver(households_moved, dispatch_uid="grids.generation.households_moved")
def _households_changed(sender, *, households=None, moves=None, **kwargs):
    """A register import inserts its households in bulk (no post_save)."""
    rows = households if households is not None else [move.household for move in moves or []]
    bump(*{places_generation(household.township_id) for household in rows})
