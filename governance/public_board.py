"""The village's public board (村务公开), /public/<village code>/: no login, phone first.

It composes every app's public part: matters' progress (title, kind, step, deadline, on time
or not), every 村事's decision and result with its vote (决议公开, 实施结果公开), the posted
accounts (财务公开), the compact in force, the pledges, the published 最美 selections, the
points 公示 and the 红黑榜 as the village publishes it. Nothing personal: free text goes
through grids.public.public_text (the register's names become 张某, phone and ID numbers
masked), households are initials, staff are not named, and a grid's name is left out where
it has fewer than 30 households (free text says 某网格 for it).
"""

import datetime

from django.db.models import Count, OuterRef, Subquery
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from governance.civic.selections import selections_public
from governance.finance import finance_public
from governance.pledges import pledges_public
from governance.security import public_cache
from grids.models import Village
from grids.public import name_pattern, public_text, resident_names
from grids.selectors import private_grid_names
from petitions.compact import compact_in_force, for_the_public
from petitions.models import OPEN_STATES, Deliberation, Kind, Matter, MatterEvent, State
from petitions.procedure import VOTE_STEP
from petitions.public_views import STEPS, qr_svg
from points.selectors import public_notice

OPEN_SHOWN = 20
CLOSED_SHOWN = 10
CLOSED_DAYS = 90
DECISIONS_SHOWN = 10
STEP_OF_STATE = {state: (char, label) for state, char, label, _explanation in STEPS}
# Nobody is "you" on the board: the 评 step names whose evaluation it waits for.
BOARD_LABELS = {
    State.EVALUATING: _("Waiting for the resident's evaluation"),
    State.REVIEWING: _("under review one level up (复查)"),
}
# A result is reported and waits for its check (督) or the resident's word (评): not done yet.
RESULT_REPORTED = frozenset({State.VERIFYING, State.EVALUATING})


def _step(matter: Matter) -> tuple[str, str]:
    """The step's character and name. The board lists open and closed matters only; a closed
    one has neither (its line says when it was closed)."""
    if matter.state == State.CLOSED:
        return "", ""
    char, label = STEP_OF_STATE[State.EVALUATING if matter.state == State.REVIEWING else matter.state]
    return char, str(BOARD_LABELS.get(matter.state, label))


def _on_time(matter: Matter, now) -> str:
    """Where the matter stands against its deadline: "done_in_time" or "late" once closed
    (its result reported by the deadline or not: only a closed matter is done, 办结),
    "reported_in_time" or "late" while its reported result is checked and evaluated,
    "in_time" or "late" while it is worked on, "" where no clock runs."""
    if matter.deadline is None:
        return ""
    done_at = matter.first_reported_at
    if done_at is not None and matter.state in (State.CLOSED, *RESULT_REPORTED):
        if done_at > matter.deadline:
            return "late"
        return "done_in_time" if matter.state == State.CLOSED else "reported_in_time"
    if matter.state == State.CLOSED:
        return ""
    if matter.is_overdue or now > matter.deadline:
        return "late"
    return "in_time"


MATTER_FIELDS = (
    "pk",
    "title",
    "kind",
    "state",
    "deadline",
    "is_overdue",
    "first_reported_at",
    "created_at",
    "closed_at",
    "submitter_name",
)


class Masks:
    """What free text on the board loses: the register's names (张某), the names of grids too
    small to name (某网格), a matter's own submitter's name, phone and ID numbers."""

    def __init__(self, village: Village):
        self.names = name_pattern(resident_names(village.pk))
        self.private_grids = frozenset(private_grid_names(village.pk))
        self.grids = name_pattern(self.private_grids)

    def __call__(self, text: str, submitter: str = "") -> str:
        if submitter:
            text = public_text(text, name_pattern([submitter]))
        return public_text(text, self.names, self.grids)


def _matter_rows(matters, clean: Masks, now) -> list[dict]:
    rows = []
    for matter in matters:
        title = clean(matter.title, matter.submitter_name)
        char, label = _step(matter)
        rows.append(
            {
                "title": title,
                "kind": matter.get_kind_display() if matter.kind else "",
                "kind_code": matter.kind,
                "step_char": char,
                "step": label,
                "state": matter.state,
                "deadline": matter.deadline,
                "on_time": _on_time(matter, now),
                "received": matter.created_at,
                # 受理 is the classification: a matter still waiting for it has no such date.
                "accepted": matter.accepted_at,
                "closed_at": matter.closed_at,
            }
        )
    return rows


