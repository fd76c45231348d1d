"""The household page's matters (grids.panels finds this module)."""

from django.db.models import BooleanField, Case, Value, When

from governance.roles import MATTER_READERS
from governance.scoping import scope_for
from grids.panels import Panel, household_panel
from petitions.models import OPEN_STATES
from petitions.selectors import matters_visible_to

# The latest matters on the household page, open ones first.
PANEL_MATTERS = 10


@household_panel
def matters(request, household) -> Panel | None:
    """The matters raised for the household that the user sees (one query), open ones first."""
    if not scope_for(request.user).has_any_role(MATTER_READERS):
        return None
    rows = list(
        matters_visible_to(request.user)
        .filter(household=household)
        .select_related(None)
        .select_related("category")
        .annotate(open=Case(When(state__in=OPEN_STATES, then=Value(True)), default=False, output_field=BooleanField()))
        .order_by("-open", "-created_at", "-id")[: PANEL_MATTERS + 1]
    )
    return Panel(
        "petitions/_household_panel.html",
        {"household": household, "matters": rows[:PANEL_MATTERS], "more": len(rows) > PANEL_MATTERS},
    )
