"""How a department sees people: through the matters assigned to it (governance.scoping).

Found by `autodiscover_modules` in `GovernanceConfig.ready`, like each app's `nav.py`.
"""

from django.db.models import Q

from governance.scoping import register_department_rule
from petitions.models import Matter


def _named_households(department_ids: list[int]):
    return Matter.objects.filter(department_id__in=department_ids, household__isnull=False).values("household_id")


register_department_rule("matter", lambda department_ids: Q(department_id__in=department_ids))
register_department_rule("household", lambda department_ids: Q(pk__in=_named_households(department_ids)))
register_department_rule("resident", lambda department_ids: Q(household_id__in=_named_households(department_ids)))
