"""The matter page's photo and clock forms: /matters/<id>/photo|pause|resume/."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from petitions import services as s
from petitions.models import Kind, Matter, MatterEvent, MatterPhoto

COVERED_URL_NAMES = {"matter-extra"}


@pytest.fixture
def classified(mw):
    matter = mw.staff_matter()
    s.matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    return matter


def png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(out, format="PNG")
    return SimpleUploadedFile("evidence.png", out.getvalue(), content_type="image/png")


@pytest.mark.parametrize(
    "persona, status",
    # The owner (grid1) no longer pauses their own clock: only the level above does.
    [("grid2", 404), ("other_cadre", 404), ("handler", 404), ("grid1", 403), ("leader1", 403), ("anonymous", 302)],
)
def test_who_may_not_pause(client, mw, classified, persona, status):
    if persona != "anonymous":
        client.force_login(getattr(mw.users, persona))
    response = client.post(f"/matters/{classified.pk}/pause/", {"pause-form_token": uuid.uuid4(), "pause-reason": "x"})
    assert response.status_code == status
    assert Matter.objects.get(pk=classified.pk).paused_at is None


def test_level_above_pauses_once_per_form_and_the_owner_resumes(client, mw, classified, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(mw.users.grid1)
    assert b"pause-reason" not in client.get(f"/matters/{classified.pk}/").content  # the owner asks instead
    client.force_login(mw.users.cadre)
    page = client.get(f"/matters/{classified.pk}/")
    assert b"pause-reason" in page.content
    token = uuid.uuid4()
    for _ in range(2):  # a double submit pauses once
        response = client.post(
            f"/matters/{classified.pk}/pause/", {"pause-form_token": token, "pause-reason": "等材料"}
        )
        assert response.status_code == 302
    assert MatterEvent.objects.filter(matter=classified, action="pause").count() == 1
    client.force_login(mw.users.grid1)
    assert b"resume-form_token" in client.get(f"/matters/{classified.pk}/").content
    client.post(f"/matters/{classified.pk}/resume/", {"resume-form_token": uuid.uuid4()})
    assert Matter.objects.get(pk=classified.pk).paused_at is None
    assert client.post(f"/matters/{classified.pk}/resume/", {"resume-form_token": uuid.uuid4()}).status_code == 409


def test_empty_reason_changes_nothing(client, mw, classified):
    client.force_login(mw.users.cadre)
    client.post(f"/matters/{classified.pk}/pause/", {"pause-form_token": uuid.uuid4(), "pause-reason": ""})
    assert Matter.objects.get(pk=classified.pk).paused_at is None


def test_photo_upload_from_the_page(client, mw, classified, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(mw.users.grid1)
    token = uuid.uuid4()
    for _ in range(2):
        client.post(f"/matters/{classified.pk}/photo/", {"photo-form_token": token, "photo-image": png()})
    photo = MatterPhoto.objects.get()
    page = client.get(f"/matters/{classified.pk}/")
    assert f"/matter-photos/{photo.pk}/".encode() in page.content
    bad = SimpleUploadedFile("x.png", b"not an image")
    client.post(f"/matters/{classified.pk}/photo/", {"photo-form_token": uuid.uuid4(), "photo-image": bad})
    assert MatterPhoto.objects.count() == 1


@pytest.mark.parametrize("action", ["pause", "resume", "photo"])
def test_a_closed_matter_is_409_whatever_the_form_holds(client, mw, classified, action):
    """403, then 409, then the form, as the API answers: a form without its token (or with
    nothing) on a rejected matter is told the matter's state, not the form's errors."""
    s.matter_reject(matter=classified, actor=mw.users.cadre, reason="重复")
    client.force_login(mw.users.cadre if action == "pause" else mw.users.grid1)
    before = MatterEvent.objects.filter(matter=classified).count()

    response = client.post(f"/matters/{classified.pk}/{action}/", {})

    assert response.status_code == 409
    assert MatterEvent.objects.filter(matter=classified).count() == before
