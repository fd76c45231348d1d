"""The visit photos' address: governance's private photo view, with the visits' own scope."""

from django.urls import path

from governance.files import private_photo_view
from grids.visits.models import VisitPhoto
from grids.visits.selectors import visits_visible_to

urlpatterns = [
    path(
        "visit-photos/<int:pk>/",
        private_photo_view(model=VisitPhoto, parent="visit", visible_to=visits_visible_to),
        name="visit-photo",
    ),
]
