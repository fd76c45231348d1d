"""The teams that do the work: a village's 治委会, a grid's 协商议事团, and the mediation teams
(老兵说法营, 党员调解队, 居民调解队, 公益律师团) of a village or of the township, with their
members and roles. Who keeps them, the reads, and every write.

A village's teams are kept by its village cadres (COUNCIL_RUNNERS), a township's by the
township (TOWNSHIP_TEAM_KEEPERS). Every reader of a village also sees its township's own
teams: their members mediate in the village. Members leave on a day and stay on the record
(a past mediation still names who mediated it).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.civic.access import check_reach, reads_civic, visible
from governance.civic.models import MEDIATION_TEAM_KINDS, ConsultationMembers, Team, TeamKind, TeamMember, TeamRole
from governance.errors import Conflict, Forbidden
from governance.masking import mask_phone
from governance.roles import CIVIC_READERS, COUNCIL_RUNNERS, MEDIATION_RECORDERS, TOWNSHIP_TEAM_KEEPERS
from governance.scoping import reaches_village, villages_for
from grids.idnumbers import validate_phone
from grids.models import Grid, Resident, Township, Village
from petitions.models import Deliberation, Kind

NOT_A_KEEPER = gettext_lazy("A village's teams are kept by its village cadres, a township's teams by the township.")


# ---------------------------------------------------------------- who may


def keeper_roles(team: Team) -> frozenset:
    """Who keeps the team: the village's cadres, or the township's staff for a township team."""
    return COUNCIL_RUNNERS if team.village_id else TOWNSHIP_TEAM_KEEPERS


def may_keep(user, team: Team) -> bool:
    return reaches_village(user, keeper_roles(team), township_id=team.township_id, village_id=team.village_id)


# ---------------------------------------------------------------- reads


def teams_visible_to(user):
    """The teams of the villages the user's civic roles reach, and those villages' townships'
    own teams (whose members mediate there); each with its members (current first)."""
    queryset = Team.objects.select_related("township", "village", "grid").prefetch_related(
        Prefetch("members", queryset=TeamMember.objects.order_by("left_on", "role", "name", "id"))
    )
    if user.is_superuser:
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    townships = villages_for(user, CIVIC_READERS).values("township_id")
    return visible(queryset, user) | queryset.filter(village__isnull=True, township_id__in=townships)


def mediation_teams_for(village: Village):
    """The active mediation teams reachable for a village: its own and its township's."""
    return Team.objects.filter(kind__in=MEDIATION_TEAM_KINDS, is_active=True).filter(
        Q(village=village) | Q(village__isnull=True, township_id=village.township_id)
    )


def mediators_for(village: Village, *, on: datetime.date | None = None):
    """The members who may mediate in the village on a day: current members of a mediation
    team reachable for it."""
    on = on or timezone.localdate()
    return (
        TeamMember.objects.filter(team__in=mediation_teams_for(village), joined_on__lte=on, left_on__isnull=True)
        .select_related("team")
        .order_by("team__village_id", "team__name", "role", "name", "id")
    )


def member_phone(member: TeamMember) -> str:
    """A member's phone as the app shows phones: masked."""
    return mask_phone(member.phone)


# ---------------------------------------------------------------- writes


