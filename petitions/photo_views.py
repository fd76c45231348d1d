from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from grids.models import VisitPhoto
from grids.visits import visits_visible_to
from petitions.models import MatterPhoto
from petitions.selectors import matters_visible_to


@login_required
def photo_serve(request, pk: int):
    """A matter's photo, to those who may see the matter (404 otherwise), never cached publicly."""
    photo = get_object_or_404(MatterPhoto.objects.select_related("matter"), pk=pk)
    if not matters_visible_to(request.user).filter(pk=photo.matter_id).exists():
        raise Http404
    return private_jpeg(photo.image)


@login_required
def visit_photo_serve(request, pk: int):
    """A visit's photo, to those who may see the visit (404 otherwise)."""
    photo = get_object_or_404(VisitPhoto, pk=pk)
    if not visits_visible_to(request.user).filter(pk=photo.visit_id).exists():
        raise Http404
    return private_jpeg(photo.image)


def private_jpeg(field_file):
    """A stored JPEG (a re-encoded photo) for one viewer: never cached by a shared cache."""
    response = FileResponse(field_file.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
