"""REST API of 最美 selections, under /api/v1/selections/.

The queryset is the caller's (governance.civic.selections.selections_visible_to), so a selection
out of scope is a 404 like one that does not exist; a village, household, grid, courtyard,
meeting or rule id the caller does not see is a 400 on that field. Each action is checked in
the contract's order before its payload is read: the caller's role (403), the selection's status
(409), then the payload (400); the service checks again under the row lock. Every POST honours
Idempotency-Key.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action

from governance.api_common import refusals
from governance.api_input import InputSerializer
from governance.civic import selections as s
from governance.civic.access import NOT_A_READER, reads_civic
from governance.civic.models import Meeting, Nomination, Selection, SelectionKind
from governance.permissions import Policy
from governance.record_api import AmongField, NewestFirst, RecordViewSet, record_schema
from governance.roles import CIVIC_READERS, COUNCIL_RUNNERS
from governance.scoping import villages_for
from grids.models import Courtyard, Grid, Household, Village
from points.models import Rule

REFUSALS = refusals(
    forbidden="Your role may not take this step on this selection (code permission_denied, not_your_grid).",
    not_found="No such selection (or nomination), or not one the caller sees.",
    conflict="Not possible in the selection's current status (code not_nominating, not_decided, no_nominations).",
)


# ---------------------------------------------------------------- output


class NominationSerializer(serializers.ModelSerializer):
    nominee = serializers.SerializerMethodField()

    class Meta:
        model = Nomination
        fields = ["id", "household", "grid", "courtyard", "nominee", "reason", "nominated_by", "votes_for", "selected"]
        read_only_fields = fields

    def get_nominee(self, nomination) -> str:
        return s.nominee_label(nomination)


class SelectionSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    nominated = serializers.IntegerField(read_only=True, help_text="How many nominations.")
    next_actions = serializers.SerializerMethodField(help_text="The steps the caller may take now.")

    class Meta:
        model = Selection
        fields = [
            "id",
            "township",
            "village",
            "village_name",
            "kind",
            "title",
            "year",
            "description",
            "status",
            "meeting",
            "entitled",
            "present",
            "rule",
            "award_batch",
            "nominated",
            "created_by",
            "created_at",
            "decided_by",
            "decided_at",
            "published_by",
            "published_at",
            "next_actions",
        ]
        read_only_fields = fields

    def get_next_actions(self, selection) -> list[str]:
        return s.next_actions(self.context["request"].user, selection)


class SelectionDetailSerializer(SelectionSerializer):
    nominations = NominationSerializer(many=True, read_only=True)

    class Meta(SelectionSerializer.Meta):
        fields = [*SelectionSerializer.Meta.fields, "nominations"]
        read_only_fields = fields


# ---------------------------------------------------------------- input


def _in_village(model):
    """The selection's village's rows of `model`."""

    def rows(context):
        selection = context.get("selection")
        if selection is None:
            return model.objects.none()
        rows = model.objects.filter(village_id=selection.village_id)
        # A grid or courtyard merged into another (grids.places) is nominated no more.
        return rows.active() if model in (Grid, Courtyard) else rows

    return rows


def _readable_villages(context):
    return villages_for(context["request"].user, CIVIC_READERS)


class SelectionOpenSerializer(InputSerializer):
    village = AmongField(_readable_villages, queryset=Village.objects.none())
    kind = serializers.ChoiceField(choices=SelectionKind.choices)
    title = serializers.CharField(max_length=200)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class NominateSerializer(InputSerializer):
    household = AmongField(_in_village(Household), queryset=Household.objects.none(), required=False, allow_null=True)
    grid = AmongField(_in_village(Grid), queryset=Grid.objects.none(), required=False, allow_null=True)
    courtyard = AmongField(_in_village(Courtyard), queryset=Courtyard.objects.none(), required=False, allow_null=True)
    reason = serializers.CharField(max_length=2000)


class VoteSerializer(serializers.Serializer):
    nomination = serializers.IntegerField(min_value=1)
    votes_for = serializers.IntegerField(min_value=0, max_value=100000)


class DecideSerializer(InputSerializer):
    entitled = serializers.IntegerField(min_value=0, max_value=100000, help_text="Members of the 道德评议会.")
    present = serializers.IntegerField(min_value=0, max_value=100000, help_text="Members present.")
    votes = VoteSerializer(many=True, help_text="The votes for each nomination of the selection.")
    meeting = AmongField(
        _in_village(Meeting),
        queryset=Meeting.objects.none(),
        required=False,
        allow_null=True,
        help_text="A held 道德评议会.",
    )

    def validate_votes(self, votes):
        """Each nomination once: with one named twice, nobody could tell which count the council gave."""
        ids = [row["nomination"] for row in votes]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError(_("Give the votes for each nomination once."))
        return votes


class PublishSerializer(InputSerializer):
    rule = AmongField(
        _in_village(Rule),
        queryset=Rule.objects.none(),
        required=False,
        allow_null=True,
        help_text="For a family selection: one points batch for the selected households (maker-checker).",
    )


# ---------------------------------------------------------------- the viewset


def _nomination(selection, nid) -> Nomination:
    try:
        return selection.nominations.get(pk=nid)
    except Nomination.DoesNotExist:
        raise exceptions.NotFound(_("No such nomination of this selection.")) from None


def _decide(*, votes, **data):
    """The votes as {nomination id: votes for}, as the service takes them."""
    s.selection_decide(votes={row["nomination"]: row["votes_for"] for row in votes}, **data)


STEPS = {
    "create": (SelectionOpenSerializer, s.selection_open),
    "nominate": (NominateSerializer, s.nomination_add),
    "withdraw": (None, s.nomination_withdraw),
    "decide": (DecideSerializer, _decide),
    "publish": (PublishSerializer, s.selection_publish),
}


@record_schema(
    listed="最美 selections of the villages the caller works in, newest first.",
    detail=SelectionDetailSerializer,
    create=SelectionOpenSerializer,
    created="Open a selection {village, kind (family, grid, courtyard), title, year, description}: "
    "a village cadre of the village.",
    refusals=REFUSALS,
)
class SelectionViewSet(RecordViewSet):
    """最美 selections: nominations, the 道德评议会's vote, publication, points."""

    queryset = Selection.objects.none()
    serializer_class = SelectionSerializer
    detail_serializer_class = SelectionDetailSerializer
    pagination_class = NewestFirst
    policies = {"create": Policy(roles=COUNCIL_RUNNERS, message=_("Only a village cadre opens a 最美 selection."))}
    selectors = (s.selections_visible_to, s.selection_detail_queryset)
    readers = (reads_civic, NOT_A_READER)
    record_name = "selection"
    steps = STEPS

    def check_step(self, user, step, selection):
        s.check(user, step, selection)

    @extend_schema(request=NominateSerializer, responses={200: SelectionDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def nominations(self, request, pk=None):
        """Nominate {household | grid | courtyard (the selection's kind), reason}: the village's cadres,
        grid staff within their own grid."""
        return self._act(request, "nominate")

    @extend_schema(request=None, responses={200: SelectionDetailSerializer, **REFUSALS})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"nominations/(?P<nid>[0-9]+)/withdraw",
        url_name="nomination-withdraw",
        filter_backends=[],
    )
    def withdraw(self, request, pk=None, nid=None):
        """Take a nomination back while nominations are taken: whoever made it, or a village cadre."""
        return self._act(request, "withdraw", target=lambda selection: {"nomination": _nomination(selection, nid)})

    @extend_schema(request=DecideSerializer, responses={200: SelectionDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def decide(self, request, pk=None):
        """The 道德评议会's vote {entitled, present, votes: [{nomination, votes_for}], meeting}: quorum
        (more than half of the members present) and who is selected (more than half of those
        present) are computed, never sent; at least one must be selected."""
        return self._act(request, "decide")

    @extend_schema(request=PublishSerializer, responses={200: SelectionDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def publish(self, request, pk=None):
        """Publish on the village's public board {rule (optional, a family selection)}: a rule proposes
        ONE points batch for the selected households, approved by another cadre after its 公示."""
        return self._act(request, "publish")
