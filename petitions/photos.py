"""Evidence photos on matters: who may add one, and adding it on the record.

The checking and re-encoding (no metadata, bounded size) is governance.photos'; the files
are served only through the scoped view wired in petitions.photo_urls.
"""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from governance.photos import reencode_photo
from petitions import workflow
from petitions.models import Matter, MatterEvent, MatterPhoto

MAX_PHOTOS = 12


def may_add_photo(user, matter: Matter) -> bool:
    """Whoever recorded it, its owner, its handler, or its classifiers, while it is open."""
    return matter.created_by_id == user.pk or any(
        workflow.may(user, action, matter) for action in ("classify", "deliberate", "report")
    )


@transaction.atomic
def matter_add_photo(*, matter: Matter, actor, upload) -> MatterPhoto:
    """Attach a photo to an open matter, on the record."""
    matter = Matter.objects.select_for_update().get(pk=matter.pk)
    if not may_add_photo(actor, matter):
        raise workflow.MatterPermissionError(_("Your role may not add photos to this matter."))
    if not matter.is_open:
        raise workflow.MatterStateError(_("The matter is closed."))
    if matter.photos.count() >= MAX_PHOTOS:
        raise ValidationError({"image": _("A matter may have at most %(count)d photos.") % {"count": MAX_PHOTOS}})
    data, width, height = reencode_photo(upload)
    photo = MatterPhoto(matter=matter, width=width, height=height, size=len(data), uploaded_by=actor)
    photo.image.save("photo.jpg", ContentFile(data), save=False)
    photo.save()
    MatterEvent.objects.create(
        matter=matter,
        actor=actor,
        action="photo",
        from_state=matter.state,
        to_state=matter.state,
        payload={"photo": photo.pk},
    )
    return photo
