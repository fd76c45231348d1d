"""The campaign households on the visit to-do (governance.panels finds this module): each
running campaign with the households left to answer, and a mark on those households' cards
(static/js/campaigns.js), so campaigns sit beside the 逢十 visits."""

from governance.panels import Panel, panel
from governance.roles import CAMPAIGN_ANSWERERS
from governance.scoping import scope_for
from grids.campaigns.selectors import open_tasks_for


@panel("visit_todo")
def campaigns_to_answer(request, _obj) -> Panel | None:
    """The user's open tasks grouped by campaign, the soonest due first (one query)."""
    user = request.user
    if not (user.is_superuser or scope_for(user).has_any_role(CAMPAIGN_ANSWERERS)):
        return None
    rows = (
        open_tasks_for(user)
        .select_related(None)
        .values_list("household_id", "campaign_id", "campaign__title", "due_on")
    )
    campaigns: dict[int, dict] = {}
    households: dict[str, list[str]] = {}
    for household_id, campaign_id, title, due_on in rows.iterator(chunk_size=2000):
        entry = campaigns.setdefault(campaign_id, {"id": campaign_id, "title": title, "due_on": due_on, "left": 0})
        entry["left"] += 1
        entry["due_on"] = min(entry["due_on"], due_on)
        households.setdefault(str(household_id), []).append(title)
    if not campaigns:
        return None
    listed = sorted(campaigns.values(), key=lambda entry: (entry["due_on"], entry["id"]))
    return Panel("campaigns/_visit_todo_panel.html", {"campaigns": listed, "households": households})
