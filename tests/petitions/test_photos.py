import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

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
