"""Campaigns: the reads that need scoping, the progress figures and the summary of answers."""

import datetime
from collections import Counter
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from governance.roles import CAMPAIGN_READERS
from governance.scoping import places_reached, scope_for
from grids.campaigns.models import Campaign, Task
from grids.campaigns.questionnaire import CHOICE_KINDS, Form


def campaigns_visible_to(user):
    """The campaigns of the user's places: the township's (its own and its villages') for the
    township, a village's and the township's that reach into it for the village's staff, and
    for the grid staff the campaigns with a task in their grids."""
    if user.is_superuser:
        return Campaign.objects.all()
    townships, villages = places_reached(user, CAMPAIGN_READERS)
    grids = sorted(scope_for(user).grid_ids)
    condition = Q(township_id__in=sorted(townships)) | Q(village_id__in=sorted(villages))
    if villages:
        condition |= Q(
            village__isnull=True, pk__in=Task.objects.filter(village_id__in=sorted(villages)).values("campaign_id")
        )
    if grids:
        condition |= Q(pk__in=Task.objects.filter(grid_id__in=grids).values("campaign_id"))
    return Campaign.objects.filter(condition)


def tasks_visible_to(user):
    """The tasks (and so the answers) of the households the user may read."""
    return scope_for(user).filter(Task.objects.all(), "task")


def open_tasks_for(user, *, today: datetime.date | None = None):
    """The user's to-do: open tasks of started campaigns in the households they visit, the most
    pressing first."""
    from governance.roles import CAMPAIGN_ANSWERERS

    return (
        scope_for(user)
        .filter(Task.objects.all(), "task", roles=CAMPAIGN_ANSWERERS)
        .filter(state=Task.State.OPEN, campaign__state=Campaign.State.STARTED)
        .select_related("campaign", "household", "grid")
        .order_by("due_on", "id")
    )


# Places in their own order: grids by village and number (第一, 第二, 第三 网格; by name, 第三
# came before 第二), villages and townships by code.
PROGRESS_ORDER = {
    "grid": ("village_id", "grid__number"),
    "village": ("village__code",),
    "township": ("township__code",),
}


def overdue_q(today: datetime.date) -> Q:
    """A task past its due day and not answered: what every "overdue" figure and list counts."""
    return Q(state=Task.State.OPEN, due_on__lt=today)


def _figures(today: datetime.date) -> dict:
    return {
        "total": Count("id"),
        "done": Count("id", filter=Q(state=Task.State.DONE)),
        "overdue": Count("id", filter=overdue_q(today)),
    }


def filter_tasks(
    tasks,
    *,
    today: datetime.date,
    village: int | None = None,
    grid: int | None = None,
    state: str = "",
    overdue: bool = False,
    follow_up: bool = False,
):
    """A campaign's tasks as its task list filters them (the list behind every progress figure):
    the first tasks, or the follow-ups (`follow_up`), of a village or a grid, open or done, past
    their due day."""
    tasks = tasks.filter(follows__isnull=not follow_up)
    if village is not None:
        tasks = tasks.filter(village_id=village)
    if grid is not None:
        tasks = tasks.filter(grid_id=grid)
    if state:
        tasks = tasks.filter(state=state)
    if overdue:
        tasks = tasks.filter(overdue_q(today))
    return tasks


def tasks_url(campaign_id: int, **filters) -> str:
    """The campaign's task list filtered as given (filter_tasks's names: village, grid, state,
    overdue)."""
    base = reverse("campaigns:campaign-task-list", args=[campaign_id])
    query = urlencode({name: value for name, value in filters.items() if value not in (None, "")})
    return f"{base}?{query}" if query else base


def progress(campaign: Campaign, *, by: str, tasks=None, today: datetime.date | None = None) -> list[dict]:
    """Done, total and overdue per place (`by`: "grid", "village" or "township"), first tasks
    only (follow-ups are counted apart), in one grouped count."""
    today = today or timezone.localdate()
    tasks = (tasks if tasks is not None else Task.objects.all()).filter(campaign=campaign, follows__isnull=True)
    rows = tasks.values(f"{by}_id", f"{by}__name").annotate(**_figures(today)).order_by(*PROGRESS_ORDER[by], f"{by}_id")
    return [
        {"id": row[f"{by}_id"], "name": row[f"{by}__name"], "total": row["total"], "done": row["done"],
         "overdue": row["overdue"]}
        for row in rows
    ]  # fmt: skip


def running_figures(user, *, by: str, places=None, today: datetime.date | None = None) -> list[dict]:
    """The campaigns under way that `user` reads, each with done, total and overdue of its first
    tasks per place (`by`: "village" or "township"; only those of `places`, ids, when given):
    the dashboards' 专项排查 figures, in one grouped count for all of them. Each figure comes
    with its list's address (the campaign's task list, filtered by the village on a village's
    board; a campaign's tasks are all in its township), counted over the same tasks the list
    shows the same user, so a figure is the length of the list behind it."""
    today = today or timezone.localdate()
    tasks = tasks_visible_to(user).filter(follows__isnull=True, campaign__state=Campaign.State.STARTED)
    if not user.is_superuser:
        tasks = tasks.filter(campaign__in=campaigns_visible_to(user).values("pk"))
    if places is not None:
        tasks = tasks.filter(**{f"{by}_id__in": sorted(places)})
    rows = (
        tasks.values("campaign_id", "campaign__title", "campaign__due_on", f"{by}_id", f"{by}__name")
        .annotate(**_figures(today))
        .order_by("campaign__due_on", "campaign_id", f"{by}__name", f"{by}_id")
    )
    figures = []
    for row in rows:
        place = {"village": row["village_id"]} if by == "village" else {}
        figures.append(
            {
                "campaign_id": row["campaign_id"],
                "title": row["campaign__title"],
                "due_on": row["campaign__due_on"],
                "place_id": row[f"{by}_id"],
                "place_name": row[f"{by}__name"],
                "total": row["total"],
                "done": row["done"],
                "overdue": row["overdue"],
                "percent": round(100 * row["done"] / row["total"]) if row["total"] else 0,
                "detail_url": reverse("campaigns:campaign-detail", args=[row["campaign_id"]]),
                "url": tasks_url(row["campaign_id"], **place),
                "done_url": tasks_url(row["campaign_id"], **place, state=Task.State.DONE),
                "overdue_url": tasks_url(row["campaign_id"], **place, overdue=1),
            }
        )
    return figures


def summary(campaign: Campaign, *, tasks=None) -> dict:
    """Counts per choice of each choice and yes/no question, and how many answered: from the
    answers while they are kept, from what was kept of them after they were deleted."""
    if campaign.answers_deleted_at is not None:
        return campaign.summary
    form = Form.from_json(campaign.form) if campaign.form else None
    counted = {q.name: Counter() for q in (form.questions if form else ()) if q.kind in (*CHOICE_KINDS, "yes_no")}
    answered = 0
    tasks = tasks if tasks is not None else Task.objects.all()
    rows = tasks.filter(campaign=campaign, state=Task.State.DONE, follows__isnull=True).values_list(
        "answers", flat=True
    )
    for answers in rows.iterator(chunk_size=2000):
        answered += 1
        for name, counter in counted.items():
            value = (answers or {}).get(name)
            for choice in value if isinstance(value, list) else [value] if value is not None else []:
                counter[choice] += 1
    return {"answered": answered, "choices": {name: dict(counter) for name, counter in counted.items()}}