def _required(field: str, value: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _place(*, kind, township, village, grid) -> tuple[Township, Village | None, Grid | None]:
    """Where a team of `kind` sits: a 治委会 in a village, a 协商议事团 in a grid, a mediation
    team in a village or a township (400 on the field that is missing or does not fit)."""
    if kind not in TeamKind.values:
        raise ValidationError({"kind": _("Choose the kind of team.")})
    if kind == TeamKind.CONSULTATION:
        if grid is None:
            raise ValidationError({"grid": _("A consultation group (协商议事团) belongs to a grid.")})
        return grid.village.township, grid.village, grid
    if grid is not None:
        raise ValidationError({"grid": _("Only a consultation group (协商议事团) belongs to a grid.")})
    if kind == TeamKind.COMMITTEE and village is None:
        raise ValidationError({"village": _("A governance committee (治委会) belongs to a village.")})
    if village is not None:
        return village.township, village, None
    if township is None:
        raise ValidationError({"village": _("Choose the village, or the township for a township team.")})
    return township, None, None


@transaction.atomic
def team_create(
    *,
    actor,
    kind: str,
    name: str,
    description: str = "",
    township: Township | None = None,
    village: Village | None = None,
    grid: Grid | None = None,
) -> Team:
    """A new team: a village's 治委会 (one active), a grid's 协商议事团 (one active), or a
    mediation team of a village or of a township. 403 unless the actor keeps teams there;
    409 when the village or grid has its active committee or group already."""
    township, village, grid = _place(kind=kind, township=township, village=village, grid=grid)
    team = Team(township=township, village=village, grid=grid, kind=kind, created_by=actor)
    if not may_keep(actor, team):
        raise Forbidden(NOT_A_KEEPER)
    # Serialise the "one per village / grid" check on the place's row.
    if village is not None:
        list(Village.objects.select_for_update().filter(pk=village.pk).values_list("pk", flat=True))
    if kind == TeamKind.COMMITTEE and Team.objects.filter(kind=kind, village=village, is_active=True).exists():
        raise Conflict(_("This village has its governance committee (治委会) already."), code="team_exists")
    if kind == TeamKind.CONSULTATION and Team.objects.filter(kind=kind, grid=grid, is_active=True).exists():
        raise Conflict(_("This grid has its consultation group (协商议事团) already."), code="team_exists")
    team.name = _required("name", name, _("Name the team."))
    team.description = (description or "").strip()
    team.save()
    return team


@transaction.atomic
def team_update(*, team: Team, actor, name: str | None = None, description: str | None = None, is_active=None) -> Team:
    """Rename, describe, or stand down (is_active=False) a team; its record stays."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    check_reach(actor, keeper_roles(team), team, NOT_A_KEEPER)
    if name is not None:
        team.name = _required("name", name, _("Name the team."))
    if description is not None:
        team.description = description.strip()
    if is_active is not None:
        if is_active and not team.is_active and team.kind in (TeamKind.COMMITTEE, TeamKind.CONSULTATION):
            place = {"village": team.village} if team.kind == TeamKind.COMMITTEE else {"grid": team.grid}
            if Team.objects.filter(kind=team.kind, is_active=True, **place).exists():
                raise Conflict(_("Another team of this kind is active here."), code="team_exists")
        team.is_active = bool(is_active)
    team.save(update_fields=["name", "description", "is_active"])
    return team


@transaction.atomic
def member_add(
    *,
    team: Team,
    actor,
    name: str,
    role: str = TeamRole.MEMBER,
    title: str = "",
    phone: str = "",
    resident: Resident | None = None,
    user=None,
    joined_on: datetime.date | None = None,
) -> TeamMember:
    """Put a person on a team (by name; a resident or a staff account may be linked). 409 on
    a team that has stood down; 400 on a bad phone, a future day, a resident of another
    village, or a name already serving on the team."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    check_reach(actor, keeper_roles(team), team, NOT_A_KEEPER)
    if not team.is_active:
        raise Conflict(_("This team has stood down: it takes no new members."), code="team_inactive")
    today = timezone.localdate()
    joined_on = joined_on or today
    name = _required("name", name, _("Write the member's name."))
    errors = {}
    if role not in TeamRole.values:
        errors["role"] = _("Choose the member's role.")
    try:
        phone = validate_phone(phone)
    except ValidationError as error:
        errors["phone"] = error.messages[0]
    if joined_on > today:
        errors["joined_on"] = _("The day cannot be in the future.")
    elsewhere = resident is not None and (
        resident.village_id != team.village_id if team.village_id else resident.village.township_id != team.township_id
    )
    if elsewhere:
        errors["resident"] = _("This resident does not live where the team works.")
    if team.members.filter(name=name, left_on__isnull=True).exists():
        errors["name"] = _("Someone of this name serves on the team already.")
    if errors:
        raise ValidationError(errors)
    return TeamMember.objects.create(
        team=team,
        township_id=team.township_id,
        village_id=team.village_id,
        name=name,
        role=role,
        title=(title or "").strip(),
        phone=phone,
        resident=resident,
        user=user,
        joined_on=joined_on,
    )


@transaction.atomic
def member_leave(*, member: TeamMember, actor, left_on: datetime.date | None = None) -> TeamMember:
    """A member leaves the team on a day (kept on the record). 409 if they left already."""
    member = TeamMember.objects.select_for_update().select_related("team").get(pk=member.pk)
    check_reach(actor, keeper_roles(member.team), member.team, NOT_A_KEEPER)
    if member.left_on is not None:
        raise Conflict(_("This member has left the team already."), code="left_already")
    left_on = left_on or timezone.localdate()
    if left_on > timezone.localdate():
        raise ValidationError({"left_on": _("The day cannot be in the future.")})
    if left_on < member.joined_on:
        raise ValidationError({"left_on": _("A member cannot leave before joining.")})
    member.left_on = left_on
    member.save(update_fields=["left_on"])
    return member


# ---------------------------------------------------------------- a 民事 consultation's members


def consultation_teams_for(matter):
    """The teams whose members may sit in a civil matter's consultation: its grid's 协商议事团
    and the mediation teams reachable for its village."""
    village = matter.village
    return Team.objects.filter(is_active=True).filter(
        Q(kind=TeamKind.CONSULTATION, grid_id=matter.grid_id) | Q(pk__in=mediation_teams_for(village).values("pk"))
    )


def consultations_visible_to(user):
    """The consultation meetings (院坝会) of civil matters the user sees (the matter's own
    scope: grid staff their grid's), for a civic reader; newest first, with who took part."""
    from petitions.selectors import matters_visible_to

    if not user.is_authenticated or not (user.is_superuser or reads_civic(user)):
        return Deliberation.objects.none()
    return (
        Deliberation.objects.filter(
            kind=Deliberation.Kind.MEETING, matter__kind=Kind.CIVIL, matter__in=matters_visible_to(user)
        )
        .select_related("matter__village", "matter__grid")
        .order_by("-held_on", "-id")
    )


def consultation_members_of(deliberations) -> dict[int, list[TeamMember]]:
    """deliberation id -> the team members recorded as taking part (two queries)."""
    records = ConsultationMembers.objects.filter(deliberation__in=deliberations).prefetch_related(
        Prefetch("members", queryset=TeamMember.objects.select_related("team").order_by("team_id", "name"))
    )
    return {record.deliberation_id: list(record.members.all()) for record in records}


def consultation_candidates(matter, on: datetime.date):
    """The members who may be recorded for a consultation of the matter held on a day."""
    return (
        TeamMember.objects.filter(team__in=consultation_teams_for(matter), joined_on__lte=on)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=on))
        .select_related("team")
        .order_by("team__kind", "team__name", "role", "name", "id")
    )


