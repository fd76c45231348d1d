"""REST API for matters (/api/v1/matters/, /api/v1/matter-categories/, /api/v1/public/matters/).

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
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from governance.api_common import IdCursorPagination, idempotent
from governance.login import ClientIpScopedRateThrottle
from governance.roles import INTAKE_ROLES
from governance.scoping import scope_for
from petitions import deadlines, figures, services, workflow
from petitions.filters import QUEUE_ORDERING, MatterFilter
from petitions.models import Deliberation, Matter, MatterCategory, MatterEvent
from petitions.photos import matter_add_photo, may_add_photo
from petitions.selectors import matters_visible_to
from petitions.serializers import (
    ClassifySerializer,
    DeliberateSerializer,
    EvaluateSerializer,
    FiguresSerializer,
    GrantSerializer,
    HandleSerializer,
    MatterCategorySerializer,
    MatterCreatedSerializer,
    MatterCreateSerializer,
    MatterDetailSerializer,
    MatterEventSerializer,
    MatterSerializer,
    MatterTargetSerializer,
    PauseSerializer,
    PhotoSerializer,
    PossibleDuplicateSerializer,
    PublicMatterCreatedSerializer,
    PublicMatterCreateSerializer,
    PublicMatterSerializer,
    ReclassifySerializer,
    RejectSerializer,
    ReportSerializer,
    ResumeSerializer,
    SuperviseSerializer,
    VerifySerializer,
    WithdrawSerializer,
)

# Who records a matter for a resident: grid staff, village cadres, and courtyard helpers
# (for the households of their courtyard only; Scope.covers reads the household's courtyard).

REFUSALS = {
    403: OpenApiResponse(description="Your role may not take this action on this matter (code permission_denied)."),
    404: OpenApiResponse(description="No such matter, or not one the caller sees."),
    409: OpenApiResponse(description="Not possible in the matter's current state (code invalid_state, ...)."),
}


@extend_schema_view(list=extend_schema(description="The categories in use, in display order."))
class MatterCategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Matter categories (邻里纠纷, 环境卫生 ...) with the kind each usually is."""

    queryset = MatterCategory.objects.filter(is_active=True)
    serializer_class = MatterCategorySerializer
    pagination_class = None


class MatterPagination(IdCursorPagination):
    """Newest first; the caller's queue (?waiting=1) as the pages show it: overdue first,
    then the nearest deadline, then the oldest."""

    ordering = "-id"

    def get_ordering(self, request, queryset, view):
        if request.query_params.get("waiting", "").lower() in ("1", "true"):
            return QUEUE_ORDERING
        return ("-id",)


