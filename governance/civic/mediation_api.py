"""REST API of people's mediation (人民调解), under /api/v1/mediations/.

The queryset is the caller's (governance.civic.mediations.mediations_visible_to): a
mediation out of scope is a 404. Ids in a payload (village, mediators, matter) the caller
does not see are a 400 on that field. Order: scope 404, role 403, status 409, payload 400.
Every POST honours Idempotency-Key. Phones are masked.
"""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action

from governance.api_common import refusals
from governance.api_input import InputSerializer, VisibleField
from governance.civic import mediations as m
from governance.civic.access import NOT_A_READER, reads_civic
from governance.civic.models import DisputeKind, GuidedTo, Mediation, MediationStatus, Performance, TeamMember
from governance.civic.team_api import TeamMemberSerializer
from governance.civic.teams import teams_visible_to
from governance.errors import Forbidden
from governance.record_api import REFUSED_400, NewestFirst, RecordViewSet, record_schema
from governance.roles import CIVIC_READERS, MEDIATION_RECORDERS
from governance.scoping import scope_for, villages_for
from grids.models import Village
from petitions.models import Matter
from petitions.selectors import matters_visible_to

REFUSALS = refusals(
    forbidden="Your role does not record this village's mediations.",
    not_found="No such mediation, or not one the caller sees.",
    conflict="Not possible in the mediation's status (code not_open, not_agreed, revisited_already).",
)


class PartySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    side = serializers.ChoiceField(choices=m.SIDES, required=False)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, help_text="Masked on output.")
    address = serializers.CharField(max_length=100, required=False, allow_blank=True)


class MediationSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True)
    mediators = TeamMemberSerializer(many=True, read_only=True)
    parties = serializers.SerializerMethodField()
    confirmation_until = serializers.DateField(read_only=True, allow_null=True)
    next_step = serializers.SerializerMethodField(help_text="agree_or_fail, revisit, revisit_due or empty.")
    next_actions = serializers.SerializerMethodField(help_text="The steps the caller may take now.")

    class Meta:
        model = Mediation
        fields = [
            "id",
            "number",
            "township",
            "village",
            "village_name",
            "grid",
            "matter",
            "team",
            "team_name",
            "mediators",
            "dispute_kind",
            "parties",
            "facts",
            "held_on",
            "place",
            "status",
            "terms",
            "perform_by",
            "agreed_on",
            "confirmation_until",
            "return_visit_due",
            "revisited_on",
            "performance",
            "revisit_note",
            "failed_on",
            "guided_to",
            "failure_note",
            "created_at",
            "next_step",
            "next_actions",
        ]
        read_only_fields = fields

    @extend_schema_field(PartySerializer(many=True))
    def get_parties(self, mediation) -> list[dict]:
        return m.parties_shown(mediation)

    def get_next_step(self, mediation) -> str:
        return m.next_step(mediation)

    def get_next_actions(self, mediation) -> list[str]:
        return m.next_actions(self.context["request"].user, mediation)


def _villages(user):
    return villages_for(user, CIVIC_READERS)


def _members(user):
    """The members of the teams the caller sees: anyone else's id "does not exist" (400), and
    the refusal names nobody out of scope."""
    return TeamMember.objects.filter(team__in=teams_visible_to(user).values("pk")).select_related("team")


def _matters(user):
    """The matters the caller sees (grid staff: their grid's) in the villages they record for."""
    return matters_visible_to(user).filter(village__in=villages_for(user, MEDIATION_RECORDERS).values("pk"))


class VillageSerializer(InputSerializer):
    village = VisibleField(_villages, queryset=Village.objects.none())


class MediationCreateSerializer(InputSerializer):
    village = VisibleField(_villages, queryset=Village.objects.none())
    mediators = VisibleField(
        _members,
        many=True,
        queryset=TeamMember.objects.none(),
        help_text="Current members of a mediation team of the village or its township.",
    )
    dispute_kind = serializers.ChoiceField(choices=DisputeKind.choices)
    parties = PartySerializer(many=True, max_length=m.MAX_PARTIES, help_text="At least two, each with a name.")
    facts = serializers.CharField(max_length=8000)
    held_on = serializers.DateField()
    place = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    matter = VisibleField(
        _matters,
        queryset=Matter.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Of the same village.",
    )


class AgreeSerializer(InputSerializer):
    terms = serializers.CharField(max_length=8000)
    perform_by = serializers.DateField()
    agreed_on = serializers.DateField(required=False, allow_null=True, default=None)


class FailSerializer(InputSerializer):
    guided_to = serializers.ChoiceField(choices=GuidedTo.choices)
    note = serializers.CharField(max_length=4000)
    failed_on = serializers.DateField(required=False, allow_null=True, default=None)


class RevisitSerializer(InputSerializer):
    performance = serializers.ChoiceField(choices=Performance.choices)
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    revisited_on = serializers.DateField(required=False, allow_null=True, default=None)


STEPS = {
    "agree": (AgreeSerializer, m.mediation_agree),
    "fail": (FailSerializer, m.mediation_fail),
    "revisit": (RevisitSerializer, m.mediation_revisit),
}


@record_schema(
    listed="Mediations of the villages the caller works in, newest first.",
    detail=MediationSerializer,
    create=MediationCreateSerializer,
    created=(
        "Record a mediation {village, mediators, dispute_kind, parties [{name, side, phone, address}], "
        "facts, held_on, place, matter}. Numbered per village and year (李湾调〔2026〕1号)."
    ),
    refusals=REFUSALS,
)
class MediationViewSet(RecordViewSet):
    """People's mediation (人民调解): the record, the agreement, the failure, the return visit."""

    queryset = Mediation.objects.none()
    serializer_class = MediationSerializer
    pagination_class = NewestFirst
    selectors = (m.mediations_visible_to, m.mediations_visible_to)
    readers = (reads_civic, NOT_A_READER)
    reader_actions = ("list", "create")
    record_name = "mediation"
    steps = STEPS

    def get_queryset(self):
        queryset = super().get_queryset()
        status_ = self.request.query_params.get("status")
        if self.action == "list" and status_ in MediationStatus.values:
            queryset = queryset.filter(status=status_)
        return queryset

    def check_step(self, user, step, mediation):
        m.check(user, step, mediation)

    def create_record(self, request):
        if not scope_for(request.user).has_any_role(MEDIATION_RECORDERS):
            raise Forbidden(m.NOT_A_RECORDER)
        village = self.payload(VillageSerializer, data={"village": request.data.get("village")})["village"]
        if not m.may_record(request.user, township_id=village.township_id, village_id=village.pk):
            raise Forbidden(m.NOT_A_RECORDER)
        return m.mediation_open(actor=request.user, **self.payload(MediationCreateSerializer))

    @extend_schema(request=AgreeSerializer, responses={200: MediationSerializer, 400: REFUSED_400, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def agree(self, request, pk=None):
        """The agreement {terms, perform_by, agreed_on (default today)}: the return visit falls due a
        month later; the parties have 30 days to ask for 司法确认. On a linked civil matter being
        deliberated, also the matter's mediation record."""
        return self._act(request, "agree")

    @extend_schema(request=FailSerializer, responses={200: MediationSerializer, 400: REFUSED_400, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def fail(self, request, pk=None):
        """No agreement {guided_to, note, failed_on}: where the parties were guided."""
        return self._act(request, "fail")

    @extend_schema(request=RevisitSerializer, responses={200: MediationSerializer, 400: REFUSED_400, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def revisit(self, request, pk=None):
        """The return visit (回访) {performance, note, revisited_on}."""
        return self._act(request, "revisit")
