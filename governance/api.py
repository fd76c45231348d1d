"""REST API for login, the caller, responsibility and notifications (/api/v1/)."""

from auditlog.context import set_actor
from django.contrib.auth import authenticate, user_logged_in
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from governance.accounts import password_change_required, password_problems, staff_password_changed
from governance.api_common import IdCursorPagination, idempotent, refusals
from governance.assigning import (
    NOT_AN_AREA_KEEPER,
    NOT_AN_ASSIGNER,
    areas_visible,
    assignable_users,
    assignment_place,
    require_keeps_areas,
    require_may_end,
    require_not_self,
)
from governance.errors import Refused
from governance.history import history_of, object_for_history
from governance.login import (
    ADDRESS_BLOCKED_MESSAGE,
    CAPTCHA_REQUIRED_MESSAGE,
    ClientIpScopedRateThrottle,
    address_blocked,
    captcha_answer_valid,
    captcha_required,
    client_ip,
    new_captcha,
    record_failure,
)
from governance.models import Assignment, Department, Notification, Role
from governance.passwords import CODE as PASSWORD_CODE
from governance.passwords import MESSAGE as PASSWORD_MESSAGE
from governance.passwords import SAME_PASSWORD
from governance.permissions import ActionPolicy, Policy
from governance.roles import AREA_KEEPERS, ASSIGNER_ROLES
from governance.scoping import assignments_visible, current_assignments, scope_for
from governance.serializers import (
    AreaCreateSerializer,
    AreaSerializer,
    AreaUpdateSerializer,
    AssignmentCreateSerializer,
    AssignmentEndSerializer,
    AssignmentSerializer,
    DepartmentSerializer,
    HistoryChangeSerializer,
    MarkAllReadSerializer,
    MeSerializer,
    NotificationSerializer,
    PasswordChangeRequestSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UnreadCountSerializer,
)
from governance.services import area_create, area_update, assignment_create, assignment_end, notification_mark_read
from grids.models import Area


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = _("Too many failed logins for this account. Try again later or ask an administrator.")


class _LoginView(APIView):
    """An endpoint that checks a username and password itself: open to anyone, throttled per
    address in the `login` scope."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ClientIpScopedRateThrottle]
    throttle_scope = "login"


class TokenView(_LoginView):
    """Exchange a username and password for an API token (`Authorization: Token <token>`).

    Failures count against the (username, address) pair (django-axes): after too many, that
    pair is locked for a while, even with the right password. Too many failures from one
    address, whatever the usernames, answer 429; a username failing from several addresses
    needs a CAPTCHA (code captcha_required). See governance.login. An account whose password
    an administrator issued gets no token (403 password_change_required): it changes its
    password at /api/v1/auth/password/, which answers with a token.
    """

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                description=(
                    "Wrong username or password, or a missing field; or code captcha_required with a new "
                    "challenge (captcha_key, captcha_image): send its characters as captcha_answer with captcha_key."
                )
            ),
            403: OpenApiResponse(
                description=(
                    "code password_change_required: the password was issued by an administrator; change it at "
                    "/api/v1/auth/password/ (which answers with a token)."
                )
            ),
            429: OpenApiResponse(
                description=(
                    "Locked out after repeated failures of this username from this address (code locked_out), "
                    "too many failures from this address (code too_many_failures), or throttled."
                )
            ),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = _sign_in(request, serializer.validated_data)
        if isinstance(user, Response):
            return user
        if password_change_required(user):
            # No token for a password an administrator issued: change it first (PasswordView).
            return Response({"detail": str(PASSWORD_MESSAGE), "code": PASSWORD_CODE}, status=status.HTTP_403_FORBIDDEN)
        return Response({"token": _signed_in(request, user)})


def _sign_in(request, data):
    """The user whose username and password `data` holds, after the login checks (the
    address's failures, the CAPTCHA of a sprayed username, axes' lock-out); or the Response
    that refuses them (raises for a wrong password)."""
    # axes reads and flags the Django request, not DRF's wrapper.
    http_request = request._request
    ip = client_ip(http_request)
    if address_blocked(ip=ip):
        return Response(
            {"detail": str(ADDRESS_BLOCKED_MESSAGE), "code": "too_many_failures"},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    if captcha_required(username=data["username"]) and not captcha_answer_valid(
        data.get("captcha_key", ""), data.get("captcha_answer", "")
    ):
        if data.get("captcha_key") or data.get("captcha_answer"):
            record_failure(ip=ip, username=data["username"])
        body = {"detail": str(CAPTCHA_REQUIRED_MESSAGE), "code": "captcha_required", **new_captcha(request)}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    user = authenticate(request=http_request, username=data["username"], password=data["password"])
    if user is None:
        if getattr(http_request, "axes_locked_out", False):
            # Answered here in the API's own shape; left set, axes' middleware would
            # replace this response with its HTML lockout page.
            http_request.axes_locked_out = False
            raise LockedOut()
        raise exceptions.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [_("Unable to log in with provided credentials.")]}
        )
    return user


def _signed_in(request, user) -> str:
    """A successful login: axes clears the pair's failures, Django records last_login; the
    caller's API token."""
    user_logged_in.send(sender=type(user), request=request._request, user=user)
    return Token.objects.get_or_create(user=user)[0].key


