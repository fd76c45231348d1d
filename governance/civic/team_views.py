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
from governance.civic.access import NOT_A_READER, reads_civic
from governance.errors import Conflict, Forbidden
from governance.forms import redirect_if_resent, save_form
from governance.roles import COUNCIL_RUNNERS, MEDIATION_RECORDERS, TOWNSHIP_ROLES, TOWNSHIP_TEAM_KEEPERS
from governance.scoping import reaches_village, scope_for, villages_for
from grids.models import Grid, Township


def _require_reader(user) -> None:
    if not reads_civic(user):
        raise PermissionDenied(NOT_A_READER)


def _may_create(user) -> bool:
    return scope_for(user).has_any_role(COUNCIL_RUNNERS | TOWNSHIP_TEAM_KEEPERS)


@login_required
def team_list(request):
    """The teams the reader sees, by village (a township's own teams first), with members."""
    user = request.user
    _require_reader(user)
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
    _require_reader(user)
    if not _may_create(user):
        raise PermissionDenied(t.NOT_A_KEEPER)
    posted = request.method == "POST"
    form = _team_form(user, request.POST if posted else None)
    if posted and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("form_token")

        def perform():
            team = t.team_create(actor=user, **data)
            return reverse("civic:team-detail", args=[team.pk])

        saved = save_form(request, form, perform=perform, done=_("Team created."))
        if saved is not None:
            return saved
    return render(request, "civic/teams/form.html", {"form": form}, status=400 if posted else 200)


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


def _refused(request, team):
    def refused(error):
        if isinstance(error, Forbidden):
            raise PermissionDenied(str(error.message))
        messages.error(request, str(error.message))
        return _detail_page(request, _team_for(request.user, team.pk), status=error.status)

    return refused


@login_required
@require_POST
def member_add(request, pk):
    user = request.user
    team = _team_for(user, pk)
    url = reverse("civic:team-detail", args=[team.pk])
    if already := redirect_if_resent(request, "member-form_token", url):
        return already
    if not t.may_keep(user, team):
        raise PermissionDenied(t.NOT_A_KEEPER)
    if not team.is_active:
        return _refused(request, team)(Conflict(_("This team has stood down: it takes no new members.")))
    form = f.MemberForm(request.POST, prefix="member")
    if form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("form_token")

        def perform():
            t.member_add(team=team, actor=user, **data)
            return url

        saved = save_form(request, form, perform=perform, done=_("Member added."), on_refused=_refused(request, team))
        if saved is not None:
            return saved
    return _detail_page(request, team, member_form=form, status=400)


@login_required
@require_POST
def member_leave(request, pk, member_id):
    user = request.user
    team = _team_for(user, pk)
    member = get_object_or_404(team.members, pk=member_id)
    url = reverse("civic:team-detail", args=[team.pk])
    if already := redirect_if_resent(request, "leave-form_token", url):
        return already
    if not t.may_keep(user, team):
        raise PermissionDenied(t.NOT_A_KEEPER)
    if member.left_on is not None:
        return _refused(request, team)(Conflict(_("This member has left the team already.")))
    form = f.LeaveForm(request.POST, prefix="leave")
    if form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("form_token")

        def perform():
            t.member_leave(member=member, actor=user, **data)
            return url

        saved = save_form(
            request, form, perform=perform, done=_("Recorded: the member has left."), on_refused=_refused(request, team)
        )
        if saved is not None:
            return saved
    messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
    return _detail_page(request, team, status=400)


# ---------------------------------------------------------------- a 民事 consultation's members


@login_required
def consultation_list(request):
    """The 民事 consultation meetings (院坝会) the reader sees, with the team members recorded."""
    user = request.user
    _require_reader(user)
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
