"""The household page's visit history (grids.panels finds this module)."""

from governance.panels import latest_panel
from governance.roles import VISIT_READERS
from governance.scoping import scope_for
from grids.panels import Panel, household_panel
from grids.visits.selectors import visits_visible_to

# The latest visits on the household page; the rest are in the visit log, filtered by it.
PANEL_VISITS = 5


@household_panel
def visit_history(request, household) -> Panel | None:
    """The household's latest visits (one query), for those who read the visit log."""
    if not scope_for(request.user).has_any_role(VISIT_READERS):
        return None
    rows = (
        visits_visible_to(request.user)
        .filter(household=household)
        .select_related(None)
        .select_related("author")
        .prefetch_related(None)
        .order_by("-visited_at", "-id")
    )
    return latest_panel("visits/_household_panel.html", "visits", rows, PANEL_VISITS, household=household)
