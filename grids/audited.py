"""The changes the places and the register keep (governance.history): places and 片区, tags and
their visit targets, households and residents (phones masked, ID numbers never recorded)."""

from governance.history import keep_history
from governance.roles import ADMIN_ROLES, TOWNSHIP_ROLES
from governance.scoping import scope_for
from grids.models import Area, Courtyard, Grid, Household, Resident, Tag, Township, Village
from grids.selectors import households_visible_to, residents_visible_to


def _places(model, kind):
    return lambda user: scope_for(user).filter_places(model.objects.all(), kind)


def _areas(user):
    scope = scope_for(user)
    if scope.is_superuser:
        return Area.objects.all()
    return Area.objects.filter(township_id__in=sorted(scope.ids_for(TOWNSHIP_ROLES | ADMIN_ROLES)))


def _tags(user):
    """Tags are the district's catalogue: every member of staff reads their history."""
    scope = scope_for(user)
    return Tag.objects.all() if scope.is_superuser or scope.roles else Tag.objects.none()


_REGISTER_NOISE = ("created_at", "updated_at", "last_visited_on", "visit_due_on")

keep_history(Township, kind="township", readable=_places(Township, "township"))
keep_history(Village, kind="village", readable=_places(Village, "village"))
keep_history(Grid, kind="grid", readable=_places(Grid, "grid"))
keep_history(Courtyard, kind="courtyard", readable=_places(Courtyard, "courtyard"))
keep_history(Area, kind="area", readable=_areas, m2m=("villages",))
keep_history(Tag, kind="tag", readable=_tags)
keep_history(
    Household,
    kind="household",
    readable=lambda user: households_visible_to(user),
    exclude=(*_REGISTER_NOISE, "head_name_pinyin", "head_name_initials"),
    mask=("phone",),
    m2m=("tags",),
)
keep_history(
    Resident,
    kind="resident",
    readable=lambda user: residents_visible_to(user),
    exclude=(*_REGISTER_NOISE, "name_pinyin", "name_initials", "id_number_encrypted", "id_number_hash"),
    mask=("phone",),
    m2m=("tags",),
)
