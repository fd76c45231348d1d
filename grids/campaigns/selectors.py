"""Campaigns: the reads that need scoping, the progress figures and the summary of answers."""

import datetime
from collections import Counter

from django.db.models import Count, Q
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


def progress(campaign: Campaign, *, by: str, tasks=None, today: datetime.date | None = None) -> list[dict]:
    """Done, total and overdue per place (`by`: "grid", "village" or "township"), first tasks
    only (follow-ups are counted apart), in one grouped count."""
    today = today or timezone.localdate()
    tasks = (tasks if tasks is not None else Task.objects.all()).filter(campaign=campaign, follows__isnull=True)
    rows = (
        tasks.values(f"{by}_id", f"{by}__name")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(state=Task.State.DONE)),
            overdue=Count("id", filter=Q(state=Task.State.OPEN, due_on__lt=today)),
        )
        .order_by(*PROGRESS_ORDER[by], f"{by}_id")
    )
    return [
        {"id": row[f"{by}_id"], "name": row[f"{by}__name"], "total": row["total"], "done": row["done"],
         "overdue": row["overdue"]}
        for row in rows
    ]  # fmt: skip


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
