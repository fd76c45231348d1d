"""Staff accounts in the API (/api/v1/staff/), for the township administrator (镇街管理员):
list, open (Idempotency-Key), read, reset a password, deactivate, reactivate, open many from an
.xlsx list. Anyone else gets a 403 on every endpoint; an account another township keeps is a
404. A password issued here is in the answer once: a replay of the same request (the same
Idempotency-Key) answers `initial_password` null, since the stored answer never holds it.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from governance import accounts as a
from governance.api_common import idempotent, refusals
from governance.api_input import InputSerializer, VisibleField, XlsxFileField
from governance.permissions import ActionPolicy, Policy
from governance.roles import ADMIN_ROLES
from governance.serializers import render_date, render_datetime
from governance.xlsx import XLSX, xlsx_response
from grids.models import Township

REFUSALS = refusals(
    forbidden=_("Not a township administrator (code not_township_admin); or the caller's own account (own_account)."),
    not_found=_("No such account among those the caller keeps."),
    conflict=_("Deactivated (account_deactivated) or active (account_active) already."),
)


class StaffAssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField()
    role_label = serializers.CharField(source="get_role_display")
    place_name = serializers.CharField()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)


class StaffSerializer(serializers.Serializer):
    """A staff account: who, whether it may log in, whether its password is still one an
    administrator issued, and its assignments valid today."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="first_name")
    phone = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    township = serializers.IntegerField(allow_null=True, help_text=_("The township that keeps the account."))
    township_name = serializers.CharField(allow_blank=True)
    is_active = serializers.BooleanField(help_text=_("False: deactivated, its logins are refused."))
    must_change_password = serializers.BooleanField()
    created_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.CharField(allow_null=True)
    last_login = serializers.DateTimeField(allow_null=True)
    deactivated_at = serializers.DateTimeField(allow_null=True)
    deactivated_by = serializers.CharField(allow_null=True)
    deactivation_reason = serializers.CharField(allow_blank=True)
    current_assignments = StaffAssignmentSerializer(many=True)

    def to_representation(self, user):
        staff = a.staff_of(user)

        def name(person):
            return (person.get_full_name() or person.username) if person else None

        return {
            "id": user.pk,
            "username": user.username,
            "name": user.first_name,
            "phone": staff.phone if staff else "",
            "email": user.email,
            "township": staff.township_id if staff else None,
            "township_name": staff.township.name if staff and staff.township else "",
            "is_active": user.is_active,
            "must_change_password": bool(staff and staff.must_change_password),
            "created_at": render_datetime(staff.created_at) if staff and staff.created_by_id else None,
            "created_by": name(staff.created_by) if staff else None,
            "last_login": render_datetime(user.last_login),
            "deactivated_at": render_datetime(staff.deactivated_at) if staff else None,
            "deactivated_by": name(staff.deactivated_by) if staff else None,
            "deactivation_reason": staff.deactivation_reason if staff else "",
            "current_assignments": [
                {
                    "id": assignment.pk,
                    "role": assignment.role,
                    "role_label": assignment.get_role_display(),
                    "place_name": assignment.place_name,
                    "valid_from": render_date(assignment.valid_from),
                    "valid_to": render_date(assignment.valid_to),
                }
                for assignment in getattr(user, "current", [])
            ],
        }


class StaffIssuedSerializer(StaffSerializer):
    initial_password = serializers.CharField(
        allow_null=True,
        help_text=_("The password issued, shown this once (null in a replay): it must be changed at the first login."),
    )


class _TownshipInput(InputSerializer):
    township = VisibleField(
        a.admin_townships,
        queryset=Township.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("The township that keeps the account; may be left out by the administrator of one township."),
    )

    def township_of(self, request):
        if "township" in self.validated_data:
            return self.validated_data["township"]
        townships = list(a.admin_townships(request.user)[:2])
        return townships[0] if len(townships) == 1 else None


def _password_field(help_text) -> serializers.CharField:
    """A password the administrator may give (taken as typed, spaces and all) or leave out to
    have one generated."""
    return serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        write_only=True,
        help_text=help_text,
    )


class StaffCreateSerializer(_TownshipInput):
    username = serializers.CharField(max_length=150)
    name = serializers.CharField(max_length=150)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    password = _password_field(
        _("Leave out to have a readable one generated; either way it must be changed at the first login.")
    )


class PasswordResetSerializer(InputSerializer):
    password = _password_field(_("Leave out to have a readable one generated."))


class PasswordIssuedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    initial_password = serializers.CharField(help_text=_("Shown this once: it must be changed at the next login."))


class DeactivateSerializer(InputSerializer):
    reason = serializers.CharField(max_length=200, help_text=_("Why, e.g. left the post."))


class StaffImportSerializer(_TownshipInput):
    file = XlsxFileField(help_text=_("The list as .xlsx, in the template's columns."))


class ImportedAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    initial_password = serializers.CharField(allow_null=True, help_text=_("Shown this once (null in a replay)."))


class StaffImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    accounts = ImportedAccountSerializer(many=True)


class StaffRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("The spreadsheet row (the header's row and below; 0: the file)."))
    column = serializers.CharField(help_text=_("The column header, as in the template."))
    message = serializers.CharField()
    code = serializers.CharField()


class StaffImportErrorSerializer(serializers.Serializer):
    """A refused list (400): no account was opened."""

    detail = serializers.CharField()
    code = serializers.CharField(
        help_text=_("invalid_staff_list (see errors), not_xlsx, file_too_large, too_many_rows, unknown_column, ...")
    )
    errors = StaffRowErrorSerializer(many=True)


