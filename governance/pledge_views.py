"""The pledge pages: the list with each row's next step, 提诺 (new), and one pledge's cycle
with the forms of the steps the reader may take (审诺, 践诺, 评诺).

Checked in the contract's order: out of scope 404 (the same selector as the list), the
reader's role 403, the pledge's status 409 (the page again with the message), the input 400
(next to the field). Each write is one service call, once per form token.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from governance import pledge_forms as f
from governance import pledges as p
from governance.files import private_photo_view
from governance.models import PledgePhoto, PledgeStatus
from governance.record_pages import create_page, record_step, service_step
from governance.roles import PLEDGE_READERS, PLEDGE_RECORDER_ROLES, PLEDGER_ROLES
from governance.scoping import require_any_role, scope_for, villages_for
from grids.models import Resident

PER_PAGE = 30

# action -> (form, the service's keyword arguments from the form's data, the message when done)
ACTIONS = {
    "approve": (f.ApproveForm, p.pledge_approve, _("Approved: the pledge is on the public board (亮诺).")),
    "return": (f.ReturnForm, p.pledge_return, _("Returned to the pledger with your reason.")),
    "resubmit": (f.PledgeContentForm, p.pledge_resubmit, _("Sent for review again.")),
    "progress": (f.ProgressForm, p.pledge_progress, _("Progress recorded (践诺).")),
    "complete": (f.CompleteForm, p.pledge_complete, _("Marked done: it waits for its rating (评诺).")),
    "rate": (f.RateForm, p.pledge_rate, _("Rating recorded: the pledge is closed.")),
}

NEXT_LABELS = {
    "approve": _("Review it (审诺)"),
    "resubmit": _("Edit and send again"),
    "progress": _("Record progress (践诺)"),
    "rate": _("Record the rating (评诺)"),
}

pledge_photo = private_photo_view(model=PledgePhoto, parent="pledge", visible_to=p.pledges_visible_to)


def _require_reader(user) -> None:
    if not p.reads_pledges(user):
        raise PermissionDenied(p.NOT_A_READER)


def _mark(user, pledges) -> list:
    """Each pledge with what the reader does next (`next_label`) and the pledger's name."""
    rows = list(pledges)
    for pledge in rows:
        actions = p.next_actions(user, pledge)
        pledge.actions = actions
        pledge.next_label = next((NEXT_LABELS[a] for a in actions if a in NEXT_LABELS), None)
        pledge.pledger_display = p.pledger_name(user, pledge)
    return rows


@login_required
def pledge_list(request):
    """Pledges of the reader's villages, with each row's next step for the reader."""
    user = request.user
    _require_reader(user)
    form = f.PledgeFilterForm(request.GET or None, villages=villages_for(user, PLEDGE_READERS).order_by("code"))
    pledges = p.pledges_visible_to(user)
    if form.is_valid():
        data = form.cleaned_data
        if data.get("status"):
            pledges = pledges.filter(status=data["status"])
        if data.get("village"):
            pledges = pledges.filter(village=data["village"])
        if data.get("overdue"):
            pledges = pledges.filter(is_overdue=True)
    page = Paginator(pledges.order_by("-id"), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": _mark(user, page.object_list),
        "may_propose": scope_for(user).has_any_role(PLEDGER_ROLES),
    }
    return render(request, "governance/pledges/list.html", context)


def _party_members(user):
    """The residents a cadre may record a pledge for: the party members (党员) of their villages."""
    villages = villages_for(user, PLEDGE_RECORDER_ROLES)
    return (
        Resident.objects.filter(village__in=villages.values("pk"), tags__code=p.PARTY_MEMBER_TAG)
        .exclude(status__in=(Resident.Status.MOVED_OUT, Resident.Status.DECEASED))
        .select_related("household")
        .order_by("village_id", "name", "pk")
    )


@login_required
def pledge_create(request):
    """提诺: one's own pledge, or (a village cadre) a party member's."""
    user = request.user
    require_any_role(user, PLEDGER_ROLES, _("Your role does not make pledges."))
    residents = _party_members(user) if scope_for(user).has_any_role(PLEDGE_RECORDER_ROLES) else None
    posted = request.method == "POST"
    form = f.PledgeCreateForm(
        request.POST if posted else None,
        villages=villages_for(user, PLEDGER_ROLES).order_by("code"),
        residents=residents,
    )
    return create_page(
        request,
        form,
        create=p.pledge_propose,
        detail="governance:pledge-detail",
        done=_("Pledge proposed (提诺): it waits for review (审诺)."),
        template="governance/pledges/form.html",
    )


def _pledge_for(user, pk):
    return get_object_or_404(p.pledge_detail_queryset(user), pk=pk)


def _forms(user, pledge, bound=None) -> dict:
    """The forms of the steps the reader may take now; a posted form with errors replaces its twin."""
    forms_ = {}
    for action in p.next_actions(user, pledge):
        form_class = ACTIONS[action][0]
        if action == "resubmit":
            fields = ("pledger_title", "title", "description", "period_label", "period_start", "period_end", "due_on")
            forms_[action] = form_class(prefix=action, initial={name: getattr(pledge, name) for name in fields})
        else:
            forms_[action] = form_class(prefix=action)
    if bound is not None:
        forms_[bound.prefix] = bound
    return forms_


def _detail_page(request, pledge, bound=None, status=200):
    user = request.user
    (pledge,) = _mark(user, [pledge])
    context = {
        "pledge": pledge,
        "forms": _forms(user, pledge, bound),
        "events": list(pledge.events.all()),
        "progress": list(pledge.progress.all()),
        "own": pledge.pledger_user_id == user.pk,
        "statuses": PledgeStatus,
    }
    return render(request, "governance/pledges/detail.html", context, status=status)


@login_required
def pledge_detail(request, pk):
    """One pledge's cycle: its content, its timeline, and the reader's next steps."""
    return _detail_page(request, _pledge_for(request.user, pk))


@login_required
@require_POST
def pledge_action(request, pk, action):
    """One step (approve, return, resubmit, progress, complete, rate): 404, 403, 409, 400, once."""
    return record_step(
        request,
        pk,
        action,
        actions=ACTIONS,
        record_for=_pledge_for,
        detail="governance:pledge-detail",
        page=_detail_page,
        step=service_step(request, action, steps=ACTIONS, check=p.check, name="pledge", files=True),
    )
