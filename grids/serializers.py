"""API serializers for places and the household register.

Output serializers show what the caller may see: ID numbers only masked, phone numbers
and birth dates in full only to a role that may edit the row. Input serializers parse and
check the shape of a request; the services in grids.services do the writing.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from governance.api_input import InputModelSerializer, InputSerializer, VisibleField, XlsxFileField
from governance.roles import REGISTER_EDITORS
from governance.scoping import scope_for
from governance.serializers import choice_labels, render_datetime
from grids import validators
from grids.idnumbers import validate_id_number, validate_phone
from grids.models import Courtyard, Grid, Household, Resident, Tag, Township, Village, retired_message
from grids.selectors import villages_visible_to
from grids.services import RESIDENT_FIELDS


class TownshipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Township
        fields = ["id", "name", "code", "district"]


class VillageSerializer(serializers.ModelSerializer):
    township_name = serializers.CharField(source="township.name", read_only=True)

    class Meta:
        model = Village
        fields = ["id", "township", "township_name", "name", "code", "is_community"]


# A place merged into another (grids.places) shows when and into which; both are null for one in use.
RETIRED_HELP = _("The day it was merged into another; null while in use.")


class GridSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    retired_on = serializers.DateField(read_only=True, allow_null=True, help_text=RETIRED_HELP)

    class Meta:
        model = Grid
        fields = ["id", "township", "village", "village_name", "number", "name", "retired_on", "merged_into"]


class CourtyardSerializer(serializers.ModelSerializer):
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    retired_on = serializers.DateField(read_only=True, allow_null=True, help_text=RETIRED_HELP)

    class Meta:
        model = Courtyard
        fields = ["id", "township", "village", "grid", "grid_name", "name", "retired_on", "merged_into"]


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["code", "name", "is_key_group"]


class TagCatalogueSerializer(serializers.ModelSerializer):
    """A tag in the district's catalogue (/api/v1/tags/), with the visit target it sets
    (null: the default target, VISIT_DEFAULT_EVERY_DAYS)."""

    class Meta:
        model = Tag
        fields = ["id", "code", "name", "is_key_group", "visit_every_days"]
        read_only_fields = fields


class TagInputSerializer(InputSerializer):
    """A tag as the superuser creates or changes it (grids.services.tag_create); the service
    checks the target's range (1 to 365 days, or null) and duplicates."""

    code = serializers.SlugField(max_length=40)
    name = serializers.CharField(max_length=40)
    is_key_group = serializers.BooleanField(required=False)
    visit_every_days = serializers.IntegerField(required=False, allow_null=True)

    def to_representation(self, instance):
        return TagCatalogueSerializer(instance).data


# A register row (a household, a resident): the names of its village and grid, its tags, and
# (the docstring, which the schema shows for both) whether the caller may edit it. The
# subclass's Meta.fields puts the fields in order.
class _RegisterRowSerializer(serializers.ModelSerializer):
    """Whether the caller may edit a row, from the scope in the context (no query per row),
    and what follows from it: the phone in full or masked."""

    village_name = serializers.CharField(source="village.name", read_only=True)
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    tags = TagSerializer(many=True, read_only=True)
    can_edit = serializers.SerializerMethodField()

    def editable(self, obj) -> bool:
        scope = self.context.get("scope")
        if scope is None:
            scope = scope_for(self.context["request"].user)
        return scope.covers(obj, REGISTER_EDITORS)

    def get_phone(self, obj) -> str:
        return obj.phone if self.editable(obj) else obj.phone_masked

    def get_can_edit(self, obj) -> bool:
        return self.editable(obj)


# The last fields of both register outputs, in order (see _row_tail).
ROW_TAIL = ["tags", "notes", "can_edit", "created_at", "updated_at"]


class HouseholdSerializer(_RegisterRowSerializer):
    courtyard_name = serializers.CharField(source="courtyard.name", read_only=True, default=None, allow_null=True)
    phone = serializers.SerializerMethodField(help_text=_("In full to those who may edit the household, else masked."))

    class Meta:
        model = Household
        fields = [
            "id",
            "number",
            "township",
            "village",
            "village_name",
            "grid",
            "grid_name",
            "courtyard",
            "courtyard_name",
            "address",
            "phone",
            "head_name",
            *ROW_TAIL,
        ]
        read_only_fields = fields

    def to_representation(self, obj):
        # Written out by hand: lists render 50 rows per page, and DRF's per-field machinery
        # cost more than the query. The declared fields above still describe the schema.
        editable = self.editable(obj)
        return {
            "id": obj.pk,
            "number": obj.number,
            "township": obj.township_id,
            "village": obj.village_id,
            "village_name": obj.village.name,
            "grid": obj.grid_id,
            "grid_name": obj.grid.name,
            "courtyard": obj.courtyard_id,
            "courtyard_name": obj.courtyard.name if obj.courtyard_id else None,
            "address": obj.address,
            "phone": obj.phone if editable else obj.phone_masked,
            "head_name": obj.head_name,
            **_row_tail(obj, editable),
        }


