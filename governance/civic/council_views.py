"""The four councils' pages: the village calendar (by month), the meeting list, planning, one
meeting with the forms of the steps the reader may take (record, cancel, raise a concern,
rate), and its printable minutes (会议记录).

Checked in the contract's order: a reader of the civic books or 403, out of scope 404 (the
same selector as the list), the runner's role 403, the meeting's status 409 (the page again
with the message), the input 400 (next to the field). Each write is one service call, once
per form token.
"""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from governance.civic import council_forms as f
from governance.civic import councils as c
from governance.civic.access import require_civic_reader
from governance.civic.models import CouncilKind, Meeting
from governance.record_pages import create_page, record_step
from governance.roles import CIVIC_READERS, COUNCIL_RUNNERS
from governance.scoping import require_any_role, scope_for, villages_for
from petitions.models import Matter

PER_PAGE = 30

DONE = {
    "update": _("Meeting changed."),
    "cancel": _("Meeting cancelled."),
    "record": _("Meeting recorded as held."),
    "concern": _("Concern recorded: it is now a matter of the village."),
    "rating": _("Rating recorded."),
}
# What a list marks as the reader's turn: a meeting whose day has come and that waits to be
# recorded. Concerns and ratings may be added to a held meeting at any time: its page offers them.
NEXT_LABELS = {"record": _("Record the meeting")}


def _mark(user, meetings) -> list:
    rows = list(meetings)
    for meeting in rows:
        meeting.actions = c.next_actions(user, meeting)
        meeting.next_label = next((NEXT_LABELS[a] for a in meeting.actions if a in NEXT_LABELS), None)
    return rows


def _month(value: str | None) -> datetime.date:
    """ "2026-12" → 2026-12-01; anything else: this month."""
    try:
        return datetime.date.fromisoformat(f"{value}-01")
    except (TypeError, ValueError):
        return timezone.localdate().replace(day=1)


@login_required
def meeting_calendar(request):
    """The village calendar: the planned and held meetings of a month, by day, prev/next month."""
    user = request.user
    require_civic_reader(user)
    month = _month(request.GET.get("month"))
    villages = villages_for(user, CIVIC_READERS).order_by("code")
    village = None
    if request.GET.get("village", "").isdigit():
        village = villages.filter(pk=int(request.GET["village"])).first()
    first, last = c.month_bounds(month)
    days = c.calendar_month(user, month, village=village)
    for _day, meetings in days:
        _mark(user, meetings)
    query = f"&village={village.pk}" if village else ""
    context = {
        "month": first,
        "days": days,
        "today": timezone.localdate(),
        "prev_month": (first - datetime.timedelta(days=1)).strftime("%Y-%m"),
        "next_month": (last + datetime.timedelta(days=1)).strftime("%Y-%m"),
        "query": query,
        "village": village,
        "villages": villages,
        "may_plan": scope_for(user).has_any_role(COUNCIL_RUNNERS),
    }
    return render(request, "civic/councils/calendar.html", context)


@login_required
def meeting_list(request):
    """Every meeting of the reader's villages, latest first, with each row's next step."""
    user = request.user
    require_civic_reader(user)
    form = f.MeetingFilterForm(request.GET or None, villages=villages_for(user, CIVIC_READERS).order_by("code"))
    meetings = c.meetings_visible_to(user)
    if form.is_valid():
        data = form.cleaned_data
        for name in ("kind", "status", "village"):
            if data.get(name):
                meetings = meetings.filter(**{name: data[name]})
    page = Paginator(meetings.order_by("-held_on", "-id"), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": _mark(user, page.object_list),
        "may_plan": scope_for(user).has_any_role(COUNCIL_RUNNERS),
    }
    return render(request, "civic/councils/list.html", context)


def _open_matters_of(villages):
    return Matter.objects.filter(village__in=villages.values("pk"), state__in=list(c.OPEN_STATES)).order_by("-id")


@login_required
def meeting_create(request):
    """Plan a meeting of one of the four councils (a village cadre)."""
    user = request.user
    require_any_role(user, COUNCIL_RUNNERS, NOT_A_RUNNER_PAGE)
    villages = villages_for(user, COUNCIL_RUNNERS).order_by("code")
    posted = request.method == "POST"
    initial = {"kind": request.GET.get("kind")} if request.GET.get("kind") in CouncilKind.values else None
    form = f.MeetingPlanForm(
        request.POST if posted else None, initial=initial, villages=villages, matters=_open_matters_of(villages)
    )
    return create_page(
        request,
        form,
        create=c.meeting_plan,
        detail="civic:meeting-detail",
        done=_("Meeting planned: it is on the village's calendar."),
        template="civic/councils/form.html",
    )


