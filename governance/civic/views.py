"""三治's hub: where each of the village's civic books starts, what is coming up on the
councils' calendar, and what waits: meetings to record, mediations to conclude or revisit,
selections to decide."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone

from governance.civic.access import require_civic_reader
from governance.civic.councils import meetings_visible_to
from governance.civic.mediations import mediations_visible_to
from governance.civic.models import MediationStatus, MeetingStatus, SelectionStatus
from governance.civic.selections import selections_visible_to

UPCOMING = 5


@login_required
def home(request):
    """The cards of the five books, the next meetings, and the counts of what waits (three
    small aggregate queries, whatever the number of rows)."""
    user = request.user
    require_civic_reader(user)
    today = timezone.localdate()
    meetings = meetings_visible_to(user).filter(status=MeetingStatus.PLANNED)
    upcoming = list(meetings.filter(held_on__gte=today).order_by("held_on", "starts_at", "id")[:UPCOMING])
    mediations = (
        mediations_visible_to(user)
        .order_by()
        .aggregate(
            open=Count("pk", filter=Q(status=MediationStatus.OPEN)),
            revisit_due=Count(
                "pk",
                filter=Q(status=MediationStatus.AGREED, revisited_on__isnull=True, return_visit_due__lte=today),
            ),
        )
    )
    waiting = {
        "to_record": meetings.filter(held_on__lte=today).order_by().count(),
        "open_mediations": mediations["open"],
        "revisits_due": mediations["revisit_due"],
        "to_decide": selections_visible_to(user)
        .filter(status=SelectionStatus.NOMINATING)
        .order_by()
        .values("pk")
        .count(),
    }
    return render(request, "civic/home.html", {"upcoming": upcoming, "waiting": waiting, "today": today})
