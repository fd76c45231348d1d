"""REST API for login, the caller, responsibility and notifications (/api/v1/)."""

from django.contrib.auth import authenticate, user_logged_in
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from governance.api_common import IdCursorPagination
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
from governance.scoping import assignments_visible, current_assignments, scope_for
from governance.serializers import (
    AssignmentSerializer,
    DepartmentSerializer,
    HistoryChangeSerializer,
    MarkAllReadSerializer,
    MeSerializer,
    NotificationSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UnreadCountSerializer,
)
from governance.services import notification_mark_read


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = _("Too many failed logins for this account. Try again later or ask an administrator.")


class TokenView(APIView):
    """Exchange a username and password for an API token (`Authorization: Token <token>`).

    Failures count against the (username, address) pair (django-axes): after too many, that
    pair is locked for a while, even with the right password. Too many failures from one
    address, whatever the usernames, answer 429; a username failing from several addresses
    needs a CAPTCHA (code captcha_required). See governance.login.
    """

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ClientIpScopedRateThrottle]
    throttle_scope = "login"

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
        data = serializer.validated_data
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
        # A successful login: axes clears the pair's failures, Django records last_login.
        user_logged_in.send(sender=type(user), request=http_request, user=user)
        token = Token.objects.get_or_create(user=user)[0]
        return Response({"token": token.key})


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
    current = filters.BooleanFilter(method="filter_current", label=_("Only assignments valid today"))

    class Meta:
        model = Assignment
        fields = ["user", "role", "township", "village", "grid", "current"]

    def filter_current(self, queryset, name, value):
        today = timezone.localdate()
        current = Q(valid_from__lte=today) & (Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        return queryset.filter(current) if value else queryset.exclude(current)


class AssignmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Assignments, past and present: the caller's own; a township's for its leaders, officials
    and administrator; a village's for its cadres."""

    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    queryset = Assignment.objects.select_related(
        "user", "township", "village", "grid__village", "courtyard", "department__township"
    )

    def get_queryset(self):
        return assignments_visible(self.request.user, self.queryset)


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
