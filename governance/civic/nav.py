"""三治's entry in the navigation (see governance.nav): its pages hang off 村务."""

from governance.civic.access import reads_civic
from governance.nav import register_badges


@register_badges
def civic_badges(request, scope) -> dict:
    return {"sees_civic": reads_civic(request.user)}