@transaction.atomic
def consultation_members_record(*, deliberation: Deliberation, actor, members: list[TeamMember]) -> ConsultationMembers:
    """Which team members took part in a 民事 consultation (a 院坝会 record of a civil matter);
    recording again replaces the list. 403 unless the actor records mediations in the
    matter's village; 409 on another kind of record; 400 on a member of another team or one
    who had left by the day."""
    deliberation = Deliberation.objects.select_related("matter__village").get(pk=deliberation.pk)
    matter = deliberation.matter
    if not reaches_village(actor, MEDIATION_RECORDERS, township_id=matter.township_id, village_id=matter.village_id):
        raise Forbidden(_("Your role may not record this village's consultations."))
    if deliberation.kind != Deliberation.Kind.MEETING or matter.kind != Kind.CIVIL:
        raise Conflict(
            _("Only a consultation meeting (院坝会) of a civil matter (民事) records team members."),
            code="not_civil_consultation",
        )
    members = list(members)
    if not members:
        raise ValidationError({"members": _("Choose at least one member who took part.")})
    allowed = set(consultation_candidates(matter, deliberation.held_on).values_list("pk", flat=True))
    for member in members:
        if member.pk not in allowed:
            raise ValidationError(
                {"members": _("%(name)s was not on a team of this grid or village that day.") % {"name": member.name}}
            )
    record, _created = ConsultationMembers.objects.update_or_create(
        deliberation=deliberation, defaults={"recorded_by": actor}
    )
    record.members.set(members)
    return record
