"""The campaigns' flag in the navigation (see governance.nav): no count, so no query per page."""

from governance.nav import register_badges
from governance.roles import CAMPAIGN_ANSWERERS, CAMPAIGN_READERS


@register_badges
def campaigns_badges(request, scope) -> dict:
    # 专项排查: shown beside the visits, to those who make, follow or answer them.
    return {"sees_campaigns": scope.has_any_role(CAMPAIGN_READERS | CAMPAIGN_ANSWERERS)}
