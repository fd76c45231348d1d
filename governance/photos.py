"""Uploaded photos, checked and re-encoded without metadata: one place for matters, visits
and points (the proof of a good deed).

Photos are personal data: the upload is decoded and re-encoded as a JPEG no larger than
MAX_SIDE pixels, which drops every EXIF field (GPS position, phone model, time) after the
orientation has been applied. The stored files are only ever served through scoped views
(governance.files.jpeg_response).
"""

import io
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024
MAX_SIDE = 2000
# Pillow's own guard, a backstop for any other Image.open in the process: it warns above this
# (an error here) and refuses twice it. `_check_bounds` applies the bound of each format, with
# its own message, before a single pixel is decoded.
Image.MAX_IMAGE_PIXELS = 2 * max(settings.UPLOAD_MAX_IMAGE_PIXELS, settings.UPLOAD_MAX_IMAGE_PIXELS_OTHER)


def reencode_photo(upload, field: str = "image") -> tuple[bytes, int, int]:
    """The upload as a JPEG of at most MAX_SIDE pixels, without metadata: (bytes, width, height).

    Bounded before anything is decoded: the file's size, then (from the header alone) its
    pixel count and its number of frames. A small PNG of 9000×9000 pixels would otherwise
    take a worker to a gigabyte.
    """
    if upload.size > MAX_BYTES:
        raise ValidationError({field: _("A photo may be at most 8 MB.")})
    unreadable = ValidationError({field: _("This file is not a photo we can read (JPEG, PNG or WebP).")})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                _check_bounds(image, field)
                # Shrink first, in place, so that at most one full-size copy is ever decoded:
                # a JPEG decodes straight at a reduced scale (draft); other formats are reduced
                # right after decoding. Only then turn, and convert the small image.
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))
                if image.mode in ("P", "1"):  # resizing a palette would fall back to nearest-neighbour
                    image = image.convert("RGB")
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                image = ImageOps.exif_transpose(image)
                image = image.convert("RGB")
                out = io.BytesIO()
                image.save(out, format="JPEG", quality=85, optimize=True)
                return out.getvalue(), image.width, image.height
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(field, settings.UPLOAD_MAX_IMAGE_PIXELS) from None
    except (UnidentifiedImageError, OSError, EOFError, SyntaxError, ValueError):
        raise unreadable from None


def _too_many_pixels(field: str, limit: int) -> ValidationError:
    megapixels = limit // 1_000_000
    message = _("This photo has too many pixels: at most %(count)d megapixels.") % {"count": megapixels}
    return ValidationError({field: ValidationError(message, code="image_too_large")})


def _check_bounds(image, field: str) -> None:
    """Pixels and frames, from the header (Image.open decodes nothing)."""
    width, height = image.size
    # A JPEG decodes at a reduced scale (draft), so a large camera photo costs little; other
    # formats decode whole (a 40 MP WebP takes ~600 MB), so they get a smaller bound.
    jpeg = image.format in ("JPEG", "MPO")
    limit = settings.UPLOAD_MAX_IMAGE_PIXELS if jpeg else settings.UPLOAD_MAX_IMAGE_PIXELS_OTHER
    if width * height > limit:
        raise _too_many_pixels(field, limit)
    frames = settings.UPLOAD_MAX_IMAGE_FRAMES
    if getattr(image, "is_animated", False):
        # Seek no further than one frame past the limit (n_frames would walk them all).
        try:
            image.seek(frames)
        except EOFError:
            pass
        else:
            message = _("This image has too many frames: send a single photo.")
            raise ValidationError({field: ValidationError(message, code="image_too_many_frames")})
        image.seek(0)
