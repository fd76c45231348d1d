"""REST API of the teams (治委会, 协商议事团, the mediation teams), under /api/v1/teams/.

The queryset is the caller's (governance.civic.teams.teams_visible_to): a team out of scope
is a 404. A village, grid or township id in a payload the caller does not see is a 400 on
that field. Order: scope 404, role 403, state 409, payload 400. Every POST honours
Idempotency-Key.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action

from governance.api_common import IdCursorPagination, refusals
from governance.api_input import InputSerializer, VisibleField
from governance.civic import teams as t
from governance.civic.access import NOT_A_READER, reads_civic
from governance.civic.models import Team, TeamKind, TeamMember, TeamRole
from governance.errors import Forbidden
from governance.record_api import REFUSED_400, RecordViewSet, record_schema
from governance.roles import CIVIC_READERS, TOWNSHIP_ROLES
from governance.scoping import scope_for, villages_for
from grids.models import Grid, Township, Village

REFUSALS = refusals(
    forbidden="Your role does not keep this team (a village's teams: its cadres; a township's: the township).",
    not_found="No such team (or member), or not one the caller sees.",
    conflict="Not possible now (code team_exists, team_inactive, left_already).",
)


class TeamMemberSerializer(serializers.ModelSerializer):
    phone = serializers.SerializerMethodField(help_text="Masked, as the app shows phones.")
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = TeamMember
        fields = ["id", "name", "role", "title", "phone", "resident", "user", "joined_on", "left_on", "is_current"]
        read_only_fields = fields

    def get_phone(self, member) -> str:
        return t.member_phone(member)

    def get_is_current(self, member) -> bool:
        return member.left_on is None


class TeamSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True, allow_null=True, default=None)
    members = TeamMemberSerializer(many=True, read_only=True)
    mediates = serializers.BooleanField(read_only=True)

    class Meta:
        model = Team
        fields = [
            "id",
            "township",
            "village",
            "village_name",
            "grid",
            "kind",
            "name",
            "description",
            "is_active",
            "mediates",
            "created_at",
            "members",
        ]
        read_only_fields = fields


def _villages(user):
    return villages_for(user, CIVIC_READERS)


def _grids(user):
    return Grid.objects.active().filter(village__in=_villages(user).values("pk"))


def _townships(user):
    if user.is_superuser:
        return Township.objects.all()
    return Township.objects.filter(pk__in=sorted(scope_for(user).ids_for(TOWNSHIP_ROLES)))


class TeamCreateSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=TeamKind.choices)
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    village = VisibleField(_villages, queryset=Village.objects.none(), required=False, allow_null=True, default=None)
    grid = VisibleField(
        _grids,
        queryset=Grid.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="协商议事团 only.",
    )
    township = VisibleField(
        _townships,
        queryset=Township.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="A township's own mediation team (no village).",
    )


class MemberAddSerializer(InputSerializer):
    name = serializers.CharField(max_length=50)
    role = serializers.ChoiceField(choices=TeamRole.choices, required=False, default=TeamRole.MEMBER)
    title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    joined_on = serializers.DateField(required=False, allow_null=True, default=None)


class MemberLeaveSerializer(InputSerializer):
    left_on = serializers.DateField(required=False, allow_null=True, default=None)


@record_schema(
    listed="Teams of the villages the caller works in, and their townships' own teams.",
    detail=TeamSerializer,
    create=TeamCreateSerializer,
    created=(
        "A team {kind, name, description}: a 治委会 of a village (village), a 协商议事团 of a grid (grid), "
        "a mediation team of a village (village) or of a township (township). Kept by the village's "
        "cadres, or the township for a township team."
    ),
    refusals=REFUSALS,
    create_conflicts=True,
)
class TeamViewSet(RecordViewSet):
    """Teams and their members (with roles)."""

    queryset = Team.objects.none()
    serializer_class = TeamSerializer
    pagination_class = IdCursorPagination
    selectors = (t.teams_visible_to, t.teams_visible_to)
    readers = (reads_civic, NOT_A_READER)
    reader_actions = ("list", "create")
    record_name = "team"
    steps = {
        "create": (TeamCreateSerializer, t.team_create),
        "members": (MemberAddSerializer, t.member_add),
        "leave": (MemberLeaveSerializer, t.member_leave),
    }

    def check_step(self, user, step, team):
        if not t.may_keep(user, team):
            raise Forbidden(t.NOT_A_KEEPER)

    @extend_schema(
        request=MemberAddSerializer,
        responses={200: TeamSerializer, 400: REFUSED_400, **REFUSALS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def members(self, request, pk=None):
        """Put a person on the team {name, role, title, phone, joined_on}."""
        return self._act(request, "members")

    @extend_schema(
        request=MemberLeaveSerializer,
        responses={200: TeamSerializer, 400: REFUSED_400, **REFUSALS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"members/(?P<member_id>\d+)/leave",
        url_name="member-leave",
        filter_backends=[],
    )
    def member_leave(self, request, pk=None, member_id=None):
        """A member leaves the team {left_on (default today)}; they stay on the record."""
        return self._act(request, "leave", target=lambda team: {"member": _member(team, member_id)})


def _member(team, member_id) -> TeamMember:
    member = team.members.filter(pk=member_id).first()
    if member is None:
        raise exceptions.NotFound(_("No such member of this team."))
    return member
