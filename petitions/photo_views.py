from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from governance.files import jpeg_response
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
    return jpeg_response(photo.image)


@login_required
def visit_photo_serve(request, pk: int):
    """A visit's photo, to those who may see the visit (404 otherwise)."""
    photo = get_object_or_404(VisitPhoto, pk=pk)
    if not visits_visible_to(request.user).filter(pk=photo.visit_id).exists():
        raise Http404
    return jpeg_response(photo.image)
