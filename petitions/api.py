"""REST API for matters (/api/v1/matters/, /api/v1/public/matters/) and their catalogues
(/api/v1/matter-categories/, /api/v1/time-limits/, /api/v1/clock-limits/, /api/v1/calendar-days/).

Every staff request goes through matters_visible_to, so a matter out of scope is a 404
exactly like one that does not exist. An action is then checked in the contract's order
before its payload is even read: the caller's role (403), the matter's state (409), and
only then the payload (400); the service re-checks all of it under the row lock and writes
in one transaction, so a refusal leaves nothing behind. Every write honours Idempotency-Key.

The public endpoints need no account: the tracking code is the resident's key, they show
no personal data, and they are throttled (scope "public").
"""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from governance.api_common import IdCursorPagination, idempotent, refusals
from governance.catalogue_api import CatalogueViewSet
from governance.login import ClientIpScopedRateThrottle
from governance.permissions import ActionPolicy, Policy
from governance.roles import INTAKE_ROLES
from governance.scoping import scope_for
from governance.xlsx import XLSX, xlsx_response
from petitions import catalogue_services, deadlines, figures, serializers, services, workflow
from petitions.exports import export_filename, matters_export
from petitions.filters import QUEUE_ORDERING, MatterFilter
from petitions.models import CalendarDay, ClockLimit, Deliberation, Matter, MatterCategory, MatterEvent, TimeLimit
from petitions.photos import matter_add_photo, may_add_photo
from petitions.resident_sms import consent_wording
from petitions.selectors import matters_visible_to
from petitions.serializers import (
    MATTER_LIST_VALUES,
    CalendarDayInputSerializer,
    CalendarDaySerializer,
    ClockLimitSerializer,
    FiguresSerializer,
    MatterCategoryInputSerializer,
    MatterCategorySerializer,
    MatterCreatedSerializer,
    MatterCreateSerializer,
    MatterDetailSerializer,
    MatterEventSerializer,
    MatterSerializer,
    MatterTargetSerializer,
    PhotoSerializer,
    PossibleDuplicateSerializer,
    PublicMatterCreatedSerializer,
    PublicMatterCreateSerializer,
    PublicMatterSerializer,
    TimeLimitInputSerializer,
    TimeLimitSerializer,
)

# Who records a matter for a resident: grid staff, village cadres, and courtyard helpers
# (for the households of their courtyard only; Scope.covers reads the household's courtyard).

REFUSALS = refusals(
    forbidden="Your role may not take this action on this matter (code permission_denied).",
    not_found="No such matter, or not one the caller sees.",
    conflict="Not possible in the matter's current state (code invalid_state, ...).",
)


CATALOGUE_REFUSALS = refusals(
    forbidden="Only the district's administrator (the superuser) edits the catalogues (code permission_denied).",
    not_found="No such row.",
    conflict="A row in use is not deleted (code category_in_use): deactivate it instead.",
)


def _writes(output) -> dict:
    """The schema of a catalogue's writes: the input serializer in, `output` out."""
    return {
        "create": extend_schema(responses={201: output, 403: CATALOGUE_REFUSALS[403]}),
        "update": extend_schema(responses={200: output, 403: CATALOGUE_REFUSALS[403]}),
        "partial_update": extend_schema(responses={200: output, 403: CATALOGUE_REFUSALS[403]}),
        "destroy": extend_schema(responses={204: None, **CATALOGUE_REFUSALS}),
    }


@extend_schema_view(
    list=extend_schema(
        description="The categories in use, in display order; ?include_inactive=true adds the deactivated ones.",
        parameters=[OpenApiParameter("include_inactive", OpenApiTypes.BOOL)],
    ),
    **_writes(MatterCategorySerializer),
)
class MatterCategoryViewSet(CatalogueViewSet):
    """Matter categories (邻里纠纷, 环境卫生 ...) with the kind each usually is and its decision
    rule: read by everyone, written by the superuser. A category in use is deactivated
    (is_active false), never deleted (409 category_in_use)."""

    queryset = MatterCategory.objects.all()
    serializer_class = MatterCategorySerializer
    input_serializer_class = MatterCategoryInputSerializer

    def get_queryset(self):
        queryset = MatterCategory.objects.order_by("order", "code")
        wants_all = self.request.query_params.get("include_inactive", "").lower() in ("1", "true")
        if self.action == "list" and not wants_all:
            return queryset.filter(is_active=True)
        return queryset

    def create_row(self, *, actor, **data):
        return catalogue_services.category_create(actor=actor, **data)

    def update_row(self, row, *, actor, **data):
        return catalogue_services.category_update(actor=actor, category=row, **data)

    def delete_row(self, row, *, actor):
        catalogue_services.category_delete(actor=actor, category=row)


