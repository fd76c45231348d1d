"""REST API of pledges (提诺·亮诺·践诺·评诺), under /api/v1/pledges/.

The queryset is the caller's (governance.pledges.pledges_visible_to), so a pledge out of
scope is a 404 like one that does not exist; a village or resident id in a payload that the
caller does not see is a 400 on that field. Each action is checked in the contract's order
before its payload is read: the caller's role (403), the pledge's status (409), then the
payload (400); the service checks again under the row lock. Every POST honours
Idempotency-Key.
"""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from governance import pledges as p
from governance.api_common import refusals
from governance.api_input import InputSerializer, VisibleField
from governance.models import Pledge, PledgeStatus
from governance.permissions import Policy
from governance.record_api import NewestFirst, RecordViewSet, record_schema
from governance.roles import PLEDGE_READERS, PLEDGER_ROLES
from governance.scoping import villages_for
from grids.models import Resident, Village

REFUSALS = refusals(
    forbidden="Your role may not take this step on this pledge (code permission_denied, own_pledge).",
    not_found="No such pledge, or not one the caller sees.",
    conflict="Not possible in the pledge's current status (code not_submitted, not_published, not_done, not_returned).",
)


# ---------------------------------------------------------------- output


class PledgeProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    note = serializers.CharField()
    completes = serializers.BooleanField(help_text="The last line, which marked the pledge done.")
    recorded_at = serializers.DateTimeField(source="created_at")
    recorded_by = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField(help_text="Staff only: the scoped photo URL of each.")

    def get_recorded_by(self, line) -> str:
        return line.recorded_by.get_full_name() or line.recorded_by.username

    def get_photos(self, line) -> list[dict]:
        return [{"id": ph.pk, "url": f"/pledge-photos/{ph.pk}/"} for ph in line.photos.all()]


class PledgeEventSerializer(serializers.Serializer):
    action = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    note = serializers.CharField()
    actor = serializers.SerializerMethodField()
    at = serializers.DateTimeField(source="created_at")

    def get_actor(self, event) -> str | None:
        return (event.actor.get_full_name() or event.actor.username) if event.actor_id else None


class PledgeSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    pledger_name = serializers.SerializerMethodField()
    satisfaction_rate = serializers.IntegerField(read_only=True, allow_null=True)
    next_actions = serializers.SerializerMethodField(help_text="The steps the caller may take now.")

    class Meta:
        model = Pledge
        fields = [
            "id",
            "township",
            "village",
            "village_name",
            "pledger_user",
            "pledger_resident",
            "pledger_title",
            "pledger_initials",
            "pledger_name",
            "title",
            "description",
            "period_label",
            "period_start",
            "period_end",
            "due_on",
            "status",
            "is_overdue",
            "overdue_at",
            "created_at",
            "created_by",
            "reviewed_by",
            "reviewed_at",
            "review_note",
            "published_at",
            "completed_at",
            "rated_on",
            "raters",
            "satisfied",
            "basically_satisfied",
            "unsatisfied",
            "satisfaction_rate",
            "rating_note",
            "closed_at",
            "next_actions",
        ]
        read_only_fields = fields

    def get_pledger_name(self, pledge) -> str:
        return p.pledger_name(self.context["request"].user, pledge)

    def get_next_actions(self, pledge) -> list[str]:
        return p.next_actions(self.context["request"].user, pledge)


class PledgeDetailSerializer(PledgeSerializer):
    progress = PledgeProgressSerializer(many=True, read_only=True)
    events = PledgeEventSerializer(many=True, read_only=True)

    class Meta(PledgeSerializer.Meta):
        fields = [*PledgeSerializer.Meta.fields, "progress", "events"]
        read_only_fields = fields


# ---------------------------------------------------------------- input


def _readable_villages(user):
    return villages_for(user, PLEDGE_READERS)


def _readable_residents(user):
    return Resident.objects.filter(village__in=villages_for(user, PLEDGE_READERS).values("pk"))


class PledgeTargetSerializer(InputSerializer):
    """Where: checked first, against the caller's villages."""

    village = VisibleField(_readable_villages, queryset=Village.objects.none())
    resident = VisibleField(
        _readable_residents,
        queryset=Resident.objects.none(),
        required=False,
        allow_null=True,
        help_text="A resident's pledge (a party member without an account), recorded by a village cadre.",
    )


class PledgeContentSerializer(InputSerializer):
    pledger_title = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=4000)
    period_label = serializers.CharField(max_length=50, help_text="e.g. 2026年度, 2026年第一季度")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    due_on = serializers.DateField()


class PledgeCreateSerializer(PledgeTargetSerializer, PledgeContentSerializer):
    pass


