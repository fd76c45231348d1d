"""API serializers for visits (走访) and 逢十 compliance: input and output differ."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from governance.api_input import InputSerializer
from grids.models import Courtyard, Grid, Household
from grids.visits.fengshi import NOT_A_FENGSHI_DAY, is_fengshi_day
from grids.visits.models import Visit


class VisitInputSerializer(InputSerializer):
    """One visit as the phone sends it. Places are checked against the author's grids by
    grids.visits.visit_record (a place outside them is a 400 on its field)."""

    # An id that does not exist gets the same answer as one outside the author's places, so
    # the error reveals nothing about other villages' households.
    client_uuid = serializers.UUIDField()
    household = serializers.PrimaryKeyRelatedField(
        queryset=Household.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("This household is not in your grids.")},
    )
    grid = serializers.PrimaryKeyRelatedField(
        queryset=Grid.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("This grid is not one of yours.")},
    )
    courtyard = serializers.PrimaryKeyRelatedField(
        queryset=Courtyard.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("This courtyard is not in your grids.")},
    )
    visited_at = serializers.DateTimeField()
    method = serializers.ChoiceField(choices=Visit.Method.choices)
    met = serializers.ChoiceField(choices=Visit.Met.choices, required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    action_taken = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    result = serializers.ChoiceField(choices=Visit.Result.choices, required=False, default=Visit.Result.NOTHING)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    supersedes = serializers.PrimaryKeyRelatedField(
        queryset=Visit.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("You can only correct your own visits.")},
    )
    raise_matter = serializers.BooleanField(required=False, default=False)
    matter_title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class VisitBatchSerializer(InputSerializer):
    visits = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=100)


class VisitSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()
    grid_name = serializers.SerializerMethodField()
    household_label = serializers.SerializerMethodField()
    method_display = serializers.CharField(source="get_method_display", read_only=True)
    # Blank for a walk of a grid or a courtyard (nobody in particular to meet).
    met = serializers.ChoiceField(
        choices=Visit.Met.choices, allow_blank=True, read_only=True, label=Visit._meta.get_field("met").verbose_name
    )
    superseded_by = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "client_uuid",
            "author",
            "author_name",
            "township",
            "village",
            "grid",
            "grid_name",
            "courtyard",
            "household",
            "household_label",
            "visited_at",
            "visited_on",
            "method",
            "method_display",
            "met",
            "notes",
            "action_taken",
            "result",
            "latitude",
            "longitude",
            "supersedes",
            "superseded_by",
            "matter",
            "photos",
            "received_at",
        ]
        read_only_fields = fields

    def get_photos(self, visit) -> list[dict]:
        return [
            {"id": p.pk, "url": reverse("visit-photo", args=[p.pk]), "width": p.width, "height": p.height}
            for p in visit.photos.all()
        ]

    def get_author_name(self, visit) -> str:
        return visit.author.get_full_name() or visit.author.username

    def get_grid_name(self, visit) -> str:
        return f"{visit.grid.village.name} {visit.grid.name}"

    def get_household_label(self, visit) -> str:
        return str(visit.household) if visit.household_id else ""

    def get_superseded_by(self, visit) -> int | None:
        try:
            return visit.superseded_by.pk
        except Visit.superseded_by.RelatedObjectDoesNotExist:
            return None


class HouseholdToVisitSerializer(serializers.ModelSerializer):
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    courtyard_name = serializers.CharField(source="courtyard.name", default="", read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    due = serializers.SerializerMethodField()

    class Meta:
        model = Household
        fields = [
            "id",
            "number",
            "head_name",
            "address",
            "grid",
            "grid_name",
            "courtyard",
            "courtyard_name",
            "tags",
            "last_visited_on",
            "visit_due_on",
            "due",
        ]
        read_only_fields = fields

    def get_due(self, household) -> bool:
        return household.visit_due_on is None or household.visit_due_on <= self.context["today"]

    def to_representation(self, row):
        # Written out by hand over values() rows (TODO_ROW_FIELDS), with the page's tags from
        # the context (grids.visits.selectors.household_tags): DRF's per-field machinery and a
        # prefetch per household cost more than the query. The fields above describe the schema.
        due_on = row["visit_due_on"]
        last = row["last_visited_on"]
        return {
            "id": row["id"],
            "number": row["number"],
            "head_name": row["head_name"],
            "address": row["address"],
            "grid": row["grid_id"],
            "grid_name": row["grid__name"],
            "courtyard": row["courtyard_id"],
            "courtyard_name": row["courtyard__name"] or "",
            "tags": [tag["name"] for tag in self.context["tags"].get(row["id"], ())],
            "last_visited_on": last.isoformat() if last else None,
            "visit_due_on": due_on.isoformat() if due_on else None,
            "due": due_on is None or due_on <= self.context["today"],
        }


# What HouseholdToVisitSerializer reads from each row (and the pages' order key, TODO_ORDER).
TODO_ROW_FIELDS = (
    "id",
    "number",
    "head_name",
    "address",
    "grid_id",
    "grid__name",
    "courtyard_id",
    "courtyard__name",
    "last_visited_on",
    "visit_due_on",
    "due_key",
)


class TodoQuerySerializer(InputSerializer):
    courtyard = serializers.IntegerField(required=False, min_value=1)
    tag = serializers.IntegerField(required=False, min_value=1)


class ComplianceQuerySerializer(InputSerializer):
    cycle = serializers.DateField(required=False)

    def validate_cycle(self, value):
        if not is_fengshi_day(value):
            raise serializers.ValidationError(NOT_A_FENGSHI_DAY)
        return value


class VisitBatchResultSerializer(serializers.Serializer):
    results = serializers.ListField(
        child=serializers.DictField(),
        help_text=_("One per visit sent, in order: index, client_uuid, status (201, 200, 400, 409), visit or errors."),
    )
