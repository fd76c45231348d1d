"""The team pages: the teams by village with their members and roles, a new team, and one
team with the forms to add a member or record one leaving.

Checked in the contract's order: out of scope 404 (the same selector as the list), role 403,
state 409 (the page again with the message), input 400 (next to the field)."""

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from governance.civic import team_forms as f
from governance.civic import teams as t
from governance.civic.access import require_civic_reader
from governance.errors import Conflict, Forbidden
from governance.forms import redirect_if_resent, save_form, step_page
from governance.record_pages import create_page
from governance.roles import COUNCIL_RUNNERS, MEDIATION_RECORDERS, TOWNSHIP_ROLES, TOWNSHIP_TEAM_KEEPERS
from governance.scoping import reaches_village, scope_for, villages_for
from grids.models import Grid, Township


def _may_create(user) -> bool:
    return scope_for(user).has_any_role(COUNCIL_RUNNERS | TOWNSHIP_TEAM_KEEPERS)


@login_required
def team_list(request):
    """The teams the reader sees, by village (a township's own teams first), with members."""
    user = request.user
    require_civic_reader(user)
    teams = list(t.teams_visible_to(user).filter(is_active=True).order_by("township_id", "village_id", "kind", "id"))
    groups = []
    for _village, rows in groupby(teams, key=lambda team: (team.township_id, team.village_id)):
        rows = list(rows)
        first = rows[0]
        place = first.village.name if first.village_id else first.township.name
        for team in rows:
            team.current = [m for m in team.members.all() if m.left_on is None]
        groups.append({"place": place, "township_team": first.village_id is None, "teams": rows})
    context = {"groups": groups, "may_create": _may_create(user)}
    return render(request, "civic/teams/list.html", context)


def _team_form(user, data=None):
    villages = villages_for(user, COUNCIL_RUNNERS).order_by("code")
    grids = Grid.objects.active().filter(village__in=villages.values("pk")).select_related("village")
    grids = grids.order_by("village_id", "number")
    if user.is_superuser:
        townships = Township.objects.all()
    else:
        townships = Township.objects.filter(pk__in=sorted(scope_for(user).ids_for(TOWNSHIP_ROLES)))
    return f.TeamForm(data, villages=villages, grids=grids, townships=townships.order_by("code"))


@login_required
def team_create(request):
    """A new team of a village, a grid or the township."""
    user = request.user
    require_civic_reader(user)
    if not _may_create(user):
        raise PermissionDenied(t.NOT_A_KEEPER)
    posted = request.method == "POST"
    form = _team_form(user, request.POST if posted else None)
    return create_page(
        request,
        form,
        create=t.team_create,
        detail="civic:team-detail",
        done=_("Team created."),
        template="civic/teams/form.html",
    )


def _team_for(user, pk):
    return get_object_or_404(t.teams_visible_to(user), pk=pk)


def _detail_page(request, team, member_form=None, status=200):
    user = request.user
    members = list(team.members.all())
    keeps = t.may_keep(user, team)
    for member in members:
        member.masked_phone = t.member_phone(member)
    context = {
        "team": team,
        "current": [m for m in members if m.left_on is None],
        "past": [m for m in members if m.left_on is not None],
        "keeps": keeps,
        "member_form": member_form or (f.MemberForm(prefix="member") if keeps and team.is_active else None),
        "leave_form": f.LeaveForm(prefix="leave") if keeps else None,
    }
    return render(request, "civic/teams/detail.html", context, status=status)


@login_required
def team_detail(request, pk):
    """One team: its members and roles, and (for its keepers) the member forms."""
    return _detail_page(request, _team_for(request.user, pk))


