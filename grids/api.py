"""REST API for places and the household register (/api/v1/).

Every queryset goes through the caller's scope, so a row out of scope is a 404 exactly
like one that does not exist; what a role may do to a row it sees is a 403
(`RegisterPermission`); input errors are 400s, from the serializers or the services.
"""

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from governance.api_common import IdempotentCreateMixin, StateConflict, idempotent
from governance.catalogue_api import CatalogueViewSet
from governance.job_api import TOO_MANY_JOBS, JobSerializer, accepted, wants_async
from governance.jobs import job_submit
from governance.permissions import ActionPolicy, Policy
from governance.roles import HOUSEHOLD_MOVERS, ID_NUMBER_REVEALERS, PLACE_KEEPERS, REGISTER_EDITORS, REGISTER_IMPORTERS
from governance.scoping import scope_for
from governance.xlsx import XLSX, xlsx_response
from grids import job_kinds as register_jobs
from grids import places, services
from grids.filters import CourtyardFilter, GridFilter, HouseholdFilter, ResidentFilter, VillageFilter
from grids.idconflicts import id_refusals_kept
from grids.models import Courtyard, Grid, Household, Resident, Tag, Township, Village
from grids.register import RegisterImportError, RowError, register_export, register_import, register_template
from grids.selectors import (
    households_for_register_export,
    households_visible_to,
    may_keep,
    may_reveal_id_numbers,
    residents_visible_to,
    villages_kept_by,
)
from grids.serializers import (
    CourtyardCreateSerializer,
    CourtyardMergeResultSerializer,
    CourtyardMergeSerializer,
    CourtyardSerializer,
    CourtyardUpdateSerializer,
    GridCreateSerializer,
    GridMergeResultSerializer,
    GridMergeSerializer,
    GridSerializer,
    GridSplitResultSerializer,
    GridSplitSerializer,
    GridUpdateSerializer,
    HouseholdCreateSerializer,
    HouseholdMoveSerializer,
    HouseholdSerializer,
    HouseholdUpdateSerializer,
    IdNumberSerializer,
    RegisterImportErrorSerializer,
    RegisterImportResultSerializer,
    RegisterImportSerializer,
    ResidentCreateSerializer,
    ResidentSerializer,
    ResidentUpdateSerializer,
    TagCatalogueSerializer,
    TagInputSerializer,
    TownshipSerializer,
    VillageSerializer,
)


class _PlaceViewSet(viewsets.ReadOnlyModelViewSet):
    """Places the caller may see by name (Scope.filter_places)."""

    place_kind = ""

    def get_queryset(self):
        return scope_for(self.request.user).filter_places(self.queryset, self.place_kind)


class TownshipViewSet(_PlaceViewSet):
    queryset = Township.objects.all()
    serializer_class = TownshipSerializer
    place_kind = "township"


class VillageViewSet(_PlaceViewSet):
    queryset = Village.objects.select_related("township")
    serializer_class = VillageSerializer
    filterset_class = VillageFilter
    place_kind = "village"


KEEPERS_ONLY = _("Only the village's cadres or the township's administrator keep its grids and courtyards.")
KEEP_POLICY = Policy(object_roles=PLACE_KEEPERS, message=KEEPERS_ONLY)


