"""Attacks on pledges: reaching another village's pledge, forging who pledged or who
reviewed, writing fields the API does not take, reading the photos, and the public selector."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from governance import pledges as p
from governance.models import Pledge, PledgeEvent, PledgeStatus
from grids.models import Resident
from tests.factories import assign, make_user
from tests.pledge_fixtures import content, jpeg

pytestmark = pytest.mark.django_db


def _body(**overrides):
    return {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in content(**overrides).items()}


def test_a_grid_worker_of_another_village_gets_404_on_every_step(plw, as_user):
    pledge = plw.published()
    stranger = make_user("t_hualong_grid", name="化龙网格员")
    assign(stranger, "grid_worker", plw.h1)
    client = as_user(stranger)
    assert client.get(f"/api/v1/pledges/{pledge.pk}/").status_code == 404
    for action, body in (("approve", {}), ("progress", {"note": "x"}), ("complete", {"note": "x"})):
        assert client.post(f"/api/v1/pledges/{pledge.pk}/{action}/", body, format="json").status_code == 404
    assert client.get("/api/v1/pledges/").json()["results"] == []


def test_a_shop_clerk_is_refused_the_list_and_cannot_propose(plw, as_user):
    client = as_user(plw.users.clerk)
    assert client.get("/api/v1/pledges/").status_code == 403
    response = client.post("/api/v1/pledges/", {"village": plw.qixing.pk, **_body()}, format="json")
    assert response.status_code == 403 and not Pledge.objects.exists()


def test_the_api_ignores_forged_status_pledger_and_reviewer(plw, as_user):
    client = as_user(plw.users.grid1)
    response = client.post(
        "/api/v1/pledges/",
        {
            "village": plw.qixing.pk,
            **_body(),
            "status": "published",
            "pledger_user": plw.users.cadre.pk,
            "reviewed_by": plw.users.grid1.pk,
            "is_overdue": True,
            "raters": 99,
            "pledger_initials": "张三",
        },
        format="json",
    )
    assert response.status_code == 201
    pledge = Pledge.objects.get()
    assert pledge.status == PledgeStatus.SUBMITTED and pledge.pledger_user == plw.users.grid1
    assert pledge.reviewed_by is None and not pledge.is_overdue and pledge.raters is None
    assert pledge.pledger_initials != "张三"


def test_no_self_review_by_any_path(plw, as_user, client):
    pledge = plw.own(actor=plw.users.grid1)
    api = as_user(plw.users.grid1)
    assert api.post(f"/api/v1/pledges/{pledge.pk}/approve/", {}, format="json").status_code == 403
    client.force_login(plw.users.grid1)
    assert client.post(f"/pledges/{pledge.pk}/approve/", {"approve-note": ""}).status_code == 403
    assert Pledge.objects.get(pk=pledge.pk).status == PledgeStatus.SUBMITTED
    assert not PledgeEvent.objects.filter(pledge=pledge, action="approve").exists()


def test_a_cadre_cannot_pledge_in_another_village_or_for_its_resident(plw, as_user):
    client = as_user(plw.users.other_cadre)
    there = client.post("/api/v1/pledges/", {"village": plw.qixing.pk, **_body()}, format="json")
    assert there.status_code == 400 and "village" in there.json()
    theirs = client.post(
        "/api/v1/pledges/", {"village": plw.hualong.pk, "resident": plw.member.pk, **_body()}, format="json"
    )
    assert theirs.status_code == 400 and "resident" in theirs.json()
    assert not Pledge.objects.exists()


def test_a_resident_of_another_village_is_refused_by_the_service(plw):
    stranger = Resident.objects.filter(village=plw.hualong).first()
    official_cadre = plw.users.cadre
    with pytest.raises(p.PledgePermissionError):
        p.pledge_propose(actor=official_cadre, village=plw.hualong, resident=stranger, **content())
    with pytest.raises(ValidationError):
        p.pledge_propose(actor=official_cadre, village=plw.qixing, resident=stranger, **content())


def test_photos_are_never_on_the_public_board_and_only_scoped_staff_see_them(plw, client):
    pledge = plw.published()
    line = p.pledge_progress(pledge=pledge, actor=plw.users.cadre, note="走访", photos=[jpeg()])
    photo = line.photos.get()
    rows = p.pledges_public(plw.qixing)
    assert "pledge-photos" not in repr(rows) and photo.image.name not in repr(rows)
    assert client.get(f"/pledge-photos/{photo.pk}/").status_code == 302  # anonymous: the login page
    for persona, status in (("cadre", 200), ("official", 200), ("clerk", 404), ("other_official", 404)):
        client.force_login(getattr(plw.users, persona))
        assert client.get(f"/pledge-photos/{photo.pk}/").status_code == status, persona


def test_the_public_selector_has_no_personal_field(plw):
    plw.published(plw.residents())
    plw.published(plw.own())
    (row, *_rest) = p.pledges_public(plw.qixing)
    assert set(row) == {
        "id",
        "pledger_title",
        "pledger_initials",
        "title",
        "content",
        "period",
        "due_on",
        "status",
        "status_label",
        "is_overdue",
        "published_on",
        "completed_on",
        "progress",
        "rating",
    }
    text = repr(p.pledges_public(plw.qixing))
    assert plw.member.name not in text and plw.member.phone not in text
    assert plw.users.cadre.get_full_name() not in text


def test_an_oversized_photo_list_is_refused_whole(plw, as_user):
    pledge = plw.published()
    client = as_user(plw.users.cadre)
    photos = [jpeg(f"{n}.jpg") for n in range(p.MAX_PHOTOS_PER_LINE + 1)]
    response = client.post(
        f"/api/v1/pledges/{pledge.pk}/progress/", {"note": "多图", "photos": photos}, format="multipart"
    )
    assert response.status_code == 400 and not pledge.progress.exists()


def test_a_rating_in_the_future_is_refused(plw, as_user):
    pledge = plw.done()
    client = as_user(plw.users.official)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        f"/api/v1/pledges/{pledge.pk}/rate/",
        {"held_on": tomorrow, "raters": 1, "satisfied": 1, "basically_satisfied": 0, "unsatisfied": 0},
        format="json",
    )
    assert response.status_code == 400 and "held_on" in response.json()
    assert Pledge.objects.get(pk=pledge.pk).status == PledgeStatus.DONE
