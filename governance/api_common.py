"""Shared API machinery: error bodies, pagination, scope permissions, idempotent creates."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from governance.models import IdempotencyRecord


class StateConflict(exceptions.APIException):
    """An action that is illegal in the object's current state (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = gettext_lazy("This action is not possible in the current state.")


def exception_handler(exc, context):
    """403/404/409 bodies are {"detail", "code"}; 400 carries field errors; Django's own
    ValidationError (raised by services) becomes a 400 with the same shape as a serializer's."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if not isinstance(exc, exceptions.ValidationError) and isinstance(response.data, dict):
        detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data.get("detail")
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"detail": str(detail), "code": code}
    return response


class IdCursorPagination(CursorPagination):
    """Stable, index-friendly pages on large lists: ordered by id, no COUNT(*)."""

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 200


IDEMPOTENCY_HEADER = "HTTP_IDEMPOTENCY_KEY"


class IdempotentCreateMixin:
    """Honour the Idempotency-Key header on create: a replay returns the first result.

    The record is written in the same transaction as the object, so either both exist or
    neither does. Two concurrent requests with one key race on the unique constraint; the
    loser returns the winner's stored response.
    """

    def create(self, request, *args, **kwargs):
        return idempotent(request, lambda: super(IdempotentCreateMixin, self).create(request, *args, **kwargs))


def idempotent(request, perform):
    key = request.META.get(IDEMPOTENCY_HEADER, "").strip()
    if not key or not request.user.is_authenticated:
        return perform()
    if len(key) > 200:
        raise exceptions.ValidationError({"Idempotency-Key": [_("The Idempotency-Key header is too long.")]})
    stored = _stored_response(request, key)
    if stored is not None:
        return stored
    try:
        with transaction.atomic():
            response = perform()
            if 200 <= response.status_code < 300:
                IdempotencyRecord.objects.create(
                    user=request.user,
                    key=key,
                    method=request.method,
                    path=request.path,
                    status_code=response.status_code,
                    body=response.data,
                )
    except IntegrityError:
        stored = _stored_response(request, key)
        if stored is None:
            raise
        return stored
    return response


def _stored_response(request, key):
    record = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
    if record is None:
        return None
    if record.path != request.path or record.method != request.method:
        raise StateConflict(
            _("This Idempotency-Key was already used for another request."), code="idempotency_key_reused"
        )
    response = Response(record.body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response
