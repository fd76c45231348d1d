import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from petitions.models import MatterEvent, MatterPhoto
from petitions.photos import matter_add_photo
from petitions.workflow import MatterPermissionError


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def jpeg_with_gps() -> SimpleUploadedFile:
    image = Image.new("RGB", (3000, 1500), "orange")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "N", 2: (29.0, 48.0, 0.0), 3: "E", 4: (106.0, 16.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile("IMG_0001.jpg", out.getvalue(), content_type="image/jpeg")


def test_photo_is_reencoded_without_metadata_and_resized(mw):
    matter = mw.staff_matter()
    photo = matter_add_photo(matter=matter, actor=mw.users.grid1, upload=jpeg_with_gps())
    assert (photo.width, photo.height) == (2000, 1000)
    with Image.open(photo.image.path) as stored:
        assert not stored.getexif()
    assert "IMG_0001" not in photo.image.name
    assert MatterEvent.objects.filter(matter=matter, action="photo").count() == 1


def test_not_an_image_is_refused(mw):
    matter = mw.staff_matter()
    with pytest.raises(ValidationError):
        matter_add_photo(matter=matter, actor=mw.users.grid1, upload=SimpleUploadedFile("x.jpg", b"<html>"))
    assert not MatterPhoto.objects.exists()


def test_outsider_cannot_add_photo(mw):
    matter = mw.staff_matter()
    with pytest.raises(MatterPermissionError):
        matter_add_photo(matter=matter, actor=mw.users.grid2, upload=jpeg_with_gps())


def test_photo_served_only_to_those_who_see_the_matter(mw, client):
    matter = mw.staff_matter()
    photo = matter_add_photo(matter=matter, actor=mw.users.grid1, upload=jpeg_with_gps())
    url = f"/matter-photos/{photo.pk}/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(mw.users.grid2)
    assert client.get(url).status_code == 404
    client.force_login(mw.users.cadre)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")


def test_a_photo_whose_file_is_gone_is_a_404_not_a_500(mw, client):
    """Regression: a row whose file was lost (a restore without media) raised FileNotFoundError."""
    photo = matter_add_photo(matter=mw.staff_matter(), actor=mw.users.grid1, upload=jpeg_with_gps())
    photo.image.storage.delete(photo.image.name)
    client.force_login(mw.users.cadre)
    assert client.get(f"/matter-photos/{photo.pk}/").status_code == 404


def png(size, mode="1", **save) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new(mode, size).save(out, format="PNG", **save)
    return SimpleUploadedFile("big.png", out.getvalue(), content_type="image/png")


@pytest.mark.parametrize("size", [(8900, 8900), (7000, 7000), (40_000, 1100)])
def test_a_photo_with_too_many_pixels_is_refused_before_it_is_decoded(mw, size, monkeypatch):
    """A small file (a few hundred KB) of tens of megapixels: refused from its header."""
    upload = png(size)
    assert upload.size < 1_000_000
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self))

    with pytest.raises(ValidationError) as refused:
        matter_add_photo(matter=mw.staff_matter(), actor=mw.users.grid1, upload=upload)

    assert [e.code for e in refused.value.error_dict["image"]] == ["image_too_large"]
    assert "12" in refused.value.message_dict["image"][0]  # PNG decodes whole: the smaller bound
    assert decoded == []
    assert not MatterPhoto.objects.exists()


def test_the_pixel_limit_is_a_setting(mw, settings):
    settings.UPLOAD_MAX_IMAGE_PIXELS_OTHER = 1_000_000
    with pytest.raises(ValidationError):
        matter_add_photo(matter=mw.staff_matter(), actor=mw.users.grid1, upload=png((1001, 1000), "RGB"))
    assert matter_add_photo(matter=mw.staff_matter(), actor=mw.users.grid1, upload=png((1000, 1000), "RGB"))


def test_a_camera_jpeg_may_be_larger_than_a_png_or_webp(mw):
    """Regression: a 1.6 KB lossless WebP of 6300×6300 (under the JPEG bound) took a worker to
    ~770 MB. A JPEG decodes at a reduced scale, so it keeps the larger bound; PNG, WebP and GIF,
    which decode whole, get UPLOAD_MAX_IMAGE_PIXELS_OTHER (12 MP)."""
    size = (5000, 3000)  # 15 MP
    for fmt in ("WEBP", "PNG"):
        out = io.BytesIO()
        Image.new("RGB", size).save(out, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))
        with pytest.raises(ValidationError) as refused:
            matter_add_photo(
                matter=mw.staff_matter(), actor=mw.users.grid1, upload=SimpleUploadedFile(f"x.{fmt}", out.getvalue())
            )
        assert [e.code for e in refused.value.error_dict["image"]] == ["image_too_large"]
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, format="JPEG")
    photo = matter_add_photo(
        matter=mw.staff_matter(), actor=mw.users.grid1, upload=SimpleUploadedFile("x.jpg", out.getvalue())
    )
    assert max(photo.width, photo.height) <= 2000


def test_an_animation_of_many_frames_is_refused(mw):
    frames = [Image.new("RGB", (64, 64), (i * 20, 0, 0)) for i in range(10)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])
    upload = SimpleUploadedFile("many.gif", out.getvalue(), content_type="image/gif")

    with pytest.raises(ValidationError) as refused:
        matter_add_photo(matter=mw.staff_matter(), actor=mw.users.grid1, upload=upload)

    assert [e.code for e in refused.value.error_dict["image"]] == ["image_too_many_frames"]
