"""Stored private files as responses: the re-encoded photos of matters, visits and points, and
the background jobs' uploaded and written files (governance.jobs)."""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404


def jpeg_response(field_file, *, public: bool = False) -> FileResponse:
    """The stored file, or a 404 when its row is there but the file is not (a lost volume, a
    restore without media): never a 500. Private by default: no shared cache keeps it."""
    response = private_file_response(field_file, content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=86400" if public else "private, max-age=3600"
    return response


def private_file_response(field_file, *, content_type: str, filename: str = "") -> FileResponse:
    """A stored file for the one user the caller has checked may have it (a 404 when the file
    is gone); downloaded as `filename` when given, and kept by no shared cache."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type, as_attachment=bool(filename), filename=filename)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def private_photo_view(*, model: type[Model], parent: str, visible_to: Callable[..., QuerySet]):
    """A page view serving one photo (`model`, its file in `image`) to a signed-in user who may
    see the row it belongs to (`parent`, found in `visible_to(user)`); a 404 otherwise, as if
    it did not exist. The owning app wires it in its URL conf with its own selector."""

    @login_required
    def serve(request, pk: int):
        photo = get_object_or_404(model, pk=pk)
        if not visible_to(request.user).filter(pk=getattr(photo, f"{parent}_id")).exists():
            raise Http404
        return jpeg_response(photo.image)

    serve.__doc__ = f"A {model._meta.verbose_name}, to those who may see its {parent} (404 otherwise)."
    return serve
