"""The matter page's 三治 section (governance.panels finds this module): the 民情恳谈会 the
matter was raised at, the 事务协调会 that brought its parties together, and the mediations that
settle it, each as far as the reader sees them."""

from governance.civic.access import reads_civic
from governance.civic.councils import meetings_visible_to
from governance.civic.mediations import mediations_visible_to
from governance.civic.models import Concern
from governance.panels import Panel, panel


@panel("matter")
def civic(request, matter) -> Panel | None:
    """Three small queries for a civic reader; nothing (no query) for anyone else."""
    user = request.user
    if not reads_civic(user):
        return None
    concern = (
        Concern.objects.filter(matter=matter, meeting__in=meetings_visible_to(user).values("pk"))
        .select_related("meeting")
        .first()
    )
    coordinated = list(meetings_visible_to(user).filter(matter=matter).order_by("held_on", "pk"))
    mediations = list(mediations_visible_to(user).filter(matter=matter).order_by("held_on", "pk"))
    if concern is None and not coordinated and not mediations:
        return None
    return Panel(
        "civic/_matter_panel.html",
        {"concern": concern, "coordinated": coordinated, "mediations": mediations},
    )
