"""REST API of the four councils (四会), under /api/v1/meetings/.

The queryset is the caller's (governance.civic.councils.meetings_visible_to), so a meeting out
of scope is a 404 like one that does not exist; a village, matter, grid, board or pledge id in
a payload that the caller may not use is a 400 on that field. Each action is checked in the
contract's order before its payload is read: the caller's role (403), the meeting's council
and status (409), then the payload (400); the service checks again under the row lock. Every
POST honours Idempotency-Key.
"""

import datetime

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action

from governance.api_common import refusals
from governance.api_input import InputSerializer
from governance.civic import councils as c
from governance.civic.access import NOT_A_READER, reads_civic
from governance.civic.models import CouncilKind, Meeting, MeetingStatus
from governance.models import Pledge
from governance.permissions import Policy
from governance.record_api import AmongField, NewestFirst, RecordViewSet, record_schema
from governance.roles import COUNCIL_RUNNERS
from governance.scoping import villages_for
from grids.models import Grid, Village
from petitions.models import Matter
from points.models import Board

REFUSALS = refusals(
    forbidden="Only a village cadre of the meeting's village runs its councils (code permission_denied).",
    not_found="No such meeting, or not one the caller sees.",
    conflict=(
        "Not possible in the meeting's status or at this council (code not_planned, not_held, not_yet_held, "
        "not_concerns, not_results)."
    ),
)


# ---------------------------------------------------------------- output


class ConcernSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    raised_by = serializers.CharField()
    matter = serializers.IntegerField(source="matter_id", help_text="The matter it became.")
    matter_title = serializers.CharField(source="matter.title")
    matter_state = serializers.CharField(source="matter.state")


class RatingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    matter = serializers.IntegerField(source="matter_id", allow_null=True)
    pledge = serializers.IntegerField(source="pledge_id", allow_null=True)
    raters = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    basically_satisfied = serializers.IntegerField()
    unsatisfied = serializers.IntegerField()
    verdict = serializers.CharField(help_text="Computed from the figures (governance.civic.councils.verdict).")
    note = serializers.CharField()


class MeetingSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    next_actions = serializers.SerializerMethodField(help_text="The steps the caller may take now.")

    class Meta:
        model = Meeting
        fields = [
            "id",
            "township",
            "village",
            "village_name",
            "kind",
            "title",
            "held_on",
            "starts_at",
            "place",
            "agenda",
            "status",
            "chaired_by",
            "attendees",
            "decisions",
            "minutes",
            "matter",
            "parties",
            "cancel_reason",
            "created_at",
            "recorded_at",
            "next_actions",
        ]
        read_only_fields = fields

    def get_next_actions(self, meeting) -> list[str]:
        return c.next_actions(self.context["request"].user, meeting)


class MeetingDetailSerializer(MeetingSerializer):
    concerns = ConcernSerializer(many=True, read_only=True)
    ratings = RatingSerializer(many=True, read_only=True)
    boards = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    selections = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "concerns", "ratings", "boards", "selections"]
        read_only_fields = fields


# ---------------------------------------------------------------- input


def _runnable_villages(context):
    return villages_for(context["request"].user, COUNCIL_RUNNERS)


def _runnable_matters(context):
    return Matter.objects.filter(village__in=_runnable_villages(context).values("pk"))


def _meeting(context) -> Meeting:
    return context["meeting"]


def _village_boards(context):
    return Board.objects.filter(village_id=_meeting(context).village_id)


NAMES = serializers.ListField(child=serializers.CharField(max_length=50), max_length=c.MAX_ATTENDEES)


class MeetingPlanSerializer(InputSerializer):
    village = AmongField(_runnable_villages, queryset=Village.objects.none())
    kind = serializers.ChoiceField(choices=CouncilKind.choices)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    held_on = serializers.DateField()
    starts_at = serializers.TimeField(required=False, allow_null=True, default=None)
    place = serializers.CharField(max_length=100)
    agenda = serializers.CharField(max_length=4000)
    matter = AmongField(
        _runnable_matters,
        queryset=Matter.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="事务协调会 only: an open matter of the village.",
    )
    parties = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, default=list, max_length=c.MAX_PARTIES
    )


class MeetingRecordSerializer(InputSerializer):
    chaired_by = serializers.CharField(max_length=50)
    attendees = NAMES
    decisions = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    minutes = serializers.CharField(max_length=20000)
    parties = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        allow_null=True,
        default=None,
        max_length=c.MAX_PARTIES,
    )
    boards = serializers.ListField(
        child=AmongField(_village_boards, queryset=Board.objects.none()),
        required=False,
        default=list,
        max_length=8,
        help_text="道德评议会: the village's 红黑榜 it decided.",
    )


class MeetingCancelSerializer(InputSerializer):
    reason = serializers.CharField(max_length=200)