def _row_tail(obj, editable: bool) -> dict:
    """The fields a household's and a resident's output end with (ROW_TAIL)."""
    return {
        "tags": _tags(obj),
        "notes": obj.notes,
        "can_edit": editable,
        "created_at": render_datetime(obj.created_at),
        "updated_at": render_datetime(obj.updated_at),
    }


def _tags(obj) -> list[dict]:
    # Lists prefetch into `tag_list` (see grids.api): `obj.tags.all()` would clone the
    # prefetch query, IN-list and all, once per row.
    tags = getattr(obj, "tag_list", None)
    if tags is None:
        tags = obj.tags.all()
    return [{"code": t.code, "name": t.name, "is_key_group": t.is_key_group} for t in tags]


def _age(birth_date):
    if birth_date is None:
        return None
    today = timezone.localdate()
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


class ResidentSerializer(_RegisterRowSerializer):
    household_number = serializers.CharField(source="household.number", read_only=True)
    relation_to_head_label = serializers.CharField(source="get_relation_to_head_display", read_only=True)
    gender_label = serializers.CharField(source="get_gender_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    birth_date = serializers.SerializerMethodField(help_text=_("Only to those who may edit the resident."))
    age = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField(help_text=_("In full to those who may edit the resident, else masked."))

    class Meta:
        model = Resident
        fields = [
            "id",
            "name",
            "household",
            "household_number",
            "township",
            "village",
            "village_name",
            "grid",
            "grid_name",
            "relation_to_head",
            "relation_to_head_label",
            "gender",
            "gender_label",
            "birth_date",
            "age",
            "id_number_masked",
            "phone",
            "ethnicity",
            "status",
            "status_label",
            *ROW_TAIL,
        ]
        read_only_fields = fields

    def get_birth_date(self, obj) -> datetime.date | None:
        return obj.birth_date if self.editable(obj) else None

    def get_age(self, obj) -> int | None:
        return _age(obj.birth_date)

    def to_representation(self, obj):
        # By hand, as for households; choice labels are translated once per page, not per row.
        fields = ("relation_to_head", "gender", "status")
        labels = choice_labels(self.context, "_labels", {f: Resident._meta.get_field(f) for f in fields})
        editable = self.editable(obj)
        return {
            "id": obj.pk,
            "name": obj.name,
            "household": obj.household_id,
            "household_number": obj.household.number,
            "township": obj.township_id,
            "village": obj.village_id,
            "village_name": obj.village.name,
            "grid": obj.grid_id,
            "grid_name": obj.grid.name,
            "relation_to_head": obj.relation_to_head,
            "relation_to_head_label": labels["relation_to_head"].get(obj.relation_to_head, ""),
            "gender": obj.gender,
            "gender_label": labels["gender"].get(obj.gender, ""),
            "birth_date": obj.birth_date.isoformat() if editable and obj.birth_date else None,
            "age": _age(obj.birth_date),
            "id_number_masked": obj.id_number_masked,
            "phone": obj.phone if editable else obj.phone_masked,
            "ethnicity": obj.ethnicity,
            "status": obj.status,
            "status_label": labels["status"].get(obj.status, ""),
            **_row_tail(obj, editable),
        }


# Input. A related row the caller cannot see is answered like one that does not exist.


class _VisiblePlaceField(serializers.PrimaryKeyRelatedField):
    """A grid or courtyard the caller sees, in use: one merged into another (grids.places) is a
    400 on the field that says so, in the words of grids.services.place_in_use (which still
    refuses it, under its lock, should a merge come in between). `in_use=False` lets a retired
    place through to its service, for the place keepers' own actions (merge, a new courtyard),
    whose contract is a 409."""

    kind = ""

    def __init__(self, *, in_use: bool = True, **kwargs):
        self.in_use = in_use
        super().__init__(**kwargs)

    def get_queryset(self):
        return scope_for(self.context["request"].user).filter_places(super().get_queryset(), self.kind)

    def to_internal_value(self, data):
        place = super().to_internal_value(data)
        if self.in_use and place.retired_on is not None:
            raise serializers.ValidationError(retired_message(place), code="retired")
        return place


class VisibleGridField(_VisiblePlaceField):
    kind = "grid"


class VisibleCourtyardField(_VisiblePlaceField):
    kind = "courtyard"


class VisibleHouseholdField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return scope_for(self.context["request"].user).filter(super().get_queryset(), "household")


def _tags_field():
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Tag.objects.all(), many=True, required=False, help_text=_("Tag codes.")
    )