def _member_step(request, team, *, action, form_class, conflict, perform, done, show_form):
    """A keeper's step on a member (`action`: the form's prefix): the team's page again with the
    message when `conflict` names one (409), the form's errors (400) in it (`show_form`) or on top."""
    user = request.user

    def check():
        if not t.may_keep(user, team):
            raise Forbidden(t.NOT_A_KEEPER)
        if conflict:
            raise Conflict(conflict)

    def show(bound, status):
        if bound is not None and not show_form:
            messages.error(request, "; ".join(str(e) for errors in bound.errors.values() for e in errors))
        team_now = team if bound is not None else _team_for(user, team.pk)
        return _detail_page(request, team_now, member_form=bound if show_form else None, status=status)

    return step_page(
        request,
        action=action,
        detail_url=reverse("civic:team-detail", args=[team.pk]),
        check=check,
        form=lambda: form_class(request.POST, prefix=action),
        perform=perform,
        done=done,
        show=show,
    )


@login_required
@require_POST
def member_add(request, pk):
    team = _team_for(request.user, pk)
    return _member_step(
        request,
        team,
        action="member",
        form_class=f.MemberForm,
        conflict=None if team.is_active else _("This team has stood down: it takes no new members."),
        perform=lambda data: t.member_add(team=team, actor=request.user, **data),
        done=_("Member added."),
        show_form=True,
    )


@login_required
@require_POST
def member_leave(request, pk, member_id):
    team = _team_for(request.user, pk)
    member = get_object_or_404(team.members, pk=member_id)
    return _member_step(
        request,
        team,
        action="leave",
        form_class=f.LeaveForm,
        conflict=_("This member has left the team already.") if member.left_on is not None else None,
        perform=lambda data: t.member_leave(member=member, actor=request.user, **data),
        done=_("Recorded: the member has left."),
        show_form=False,
    )


# ---------------------------------------------------------------- a 民事 consultation's members


@login_required
def consultation_list(request):
    """The 民事 consultation meetings (院坝会) the reader sees, with the team members recorded."""
    user = request.user
    require_civic_reader(user)
    page = Paginator(t.consultations_visible_to(user), 30).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    members = t.consultation_members_of(rows)
    for row in rows:
        row.team_members = members.get(row.pk, [])
    return render(request, "civic/teams/consultations.html", {"page": page, "rows": rows})


def _consultation_page(request, deliberation, form=None, status=200):
    user = request.user
    may = reaches_village(
        user,
        MEDIATION_RECORDERS,
        township_id=deliberation.matter.township_id,
        village_id=deliberation.matter.village_id,
    )
    candidates = t.consultation_candidates(deliberation.matter, deliberation.held_on)
    recorded = t.consultation_members_of([deliberation]).get(deliberation.pk, [])
    if form is None and may:
        form = f.ConsultationMembersForm(candidates=candidates, initial={"members": [m.pk for m in recorded]})
    context = {"deliberation": deliberation, "recorded": recorded, "form": form if may else None}
    return render(request, "civic/teams/consultation.html", context, status=status)


@login_required
def consultation_members(request, pk):
    """Record which team members took part in one 民事 consultation (again: replace the list)."""
    user = request.user
    deliberation = get_object_or_404(t.consultations_visible_to(user), pk=pk)
    if request.method != "POST":
        return _consultation_page(request, deliberation)
    url = reverse("civic:consultation-members", args=[deliberation.pk])
    if already := redirect_if_resent(request, "form_token", url):
        return already
    matter = deliberation.matter
    if not reaches_village(user, MEDIATION_RECORDERS, township_id=matter.township_id, village_id=matter.village_id):
        raise PermissionDenied(_("Your role may not record this village's consultations."))
    form = f.ConsultationMembersForm(request.POST, candidates=t.consultation_candidates(matter, deliberation.held_on))
    if form.is_valid():

        def perform():
            t.consultation_members_record(deliberation=deliberation, actor=user, members=form.cleaned_data["members"])
            return url

        saved = save_form(request, form, perform=perform, done=_("Recorded: the team members who took part."))
        if saved is not None:
            return saved
    return _consultation_page(request, deliberation, form=form, status=400)