class ConcernInputSerializer(InputSerializer):
    raised_by = serializers.CharField(max_length=50, help_text="Who raised it: the matter's submitter.")
    submitter_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=4000)
    grid = AmongField(
        lambda ctx: Grid.objects.active().filter(village_id=_meeting(ctx).village_id), queryset=Grid.objects.none()
    )


class RatingInputSerializer(InputSerializer):
    matter = AmongField(
        lambda ctx: Matter.objects.filter(village_id=_meeting(ctx).village_id),
        queryset=Matter.objects.none(),
        required=False,
        allow_null=True,
        default=None,
    )
    pledge = AmongField(
        lambda ctx: Pledge.objects.filter(village_id=_meeting(ctx).village_id),
        queryset=Pledge.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="A pledge waiting for its 评诺: the rating is recorded on the pledge too.",
    )
    raters = serializers.IntegerField(min_value=1, max_value=100000)
    satisfied = serializers.IntegerField(min_value=0, max_value=100000)
    basically_satisfied = serializers.IntegerField(min_value=0, max_value=100000)
    unsatisfied = serializers.IntegerField(min_value=0, max_value=100000)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


# ---------------------------------------------------------------- the viewset


class MeetingFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=CouncilKind.choices)
    status = filters.ChoiceFilter(choices=MeetingStatus.choices)
    village = filters.NumberFilter(field_name="village_id", min_value=1, max_value=2**63 - 1, decimal_places=0)
    month = filters.CharFilter(method="in_month", help_text="YYYY-MM: the meetings held or planned that month.")

    class Meta:
        model = Meeting
        fields = ["kind", "status", "village", "month"]

    def in_month(self, queryset, name, value):
        try:
            first, last = c.month_bounds(datetime.date.fromisoformat(f"{value}-01"))
        except ValueError:
            raise exceptions.ValidationError({"month": [_("Give the month as YYYY-MM.")]}) from None
        return queryset.filter(held_on__range=(first, last))


STEPS = {
    "create": (MeetingPlanSerializer, c.meeting_plan),
    "record": (MeetingRecordSerializer, c.meeting_record),
    "cancel": (MeetingCancelSerializer, c.meeting_cancel),
    "concern": (ConcernInputSerializer, c.concern_raise),
    "rating": (RatingInputSerializer, c.rating_record),
}


@record_schema(
    listed="Meetings of the four councils of the villages the caller reads, newest first.",
    detail=MeetingDetailSerializer,
    create=MeetingPlanSerializer,
    created=(
        "Plan a meeting {village, kind, title, held_on, starts_at, place, agenda, and for a 事务协调会 "
        "matter and parties}: it goes on the village's calendar (its day may lie ahead). A village cadre."
    ),
    refusals=REFUSALS,
)
class MeetingViewSet(RecordViewSet):
    """The four councils' meetings (民情恳谈会, 事务协调会, 道德评议会, 成效评议会)."""

    queryset = Meeting.objects.none()
    serializer_class = MeetingSerializer
    detail_serializer_class = MeetingDetailSerializer
    filterset_class = MeetingFilter
    pagination_class = NewestFirst
    policies = {"create": Policy(roles=COUNCIL_RUNNERS, message=c.NOT_A_RUNNER)}
    selectors = (c.meetings_visible_to, c.meeting_detail_queryset)
    readers = (reads_civic, NOT_A_READER)
    reader_actions = None
    record_name = "meeting"
    steps = STEPS

    def check_step(self, user, step, meeting):
        c.check(user, step, meeting)

    @extend_schema(request=MeetingRecordSerializer, responses={200: MeetingDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def record(self, request, pk=None):
        """The meeting was held {chaired_by, attendees, decisions, minutes, parties (事务协调会), boards
        (道德评议会)}: not before its day, once (planned → held)."""
        return self._act(request, "record")

    @extend_schema(request=MeetingCancelSerializer, responses={200: MeetingDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        """A planned meeting will not be held {reason}."""
        return self._act(request, "cancel")

    @extend_schema(request=ConcernInputSerializer, responses={201: MeetingDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def concerns(self, request, pk=None):
        """民情恳谈会: a concern raised {raised_by, submitter_phone, title, description, grid} becomes a matter
        of the village (source "meeting"), linked to the meeting."""
        return self._act(request, "concern", status.HTTP_201_CREATED)

    @extend_schema(request=RatingInputSerializer, responses={201: MeetingDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def ratings(self, request, pk=None):
        """成效评议会: rate a handled matter or a pledge waiting for its 评诺 {matter or pledge, raters, satisfied,
        basically_satisfied, unsatisfied, note}; the verdict is computed. A pledge's rating is its 评诺."""
        return self._act(request, "rating", status.HTTP_201_CREATED)