class PasswordView(_LoginView):
    """Change one's password with the current one, and get an API token: the way in for an
    account whose password an administrator issued (the token endpoint answers it 403
    `password_change_required`). Login failures count as at the token endpoint; the account's
    other tokens are deleted."""

    @extend_schema(
        request=PasswordChangeRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                description=(
                    "Wrong username or password, a new password Django's validators refuse or the same one "
                    "(new_password), or code captcha_required as at the token endpoint."
                )
            ),
            429: OpenApiResponse(description="As at the token endpoint."),
        },
        auth=[],
    )
    def post(self, request):
        serializer = PasswordChangeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = _sign_in(request, data)
        if isinstance(user, Response):
            return user
        new = data["new_password"]
        problems = password_problems(new, user)
        if user.check_password(new):
            problems.append(str(SAME_PASSWORD))
        if problems:
            raise exceptions.ValidationError({"new_password": problems})
        # No session or token signs this request in, so the history's middleware names no one:
        # the account changing its own password is the actor.
        with set_actor(user, remote_addr=request.META.get("REMOTE_ADDR")), transaction.atomic():
            user.set_password(new)
            user.save(update_fields=["password"])
            staff_password_changed(user=user)
            Token.objects.filter(user=user).delete()
        return Response({"token": _signed_in(request, user)})


class MeView(APIView):
    """The caller: who they are and what they are assigned to today."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        assignments = current_assignments(user).select_related("grid__village", "department__township")
        data = {
            "id": user.pk,
            "username": user.username,
            "first_name": user.first_name,
            "email": user.email,
            "is_superuser": user.is_superuser,
            "assignments": list(assignments),
        }
        return Response(MeSerializer(data).data)


class HistoryView(APIView):
    """An object's changes, newest first (governance.history): `kind` is one of the kinds kept
    (account, assignment, township, village, grid, courtyard, area, household, resident, tag,
    matter-category, time-limit, clock-limit, calendar-day, matter-settings, points-settings,
    points-rule, shop-item, department, finance-settings). 404 for a kind or an object the
    caller may not see."""

    @extend_schema(responses=HistoryChangeSerializer(many=True))
    def get(self, request, kind, pk):
        obj = object_for_history(request.user, kind, pk)
        return Response(HistoryChangeSerializer(history_of(obj), many=True).data)


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Departments of the townships the caller works in."""

    serializer_class = DepartmentSerializer
    queryset = Department.objects.select_related("township")

    def get_queryset(self):
        scope = scope_for(self.request.user)
        if scope.is_superuser:
            return self.queryset
        return self.queryset.filter(township_id__in=sorted(scope.township_ids))