class _PhoneMixin:
    def validate_phone(self, value):
        return validate_phone(value)


class _UnchangedFieldMixin:
    """Refuse a change to a field that only another action may change (rather than ignore it)."""

    def refuse_change(self, field: str, current_id: int, message) -> None:
        if self.instance is None or field not in self.initial_data:
            return
        if str(self.initial_data[field]) != str(current_id):
            raise serializers.ValidationError({field: [message]})


class HouseholdCreateSerializer(_PhoneMixin, InputModelSerializer):
    grid = VisibleGridField(queryset=Grid.objects.all())
    courtyard = VisibleCourtyardField(queryset=Courtyard.objects.all(), required=False, allow_null=True)
    tags = _tags_field()

    class Meta:
        model = Household
        fields = ["grid", "courtyard", "number", "address", "phone", "notes", "tags"]

    def to_representation(self, instance):
        return HouseholdSerializer(instance, context=self.context).data


class HouseholdUpdateSerializer(_UnchangedFieldMixin, _PhoneMixin, InputModelSerializer):
    courtyard = VisibleCourtyardField(queryset=Courtyard.objects.all(), required=False, allow_null=True)
    tags = _tags_field()

    class Meta:
        model = Household
        fields = ["courtyard", "number", "address", "phone", "notes", "tags"]

    def validate(self, attrs):
        self.refuse_change(
            "grid", self.instance.grid_id, _("To move a household to another grid, use the move action.")
        )
        return attrs

    def to_representation(self, instance):
        return HouseholdSerializer(instance, context=self.context).data


class HouseholdMoveSerializer(InputSerializer):
    to_grid = VisibleGridField(queryset=Grid.objects.all(), label=_("new grid"))
    to_courtyard = VisibleCourtyardField(
        queryset=Courtyard.objects.all(), required=False, allow_null=True, label=_("new courtyard")
    )
    reason = serializers.CharField(max_length=200, label=_("reason"))


# Keeping places (grids.places). A place the caller cannot see is answered like one that does
# not exist (400 on the field); one merged into another is a 409 from the service.


class GridCreateSerializer(InputSerializer):
    village = VisibleField(selector=villages_visible_to, queryset=Village.objects.all(), label=_("village"))
    name = serializers.CharField(max_length=100, label=_("name"))
    number = serializers.IntegerField(
        min_value=1, max_value=9999, required=False, label=_("number"), help_text=_("Default: the next free number.")
    )

    def to_representation(self, instance):
        return GridSerializer(instance, context=self.context).data


class GridUpdateSerializer(InputSerializer):
    name = serializers.CharField(max_length=100, required=False, label=_("name"))
    number = serializers.IntegerField(
        min_value=1, max_value=9999, required=False, label=_("number"), help_text=_("A number no grid in use holds.")
    )

    def to_representation(self, instance):
        return GridSerializer(instance, context=self.context).data


class GridMergeSerializer(InputSerializer):
    into = VisibleGridField(queryset=Grid.objects.all(), in_use=False, label=_("merge into"))


class GridSplitSerializer(InputSerializer):
    name = serializers.CharField(max_length=100, label=_("name of the new grid"))
    number = serializers.IntegerField(min_value=1, max_value=9999, required=False, label=_("number of the new grid"))
    households = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=5000,
        help_text=_("The ids of the grid's households that go to the new grid."),
    )


class CourtyardCreateSerializer(InputSerializer):
    grid = VisibleGridField(queryset=Grid.objects.all(), in_use=False, label=_("grid"))
    name = serializers.CharField(max_length=100, label=_("name"))

    def to_representation(self, instance):
        return CourtyardSerializer(instance, context=self.context).data


class CourtyardUpdateSerializer(InputSerializer):
    name = serializers.CharField(max_length=100, label=_("name"))

    def to_representation(self, instance):
        return CourtyardSerializer(instance, context=self.context).data


class CourtyardMergeSerializer(InputSerializer):
    into = VisibleCourtyardField(queryset=Courtyard.objects.all(), in_use=False, label=_("merge into"))