class PledgeResubmitSerializer(PledgeContentSerializer):
    """Any of the content's fields; the others stay as they were."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
        return fields


class PledgeApproveSerializer(InputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class PledgeReasonSerializer(InputSerializer):
    reason = serializers.CharField(max_length=2000)


class PledgeProgressInputSerializer(InputSerializer):
    note = serializers.CharField(max_length=4000)
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=p.MAX_PHOTOS_PER_LINE
    )


class PledgeRateSerializer(InputSerializer):
    held_on = serializers.DateField()
    raters = serializers.IntegerField(min_value=1, max_value=100000)
    satisfied = serializers.IntegerField(min_value=0, max_value=100000)
    basically_satisfied = serializers.IntegerField(min_value=0, max_value=100000)
    unsatisfied = serializers.IntegerField(min_value=0, max_value=100000)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


# ---------------------------------------------------------------- the viewset


class PledgeFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=PledgeStatus.choices)
    village = filters.NumberFilter(field_name="village_id", min_value=1, max_value=2**63 - 1, decimal_places=0)
    overdue = filters.BooleanFilter(field_name="is_overdue")

    class Meta:
        model = Pledge
        fields = ["status", "village", "overdue"]


# A progress line's body: its photos come as multipart.
PROGRESS_LINE = {
    "multipart/form-data": PledgeProgressInputSerializer,
    "application/json": PledgeProgressInputSerializer,
}

STEPS = {
    "approve": (PledgeApproveSerializer, p.pledge_approve),
    "return": (PledgeReasonSerializer, p.pledge_return),
    "resubmit": (PledgeResubmitSerializer, p.pledge_resubmit),
    "progress": (PledgeProgressInputSerializer, p.pledge_progress),
    "complete": (PledgeProgressInputSerializer, p.pledge_complete),
    "rate": (PledgeRateSerializer, p.pledge_rate),
}


@record_schema(
    listed="Pledges of the villages the caller works in, newest first.",
    detail=PledgeDetailSerializer,
    create=PledgeCreateSerializer,
    created=(
        "提诺: propose one's own pledge {village, pledger_title, title, description, period_label, "
        "period_start, period_end, due_on}, or, as a village cadre, a resident's (resident). It waits "
        "for review (审诺) by a village cadre or the township other than the pledger."
    ),
    refusals=REFUSALS,
)
class PledgeViewSet(RecordViewSet):
    """Pledges (提诺·亮诺·践诺·评诺) and the steps of their cycle."""

    queryset = Pledge.objects.none()
    serializer_class = PledgeSerializer
    detail_serializer_class = PledgeDetailSerializer
    filterset_class = PledgeFilter
    pagination_class = NewestFirst
    policies = {"create": Policy(roles=PLEDGER_ROLES, message=_("Your role may not make a pledge."))}
    selectors = (p.pledges_visible_to, p.pledge_detail_queryset)
    readers = (p.reads_pledges, p.NOT_A_READER)
    record_name = "pledge"
    steps = STEPS

    def check_step(self, user, step, pledge):
        p.check(user, step, pledge)

    def create_record(self, request):
        target = self.payload(PledgeTargetSerializer)
        village, resident = target["village"], target.get("resident")
        p.check_propose(request.user, village=village, resident=resident)
        return p.pledge_propose(
            actor=request.user, village=village, resident=resident, **self.payload(PledgeContentSerializer)
        )

    @extend_schema(request=PledgeApproveSerializer, responses={200: PledgeDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None):
        """审诺 passed: publish it (亮诺). Not by the pledger nor whoever recorded it (403 own_pledge)."""
        return self._act(request, "approve")

    @extend_schema(request=PledgeReasonSerializer, responses={200: PledgeDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], url_path="return", url_name="return", filter_backends=[])
    def return_(self, request, pk=None):
        """审诺 not passed: back to the pledger with a reason."""
        return self._act(request, "return")

    @extend_schema(request=PledgeResubmitSerializer, responses={200: PledgeDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def resubmit(self, request, pk=None):
        """A returned pledge, edited (any content field) and sent for review again."""
        return self._act(request, "resubmit")

    @extend_schema(request=PROGRESS_LINE, responses={200: PledgeDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def progress(self, request, pk=None):
        """践诺: a progress line {note, photos (optional, multipart)}."""
        return self._act(request, "progress")

    @extend_schema(request=PROGRESS_LINE, responses={200: PledgeDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request, pk=None):
        """践诺 done: the last line with its evidence {note, photos}; it waits for its rating."""
        return self._act(request, "complete")

    @extend_schema(request=PledgeRateSerializer, responses={200: PledgeDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def rate(self, request, pk=None):
        """评诺: the 成效评议会's figures {held_on, raters, satisfied, basically_satisfied, unsatisfied,
        note}; the 满意率 is kept and the pledge closed."""
        return self._act(request, "rate")