class _KeptPlaceViewSet(IdempotentCreateMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, _PlaceViewSet):
    """Places their keepers create, rename and merge (grids.places): out of scope 404, a role
    that does not keep the place 403, a place merged into another 409, bad input 400. Lists
    show the places in use unless asked for the retired ones (?retired=true); one place is
    found whether in use or not."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_classes = [ActionPolicy]
    policies = {
        "create": Policy(roles=PLACE_KEEPERS, message=KEEPERS_ONLY),
        "partial_update": KEEP_POLICY,
        "merge": KEEP_POLICY,
        "split": KEEP_POLICY,
    }
    create_serializer_class = None
    update_serializer_class = None

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list" and "retired" not in self.request.query_params:
            return queryset.active()
        return queryset

    def get_serializer_class(self):
        if self.action == "create":
            return self.create_serializer_class
        if self.action == "partial_update":
            return self.update_serializer_class
        return self.serializer_class

    def check_may_keep(self, place) -> None:
        if not may_keep(self.request.user, place):
            raise PermissionDenied(KEEPERS_ONLY)

    def refuse_retired(self, place) -> None:
        """The place's state, asked before the input is read (the contract's order)."""
        if place.retired_on is not None:
            raise StateConflict(
                _("%(place)s was merged into another: it is kept as it was.") % {"place": place.name}, code="retired"
            )

    def update(self, request, *args, **kwargs):
        self.refuse_retired(self.get_object())
        return super().update(request, *args, **kwargs)

    def merged(self, request, serializer_class, merge, result_class):
        """A merge: the place (404, 403), its state (409), the input (400), once per Idempotency-Key
        (a replay answers as the first time, the place being merged by then)."""
        place = self.get_object()

        def perform():
            self.refuse_retired(place)
            serializer = serializer_class(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            done = merge(place, serializer.validated_data["into"], request.user)
            return Response(result_class(done, context=self.get_serializer_context()).data)

        return idempotent(request, perform)


@extend_schema_view(
    create=extend_schema(request=GridCreateSerializer, responses={201: GridSerializer}),
    partial_update=extend_schema(request=GridUpdateSerializer, responses=GridSerializer),
)
class GridViewSet(_KeptPlaceViewSet):
    """Grids the caller sees by name. Their village's cadres and its township's administrator
    create, rename and renumber them, merge one into another and split one in two."""

    queryset = Grid.objects.select_related("village")
    serializer_class = GridSerializer
    create_serializer_class = GridCreateSerializer
    update_serializer_class = GridUpdateSerializer
    filterset_class = GridFilter
    place_kind = "grid"

    def perform_create(self, serializer):
        village = serializer.validated_data["village"]
        if not villages_kept_by(self.request.user).filter(pk=village.pk).exists():
            raise PermissionDenied(KEEPERS_ONLY)
        data = {k: v for k, v in serializer.validated_data.items() if k != "village"}
        serializer.instance = services.grid_create(village=village, **data)

    def perform_update(self, serializer):
        serializer.instance = places.grid_update(grid=serializer.instance, **serializer.validated_data)

    @extend_schema(request=GridMergeSerializer, responses=GridMergeResultSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge the grid into another of its village: every household moves there (on the record),
        its courtyards go along, the assignments to it end, and it is kept, retired."""
        return self.merged(
            request,
            GridMergeSerializer,
            lambda grid, into, actor: places.grid_merge(grid=grid, into=into, actor=actor),
            GridMergeResultSerializer,
        )

    @extend_schema(request=GridSplitSerializer, responses={201: GridSplitResultSerializer})
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        """A new grid of the village taking the chosen households of this one (each move on the record)."""
        grid = self.get_object()

        def perform():
            self.refuse_retired(grid)
            serializer = GridSplitSerializer(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            split = places.grid_split(grid=grid, actor=request.user, **serializer.validated_data)
            data = GridSplitResultSerializer(split, context=self.get_serializer_context()).data
            return Response(data, status=status.HTTP_201_CREATED)

        return idempotent(request, perform)


@extend_schema_view(
    create=extend_schema(request=CourtyardCreateSerializer, responses={201: CourtyardSerializer}),
    partial_update=extend_schema(request=CourtyardUpdateSerializer, responses=CourtyardSerializer),
)
class CourtyardViewSet(_KeptPlaceViewSet):
    """Courtyards the caller sees by name. Their village's keepers create and rename them and
    merge one into another of the same grid."""

    queryset = Courtyard.objects.select_related("grid")
    serializer_class = CourtyardSerializer
    create_serializer_class = CourtyardCreateSerializer
    update_serializer_class = CourtyardUpdateSerializer
    filterset_class = CourtyardFilter
    place_kind = "courtyard"
    policies = {key: policy for key, policy in _KeptPlaceViewSet.policies.items() if key != "split"}

    def perform_create(self, serializer):
        grid = serializer.validated_data["grid"]
        self.check_may_keep(grid)
        serializer.instance = services.courtyard_create(grid=grid, name=serializer.validated_data["name"])

    def perform_update(self, serializer):
        serializer.instance = places.courtyard_update(courtyard=serializer.instance, **serializer.validated_data)

    @extend_schema(request=CourtyardMergeSerializer, responses=CourtyardMergeResultSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge the courtyard into another of its grid: every household moves there (on the
        record), the assignments to it end, and it is kept, retired."""
        return self.merged(
            request,
            CourtyardMergeSerializer,
            lambda courtyard, into, actor: places.courtyard_merge(courtyard=courtyard, into=into, actor=actor),
            CourtyardMergeResultSerializer,
        )


PREFER_ASYNC = OpenApiParameter(
    "Prefer",
    str,
    location=OpenApiParameter.HEADER,
    description=_("respond-async: do the work in the background and answer 202 with the job's URL."),
)


def _for_output(queryset, *joins):
    """Only the joins the output needs (each extra one is 50 model instances per page), and
    tags prefetched into a list (see grids.serializers._tags)."""
    return (
        queryset.select_related(None)
        .select_related(*joins)
        .prefetch_related(None)
        .prefetch_related(Prefetch("tags", to_attr="tag_list"))
    )


EDIT_POLICY = Policy(object_roles=REGISTER_EDITORS, message=_("Your role may not change this record."))


class _RegisterViewSet(
    IdempotentCreateMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """List, retrieve, create and update through the services; input and output serializers
    differ (the input ones render with the output ones)."""

    permission_classes = [ActionPolicy]
    people_data = True
    policies = {
        # Somewhere to add to first; where exactly is checked on the row (check_may_edit).
        "create": Policy(roles=REGISTER_EDITORS, message=_("Your role may not add to the household register.")),
        "update": EDIT_POLICY,
        "partial_update": EDIT_POLICY,
    }
    create_serializer_class = None
    update_serializer_class = None

    def get_serializer_class(self):
        if self.action == "create":
            return self.create_serializer_class
        if self.action in ("update", "partial_update"):
            return self.update_serializer_class
        return self.serializer_class

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["scope"] = scope_for(self.request.user)
        return context

    def check_may_edit(self, place_row) -> None:
        """403 unless a register-editing role covers the row being created."""
        if not scope_for(self.request.user).covers(place_row, REGISTER_EDITORS):
            raise PermissionDenied(_("Your role may not add to the household register here."))


@extend_schema_view(
    create=extend_schema(request=HouseholdCreateSerializer, responses={201: HouseholdSerializer}),
    update=extend_schema(request=HouseholdUpdateSerializer, responses=HouseholdSerializer),
    partial_update=extend_schema(request=HouseholdUpdateSerializer, responses=HouseholdSerializer),
)
class HouseholdViewSet(_RegisterViewSet):
    """Households in the caller's scope. Moving one to another grid is the `move` action."""

    queryset = Household.objects.none()
    serializer_class = HouseholdSerializer
    create_serializer_class = HouseholdCreateSerializer
    update_serializer_class = HouseholdUpdateSerializer
    filterset_class = HouseholdFilter
    policies = {
        **_RegisterViewSet.policies,
        "move": Policy(object_roles=HOUSEHOLD_MOVERS, message=_("Only a village cadre may move a household.")),
        "import_register": Policy(
            roles=REGISTER_IMPORTERS, message=_("Only a village cadre may import the household register.")
        ),
    }

    def get_queryset(self):
        return _for_output(households_visible_to(self.request.user), "village", "grid", "courtyard")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        grid = data.pop("grid")
        self.check_may_edit(Household(township_id=grid.township_id, village_id=grid.village_id, grid=grid))
        serializer.instance = services.household_create(grid=grid, **data)

    def perform_update(self, serializer):
        serializer.instance = services.household_update(household=serializer.instance, **serializer.validated_data)

    @extend_schema(request=HouseholdMoveSerializer, responses=HouseholdSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the household (and its members) to another grid of its village, on the record."""
        household = self.get_object()

        def perform():
            serializer = HouseholdMoveSerializer(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            services.household_move(household=household, moved_by=request.user, **serializer.validated_data)
            moved = self.get_queryset().get(pk=household.pk)
            return Response(HouseholdSerializer(moved, context=self.get_serializer_context()).data)

        return idempotent(request, perform)

    @extend_schema(
        request={"multipart/form-data": RegisterImportSerializer},
        parameters=[PREFER_ASYNC],
        responses={
            201: RegisterImportResultSerializer,
            202: JobSerializer,
            400: RegisterImportErrorSerializer,
            429: TOO_MANY_JOBS,
        },
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_register(self, request):
        """Import the household register (.xlsx in the template): all rows or none.

        With `Prefer: respond-async` the file is checked and written in the background: 202
        with the job's URL (`Location`, and `url` in the body); GET it for the progress, then
        the counts in `result` or the errors by row and column in `errors`."""
        scope = scope_for(request.user)

        def perform():
            serializer = RegisterImportSerializer(data=request.data)
            if not serializer.is_valid():
                raise RegisterImportError(
                    [
                        RowError(0, name, str(detail), getattr(detail, "code", "invalid"))
                        for name, details in serializer.errors.items()
                        for detail in details
                    ],
                    code="invalid_file",
                )
            if wants_async(request):
                upload = serializer.validated_data["file"]
                return accepted(request, job_submit(owner=request.user, kind=register_jobs.IMPORT, upload=upload))
            village_ids = None if scope.is_superuser else scope.ids_for(REGISTER_IMPORTERS)
            result = register_import(user=request.user, file=serializer.validated_data["file"], village_ids=village_ids)
            return Response(result.as_dict(), status=status.HTTP_201_CREATED)

        with id_refusals_kept():  # a refused file is a 400 from the exception handler
            return idempotent(request, perform)

    @extend_schema(
        parameters=[
            OpenApiParameter("reveal", bool, description=_("Full ID numbers and phones (audited).")),
            PREFER_ASYNC,
        ],
        responses={(200, XLSX): OpenApiTypes.BINARY, 202: JobSerializer, 429: TOO_MANY_JOBS},
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export_register(self, request):
        """The register of the households the caller sees (filters apply), in the import template.

        With `Prefer: respond-async` the file is made in the background: 202 with the job's URL;
        once done the job's `result_url` downloads it."""
        reveal = request.query_params.get("reveal") in ("1", "true")
        if reveal and not may_reveal_id_numbers(request.user):
            raise PermissionDenied(_("Your role may not see full ID numbers."))
        if wants_async(request):
            self.filter_queryset(self.get_queryset().none())  # a bad filter is a 400 now, not a failed job
            parameters = {"reveal": reveal, "query": request.GET.urlencode(), "via": "api"}
            return accepted(request, job_submit(owner=request.user, kind=register_jobs.EXPORT, parameters=parameters))
        households = self.filter_queryset(households_visible_to(request.user))
        households = households_for_register_export(request.user, households, reveal=reveal)
        data = register_export(user=request.user, households=households, reveal=reveal)
        return xlsx_response(data, f"household-register-{timezone.localdate():%Y%m%d}.xlsx")

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    @action(detail=False, methods=["get"], url_path="import-template")
    def import_template(self, request):
        """The blank register template, with a sheet of instructions."""
        return xlsx_response(register_template(), "household-register-template.xlsx")


@extend_schema_view(
    create=extend_schema(request=ResidentCreateSerializer, responses={201: ResidentSerializer}),
    update=extend_schema(request=ResidentUpdateSerializer, responses=ResidentSerializer),
    partial_update=extend_schema(request=ResidentUpdateSerializer, responses=ResidentSerializer),
)
class ResidentViewSet(_RegisterViewSet):
    """Residents in the caller's scope. ID numbers are shown masked; `reveal-id-number`
    shows one in full to a role allowed to see it, and records that it did."""

    queryset = Resident.objects.none()
    serializer_class = ResidentSerializer
    create_serializer_class = ResidentCreateSerializer
    update_serializer_class = ResidentUpdateSerializer
    filterset_class = ResidentFilter
    policies = {
        **_RegisterViewSet.policies,
        "reveal_id_number": Policy(
            object_roles=ID_NUMBER_REVEALERS, message=_("Your role may not see full ID numbers.")
        ),
    }

    def get_queryset(self):
        return _for_output(residents_visible_to(self.request.user), "household", "village", "grid")

    def create(self, request, *args, **kwargs):
        with id_refusals_kept():
            return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        with id_refusals_kept():
            return super().update(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        self.check_may_edit(data["household"])
        serializer.instance = services.resident_create(actor=self.request.user, channel="api", **data)

    def perform_update(self, serializer):
        serializer.instance = services.resident_update(
            resident=serializer.instance, actor=self.request.user, channel="api", **serializer.validated_data
        )

    @extend_schema(request=None, responses=IdNumberSerializer)
    @action(detail=True, methods=["post"], url_path="reveal-id-number")
    def reveal_id_number(self, request, pk=None):
        """The resident's full ID number. Every reveal is recorded (IdNumberReveal)."""
        resident = self.get_object()
        if not resident.id_number_encrypted:
            raise StateConflict(_("No ID number is recorded for this resident."), code="no_id_number")
        number = services.resident_reveal_id_number(resident=resident, user=request.user, channel="api")
        return Response({"id_number": number})


@extend_schema_view(
    create=extend_schema(responses={201: TagCatalogueSerializer}),
    update=extend_schema(responses=TagCatalogueSerializer),
    partial_update=extend_schema(responses=TagCatalogueSerializer),
)
class TagViewSet(CatalogueViewSet):
    """Tags (独居老人, 困难户 ...) and the visit target each sets: the district's catalogue, read
    by everyone, written by the superuser. A tag someone carries is not deleted (409 tag_in_use)."""

    queryset = Tag.objects.order_by("code")
    serializer_class = TagCatalogueSerializer
    input_serializer_class = TagInputSerializer

    def create_row(self, *, actor, **data):
        return services.tag_create(actor=actor, **data)

    def update_row(self, row, *, actor, **data):
        return services.tag_update(actor=actor, tag=row, **data)

    def delete_row(self, row, *, actor):
        services.tag_delete(actor=actor, tag=row)