class GridMergeResultSerializer(serializers.Serializer):
    """A merge done: the grid, now retired, the grid that took its households, and what moved."""

    grid = GridSerializer(source="place")
    into = GridSerializer()
    households_moved = serializers.SerializerMethodField()
    courtyards_moved = serializers.SerializerMethodField(help_text=_("The ids of the courtyards that went along."))
    courtyards_renamed = serializers.SerializerMethodField(
        help_text=_("Courtyards whose name the grid merged into already had: {old, new}.")
    )
    assignments_ended = serializers.IntegerField(source="ended")

    def get_households_moved(self, merged) -> int:
        return len(merged.moves)

    def get_courtyards_moved(self, merged) -> list[int]:
        return [c.pk for c in merged.courtyards]

    def get_courtyards_renamed(self, merged) -> list[dict[str, str]]:
        return [{"old": old, "new": new} for old, new in merged.renamed]


class CourtyardMergeResultSerializer(serializers.Serializer):
    """A merge done: the courtyard, now retired, the courtyard that took its households."""

    courtyard = CourtyardSerializer(source="place")
    into = CourtyardSerializer()
    households_moved = serializers.SerializerMethodField()
    assignments_ended = serializers.IntegerField(source="ended")

    def get_households_moved(self, merged) -> int:
        return len(merged.moves)


class GridSplitResultSerializer(serializers.Serializer):
    """A split done: the new grid and what moved to it."""

    grid = GridSerializer()
    households_moved = serializers.SerializerMethodField()
    courtyards_moved = serializers.SerializerMethodField(help_text=_("The ids of the courtyards that went whole."))

    def get_households_moved(self, split) -> int:
        return len(split.moves)

    def get_courtyards_moved(self, split) -> list[int]:
        return [c.pk for c in split.courtyards]


class _ResidentInputMixin(_PhoneMixin):
    def validate_id_number(self, value):
        return validate_id_number(value) if value else ""

    def validate_birth_date(self, value):
        validators.validate_birth_date(value)
        return value


_RESIDENT_INPUT_FIELDS = list(RESIDENT_FIELDS)


class ResidentCreateSerializer(_ResidentInputMixin, InputModelSerializer):
    household = VisibleHouseholdField(queryset=Household.objects.all())
    id_number = serializers.CharField(
        required=False, allow_blank=True, max_length=18, write_only=True, label=_("ID number")
    )
    tags = _tags_field()

    class Meta:
        model = Resident
        fields = ["household", *_RESIDENT_INPUT_FIELDS]
        # The service checks "one head per household" and answers on relation_to_head.
        validators: list = []

    def to_representation(self, instance):
        return ResidentSerializer(instance, context=self.context).data


class ResidentUpdateSerializer(_UnchangedFieldMixin, _ResidentInputMixin, InputModelSerializer):
    id_number = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=18,
        write_only=True,
        label=_("ID number"),
        help_text=_("Replaces the stored number; an empty string clears it."),
    )
    tags = _tags_field()

    class Meta:
        model = Resident
        fields = _RESIDENT_INPUT_FIELDS

    def validate(self, attrs):
        self.refuse_change(
            "household", self.instance.household_id, _("A resident cannot be moved to another household here.")
        )
        return attrs

    def to_representation(self, instance):
        return ResidentSerializer(instance, context=self.context).data


class IdNumberSerializer(serializers.Serializer):
    id_number = serializers.CharField(read_only=True)


class RegisterImportSerializer(InputSerializer):
    file = XlsxFileField(help_text=_("The register as .xlsx, in the template's columns."))


class RegisterImportResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    households_created = serializers.IntegerField()
    households_updated = serializers.IntegerField()
    households_moved = serializers.IntegerField()
    residents_created = serializers.IntegerField()
    residents_updated = serializers.IntegerField()
    residents_unchanged = serializers.IntegerField()


class RegisterRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("The spreadsheet row (the header is row 1)."))
    column = serializers.CharField(help_text=_("The column header, as in the template."))
    message = serializers.CharField()
    code = serializers.CharField(help_text=_("For programs: e.g. invalid, unknown_column, id_number_taken."))


class RegisterImportErrorSerializer(serializers.Serializer):
    """A refused import (400): nothing was written."""

    detail = serializers.CharField()
    code = serializers.CharField(
        help_text=_(
            "invalid_register (see errors), invalid_file, not_xlsx, file_too_large, too_many_rows, "
            "too_many_columns, unknown_column, missing_columns, too_many_id_refusals, id_refusals_exhausted, ..."
        )
    )
    errors = RegisterRowErrorSerializer(many=True)
