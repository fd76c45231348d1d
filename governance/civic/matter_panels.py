"""The matter page's 三治 section (governance.panels finds this module): the 民情恳谈会 the
matter was raised at, the 事务协调会 that brought its parties together, and the mediations that
settle it, each as far as the reader sees them."""

from django.db.models import OuterRef, Q, Subquery

from governance.civic.access import reads_civic
from governance.civic.councils import meetings_visible_to
from governance.civic.mediations import mediations_visible_to
from governance.civic.models import Concern, Mediation, Meeting
from governance.panels import Panel, panel


@panel("matter")
def civic(request, matter) -> Panel | None:
    """For a civic reader one query when no meeting or mediation names the matter (most
    matters), else four (that one, the villages they reach, the meetings, the mediations);
    nothing, and no query, for anyone else."""
    user = request.user
    if not reads_civic(user):
        return None
    # Whether any meeting or mediation names it at all, before the reader's scope is built.
    named = (
        Meeting.objects.filter(matter=matter)
        .values("pk")
        .union(Concern.objects.filter(matter=matter).values("pk"), Mediation.objects.filter(matter=matter).values("pk"))
    )
    if not named[:1]:
        return None
    raised_by = Concern.objects.filter(meeting=OuterRef("pk"), matter=matter).values("raised_by")[:1]
    meetings = list(
        meetings_visible_to(user)
        .filter(Q(matter=matter) | Q(concerns__matter=matter))
        .annotate(raised_by=Subquery(raised_by))
        .select_related(None)
        .order_by("held_on", "pk")
        .distinct()
    )
    mediations = list(
        mediations_visible_to(user).filter(matter=matter).select_related(None).prefetch_related(None).order_by("pk")
    )
    if not meetings and not mediations:
        return None
    raised_at = next((m for m in meetings if m.raised_by is not None), None)
    return Panel(
        "civic/_matter_panel.html",
        {
            "raised_at": raised_at,
            "coordinated": [m for m in meetings if m.matter_id == matter.pk],
            "mediations": mediations,
        },
    )
