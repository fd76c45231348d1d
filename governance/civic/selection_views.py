"""The 最美 selection pages: the list with each row's next step, open (new), and one selection
with the forms of the steps the reader may take (nominate, withdraw, decide, publish) and its
points batch.

Checked in the contract's order: out of scope 404 (the same selector as the list), the reader's
role 403, the selection's status 409 (the page again with the message), the input 400 (next to
the field). Each write is one service call, once per form token.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from governance.civic import selection_forms as f
from governance.civic import selections as s
from governance.civic.access import require_civic_reader
from governance.civic.models import SelectionKind, SelectionStatus
from governance.record_pages import create_page, record_step
from governance.roles import COUNCIL_RUNNERS
from governance.scoping import require_any_role, scope_for, villages_for
from points.models import AwardStatus

PER_PAGE = 30

NEXT_LABELS = {
    "nominate": _("Nominate"),
    "decide": _("Record the 道德评议会's vote"),
    "publish": _("Publish it on the public board"),
}
DONE = {
    "nominate": _("Nominated."),
    "withdraw": _("The nomination was taken back."),
    "decide": _("The vote is recorded: the selected are marked."),
    "publish": _("Published on the village's public board."),
}


def _mark(user, selections) -> list:
    rows = list(selections)
    for selection in rows:
        actions = _actions(user, selection)
        selection.next_label = next((NEXT_LABELS[a] for a in ("publish", "decide", "nominate") if a in actions), None)
    return rows


def _actions(user, selection) -> list[str]:
    """What the user may do next; the council's vote only once somebody is nominated."""
    actions = s.next_actions(user, selection)
    if not getattr(selection, "nominated", 1):
        actions = [action for action in actions if action != "decide"]
    return actions


@login_required
def selection_list(request):
    """The selections of the reader's villages, newest first, with each row's next step."""
    user = request.user
    require_civic_reader(user)
    page = Paginator(s.selections_visible_to(user), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": _mark(user, page.object_list),
        "may_open": scope_for(user).has_any_role(COUNCIL_RUNNERS) or user.is_superuser,
    }
    return render(request, "civic/selections/list.html", context)


@login_required
def selection_create(request):
    """Open a selection (a village cadre)."""
    user = request.user
    if not user.is_superuser:
        require_any_role(user, COUNCIL_RUNNERS, _("Only a village cadre opens a 最美 selection."))
    posted = request.method == "POST"
    form = f.SelectionOpenForm(
        request.POST if posted else None, villages=villages_for(user, COUNCIL_RUNNERS).order_by("code")
    )
    return create_page(
        request,
        form,
        create=s.selection_open,
        detail="civic:selection-detail",
        done=_("Selection opened: nominations are taken."),
        template="civic/selections/form.html",
    )


def _selection_for(user, pk):
    return get_object_or_404(s.selection_detail_queryset(user), pk=pk)


def _form(user, selection, action, data=None):
    nominations = list(selection.nominations.all())
    if action == "nominate":
        field = s.NOMINEE_FIELD[selection.kind]
        return f.NominateForm(data, prefix=action, field=field, choices=s.nominee_choices(user, selection))
    if action == "withdraw":
        return f.WithdrawForm(data, prefix=action, nominations=selection.nominations.all())
    if action == "decide":
        labels = {n.pk: s.nominee_label(n) for n in nominations}
        return f.DecideForm(
            data,
            prefix=action,
            nominations=nominations,
            meetings=s.council_meetings(selection.village_id),
            labels=labels,
        )
    rules = s.selection_rules(selection.village_id) if selection.kind == SelectionKind.FAMILY else None
    return f.PublishForm(data, prefix=action, rules=rules)


def _detail_page(request, selection, bound=None, status=200):
    user = request.user
    (selection,) = _mark(user, [selection])
    actions = _actions(user, selection)
    forms_ = {action: _form(user, selection, action) for action in actions if action != "withdraw"}
    if bound is not None:
        forms_[bound.prefix] = bound
    nominations = list(selection.nominations.all())
    for nomination in nominations:
        nomination.label = s.nominee_label(nomination)
        nomination.may_withdraw = s.may_withdraw(user, nomination)
        if nomination.may_withdraw:
            nomination.withdraw_form = f.WithdrawForm(
                prefix="withdraw", nominations=selection.nominations.all(), initial={"nomination": nomination.pk}
            )
    batch = selection.award_batch
    awards = list(batch.awards.select_related("account__household").order_by("pk")) if batch else []
    context = {
        "selection": selection,
        "forms": forms_,
        "nominations": nominations,
        "batch": batch,
        "awards": awards,
        "batch_pending": any(a.status == AwardStatus.PENDING for a in awards),
        "statuses": SelectionStatus,
    }
    return render(request, "civic/selections/detail.html", context, status=status)


@login_required
def selection_detail(request, pk):
    """One selection: its nominations, the vote, the publication and the points batch."""
    require_civic_reader(request.user)
    return _detail_page(request, _selection_for(request.user, pk))


@login_required
@require_POST
def selection_action(request, pk, action):
    """One step (nominate, withdraw, decide, publish): 404, 403, 409, 400, once."""
    user = request.user

    def step(selection, show):
        form = _form(user, selection, action, request.POST)

        def perform(data):
            if action == "nominate":
                s.nomination_add(selection=selection, actor=user, **data)
            elif action == "withdraw":
                s.nomination_withdraw(nomination=data["nomination"], actor=user)
            elif action == "decide":
                s.selection_decide(selection=selection, actor=user, **form.service_data())
            else:
                s.selection_publish(selection=selection, actor=user, rule=data.get("rule"))

        def show_withdraw(bound, status):
            if bound is not None:
                # The withdraw button's form has no field to show an error next to.
                messages.error(request, _("This nomination could not be taken back."))
            return show(None, status)

        parts = {
            "check": lambda: s.check(user, action, selection),
            "form": lambda: form,
            "perform": perform,
            "done": DONE[action],
        }
        if action == "withdraw":
            parts["show"] = show_withdraw
        return parts

    return record_step(
        request,
        pk,
        action,
        actions=s.TRANSITIONS,
        record_for=_selection_for,
        detail="civic:selection-detail",
        page=_detail_page,
        step=step,
    )
