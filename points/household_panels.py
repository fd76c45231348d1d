"""The household page's passbook section (grids.panels finds this module)."""

from governance.roles import PROPOSER_ROLES
from governance.scoping import scope_for
from grids.panels import Panel, household_panel
from points.selectors import account_for_household, standing


@household_panel
def passbook(request, household) -> Panel | None:
    """The passbook's standing (积分存折: one query), if the user sees it."""
    account = account_for_household(request.user, household)
    if account is None:
        return None
    return Panel(
        "points/_household_panel.html",
        {
            "account": account,
            "standing": standing(account),
            "can_propose": scope_for(request.user).covers(household, PROPOSER_ROLES),
        },
    )
