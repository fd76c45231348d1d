"""Stored JPEGs (re-encoded photos) as responses: one place for matters, visits and points."""

from django.http import FileResponse, Http404


def jpeg_response(field_file, *, public: bool = False) -> FileResponse:
    """The stored file, or a 404 when its row is there but the file is not (a lost volume, a
    restore without media): never a 500. Private by default: no shared cache keeps it."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=86400" if public else "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