NOT_A_RUNNER_PAGE = _("Only a village cadre runs the councils (四会).")


def _meeting_for(user, pk) -> Meeting:
    return get_object_or_404(c.meeting_detail_queryset(user), pk=pk)


def _form_for(action: str, meeting: Meeting, data=None):
    """The empty (or, with `data`, bound) form of one step on the meeting."""
    kwargs = {"prefix": action}
    args = (data,) if data is not None else ()
    if action == "record":
        return f.RecordForm(*args, meeting=meeting, boards=c.village_boards(meeting.village), **kwargs)
    if action == "cancel":
        return f.CancelForm(*args, **kwargs)
    if action == "concern":
        return f.ConcernForm(*args, grids=c.village_grids(meeting.village), **kwargs)
    if action == "rating":
        rated = {r.matter_id for r in meeting.ratings.all()}
        matters = [m for m in c.ratable_matters(meeting.village) if m.pk not in rated]
        return f.RatingForm(*args, matters=matters, pledges=c.ratable_pledges(meeting.village), **kwargs)
    if action == "update":
        fields = ("title", "held_on", "starts_at", "place", "agenda", "matter")
        initial = {name: getattr(meeting, name) for name in fields}
        initial["parties"] = "\n".join(meeting.parties)
        form = f.MeetingContentForm(*args, initial=initial, matters=c.open_matters(meeting.village), **kwargs)
        if meeting.kind != CouncilKind.COORDINATION:
            del form.fields["matter"], form.fields["parties"]
        return form
    raise Http404


def _detail_page(request, meeting, bound=None, status=200):
    user = request.user
    (meeting,) = _mark(user, [meeting])
    # The council's own step first (record, a concern, a rating); changing or cancelling after.
    order = ("record", "concern", "rating", "update", "cancel")
    forms = {action: _form_for(action, meeting) for action in order if action in meeting.actions}
    if bound is not None:
        forms[bound.prefix] = bound
    context = {"meeting": meeting, "forms": forms, "kinds": CouncilKind, "today": timezone.localdate()}
    return render(request, "civic/councils/detail.html", context, status=status)


@login_required
def meeting_detail(request, pk):
    """One meeting: its plan, its record, what its council added, and the reader's next steps."""
    require_civic_reader(request.user)
    return _detail_page(request, _meeting_for(request.user, pk))


@login_required
def meeting_minutes(request, pk):
    """The printable minutes (会议记录), one A4 sheet or more."""
    require_civic_reader(request.user)
    meeting = _meeting_for(request.user, pk)
    return render(request, "civic/councils/minutes.html", {"meeting": meeting})


def _service_call(action: str, meeting: Meeting, user, data: dict):
    if action == "record":
        data["boards"] = list(data.get("boards") or [])
        return c.meeting_record(meeting=meeting, actor=user, **data)
    if action == "cancel":
        return c.meeting_cancel(meeting=meeting, actor=user, **data)
    if action == "concern":
        return c.concern_raise(meeting=meeting, actor=user, **data)
    if action == "rating":
        subject = data.pop("subject")
        return c.rating_record(meeting=meeting, actor=user, **subject, **data)
    return c.meeting_update(meeting=meeting, actor=user, **data)


@login_required
@require_POST
def meeting_action(request, pk, action):
    """One step (update, cancel, record, concern, rating): 404, 403, 409, 400, once."""
    user = request.user
    if action not in c.STATUSES_FOR:
        raise Http404
    require_civic_reader(user)

    def step(meeting, show):
        def perform(data):
            _service_call(action, meeting, user, data)
            anchor = f"#{action}" if action in ("concern", "rating") else ""
            return reverse("civic:meeting-detail", args=[meeting.pk]) + anchor

        return {
            "check": lambda: c.check(user, action, meeting),
            "form": lambda: _form_for(action, meeting, request.POST),
            "perform": perform,
            "done": DONE[action],
        }

    return record_step(
        request, pk, action, record_for=_meeting_for, detail="civic:meeting-detail", page=_detail_page, step=step
    )
