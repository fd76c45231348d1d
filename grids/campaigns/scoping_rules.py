"""How a department handler sees campaign tasks: not at all. A matter a finding raised carries
the answers in its description; the handler reads that, not the household's other answers."""

from django.db.models import Q

from governance.scoping import register_department_rule

register_department_rule("task", lambda department_ids: Q(pk__in=[]))