class StaffFilter(filters.FilterSet):
    active = filters.BooleanFilter(field_name="is_active", label=_("Only active (true) or deactivated (false)"))
    must_change_password = filters.BooleanFilter(
        method="filter_must_change", label=_("Only those whose issued password is not changed yet")
    )
    search = filters.CharFilter(method="filter_search", label=_("Name, username or phone"))

    class Meta:
        model = get_user_model()
        fields = ["active", "must_change_password", "search"]

    def filter_must_change(self, queryset, name, value):
        must = {"staff_account__must_change_password": True}
        return queryset.filter(**must) if value else queryset.exclude(**must)

    def filter_search(self, queryset, name, value):
        return a.search_accounts(queryset, value)


def _with_password(response, password):
    """The answer as sent (with the password issued); the stored answer keeps it null."""
    if response.get("Idempotent-Replayed") is None and password is not None:
        response.data = {**response.data, "initial_password": password}
    return response


ADMIN_POLICY = Policy(roles=ADMIN_ROLES, message=a.NOT_AN_ADMINISTRATOR)


@extend_schema_view(
    list=extend_schema(responses={200: StaffSerializer(many=True), 403: REFUSALS[403]}),
    retrieve=extend_schema(responses={200: StaffSerializer, 403: REFUSALS[403], 404: REFUSALS[404]}),
)
class StaffViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The staff accounts the caller keeps (a township administrator: their township's)."""

    queryset = get_user_model().objects.none()
    serializer_class = StaffSerializer
    filterset_class = StaffFilter
    permission_classes = [ActionPolicy]
    policies = dict.fromkeys(
        ["list", "retrieve", "create", "reset_password", "deactivate", "reactivate", "import_list", "import_template"],
        ADMIN_POLICY,
    )

    def get_queryset(self):
        return a.with_current_assignments(a.accounts_managed_by(self.request.user))

    def _shown(self, user):
        return StaffSerializer(self.get_queryset().get(pk=user.pk)).data

    @extend_schema(
        request=StaffCreateSerializer,
        responses={201: StaffIssuedSerializer, 400: OpenApiResponse(description=_("Field errors.")), **REFUSALS},
    )
    def create(self, request, *args, **kwargs):
        """Open an account. Its password (typed, or generated) is in the answer once and must be
        changed at the first login."""
        issued = {}

        def perform():
            serializer = StaffCreateSerializer(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            data.pop("township", None)
            user, issued["password"] = a.staff_account_create(
                by=request.user, township=serializer.township_of(request), account=a.NewAccount(**data)
            )
            body = {**self._shown(user), "initial_password": None}
            return Response(body, status=status.HTTP_201_CREATED)

        return _with_password(idempotent(request, perform), issued.get("password"))

    @extend_schema(request=PasswordResetSerializer, responses={200: PasswordIssuedSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], url_path="reset-password")
    def reset_password(self, request, pk=None):
        """Issue a new password (typed, or generated), shown this once: it must be changed at the
        next login; the account's sessions end and its API tokens are deleted."""
        user = self.get_object()
        a.check_action(request.user, user, "reset-password")
        serializer = PasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password = a.staff_password_reset(by=request.user, user=user, password=serializer.validated_data["password"])
        return Response({"id": user.pk, "username": user.username, "initial_password": password})

    @extend_schema(request=DeactivateSerializer, responses={200: StaffSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Refuse the account's logins (its history stays); its sessions end, its API tokens are
        deleted and its current assignments end."""
        user = self.get_object()
        a.check_action(request.user, user, "deactivate")
        serializer = DeactivateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        a.staff_account_deactivate(by=request.user, user=user, reason=serializer.validated_data["reason"])
        return Response(self._shown(user))

    @extend_schema(request=None, responses={200: StaffSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        """Let the account log in again (its assignments stay ended: assign it anew)."""
        user = self.get_object()
        a.staff_account_reactivate(by=request.user, user=user)
        return Response(self._shown(user))

    @extend_schema(
        request={"multipart/form-data": StaffImportSerializer},
        responses={201: StaffImportResultSerializer, 400: StaffImportErrorSerializer, 403: REFUSALS[403]},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_list(self, request):
        """Open every account of an .xlsx list (the template's columns), or none: a 400 lists
        every problem by row and column. Each password issued is in the answer once."""
        issued = {}

        def perform():
            serializer = StaffImportSerializer(data=request.data, context=self.get_serializer_context())
            if not serializer.is_valid():
                raise a.StaffImportError(
                    [
                        a.RowError(0, name, str(detail), getattr(detail, "code", "invalid"))
                        for name, details in serializer.errors.items()
                        for detail in details
                    ],
                    code="invalid_file",
                )
            opened = a.staff_accounts_import(
                by=request.user, township=serializer.township_of(request), file=serializer.validated_data["file"]
            )
            issued["passwords"] = [password for _user, password in opened]
            rows = [
                {"id": user.pk, "username": user.username, "name": user.first_name, "initial_password": None}
                for user, _password in opened
            ]
            return Response({"created": len(rows), "accounts": rows}, status=status.HTTP_201_CREATED)

        response = idempotent(request, perform)
        if response.get("Idempotent-Replayed") is None and "passwords" in issued:
            rows = response.data["accounts"]
            accounts = [{**row, "initial_password": p} for row, p in zip(rows, issued["passwords"], strict=True)]
            response.data = {**response.data, "accounts": accounts}
        return response

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY, 403: REFUSALS[403]})
    @action(detail=False, methods=["get"], url_path="import-template", filter_backends=[], pagination_class=None)
    def import_template(self, request):
        """The blank list (.xlsx) with its sheet of instructions."""
        return xlsx_response(a.staff_template(), "staff-accounts-template.xlsx")
