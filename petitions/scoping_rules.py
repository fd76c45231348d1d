"""How a department sees people: through the matters assigned to it; and what the village
affairs supervision committee sees: its village's 村事 (governance.scoping).

Found by `autodiscover_modules` in `GovernanceConfig.ready`, like each app's `nav.py`.
"""

from django.db.models import Q

from governance.models import Role
from governance.scoping import register_department_rule, register_role_rule
from petitions.models import Kind, Matter


def _named_households(department_ids: list[int]):
    return Matter.objects.filter(department_id__in=department_ids, household__isnull=False).values("household_id")


register_department_rule("matter", lambda department_ids: Q(department_id__in=department_ids))
register_department_rule("household", lambda department_ids: Q(pk__in=_named_households(department_ids)))
register_department_rule("resident", lambda department_ids: Q(household_id__in=_named_households(department_ids)))
# The committee supervises the village's own affairs: its 村事, not the 民事 of the grids or
# the 政事 reported up, and no household or resident beyond what such a matter shows.
register_role_rule(
    "matter", Role.VILLAGE_SUPERVISOR, lambda village_ids: Q(village_id__in=village_ids, kind=Kind.VILLAGE)
)
