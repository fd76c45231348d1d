"""The household page's visit history (grids.panels finds this module)."""

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
    rows = list(
        visits_visible_to(request.user)
        .filter(household=household)
        .select_related(None)
        .select_related("author")
        .prefetch_related(None)
        .order_by("-visited_at", "-id")[: PANEL_VISITS + 1]
    )
    return Panel(
        "visits/_household_panel.html",
        {"household": household, "visits": rows[:PANEL_VISITS], "more": len(rows) > PANEL_VISITS},
    )
