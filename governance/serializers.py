"""API serializers for login, the caller, responsibility and notifications, the photo upload
that matters, visits and points share, and the helpers with which the apps render their
rows by hand (dates, people's names, choice labels)."""

from functools import partial

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from governance.api_input import InputSerializer, VisibleField
from governance.assigning import PLACE_TYPES, area_townships, check_assignment_day, places_in_sight
from governance.models import ROLE_LEVEL, Assignment, Department, Notification, Role
from grids.models import Area, Township, Village

# ---------------------------------------------------------------- rows rendered by hand
# The apps' list serializers build each row's dict themselves (a page is 50 rows); their
# declared fields still describe the schema. These render the values the same way everywhere.

_DATETIME = serializers.DateTimeField()


def render_datetime(value) -> str | None:
    """A date-time as the API writes it (DATETIME_FORMAT, the current time zone); None stays None."""
    return _DATETIME.to_representation(value)


def render_date(value) -> str | None:
    return value.isoformat() if value else None


def person_name(user) -> str | None:
    """A user as the API names them: the full name, else the username; None for no one."""
    if user is None:
        return None
    return user.get_full_name() or user.username


def choice_labels(context: dict, key: str, choices: dict) -> dict[str, dict[str, str]]:
    """The labels of `choices` ({name: TextChoices or a model field with choices}), translated
    once per response rather than once per row: kept in the serializer's `context` under `key`."""
    labels = context.get(key)
    if labels is None:
        labels = {name: {value: str(label) for value, label in c.choices} for name, c in choices.items()}
        context[key] = labels
    return labels


class TokenRequestSerializer(InputSerializer):
    username = serializers.CharField(label=_("username"), max_length=150)
    password = serializers.CharField(
        label=_("password"), max_length=128, trim_whitespace=False, write_only=True, style={"input_type": "password"}
    )
    # Only when a refused login answered code "captcha_required" with a challenge.
    captcha_key = serializers.CharField(required=False, allow_blank=True, max_length=40)
    captcha_answer = serializers.CharField(required=False, allow_blank=True, max_length=20)


class PasswordChangeRequestSerializer(TokenRequestSerializer):
    new_password = serializers.CharField(
        label=_("new password"),
        max_length=128,
        trim_whitespace=False,
        write_only=True,
        style={"input_type": "password"},
        help_text=_("Checked by the site's password rules; it must differ from the current one."),
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class DepartmentSerializer(serializers.ModelSerializer):
    township_name = serializers.CharField(source="township.name", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "township", "township_name", "name"]


class AssignmentSerializer(serializers.ModelSerializer):
    """An assignment and the place it points at: `place_type` is township, department, area,
    village, grid or courtyard (the level of its role), and `place_id` the id of that row."""

    user_name = serializers.CharField(source="user.first_name", read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    place_type = serializers.SerializerMethodField()
    place_id = serializers.SerializerMethodField()
    place_name = serializers.CharField(read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "user",
            "user_name",
            "role",
            "role_label",
            "title",
            "place_type",
            "place_id",
            "place_name",
            "township",
            "village",
            "grid",
            "courtyard",
            "department",
            "area",
            "valid_from",
            "valid_to",
        ]
        read_only_fields = fields

    def get_place_type(self, obj) -> str:
        return ROLE_LEVEL[obj.role]

    def get_place_id(self, obj) -> int:
        return getattr(obj, f"{ROLE_LEVEL[obj.role]}_id")


def _last_day_field(help_text) -> serializers.DateField:
    """An assignment's last day, optional (null: open-ended, or as the endpoint says)."""
    return serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        validators=[partial(check_assignment_day, ending=True)],
        help_text=help_text,
    )


class AssignmentCreateSerializer(InputSerializer):
    """A new assignment, in the fields an assignment is read with: `user` takes `role` at the
    place `place_type` + `place_id` (the level of the role: township, department for a
    department handler, area for a 包片 leader, village, grid or courtyard), from `valid_from`
    (today when absent) until `valid_to` (open when absent)."""

    user = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    role = serializers.ChoiceField(choices=Role.choices)
    place_type = serializers.ChoiceField(choices=[(kind, kind) for kind in PLACE_TYPES])
    place_id = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    valid_from = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        validators=[check_assignment_day],
        help_text=_("At most 31 days back and 366 days ahead."),
    )
    valid_to = _last_day_field(_("At most 31 days back and five years ahead."))


class AssignmentEndSerializer(InputSerializer):
    valid_to = _last_day_field(_("The last day it holds; today when absent. At most 31 days back."))


class AreaSerializer(serializers.ModelSerializer):
    """A 片区: a named set of villages of one township, which a 包片 leader answers for (their
    assignments: /api/v1/assignments/?area=<id>)."""

    township_name = serializers.CharField(source="township.name", read_only=True)
    villages = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    village_names = serializers.SerializerMethodField()

    class Meta:
        model = Area
        fields = ["id", "township", "township_name", "name", "villages", "village_names"]
        read_only_fields = fields

    def get_village_names(self, area) -> list[str]:
        return [village.name for village in area.villages.all()]


class AreaCreateSerializer(InputSerializer):
    township = VisibleField(area_townships, queryset=Township.objects.none())
    name = serializers.CharField(max_length=100)
    villages = VisibleField(lambda user: places_in_sight(user, "village"), queryset=Village.objects.none(), many=True)


class AreaUpdateSerializer(InputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    villages = VisibleField(
        lambda user: places_in_sight(user, "village"), queryset=Village.objects.none(), many=True, required=False
    )


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.CharField(source="first_name", read_only=True)
    # Empty for staff without an address: a plain string in the schema (an `email` format
    # would reject ""), found by tests/security/test_schemathesis.py.
    email = serializers.CharField(read_only=True)
    is_superuser = serializers.BooleanField(read_only=True)
    assignments = AssignmentSerializer(many=True, read_only=True, help_text=_("Current assignments only."))


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "title", "body", "url", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_is_read(self, obj) -> bool:
        return obj.read_at is not None


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField(read_only=True)


class MarkAllReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(read_only=True, help_text=_("How many notifications were marked read."))
    unread_count = serializers.IntegerField(read_only=True)


# One photo uploaded (multipart); governance.photos checks and re-encodes it. No docstring:
# the API schema describes it as an input serializer, as it did when it was the matters'.
class PhotoSerializer(InputSerializer):
    image = serializers.FileField(help_text=_("JPEG, PNG or WebP, at most 8 MB; re-encoded without metadata."))


class HistoryFieldSerializer(serializers.Serializer):
    field = serializers.CharField(help_text=_("The field's name, in the caller's language."))
    before = serializers.CharField(allow_blank=True)
    after = serializers.CharField(allow_blank=True)

    def to_representation(self, instance):
        field, before, after = instance
        return {"field": field, "before": before, "after": after}


class HistoryChangeSerializer(serializers.Serializer):
    """One change of an object (governance.history.Change)."""

    at = serializers.DateTimeField()
    actor = serializers.CharField(help_text=_("Who made it: the account's name, or the system."))
    action = serializers.CharField()
    fields = HistoryFieldSerializer(many=True)
