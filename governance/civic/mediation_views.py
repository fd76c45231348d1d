"""The mediation pages (人民调解): the list with each row's next step, recording a mediation,
one mediation with the agreement / failure / return-visit forms, and the printable
人民调解协议书.

Checked in the contract's order: out of scope 404 (the same selector as the list), role 403,
status 409 (the page again with the message), input 400 (next to the field)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from governance.civic import mediation_forms as f
from governance.civic import mediations as m
from governance.civic.access import require_civic_reader
from governance.civic.models import CONFIRMATION_WINDOW_DAYS, MediationStatus, TeamMember
from governance.civic.teams import mediation_teams_for
from governance.record_pages import create_page, record_step, service_step
from governance.roles import MEDIATION_RECORDERS
from governance.scoping import scope_for, villages_for
from petitions.models import Kind, Matter, State
from petitions.selectors import matters_visible_to

PER_PAGE = 30

ACTIONS = {
    "agree": (f.AgreeForm, m.mediation_agree, _("Agreement recorded: print the agreement for the parties to sign.")),
    "fail": (f.FailForm, m.mediation_fail, _("Recorded: no agreement, and where the parties were guided.")),
    "revisit": (f.RevisitForm, m.mediation_revisit, _("Return visit recorded.")),
}

NEXT_LABELS = {
    "agree_or_fail": _("Record the agreement or the failure"),
    "revisit": _("Return visit later"),
    "revisit_due": _("Return visit due"),
}


@login_required
def mediation_list(request):
    """The mediations the reader sees, newest first, each with what it waits for."""
    user = request.user
    require_civic_reader(user)
    mediations = m.mediations_visible_to(user)
    status = request.GET.get("status")
    if status in MediationStatus.values:
        mediations = mediations.filter(status=status)
    page = Paginator(mediations.order_by("-held_on", "-id"), PER_PAGE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = list(page.object_list)
    for mediation in rows:
        step = m.next_step(mediation, today)
        mediation.next_label = NEXT_LABELS.get(step)
        mediation.overdue = step == "revisit_due"
        mediation.party_names = "、".join(party["name"] for party in mediation.parties)
    context = {
        "page": page,
        "rows": rows,
        "status": status,
        "statuses": MediationStatus.choices,
        "may_record": scope_for(user).has_any_role(MEDIATION_RECORDERS),
    }
    return render(request, "civic/mediations/list.html", context)


def _create_form(user, data=None, village_id=None):
    """The form, its mediators and matters those of the chosen village (the posted one, the
    one asked for by ?village=, or the reader's first)."""
    villages = villages_for(user, MEDIATION_RECORDERS).order_by("code")
    wanted = (data or {}).get("village") or village_id
    chosen = villages.filter(pk=wanted).first() if str(wanted or "").isdigit() else None
    chosen = chosen or villages.first()
    mediators, matters = TeamMember.objects.none(), Matter.objects.none()
    if chosen is not None:
        mediators = TeamMember.objects.filter(team__in=mediation_teams_for(chosen), left_on__isnull=True)
        # Only the matters the recorder sees (grid staff: their grid's): the list names them.
        matters = (
            matters_visible_to(user)
            .filter(village=chosen, kind=Kind.CIVIL, state__in=(State.CLASSIFIED, State.DELIBERATING))
            .order_by("-id")
        )
    form = f.MediationForm(
        data,
        villages=villages,
        mediators=mediators.select_related("team").order_by("team__village_id", "team__name", "role", "name", "id"),
        matters=matters,
        initial={"village": chosen, "held_on": timezone.localdate()},
    )
    return form, chosen


@login_required
def mediation_create(request):
    """Record a mediation: the mediators, the parties, the facts."""
    user = request.user
    require_civic_reader(user)
    if not scope_for(user).has_any_role(MEDIATION_RECORDERS):
        raise PermissionDenied(m.NOT_A_RECORDER)
    posted = request.method == "POST"
    form, village = _create_form(user, request.POST if posted else None, request.GET.get("village"))
    fields = ("village", "mediators", "dispute_kind", "held_on", "place", "facts", "matter")
    return create_page(
        request,
        form,
        create=lambda actor, **data: m.mediation_open(
            actor=actor, parties=form.parties(), **{k: data[k] for k in fields}
        ),
        detail="civic:mediation-detail",
        done=_("Mediation recorded."),
        template="civic/mediations/form.html",
        context=lambda: {"village": village, "several_villages": form.fields["village"].queryset.count() > 1},
    )


def _mediation_for(user, pk):
    return get_object_or_404(m.mediations_visible_to(user), pk=pk)


def _forms(user, mediation, bound=None) -> dict:
    today = timezone.localdate()
    initial = {
        "agree": {"agreed_on": today},
        "fail": {"failed_on": today},
        "revisit": {"revisited_on": today},
    }
    forms_ = {a: ACTIONS[a][0](prefix=a, initial=initial[a]) for a in m.next_actions(user, mediation)}
    if bound is not None:
        forms_[bound.prefix] = bound
    return forms_


MATTER_NOTES = {
    "recorded": _("The agreement is recorded on the matter as its mediation record."),
    "not_civil": _("The matter is not a civil matter (民事): nothing was recorded on it."),
    "not_deliberating": _("The matter is no longer being deliberated: nothing was recorded on it."),
    "not_owner": _(
        "The matter's grid staff or village cadre records its deliberation: the agreement was not recorded on it."
    ),
}


def _detail_page(request, mediation, bound=None, status=200):
    user = request.user
    step = m.next_step(mediation)
    context = {
        "mediation": mediation,
        "parties": m.parties_shown(mediation),
        "mediators": list(mediation.mediators.all()),
        "forms": _forms(user, mediation, bound),
        "next_label": NEXT_LABELS.get(step),
        "revisit_due": step == "revisit_due",
        "matter_note": MATTER_NOTES.get(m.matter_link(mediation), ""),
        "window_days": CONFIRMATION_WINDOW_DAYS,
    }
    return render(request, "civic/mediations/detail.html", context, status=status)


@login_required
def mediation_detail(request, pk):
    """One mediation: the parties, the mediators, the facts, and the next step."""
    return _detail_page(request, _mediation_for(request.user, pk))


@login_required
@require_POST
def mediation_action(request, pk, action):
    """agree, fail or revisit: 404, 403, 409, 400, once per form."""
    return record_step(
        request,
        pk,
        action,
        actions=ACTIONS,
        record_for=_mediation_for,
        detail="civic:mediation-detail",
        page=_detail_page,
        step=service_step(request, action, steps=ACTIONS, check=m.check, name="mediation"),
    )


@login_required
def mediation_agreement(request, pk):
    """The 人民调解协议书 to print and sign (A4), for an agreed mediation."""
    mediation = _mediation_for(request.user, pk)
    if mediation.status != MediationStatus.AGREED:
        messages.error(request, _("There is no agreement to print: the parties have not agreed."))
        return _detail_page(request, mediation, status=409)
    context = {
        "mediation": mediation,
        "parties": m.parties_shown(mediation),
        "mediators": list(mediation.mediators.all()),
        "committee": _("%(village)s People's Mediation Committee") % {"village": mediation.village.name},
        "window_days": CONFIRMATION_WINDOW_DAYS,
        "copies": len(mediation.parties) + 1,
    }
    return render(request, "civic/mediations/agreement.html", context)
