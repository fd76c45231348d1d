"""The one shape of the record APIs (pledges; the civic books: the four councils' meetings, 最美
selections, mediations, teams, activities).

A record is listed and read through the caller's selectors, so one out of scope is a 404 like
one that does not exist. It is made by one service and moved by a step: each step is checked in
the contract's order, the record in scope (404) first, then, once per Idempotency-Key, the
caller's role (403) and the record's state (409) before the payload is read (400), then one
service call; every answer is the record as its detail serializer shows it.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response

from governance.api_common import IdCursorPagination, idempotent
from governance.permissions import ActionPolicy

REFUSED_400 = OpenApiResponse(description="Invalid input: field errors.")


class AmongField(serializers.PrimaryKeyRelatedField):
    """A primary key among `rows(context)` (rows of the view's record, or the caller's): any
    other id is "does not exist", a 400 on the field that reveals nothing."""

    def __init__(self, rows=None, **kwargs):
        self.rows = rows
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.rows(self.context)


class NewestFirst(IdCursorPagination):
    ordering = "-id"


def record_schema(*, listed: str, detail, create, created: str, refusals: dict, create_conflicts: bool = False):
    """The schema of a record API's list (`listed`: what it lists), retrieve (`detail`, the
    serializer) and create (`create`, its input: the request's body or a {media type: input};
    `created`: what it makes); its refusals as `governance.api_common.refusals` gives them."""
    responses = {201: detail, 400: REFUSED_400, 403: refusals[403]}
    if create_conflicts:
        responses[409] = refusals[409]
    return extend_schema_view(
        list=extend_schema(description=listed),
        retrieve=extend_schema(responses=detail),
        create=extend_schema(request=create, responses=responses, description=created),
    )


class RecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A subclass names its selectors, its readers, its steps and how a step is checked."""

    permission_classes = [ActionPolicy]
    # The detail's and every answer's serializer (None: serializer_class, the list's).
    detail_serializer_class = None
    # (the list's selector, the detail's): each takes the caller.
    selectors: tuple = ()
    # (who reads these records: user -> bool, the 403's message), and the actions it guards
    # (None: every action).
    readers: tuple = ()
    reader_actions: tuple | None = ("list",)
    # The services' keyword for the record, and the input serializers' context key.
    record_name = ""
    # step -> (its input serializer or None, its service); "create": the create's.
    steps: dict = {}

    def get_queryset(self):
        visible_to, detail_queryset = self.selectors
        return (visible_to if self.action == "list" else detail_queryset)(self.request.user)

    def get_serializer_class(self):
        if self.action == "list" or self.detail_serializer_class is None:
            return self.serializer_class
        return self.detail_serializer_class

    def check_permissions(self, request):
        super().check_permissions(request)
        reads, not_a_reader = self.readers
        if (self.reader_actions is None or self.action in self.reader_actions) and not reads(request.user):
            raise exceptions.PermissionDenied(not_a_reader)

    def check_step(self, user, step: str, record) -> None:
        """The caller's role (403) and the record's state (409) for `step`, before its payload."""
        raise NotImplementedError

    def payload(self, input_class, data=None, **context) -> dict:
        """The request's body (or `data`) through `input_class`: a 400 on the fields, or the data."""
        context = {**self.get_serializer_context(), **context}
        serializer = input_class(data=self.request.data if data is None else data, context=context)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _detail(self, pk, status_code=status.HTTP_200_OK):
        record = self.get_queryset().get(pk=pk)
        serializer = self.get_serializer_class()(record, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)

    def create(self, request, *args, **kwargs):
        def perform():
            return self._detail(self.create_record(request).pk, status.HTTP_201_CREATED)

        return idempotent(request, perform)

    def create_record(self, request):
        input_class, service = self.steps["create"]
        return service(actor=request.user, **self.payload(input_class))

    def _act(self, request, step, status_code=status.HTTP_200_OK, target=None):
        """404 (scope) now; then, once per key: 403 and 409 (check_step), 400 (the payload), and
        the step's service on the record, or on what `target(record)` names (a part of it, looked
        up now: a 404 too)."""
        record = self.get_object()
        input_class, service = self.steps[step]
        on = {self.record_name: record} if target is None else target(record)

        def perform():
            self.check_step(request.user, step, record)
            data = {} if input_class is None else self.payload(input_class, **{self.record_name: record})
            service(actor=request.user, **on, **data)
            return self._detail(record.pk, status_code)

        return idempotent(request, perform)
