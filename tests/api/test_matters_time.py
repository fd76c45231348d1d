"""Pause/resume, photos and figures through the API."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from petitions import services as s
from petitions.models import Kind, MatterEvent, MatterPhoto


def _classified(mw):
    matter = mw.staff_matter()
    s.matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    return matter


def test_pause_and_resume_on_the_record(mw, as_user):
    matter = _classified(mw)
    url = f"/api/v1/matters/{matter.pk}/"
    assert as_user(mw.users.grid2).post(url + "pause/", {"reason": "x"}).status_code == 404
    # The owner no longer stops their own clock: they ask the level above for more time.
    own = as_user(mw.users.grid1).post(url + "pause/", {"reason": "x"})
    assert own.status_code == 403 and own.json()["code"] == "pause_needs_approval"
    client = as_user(mw.users.cadre)  # the level above of a 民事
    assert client.post(url + "pause/", {}).status_code == 400
    response = client.post(url + "pause/", {"reason": "等村民补材料"})
    assert response.status_code == 200 and response.json()["pause_reason"] == "等村民补材料"
    assert client.post(url + "pause/", {"reason": "again"}).status_code == 409
    resumed = as_user(mw.users.grid1).post(url + "resume/", {})  # the owner resumes
    assert resumed.status_code == 200 and resumed.json()["paused_at"] is None
    assert resumed.json()["time_left_hours"] > 0
    assert list(MatterEvent.objects.filter(matter=matter).values_list("action", flat=True))[-2:] == ["pause", "resume"]


def test_photo_upload_through_the_api(mw, as_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    matter = _classified(mw)
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, format="PNG")
    upload = SimpleUploadedFile("p.png", out.getvalue(), content_type="image/png")
    response = as_user(mw.users.grid1).post(
        f"/api/v1/matters/{matter.pk}/photos/", {"image": upload}, format="multipart"
    )
    assert response.status_code == 200, response.content
    assert response.json()["photos"][0]["url"].startswith("/matter-photos/")
    bad = SimpleUploadedFile("p.png", b"nope")
    assert (
        as_user(mw.users.grid1)
        .post(f"/api/v1/matters/{matter.pk}/photos/", {"image": bad}, format="multipart")
        .status_code
        == 400
    )
    assert (
        as_user(mw.users.official)
        .post(f"/api/v1/matters/{matter.pk}/photos/", {"image": bad}, format="multipart")
        .status_code
        == 403
    )
    assert MatterPhoto.objects.count() == 1


def test_figures_are_scoped(mw, as_user):
    _classified(mw)
    response = as_user(mw.users.official).get("/api/v1/matters/figures/?by=village")
    assert response.status_code == 200 and set(response.json()) == {"on_time", "time_per_step", "returns"}
    assert as_user(mw.users.official).get("/api/v1/matters/figures/?by=nonsense").status_code == 400
    other = as_user(mw.users.other_official).get("/api/v1/matters/figures/?by=village").json()
    assert all(row["name"] != "七星村" for row in other["time_per_step"])
