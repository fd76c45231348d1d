"""REST API of visits (走访) and 逢十 compliance (/api/v1/visits/).

Visits are append-only and keyed by the phone's client UUID: a replay is a 200 with the
stored visit, the UUID reused for another visit a 409. Every read goes through
`visits_visible_to`, so a visit out of scope is a 404; who may call an action is the view's
`policies` (governance.permissions.ActionPolicy).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from governance.api_common import IdCursorPagination, KeysetPagination, StateConflict, idempotent
from governance.permissions import ActionPolicy, Policy
from governance.roles import COMPLIANCE_READERS, VISITOR_ROLES
from governance.serializers import PhotoSerializer
from grids.visits.fengshi import compliance_for, latest_cycle
from grids.visits.filters import VisitFilter
from grids.visits.models import Visit
from grids.visits.selectors import TODO_ORDER, household_tags, households_to_visit, visits_visible_to
from grids.visits.serializers import (
    TODO_ROW_FIELDS,
    ComplianceQuerySerializer,
    HouseholdToVisitSerializer,
    TodoQuerySerializer,
    VisitBatchResultSerializer,
    VisitBatchSerializer,
    VisitInputSerializer,
    VisitSerializer,
)
from grids.visits.services import VisitConflict, visit_add_photo, visit_record


class NewestFirstPagination(IdCursorPagination):
    ordering = "-id"


class TodoPagination(KeysetPagination):
    ordering = TODO_ORDER


def _record_visit(request, data) -> tuple[int, dict]:
    """Validate and record one visit: (status, body). 201 new, 200 a replay, 400 invalid,
    409 the UUID was used for another visit. A failure writes nothing."""
    serializer = VisitInputSerializer(data=data, context={"request": request})
    if not serializer.is_valid():
        return status.HTTP_400_BAD_REQUEST, serializer.errors
    try:
        visit, created = visit_record(author=request.user, **serializer.validated_data)
    except DjangoValidationError as exc:
        return status.HTTP_400_BAD_REQUEST, as_serializer_error(exc)
    except VisitConflict as exc:
        return exc.status, exc.as_body()
    visit = visits_visible_to(request.user).get(pk=visit.pk)
    return (status.HTTP_201_CREATED if created else status.HTTP_200_OK), VisitSerializer(visit).data


@extend_schema_view(
    list=extend_schema(summary="Visits in the caller's places, newest first"),
    create=extend_schema(
        request=VisitInputSerializer,
        responses={201: VisitSerializer, 200: VisitSerializer},
        summary="Log a visit (a replay of the same client_uuid returns the stored visit with 200)",
    ),
)
class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Visits (走访). Append-only: a correction is a new visit with `supersedes`."""

    queryset = Visit.objects.none()
    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    pagination_class = NewestFirstPagination
    permission_classes = [ActionPolicy]
    people_data = True
    policies = {
        # Who logs visits: as on the visit form (/visits/new/); the household is checked after.
        "create": Policy(roles=VISITOR_ROLES, message=_("Your role does not record visits.")),
        "batch": Policy(roles=VISITOR_ROLES, message=_("Your role does not record visits.")),
        # The service checks the author again under the row lock.
        "photos": Policy(
            message=_("Only the visitor may add photos to a visit."),
            allows=lambda user, visit: visit.author_id == user.pk,
        ),
        "compliance": Policy(
            roles=COMPLIANCE_READERS, message=_("Visit compliance is for grid, village and township staff.")
        ),
    }

    def get_queryset(self):
        return visits_visible_to(self.request.user)

    def create(self, request, *args, **kwargs):
        def perform():
            code, body = _record_visit(request, request.data)
            if code == status.HTTP_409_CONFLICT:
                raise StateConflict(body["detail"], code=body["code"])
            response = Response(body, status=code)
            if code == status.HTTP_200_OK:
                response["Idempotent-Replayed"] = "true"
            return response

        return idempotent(request, perform)

    @extend_schema(request=VisitBatchSerializer, responses={200: VisitBatchResultSerializer})
    @action(detail=False, methods=["post"])
    def batch(self, request):
        """Send the phone's queue: each visit succeeds or fails on its own, with its own status."""
        serializer = VisitBatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        results = []
        for index, item in enumerate(serializer.validated_data["visits"]):
            code, body = _record_visit(request, item)
            row = {"index": index, "client_uuid": str(item.get("client_uuid", "")), "status": code}
            row["visit" if code < 300 else "errors"] = body
            results.append(row)
        return Response({"results": results})

    @extend_schema(request={"multipart/form-data": PhotoSerializer}, responses={201: VisitSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def photos(self, request, pk=None):
        """Add a photo to one's own visit (re-encoded without EXIF or location, served only in scope)."""
        visit = self.get_object()

        def perform():
            serializer = PhotoSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            visit_add_photo(visit=visit, actor=request.user, upload=serializer.validated_data["image"])
            stored = self.get_queryset().get(pk=visit.pk)
            return Response(VisitSerializer(stored).data, status=status.HTTP_201_CREATED)

        return idempotent(request, perform)

    @extend_schema(
        parameters=[
            OpenApiParameter("courtyard", OpenApiTypes.INT, description="only the households of this courtyard"),
            OpenApiParameter("tag", OpenApiTypes.INT, description="only households with this tag, or a member with it"),
        ],
        responses=HouseholdToVisitSerializer(many=True),
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=TodoPagination, filter_backends=[])
    def todo(self, request):
        """The caller's households by need (never visited, then longest overdue first), a page
        at a time: a client that wants them all follows `next`."""
        query = TodoQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        households = households_to_visit(
            request.user, courtyard_id=query.validated_data.get("courtyard"), tag_id=query.validated_data.get("tag")
        )
        page = self.paginate_queryset(households.values(*TODO_ROW_FIELDS))
        context = {"today": timezone.localdate(), "tags": household_tags(row["id"] for row in page)}
        return self.get_paginated_response(HouseholdToVisitSerializer(page, many=True, context=context).data)

    @extend_schema(
        parameters=[OpenApiParameter("cycle", OpenApiTypes.DATE, description="a 逢十 day (default: the latest)")],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def compliance(self, request):
        """Who went on a 逢十 day: per grid and person, rolled up per village and township; and
        apart (`sent_down`), the village cadres and the township's 包村 and 包片 of the villages
        the caller sees whole, with their visits that day and in its month."""
        query = ComplianceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cycle = query.validated_data.get("cycle") or latest_cycle(timezone.localdate())
        roll = compliance_for(request.user, cycle=cycle, sent_down=True)
        return Response(
            {"cycle": roll.cycle, "totals": roll.totals, "townships": roll.townships, "sent_down": roll.sent_down}
        )
