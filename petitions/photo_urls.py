"""The matter photos' address: governance's private photo view, with the matters' own scope."""

from django.urls import path

from governance.files import private_photo_view
from petitions.models import MatterPhoto
from petitions.selectors import matters_visible_to

urlpatterns = [
    path(
        "matter-photos/<int:pk>/",
        private_photo_view(model=MatterPhoto, parent="matter", visible_to=matters_visible_to),
        name="matter-photo",
    ),
]
