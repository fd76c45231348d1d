"""How large a request may be: one answer, 413, wherever the limit is hit.

Django bounds a form body (and a multipart body's fields, files aside) by
DATA_UPLOAD_MAX_MEMORY_SIZE, but answers its HTML 400 page; DRF reads a JSON or a form body
straight from the stream, unbounded. Here the API's parsers stop at the same limit, and a
body over it answers 413: `{"detail", "code": "request_too_large"}` under /api/, a readable
page elsewhere.
"""

import io

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from rest_framework import exceptions, parsers, status

TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = gettext_lazy("The request is too large.")


def _limit() -> int | None:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _read_bounded(stream) -> bytes:
    """The body, or RequestTooLarge as soon as it is longer than the limit."""
    limit = _limit()
    if stream is None:
        return b""
    if limit is None:
        return stream.read()
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestTooLarge()
    return body


class BoundedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(io.BytesIO(_read_bounded(stream)), media_type, parser_context)
        except RecursionError:
            # Thousands of nested brackets: Python's parser gives up; the body is malformed.
            raise exceptions.ParseError(_("JSON parse error - the body is nested too deeply.")) from None


class BoundedFormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(io.BytesIO(_read_bounded(stream)), media_type, parser_context)


def too_large_response(request):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": str(RequestTooLarge.default_detail), "code": RequestTooLarge.default_code},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    return render(
        request,
        "413.html",
        {"detail": _("What you sent is too large. Shorten the text, or send fewer or smaller files.")},
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def bad_request(request, exception):
    """handler400: a body over the limit is a 413, whichever layer read it."""
    if isinstance(exception, TOO_LARGE):
        return too_large_response(request)
    return defaults.bad_request(request, exception)


def not_found(request, exception):
    """handler404: an address under /api/ that names nothing answers as the API does
    ({"detail", "code"}), not with the HTML page meant for people."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(_("Not found.")), "code": "not_found"}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)
