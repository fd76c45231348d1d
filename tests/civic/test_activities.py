"""Activities' services (governance.civic.activities): who records, participants of the village,
no future dates, photos re-encoded and scoped, one points batch through the maker-checker."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from governance.civic import activities as a
from governance.civic.models import ActivityKind, ActivityPhoto
from governance.errors import Conflict, Forbidden
from points import services as points
from points.models import Award, AwardStatus, Entry
from points.policy import PointsPermissionError
from tests.civic import selection_world
from tests.pledge_fixtures import jpeg

pytestmark = pytest.mark.django_db
sw = selection_world.sw


def _residents(*households):
    return [r for h in households for r in h.members.order_by("pk")]


def record(sw, actor=None, village=None, participants=None, **extra):
    data = {
        "kind": ActivityKind.NEIGHBOURS_FESTIVAL,
        "title": "邻里节",
        "held_on": timezone.localdate() - datetime.timedelta(days=2),
        "description": "百家宴、文艺表演",
        "participants": _residents(sw.households.q1, sw.households.q1b) if participants is None else participants,
    }
    data.update(extra)
    return a.activity_record(actor=actor or sw.users.cadre, village=village or sw.qixing, **data)


def test_cadre_records_an_activity_with_participants_and_a_photo(sw):
    activity = record(sw, photos=[jpeg()])
    assert activity.participants.count() == 4
    photo = ActivityPhoto.objects.get(activity=activity)
    assert photo.image.read(3) == b"\xff\xd8\xff"  # re-encoded as JPEG


def test_grid_worker_records_for_their_village_and_their_grid(sw):
    activity = record(sw, actor=sw.users.grid1)
    assert activity.grid == sw.q1


@pytest.mark.parametrize("persona", ["helper", "clerk", "supervisor", "official", "other_cadre", "outsider"])
def test_who_may_not_record(sw, persona):
    with pytest.raises(Forbidden):
        record(sw, actor=getattr(sw.users, persona))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"held_on": timezone.localdate() + datetime.timedelta(days=1)}, "held_on"),
        ({"title": " "}, "title"),
        ({"description": ""}, "description"),
        ({"kind": "party"}, "kind"),
    ],
)
def test_record_refusals_name_the_field(sw, change, field):
    with pytest.raises(ValidationError) as error:
        record(sw, **change)
    assert field in error.value.error_dict


def test_participants_live_in_the_village_and_the_grid_too(sw):
    with pytest.raises(ValidationError) as error:
        record(sw, participants=_residents(sw.households.h1))
    assert "participants" in error.value.error_dict
    with pytest.raises(ValidationError) as error:
        record(sw, grid=sw.h1)
    assert "grid" in error.value.error_dict


def test_a_file_that_is_no_photo_is_refused_and_nothing_is_kept(sw):
    bad = SimpleUploadedFile("x.jpg", b"not a photo", content_type="image/jpeg")
    with pytest.raises(ValidationError) as error:
        record(sw, photos=[bad])
    assert "photos" in error.value.error_dict
    assert not ActivityPhoto.objects.exists()


def test_add_photos_by_a_recorder_only(sw):
    activity = record(sw)
    a.activity_add_photos(activity=activity, actor=sw.users.grid2, photos=[jpeg()])
    with pytest.raises(Forbidden):
        a.activity_add_photos(activity=activity, actor=sw.users.official, photos=[jpeg()])
    with pytest.raises(ValidationError):
        a.activity_add_photos(activity=activity, actor=sw.users.cadre, photos=[])
    assert activity.photos.count() == 1


def test_one_points_batch_per_activity_through_the_maker_checker(sw):
    now = timezone.now()
    activity = record(sw)
    a.activity_propose_points(activity=activity, actor=sw.users.cadre, rule=sw.rules.festival, now=now)
    activity.refresh_from_db()
    awards = list(Award.objects.filter(batch=activity.award_batch).order_by("pk"))
    assert {aw.account.household for aw in awards} == {sw.households.q1, sw.households.q1b}  # one per household
    assert all(aw.occurred_on == activity.held_on and aw.status == AwardStatus.PENDING for aw in awards)
    with pytest.raises(Conflict) as error:
        a.activity_propose_points(activity=activity, actor=sw.users.cadre, rule=sw.rules.festival)
    assert error.value.code == "already_proposed"
    with pytest.raises(PointsPermissionError):
        points.award_approve(award=awards[0], actor=sw.users.cadre, now=now + datetime.timedelta(days=4))
    points.award_approve(award=awards[0], actor=sw.users.cadre2, now=now + datetime.timedelta(days=4))
    assert Entry.objects.filter(account=awards[0].account, kind="earn", points=2).count() == 1


def test_points_refusals(sw):
    with pytest.raises(Conflict) as error:
        a.activity_propose_points(activity=record(sw, participants=[]), actor=sw.users.cadre, rule=sw.rules.festival)
    assert error.value.code == "no_participants"
    activity = record(sw, title="另一个")
    for bad in (sw.rules.evidence, sw.rules.inactive, sw.rules.hualong):
        with pytest.raises(ValidationError) as error:
            a.activity_propose_points(activity=activity, actor=sw.users.cadre, rule=bad)
        assert "rule" in error.value.error_dict
    with pytest.raises(Forbidden):
        a.activity_propose_points(activity=activity, actor=sw.users.official, rule=sw.rules.festival)
    assert not Award.objects.exists()
