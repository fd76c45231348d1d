"""三治's hub (/civic/): who may open it, what it counts, and that it stays a few queries."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.civic import councils
from governance.civic.models import CouncilKind

pytestmark = pytest.mark.django_db

URL = "/civic/"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("cadre", 200), ("grid1", 200), ("official", 200), ("clerk", 403), ("supervisor", 403), ("handler", 403)],
)
def test_hub_is_for_the_civic_readers(client, world, persona, status):
    client.force_login(getattr(world.users, persona))
    assert client.get(URL).status_code == status


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_hub_counts_a_meeting_waiting_to_be_recorded_and_lists_the_next(client, world):
    cadre = world.users.cadre
    today = timezone.localdate()
    councils.meeting_plan(
        actor=cadre, village=world.qixing, kind=CouncilKind.CONCERNS, held_on=today, place="村委会", agenda="听取意见"
    )
    councils.meeting_plan(
        actor=cadre,
        village=world.qixing,
        kind=CouncilKind.RESULTS,
        held_on=today + datetime.timedelta(days=7),
        place="村委会",
        agenda="评议",
    )
    client.force_login(cadre)
    body = client.get(URL).content.decode()
    assert "?status=planned" in body  # the meeting of today waits to be recorded
    assert (today + datetime.timedelta(days=7)).isoformat() in body  # the next one is coming up


def test_hub_queries_stay_flat(client, world, django_assert_max_num_queries):
    cadre = world.users.cadre
    today = timezone.localdate()
    for days in range(6):
        councils.meeting_plan(
            actor=cadre,
            village=world.qixing,
            kind=CouncilKind.CONCERNS,
            held_on=today + datetime.timedelta(days=days),
            place="村委会",
            agenda="听取意见",
        )
    client.force_login(cadre)
    with django_assert_max_num_queries(14):
        assert client.get(URL).status_code == 200