class MatterPermission(permissions.IsAuthenticated):
    """Recording a matter needs an intake role somewhere; the grid is checked in `create`."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if view.action == "create" and not scope_for(request.user).has_any_role(INTAKE_ROLES):
            self.message = _("Your role may not record matters.")
            return False
        return True


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
    permission_classes = [MatterPermission]
    filterset_class = MatterFilter
    pagination_class = MatterPagination

    def get_queryset(self):
        queryset = matters_visible_to(self.request.user).select_related("household")
        if self.action == "retrieve":
            return _with_detail(queryset)
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return MatterDetailSerializer
        return MatterSerializer

    def _detail(self, pk, **extra) -> dict:
        matter = _with_detail(matters_visible_to(self.request.user).select_related("household")).get(pk=pk)
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
        duplicates = [m.pk for m in services.possible_duplicates(matter)]
        visible = matters_visible_to(request.user).filter(pk__in=duplicates).order_by("-id")
        possible = PossibleDuplicateSerializer(visible, many=True).data
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

    @extend_schema(request=ClassifySerializer, responses={200: MatterDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def classify(self, request, pk=None):
        """分 (三事分流): set the kind (civil / village / government) and the category."""
        return self._act(request, "classify", ClassifySerializer, services.matter_classify)

    @extend_schema(request=RejectSerializer, responses={200: MatterDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Close without handling, with a reason (or as a duplicate of another matter)."""
        return self._act(request, "reject", RejectSerializer, services.matter_reject)

    @extend_schema(request=WithdrawSerializer, responses={200: MatterDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw before handling (the staff member who recorded it, or a classifier)."""
        return self._act(request, "withdraw", WithdrawSerializer, services.matter_withdraw)

    @extend_schema(request=ReclassifySerializer, responses={200: MatterDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def reclassify(self, request, pk=None):
        """Re-route under another kind or category, with a reason (e.g. the township returns a 政事)."""
        return self._act(request, "reclassify", ReclassifySerializer, services.matter_reclassify)

    @extend_schema(request=DeliberateSerializer, responses={200: MatterDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def deliberate(self, request, pk=None):
        """议: a consultation meeting, a mediation, a 村事 step (with the vote at step 5), or the
        township's review. Quorum and result are computed by the app."""
        return self._act(request, "deliberate", DeliberateSerializer, services.matter_deliberate)

    @extend_schema(request=HandleSerializer, responses={200: MatterDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def handle(self, request, pk=None):
        """办: assign a handler (a person) or a township department (政事), once deliberation is
        complete (else 409 deliberation_incomplete)."""
        return self._act(request, "handle", HandleSerializer, services.matter_handle)

    @extend_schema(request=ReportSerializer, responses={200: MatterDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        """The handler reports the result (for a 村事: step 7, 实施结果公开)."""
        return self._act(request, "report", ReportSerializer, services.matter_report)

    @extend_schema(request=VerifySerializer, responses={200: MatterDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """督: check the result (not by its handler); a failed check returns it to handling."""
        return self._act(request, "verify", VerifySerializer, services.matter_verify)

    @extend_schema(request=EvaluateSerializer, responses={200: MatterDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        """评 on a return visit (回访): record the resident's rating; unsatisfied reopens handling."""
        return self._act(request, "evaluate", EvaluateSerializer, services.matter_evaluate)

    @extend_schema(request=SuperviseSerializer, responses={200: MatterDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def supervise(self, request, pk=None):
        """督办: a note from above the owner, in any open state; the state does not change."""
        return self._act(request, "supervise", SuperviseSerializer, services.matter_supervise)

    @extend_schema(request=GrantSerializer, responses={200: MatterDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def grant(self, request, pk=None):
        """A one-off grant on this matter to someone outside the hierarchy (a 公益律师团 lawyer):
        by its owner, while it is open."""
        return self._act(request, "grant", GrantSerializer, services.matter_grant, check=_check_grant)

    @extend_schema(request=PauseSerializer, responses={200: MatterDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Stop the clock while waiting for the resident, with a reason (owner or handler)."""
        return self._act(request, "pause", PauseSerializer, services.matter_pause, check=_check_clock)

    @extend_schema(request=ResumeSerializer, responses={200: MatterDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Restart the clock; the deadline moves by the working days the pause lasted."""
        return self._act(request, "resume", ResumeSerializer, services.matter_resume, check=_check_clock)

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
            {"on_time": figures.on_time(matters, by=by), "time_per_step": figures.time_per_step(matters, by=by)}
        )


def _check_clock(user, name, matter) -> None:
    # The same rules as services.matter_pause / matter_resume, checked before the payload.
    if not (workflow.may(user, "deliberate", matter) or workflow.is_handler(user, matter)):
        raise workflow.MatterPermissionError(_("Only the owner or the handler may pause or resume the clock."))
    if name == "pause" and (
        matter.state not in deadlines.CLOCK_STATES or matter.deadline is None or matter.paused_at is not None
    ):
        raise workflow.MatterStateError(_("The clock is not running."))
    if name == "resume" and matter.paused_at is None:
        raise workflow.MatterStateError(_("The clock is not paused."))


def _check_photo(user, name, matter) -> None:
    if not may_add_photo(user, matter):
        raise workflow.MatterPermissionError(_("Your role may not add photos to this matter."))
    if not matter.is_open:
        raise workflow.MatterStateError(_("The matter is closed."))


def _check_grant(user, name, matter) -> None:
    # The same rule as services.matter_grant, checked before the payload is read.
    if not workflow.may(user, "deliberate", matter):
        raise workflow.MatterPermissionError(_("Only the matter's owner may grant access to it."))
    if not matter.is_open:
        raise workflow.MatterStateError(_("The matter is closed."))


def _with_detail(queryset):
    records = Deliberation.objects.select_related("recorded_by").prefetch_related("participants")
    return queryset.select_related("created_by").prefetch_related(Prefetch("deliberations", queryset=records), "photos")


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
            matter = services.matter_submit_public(**serializer.validated_data)
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

    @extend_schema(
        parameters=[CODE],
        request=EvaluateSerializer,
        responses={200: PublicMatterSerializer, 404: REFUSALS[404], 409: REFUSALS[409]},
        auth=[],
    )
    @action(detail=True, methods=["post"])
    def evaluate(self, request, code=None):
        """评: the submitter rates the result; unsatisfied (with a comment) reopens handling."""
        return self._act(request, "evaluate", EvaluateSerializer, services.matter_evaluate)

    @extend_schema(
        parameters=[CODE],
        request=WithdrawSerializer,
        responses={200: PublicMatterSerializer, 404: REFUSALS[404], 409: REFUSALS[409]},
        auth=[],
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, code=None):
        """The submitter withdraws the matter before it is handled."""
        return self._act(request, "withdraw", WithdrawSerializer, services.matter_withdraw)