@extend_schema_view(**_writes(TimeLimitSerializer))
class TimeLimitViewSet(CatalogueViewSet):
    """Time limits in working days, by stage (handling, review), kind and category (null: every
    category of the kind without its own). Deadlines already set keep their day."""

    queryset = TimeLimit.objects.order_by("stage", "kind", "category_id")
    serializer_class = TimeLimitSerializer
    input_serializer_class = TimeLimitInputSerializer

    def create_row(self, *, actor, **data):
        return catalogue_services.time_limit_create(actor=actor, **data)

    def update_row(self, row, *, actor, **data):
        return catalogue_services.time_limit_update(actor=actor, limit=row, **data)

    def delete_row(self, row, *, actor):
        catalogue_services.time_limit_delete(actor=actor, limit=row)


@extend_schema_view(
    list=extend_schema(
        description="The days set here (holidays and make-up working days, 调休); ?year=2026 for one year.",
        parameters=[OpenApiParameter("year", OpenApiTypes.INT)],
    ),
    **_writes(CalendarDaySerializer),
)
class CalendarDayViewSet(CatalogueViewSet):
    """The working-day calendar's overrides: a holiday (is_workday false) or a make-up working
    day (true) on a date. A date is set once: take it out (DELETE) to change it."""

    queryset = CalendarDay.objects.order_by("date")
    serializer_class = CalendarDaySerializer
    input_serializer_class = CalendarDayInputSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        year = self.request.query_params.get("year", "")
        if self.action == "list" and year:
            if not (year.isdecimal() and len(year) == 4):
                raise ValidationError({"year": [_("Give the year as four digits, e.g. 2026.")]})
            return self.queryset.filter(date__year=int(year))
        return self.queryset

    def create_row(self, *, actor, **data):
        return catalogue_services.calendar_day_add(actor=actor, **data)

    def delete_row(self, row, *, actor):
        catalogue_services.calendar_day_remove(actor=actor, day=row)


class ClockLimitViewSet(viewsets.ViewSet):
    """The acceptance (受理) and sign-off (签收) clocks' working days, as set or built in.
    Read-only here; the superuser sets them on the catalogue pages."""

    @extend_schema(responses=ClockLimitSerializer(many=True))
    def list(self, request):
        rows = {limit.clock: limit.working_days for limit in ClockLimit.objects.all()}
        data = [
            {
                "clock": clock,
                "label": str(label),
                "working_days": rows.get(clock, deadlines.DEFAULT_CLOCK_DAYS[clock]),
                "is_default": clock not in rows,
            }
            for clock, label in ClockLimit.Clock.choices
        ]
        return Response(ClockLimitSerializer(data, many=True).data)


class MatterPagination(IdCursorPagination):
    """Newest first; the caller's queue (?waiting=1) as the pages show it: overdue first,
    then the nearest deadline, then the oldest."""

    ordering = "-id"

    def get_ordering(self, request, queryset, view):
        if request.query_params.get("waiting", "").lower() in ("1", "true"):
            return QUEUE_ORDERING
        return ("-id",)


