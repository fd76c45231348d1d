"""Shared API machinery: error bodies, pagination, scope permissions, idempotent creates."""

import functools
import hashlib
import json
import operator

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from governance.errors import DomainError
from governance.models import IdempotencyRecord
from governance.request_limits import TOO_LARGE, RequestTooLarge


class StateConflict(exceptions.APIException):
    """An action that is illegal in the object's current state (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = gettext_lazy("This action is not possible in the current state.")


def exception_handler(exc, context):
    """The one place errors become API bodies. 403/404/409 bodies are {"detail", "code"}; 400
    carries field errors; a service's DomainError (governance.errors) keeps its status, code
    and field; Django's own ValidationError (raised by services) becomes a 400 with the same
    shape as a serializer's."""
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(exc.as_body(), status=exc.status)
    if isinstance(exc, TOO_LARGE):
        exc = RequestTooLarge()
    elif isinstance(exc, DjangoValidationError):
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


def refusals(*, forbidden: str, not_found: str, conflict: str) -> dict[int, OpenApiResponse]:
    """The schema's 403, 404 and 409 answers of an app's endpoints, in its own words."""
    return {
        403: OpenApiResponse(description=forbidden),
        404: OpenApiResponse(description=not_found),
        409: OpenApiResponse(description=conflict),
    }


class IdCursorPagination(CursorPagination):
    """Stable, index-friendly pages on large lists: ordered by id, no COUNT(*)."""

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 200


class KeysetPagination(IdCursorPagination):
    """Cursor pages over a key of several ascending columns (`ordering`: field or annotation
    names, together unique; the queryset carries them). DRF's cursor keeps only the first
    column and counts an offset through its ties, which a list ordered by a due date (many
    rows share one, and never-visited ones have none) would walk past its offset cutoff. Here
    the cursor holds the whole key of the row at the page's edge, and the next page is the
    rows after it: one query per page, whatever its depth. The answer has the same shape
    (next, previous, results); rows may be model instances or values() dicts."""

    ordering = ("id",)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.base_url = request.build_absolute_uri()
        if self.template is not None:
            self.display_page_controls = True  # the browsable API's links, as DRF's cursor
        cursor = self.decode_cursor(request)
        self.reverse = bool(cursor and cursor.reverse)
        if cursor is not None:
            try:
                queryset = queryset.filter(self._beyond(self._decode_key(cursor.position), before=self.reverse))
            except (DjangoValidationError, TypeError, ValueError):
                raise exceptions.NotFound(self.invalid_cursor_message) from None
        queryset = queryset.order_by(*(f"-{name}" if self.reverse else name for name in self.ordering))
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if self.reverse:
            rows.reverse()
        self.page = rows
        # Going forward, there is a page before this one if we came by a cursor; going back,
        # there is always one after it (the page we came from).
        self.has_next = more if not self.reverse else True
        self.has_previous = more if self.reverse else cursor is not None
        return rows

    def get_next_link(self):
        if not (self.has_next and self.page):
            return None
        return self.encode_cursor(Cursor(offset=0, reverse=False, position=self._encode_key(self.page[-1])))

    def get_previous_link(self):
        if not (self.has_previous and self.page):
            return None
        return self.encode_cursor(Cursor(offset=0, reverse=True, position=self._encode_key(self.page[0])))

    def _beyond(self, key: list, *, before: bool) -> Q:
        """Rows after the key in the ordering (before it, going back): (a > x) or (a = x and b > y) ..."""
        lookup = "lt" if before else "gt"
        return functools.reduce(
            operator.or_,
            (
                Q(**dict(zip(self.ordering[:depth], key[:depth], strict=True)), **{f"{name}__{lookup}": key[depth]})
                for depth, name in enumerate(self.ordering)
            ),
        )

    def _encode_key(self, row) -> str:
        values = [row[name] if isinstance(row, dict) else getattr(row, name) for name in self.ordering]
        return json.dumps([v.isoformat() if hasattr(v, "isoformat") else v for v in values], ensure_ascii=False)

    def _decode_key(self, position) -> list:
        try:
            key = json.loads(position or "")
        except ValueError:
            key = None
        if not isinstance(key, list) or len(key) != len(self.ordering):
            raise exceptions.NotFound(self.invalid_cursor_message)
        return key


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
    """Run `perform` once per Idempotency-Key (see IdempotentCreateMixin).

    A signed-in caller's keys are theirs. An anonymous caller's key is shared by everyone on
    that path. Either way a stored response is only given back to a request with the same
    body (for an anonymous caller, a guessed key alone reveals no tracking code).
    """
    key = request.META.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        return perform()
    if len(key) > 200:
        raise exceptions.ValidationError({"Idempotency-Key": [_("The Idempotency-Key header is too long.")]})
    anonymous = not request.user.is_authenticated
    # Every caller's body is fingerprinted: a key sent again with another body is a client's
    # mistake (or another household's redemption under a reused key) and answers 409, never
    # the first request's result as if the second had been done.
    fingerprint = _fingerprint(request.data)
    stored = _stored_response(request, key, fingerprint)
    if stored is not None:
        return stored
    try:
        with transaction.atomic():
            response = perform()
            if 200 <= response.status_code < 300:
                IdempotencyRecord.objects.create(
                    user=None if anonymous else request.user,
                    key=key,
                    method=request.method,
                    path=request.path,
                    fingerprint=fingerprint,
                    status_code=response.status_code,
                    body=response.data,
                )
    except Exception:
        # Two sends of one request at once: the second waited on the first's row locks (or
        # lost the race on the key) and then failed, e.g. no points left after the first
        # redemption. If the first has committed under this key, its answer is the answer.
        stored = _stored_response(request, key, fingerprint)
        if stored is None:
            raise
        return stored
    if not 200 <= response.status_code < 300:
        stored = _stored_response(request, key, fingerprint)
        if stored is not None:
            return stored
    return response


def _fingerprint(data) -> str:
    if hasattr(data, "lists"):  # a QueryDict from a form post
        data = dict(data.lists())
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=_canonical, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical(value):
    """An uploaded file by its content (the same photo sent again matches), anything else as text."""
    if hasattr(value, "chunks"):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return f"file:{digest.hexdigest()}"
    return str(value)


def _stored_response(request, key, fingerprint=""):
    if request.user.is_authenticated:
        record = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
    else:
        record = IdempotencyRecord.objects.filter(user=None, key=key, path=request.path).first()
    if record is None:
        return None
    # Records written before signed-in bodies were fingerprinted carry "": path and method only.
    same_body = record.fingerprint in ("", fingerprint)
    if record.path != request.path or record.method != request.method or not same_body:
        raise StateConflict(
            _("This Idempotency-Key was already used for another request."), code="idempotency_key_reused"
        )
    response = Response(record.body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response