def matters_progress(village: Village, clean: Masks, now) -> dict:
    """Open matters (newest first) and those closed in the last 90 days, and how many are open."""
    accepted = MatterEvent.objects.filter(matter=OuterRef("pk"), action="classify").order_by("created_at", "pk")
    matters = (
        Matter.objects.filter(village=village)
        .only(*MATTER_FIELDS)
        .annotate(accepted_at=Subquery(accepted.values("created_at")[:1]))
    )
    open_matters = matters.filter(state__in=OPEN_STATES)
    closed = matters.filter(state=State.CLOSED, closed_at__gte=now - datetime.timedelta(days=CLOSED_DAYS))
    counts = open_matters.order_by().values("kind").annotate(n=Count("pk"))
    return {
        "open": _matter_rows(open_matters.order_by("-created_at", "-pk")[:OPEN_SHOWN], clean, now),
        "closed": _matter_rows(closed.order_by("-closed_at", "-pk")[:CLOSED_SHOWN], clean, now),
        "open_count": sum(row["n"] for row in counts),
        "open_by_kind": {row["kind"]: row["n"] for row in counts},
    }


def decisions(village: Village, clean: Masks) -> list[dict]:
    """Each 村事's latest vote (决议公开) with its resolution (step 6) and result (实施结果公开),
    newest vote first."""
    votes = list(
        Deliberation.objects.filter(
            matter__village=village, matter__kind=Kind.VILLAGE, kind=Deliberation.Kind.STEP, step=VOTE_STEP
        )
        .select_related("matter")
        .only(
            "held_on",
            "body",
            "entitled",
            "present",
            "in_favour",
            "against",
            "abstain",
            "quorum_met",
            "carried",
            "matter__title",
            "matter__state",
            "matter__result",
            "matter__submitter_name",
            "matter__filed_on",
        )
        .order_by("-held_on", "-pk")[: DECISIONS_SHOWN * 3]
    )
    latest = {}
    for vote in votes:
        latest.setdefault(vote.matter_id, vote)
    chosen = list(latest.values())[:DECISIONS_SHOWN]
    published = {
        record.matter_id: record
        for record in Deliberation.objects.filter(
            matter_id__in=[vote.matter_id for vote in chosen], kind=Deliberation.Kind.STEP, step=VOTE_STEP + 1
        )
        .only("matter_id", "held_on", "summary")
        .order_by("held_on", "pk")
    }
    rows = []
    for vote in chosen:
        matter = vote.matter
        own = matter.submitter_name
        resolution = published.get(matter.pk)
        rows.append(
            {
                "title": clean(matter.title, own),
                "vote": vote,
                "body": vote.get_body_display(),
                "resolution": clean(resolution.summary, own) if resolution else "",
                "published_on": resolution.held_on if resolution else None,
                "result": clean(matter.result, own)
                if matter.state in (State.VERIFYING, State.EVALUATING, State.REVIEWING, State.CLOSED)
                else "",
                "filed_on": matter.filed_on,
                "state": matter.state,
            }
        )
    return rows


def _pledges(village: Village, clean: Masks) -> list[dict]:
    """The published pledges, their content and progress with names taken out, and the names of
    grids too small to name (a pledger's grid and initials would point at a household)."""
    rows = pledges_public(village)
    for row in rows:
        for field in ("pledger_title", "title", "content", "period"):
            row[field] = clean(row[field])
        for line in row["progress"]:
            line["text"] = clean(line["text"])
    return rows


def _village(code: str) -> Village:
    return get_object_or_404(Village.objects.select_related("township"), code=code)


@require_GET
def village_board(request, village_code):
    village = _village(village_code)
    now = timezone.now()
    clean = Masks(village)  # two queries: the register's names, the grids' sizes
    context = {
        "village": village,
        "progress": matters_progress(village, clean, now),
        "decisions": decisions(village, clean),
        "finance": finance_public(village, clean=clean),
        "notice": public_notice(village, now=now)[:10],
        "compact": for_the_public(compact_in_force(village)),
        "pledges": _pledges(village, clean),
        "selections": selections_public(village, clean, clean.private_grids),
        "now": now,
    }
    response = render(request, "governance/public/village.html", context)
    # Changes as matters move and windows close: a minute at most.
    return public_cache(request, response, 60)


@require_GET
def board_poster(request, village_code):
    """A printable A4 poster: scan to read the village's public board."""
    village = _village(village_code)
    url = request.build_absolute_uri(reverse("board:village", args=[village.code]))
    context = {"village": village, "board_url": url, "qr": qr_svg(url, title=url)}
    response = render(request, "governance/public/poster.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response