@extend_schema_view(
    list=extend_schema(
        description="Matters the caller sees, newest first; ?waiting=1 gives their queue, overdue first."
    ),
    retrieve=extend_schema(responses=MatterDetailSerializer),
    create=extend_schema(
        request=MatterCreateSerializer,
        responses={201: MatterCreatedSerializer, 403: REFUSALS[403]},
        description=(
            "Record a matter found on a visit, at the office or by phone, possibly on a resident's "
            "behalf (代办). A grid or household the caller does not see is a 400 on that field."
        ),
    ),
)
class MatterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Matters (事项) and their 提分议办督评 actions."""

    queryset = Matter.objects.none()
    serializer_class = MatterSerializer
    permission_classes = [ActionPolicy]
    people_data = "matters"  # the supervision committee reads matters (its village's 村事)
    # Recording a matter needs an intake role somewhere; the grid is checked in `create`.
    # The actions' rules are the table's (petitions.workflow), checked in `_act`.
    policies = {"create": Policy(roles=INTAKE_ROLES, message=_("Your role may not record matters."))}
    filterset_class = MatterFilter
    pagination_class = MatterPagination

    def get_queryset(self):
        queryset = matters_visible_to(self.request.user).select_related("household")
        if self.action == "retrieve":
            return _with_detail(queryset)
        return queryset

    # The actions the list's filters narrow (the export is the list as .xlsx).
    FILTERED_ACTIONS = ("list", "export")

    def filter_queryset(self, queryset):
        # The list's filters narrow lists: one matter by id (its page, an action) is found
        # without building and validating a FilterSet and its form on every request.
        return super().filter_queryset(queryset) if self.action in self.FILTERED_ACTIONS else queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return MatterDetailSerializer
        return MatterSerializer

    def list(self, request, *args, **kwargs):
        # The page's rows as values (MatterSerializer reads them): no model instances.
        queryset = self.filter_queryset(self.get_queryset()).values(*MATTER_LIST_VALUES)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _detail(self, pk, **extra) -> dict:
        matter = _with_detail(matters_visible_to(self.request.user).select_related("household")).filter(pk=pk).first()
        if matter is None:
            # The action took the matter out of the caller's sight (a department sent it back):
            # only what the caller just did, nothing more of the matter.
            state = Matter.objects.values_list("state", flat=True).get(pk=pk)
            return {"id": pk, "state": state, "actions": [], **extra}
        return {**MatterDetailSerializer(matter, context=self.get_serializer_context()).data, **extra}

    # ------------------------------------------------------------ 提

    def create(self, request, *args, **kwargs):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request):
        context = self.get_serializer_context()
        # The place first (a grid or household out of scope is a 400 on its field), then
        # whether the caller's role covers it (403), then the rest of the payload (400).
        target = MatterTargetSerializer(data=request.data, context=context)
        target.is_valid(raise_exception=True)
        grid, household = target.validated_data["grid"], target.validated_data.get("household")
        place = Matter(township_id=grid.township_id, village_id=grid.village_id, grid=grid, household=household)
        if not scope_for(request.user).covers(place, INTAKE_ROLES):
            raise PermissionDenied(_("Your role may not record matters here."))
        serializer = MatterCreateSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        matter = services.matter_submit(actor=request.user, **serializer.validated_data)
        duplicates = services.possible_duplicates(matter, among=matters_visible_to(request.user))
        possible = PossibleDuplicateSerializer(duplicates, many=True).data
        return Response(self._detail(matter.pk, possible_duplicates=possible), status=status.HTTP_201_CREATED)

    # ------------------------------------------------------------ the timeline

    @extend_schema(responses=MatterEventSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request, pk=None):
        """The matter's timeline: who did what, from which state to which, oldest first."""
        matter = self.get_object()
        events = MatterEvent.objects.filter(matter=matter).select_related("actor").order_by("created_at", "id")
        return Response(MatterEventSerializer(events, many=True, context=self.get_serializer_context()).data)

    # ------------------------------------------------------------ actions

    def _act(self, request, name, serializer_class, service, *, check=workflow.check):
        """404 (scope), 403 (role), 409 (state), 400 (payload), then the service."""
        matter = self.get_object()

        def perform():
            check(request.user, name, matter)
            context = {**self.get_serializer_context(), "matter": matter}
            serializer = serializer_class(data=request.data, context=context)
            serializer.is_valid(raise_exception=True)
            service(matter=matter, actor=request.user, **serializer.validated_data)
            return Response(self._detail(matter.pk))

        return idempotent(request, perform)

    def _transition(self, request, action):
        """An action of the table (petitions.workflow.TRANSITIONS), through its core."""

        def take(*, matter, actor, **payload):
            workflow.matter_transition(matter=matter, actor=actor, action=action, **payload)

        serializer_class = getattr(serializers, workflow.TRANSITIONS[action].input)
        return self._act(request, action, serializer_class, take)

    @extend_schema(
        request={"multipart/form-data": PhotoSerializer}, responses={200: MatterDetailSerializer, **REFUSALS}
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def photos(self, request, pk=None):
        """Attach an evidence photo (stored without EXIF or location; served only to those who see the matter)."""

        def add(*, matter, actor, image):
            return matter_add_photo(matter=matter, actor=actor, upload=image)

        return self._act(request, "photos", PhotoSerializer, add, check=_check_photo)

    @extend_schema(
        parameters=[OpenApiParameter("by", str, enum=["village", "department"], description=_("Group by."))],
        responses=FiguresSerializer,
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def figures(self, request):
        """On-time rate and the average hours spent in each step, per village or department, over
        the matters the caller sees (the dashboards' figures)."""
        by = request.query_params.get("by", "village")
        if by not in figures.GROUPS:
            raise ValidationError({"by": [_("Group by village or department.")]})
        matters = matters_visible_to(request.user)
        return Response(
            {
                "on_time": figures.on_time(matters, by=by),
                "time_per_step": figures.time_per_step(matters, by=by),
                "returns": figures.returns(matters),
            }
        )

    @extend_schema(
        responses={
            (200, XLSX): OpenApiTypes.BINARY,
            400: OpenApiResponse(description=_("More rows than an export may hold (`too_many_rows`).")),
        },
    )
    @action(detail=False, methods=["get"], url_path="export", pagination_class=None)
    def export(self, request):
        """The matters the caller sees, with the list's filters, as .xlsx (at most 10 000 rows)."""
        matters = self.filter_queryset(matters_visible_to(request.user))
        return xlsx_response(matters_export(matters), export_filename())


def _endpoint(action_name: str):
    """POST /api/v1/matters/{id}/<action>/ for one entry of the table: its serializer is the
    request, the matter in full the answer."""
    transition = workflow.TRANSITIONS[action_name]

    def endpoint(self, request, pk=None):
        return self._transition(request, action_name)

    endpoint.__name__ = endpoint.__qualname__ = action_name
    endpoint.__doc__ = transition.api
    request = getattr(serializers, transition.input)
    endpoint = action(detail=True, methods=["post"])(endpoint)
    return extend_schema(request=request, responses={200: MatterDetailSerializer, **REFUSALS})(endpoint)


for _action in workflow.API_ACTIONS:
    setattr(MatterViewSet, _action, _endpoint(_action))


def _check_photo(user, name, matter) -> None:
    if not may_add_photo(user, matter):
        raise workflow.MatterPermissionError(_("Your role may not add photos to this matter."))
    if not matter.is_open:
        raise workflow.MatterStateError(_("The matter is closed."))


def _with_detail(queryset):
    records = Deliberation.objects.select_related("recorded_by").prefetch_related("participants")
    return queryset.select_related("created_by", "pending_extension").prefetch_related(
        Prefetch("deliberations", queryset=records), "photos"
    )


# ---------------------------------------------------------------- public, no login

CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, description="The tracking code.")


@extend_schema_view(
    create=extend_schema(
        request=PublicMatterCreateSerializer,
        responses={201: PublicMatterCreatedSerializer, 429: OpenApiResponse(description="Throttled.")},
        auth=[],
    ),
    retrieve=extend_schema(
        parameters=[CODE],
        responses={200: PublicMatterSerializer, 404: OpenApiResponse(description="No matter has this code.")},
        auth=[],
    ),
)
class PublicMatterViewSet(viewsets.GenericViewSet):
    """A resident's matter, by tracking code: submit, follow, evaluate, withdraw. No login."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ClientIpScopedRateThrottle]
    throttle_scope = "public"
    queryset = Matter.objects.select_related("village", "category", "department")
    serializer_class = PublicMatterSerializer
    lookup_field = "tracking_code"
    lookup_url_kwarg = "code"
    # Any code reaches the view, so that an unknown one is the API's JSON 404.
    lookup_value_regex = "[^/]+"
    filter_backends: list = []
    pagination_class = None

    def create(self, request):
        """Submit a matter on the public form; the answer carries the tracking code."""

        def perform():
            serializer = PublicMatterCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            consent = consent_wording() if data.pop("sms_updates", False) else ""
            matter = services.matter_submit_public(**data, sms_consent=consent)
            matter = self.get_queryset().get(pk=matter.pk)
            data = {**PublicMatterSerializer(matter).data, "code": matter.tracking_code}
            return Response(data, status=status.HTTP_201_CREATED)

        return idempotent(request, perform)

    def retrieve(self, request, code=None):
        """Progress without personal data: steps with dates, the result once reported."""
        return Response(PublicMatterSerializer(self.get_object()).data)

    def _act(self, request, name, serializer_class, service):
        matter = self.get_object()

        def perform():
            workflow.check(None, name, matter)  # the submitter: only the state is checked
            serializer = serializer_class(data=request.data)
            serializer.is_valid(raise_exception=True)
            service(matter=matter, actor=None, **serializer.validated_data)
            return Response(PublicMatterSerializer(self.get_queryset().get(pk=matter.pk)).data)

        return idempotent(request, perform)


def _public_endpoint(action_name: str):
    """POST /api/v1/public/matters/{code}/<action>/ for an entry the submitter may take."""
    transition = workflow.TRANSITIONS[action_name]
    body = getattr(serializers, transition.input)

    def take(*, matter, actor, **payload):
        workflow.matter_transition(matter=matter, actor=actor, action=action_name, **payload)

    def endpoint(self, request, code=None):
        return self._act(request, action_name, body, take)

    endpoint.__name__ = endpoint.__qualname__ = action_name
    endpoint.__doc__ = transition.public_api
    endpoint = action(detail=True, methods=["post"])(endpoint)
    responses = {200: PublicMatterSerializer, 404: REFUSALS[404], 409: REFUSALS[409]}
    return extend_schema(parameters=[CODE], request=body, responses=responses, auth=[])(endpoint)


for _action in workflow.PUBLIC_ACTIONS:
    setattr(PublicMatterViewSet, _action, _public_endpoint(_action))