class AssignmentFilter(filters.FilterSet):
    user = filters.NumberFilter(field_name="user_id")
    role = filters.ChoiceFilter(choices=Role.choices)
    township = filters.NumberFilter(field_name="township_id")
    village = filters.NumberFilter(field_name="village_id")
    grid = filters.NumberFilter(field_name="grid_id")
    area = filters.NumberFilter(field_name="area_id")
    current = filters.BooleanFilter(method="filter_current", label=_("Only assignments valid today"))

    class Meta:
        model = Assignment
        fields = ["user", "role", "township", "village", "grid", "area", "current"]

    def filter_current(self, queryset, name, value):
        today = timezone.localdate()
        current = Q(valid_from__lte=today) & (Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        return queryset.filter(current) if value else queryset.exclude(current)


ASSIGNMENT_REFUSALS = refusals(
    forbidden=(
        "The caller's role may not give or end this role here (code role_not_assignable): a village cadre "
        "assigns grid and courtyard staff of their village, the township administrator any role of their township."
    ),
    not_found="No such assignment or place, or not one the caller sees.",
    conflict="The assignment has already ended (code assignment_ended), or the person already holds this role here "
    "on those days (code already_assigned).",
)
FIELD_ERRORS = OpenApiResponse(description="Invalid input: field errors (a refusal about one field carries its code).")


@extend_schema_view(
    create=extend_schema(
        request=AssignmentCreateSerializer,
        responses={201: AssignmentSerializer, 400: FIELD_ERRORS, **ASSIGNMENT_REFUSALS},
    ),
)
class AssignmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Assignments, past and present: the caller's own; a township's for its leaders, officials
    and administrator; a village's for its cadres. A village cadre gives and ends the roles of
    their village's grids and courtyards, the township administrator every role of their
    township (governance.assigning). Never deleted: an assignment ends, and its history stays."""

    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    permission_classes = [ActionPolicy]
    policies = {"create": Policy(roles=ASSIGNER_ROLES, message=NOT_AN_ASSIGNER)}
    queryset = Assignment.objects.select_related(
        "user", "township", "village", "grid__village", "courtyard", "department__township", "area"
    )

    def get_queryset(self):
        return assignments_visible(self.request.user, self.queryset)

    def _answer(self, assignment, status_code=status.HTTP_200_OK):
        return Response(AssignmentSerializer(self.queryset.get(pk=assignment.pk)).data, status=status_code)

    def create(self, request, *args, **kwargs):
        """Give a person a role at a place: 404 for a place the caller does not see, 403 for a role
        the caller may not give there, 409 for a double entry, 400 for the rest."""

        def perform():
            serializer = AssignmentCreateSerializer(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            place_type, place_id = data.pop("place_type"), data.pop("place_id")
            place = assignment_place(request.user, role=data["role"], place_type=place_type, place_id=place_id)
            require_not_self(request.user, data["user"])
            person = assignable_users(request.user).filter(pk=data.pop("user")).first()
            if person is None:
                raise Refused(_("No such account among those you may assign."), code="does_not_exist", field="user")
            where = {"department": place} if place_type == "department" else {"place": place}
            assignment = assignment_create(user=person, **where, **data)
            return self._answer(assignment, status.HTTP_201_CREATED)

        return idempotent(request, perform)

    @extend_schema(
        request=AssignmentEndSerializer,
        responses={200: AssignmentSerializer, 400: FIELD_ERRORS, **ASSIGNMENT_REFUSALS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def end(self, request, pk=None):
        """End the assignment {valid_to: its last day, today when absent}; it stays on record."""
        assignment = self.get_object()
        require_may_end(request.user, assignment)
        serializer = AssignmentEndSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        ended = assignment_end(assignment=assignment, on=serializer.validated_data["valid_to"])
        return self._answer(ended)


AREA_FORBIDDEN = OpenApiResponse(description="Only the township administrator keeps its areas (片区).")
AREA_NOT_FOUND = OpenApiResponse(description="No such area, or not one of a township the caller sees.")


@extend_schema_view(
    create=extend_schema(
        request=AreaCreateSerializer,
        responses={201: AreaSerializer, 400: FIELD_ERRORS, 403: AREA_FORBIDDEN},
        description="A 片区 {township, name, villages}: at least one village, all of that township.",
    ),
    partial_update=extend_schema(
        request=AreaUpdateSerializer,
        responses={200: AreaSerializer, 400: FIELD_ERRORS, 403: AREA_FORBIDDEN, 404: AREA_NOT_FOUND},
    ),
)
class AreaViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The 片区 of the townships the caller sees: a named set of villages that a 包片 leader
    answers for. Kept (created, renamed, given villages) by the township's administrator."""

    serializer_class = AreaSerializer
    permission_classes = [ActionPolicy]
    # A change names only what changes (PATCH); an area is never deleted while history points at it.
    http_method_names = ["get", "post", "patch", "head", "options"]
    policies = {"create": Policy(roles=AREA_KEEPERS, message=NOT_AN_AREA_KEEPER)}
    queryset = Area.objects.select_related("township").prefetch_related("villages")

    def get_queryset(self):
        return areas_visible(self.request.user).select_related("township").prefetch_related("villages")

    def _answer(self, area, status_code=status.HTTP_200_OK):
        return Response(AreaSerializer(self.get_queryset().get(pk=area.pk)).data, status=status_code)

    def create(self, request, *args, **kwargs):
        def perform():
            serializer = AreaCreateSerializer(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            return self._answer(area_create(**serializer.validated_data), status.HTTP_201_CREATED)

        return idempotent(request, perform)

    def update(self, request, *args, **kwargs):
        area = self.get_object()
        require_keeps_areas(request.user, area.township_id)
        serializer = AreaUpdateSerializer(
            data=request.data, partial=kwargs.get("partial", False), context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return self._answer(area_update(area=area, **serializer.validated_data))


class NotificationPagination(IdCursorPagination):
    ordering = "-id"


class NotificationFilter(filters.FilterSet):
    unread = filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label=_("Only unread ones"))

    class Meta:
        model = Notification
        fields = ["unread"]


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's own notifications, newest first."""

    serializer_class = NotificationSerializer
    pagination_class = NotificationPagination
    filterset_class = NotificationFilter
    queryset = Notification.objects.none()

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user)

    def _unread_count(self) -> int:
        return Notification.objects.filter(user=self.request.user, read_at__isnull=True).count()

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"], url_path="mark-read")
    def mark_read(self, request, pk=None):
        notification = self.get_object()
        notification_mark_read(user=request.user, notification_ids=[notification.pk])
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses=MarkAllReadSerializer)
    @action(detail=False, methods=["post"], url_path="mark-all-read")
    def mark_all_read(self, request):
        marked = notification_mark_read(user=request.user)
        return Response({"marked": marked, "unread_count": self._unread_count()})

    @extend_schema(responses=UnreadCountSerializer, filters=False)
    @action(detail=False, methods=["get"], url_path="unread-count", pagination_class=None, filterset_class=None)
    def unread_count(self, request):
        return Response({"unread_count": self._unread_count()})
