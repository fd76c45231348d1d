"""The campaign questions on the visit form (governance.panels finds this module).

The visit form is one page for every household, kept on the phone for offline use, so it
carries the open tasks of all its households and, once per campaign, its questions; the
script (static/js/campaigns.js) shows the campaigns of the household chosen, and the phone's
outbox sends their answers after the visit, linked to it (static/js/visits.js).
"""

from django.urls import reverse

from governance.panels import Panel, panel
from governance.roles import CAMPAIGN_ANSWERERS
from governance.scoping import scope_for
from grids.campaigns.forms import CHOICE_BOXES, question_rows
from grids.campaigns.models import Campaign
from grids.campaigns.questionnaire import Form
from grids.campaigns.selectors import open_tasks_for


@panel("visit_form")
def campaign_questions(request, households) -> Panel | None:
    """The open campaign tasks of the form's households, and their campaigns' questions (two
    queries); nothing for those who answer no task."""
    user = request.user
    if not (user.is_superuser or scope_for(user).has_any_role(CAMPAIGN_ANSWERERS)):
        return None
    ids = [row["pk"] for row in households]
    rows = list(
        open_tasks_for(user)
        .select_related(None)
        .filter(household_id__in=ids)
        .values_list("pk", "household_id", "campaign_id", "due_on")
    )
    if not rows:
        return None
    campaigns = [
        {"id": pk, "title": title, "prefix": f"c{pk}-", "rows": question_rows(Form.from_json(form), {}, {})}
        for pk, title, form in Campaign.objects.filter(pk__in={row[2] for row in rows})
        .values_list("pk", "title", "form")
        .order_by("pk")
    ]
    tasks: dict[str, list] = {}
    for task_id, household_id, campaign_id, due_on in rows:
        tasks.setdefault(str(household_id), []).append(
            {"task": task_id, "campaign": campaign_id, "due_on": due_on.isoformat()}
        )
    data = {"tasks": tasks, "answers_url": reverse("campaign-task-batch"), "photos_url": reverse("campaign-photo-list")}
    context = {"data": data, "campaigns": campaigns, "choice_kinds": CHOICE_BOXES}
    return Panel("campaigns/_visit_form_panel.html", context)
