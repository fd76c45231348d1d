"""REST API of activities (邻里节, 孝老爱亲走访 ...), under /api/v1/activities/.

The queryset is the caller's (governance.civic.activities.activities_visible_to): an activity out
of scope is a 404; a village, grid, resident or rule id the caller does not see is a 400 on that
field. Photos come as multipart (on create, or POST /photos/) and are served only through the
scoped photo page. Every POST honours Idempotency-Key.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from governance.api_common import refusals
from governance.api_input import InputSerializer, VisibleField
from governance.civic import activities as a
from governance.civic.access import NOT_A_READER, check_reach, reads_civic
from governance.civic.models import Activity, ActivityKind
from governance.permissions import Policy
from governance.record_api import AmongField, NewestFirst, RecordViewSet, record_schema
from governance.roles import ACTIVITY_RECORDERS, CIVIC_READERS
from governance.scoping import villages_for
from grids.models import Grid, Resident, Village
from points.models import Rule

REFUSALS = refusals(
    forbidden="Your role may not record this village's activities (code permission_denied).",
    not_found="No such activity, or not one the caller sees.",
    conflict="Points already proposed for this activity, or it names no participants "
    "(code already_proposed, no_participants).",
)


class ActivitySerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    participant_count = serializers.IntegerField(read_only=True)
    photo_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "township",
            "village",
            "village_name",
            "grid",
            "kind",
            "title",
            "held_on",
            "place",
            "description",
            "participant_count",
            "photo_count",
            "award_batch",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class ActivityDetailSerializer(ActivitySerializer):
    participants = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    photos = serializers.SerializerMethodField(help_text="Staff only: the scoped photo URL of each.")

    class Meta(ActivitySerializer.Meta):
        fields = [*ActivitySerializer.Meta.fields, "participants", "photos"]
        read_only_fields = fields

    def get_photos(self, activity) -> list[dict]:
        return [{"id": ph.pk, "url": f"/civic/activities/photos/{ph.pk}/"} for ph in activity.photos.all()]


def _villages(user):
    return villages_for(user, CIVIC_READERS)


def _grids(user):
    return Grid.objects.active().filter(village__in=_villages(user).values("pk"))


def _residents(user):
    return Resident.objects.filter(village__in=_villages(user).values("pk"))


class ActivityRecordSerializer(InputSerializer):
    village = VisibleField(_villages, queryset=Village.objects.none())
    grid = VisibleField(_grids, queryset=Grid.objects.none(), required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    title = serializers.CharField(max_length=200)
    held_on = serializers.DateField()
    place = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=4000)
    participants = VisibleField(_residents, queryset=Resident.objects.none(), many=True, required=False, default=list)
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list, max_length=a.MAX_PHOTOS)


class PhotosSerializer(InputSerializer):
    photos = serializers.ListField(child=serializers.FileField(), min_length=1, max_length=a.MAX_PHOTOS)


def _village_rules(context):
    """The rules of the activity's village."""
    activity = context.get("activity")
    return Rule.objects.filter(village_id=activity.village_id) if activity else Rule.objects.none()


class PointsSerializer(InputSerializer):
    rule = AmongField(_village_rules, queryset=Rule.objects.none())
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


@record_schema(
    listed="Activities of the villages the caller works in, newest first.",
    detail=ActivityDetailSerializer,
    create={"multipart/form-data": ActivityRecordSerializer, "application/json": ActivityRecordSerializer},
    created="Record an activity {village, grid, kind, title, held_on (not in the future), place, "
    "description, participants (resident ids of the village), photos (multipart)}.",
    refusals=REFUSALS,
)
class ActivityViewSet(RecordViewSet):
    """Activities of the village's campaigns, their photos and their one points batch."""

    queryset = Activity.objects.none()
    serializer_class = ActivitySerializer
    detail_serializer_class = ActivityDetailSerializer
    pagination_class = NewestFirst
    policies = {"create": Policy(roles=ACTIVITY_RECORDERS, message=a.NOT_A_RECORDER)}
    selectors = (a.activities_visible_to, a.activity_detail_queryset)
    readers = (reads_civic, NOT_A_READER)
    record_name = "activity"
    steps = {
        "create": (ActivityRecordSerializer, a.activity_record),
        "photos": (PhotosSerializer, a.activity_add_photos),
        "points": (PointsSerializer, a.activity_propose_points),
    }

    def check_step(self, user, step, activity):
        check_reach(user, ACTIVITY_RECORDERS, activity, a.NOT_A_RECORDER)
        if step == "points" and activity.award_batch_id is not None:
            raise a.ActivityStateError(
                _("This activity's participants have already been proposed points."), code="already_proposed"
            )

    @extend_schema(
        request={"multipart/form-data": PhotosSerializer}, responses={200: ActivityDetailSerializer, **REFUSALS}
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def photos(self, request, pk=None):
        """More photos {photos (multipart)}: the recorders of the activity's village."""
        return self._act(request, "photos")

    @extend_schema(request=PointsSerializer, responses={200: ActivityDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def points(self, request, pk=None):
        """ONE points batch for the participants {rule, note}: a second time 409 already_proposed, none
        named 409 no_participants. It waits for its 公示 and a village cadre's approval."""
        return self._act(request, "points")
