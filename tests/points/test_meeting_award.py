"""Points for a meeting's participants, from the matter's meeting record (page)."""

import pytest

from points.models import Award, AwardBatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def meeting(mw, pw):
    from petitions import services as ps
    from petitions.models import Kind

    matter = mw.staff_matter()
    ps.matter_classify(matter=matter, actor=pw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    return ps.matter_deliberate(
        matter=matter,
        actor=pw.users.grid1,
        kind="meeting",
        held_on=pw.today,
        summary="院坝会：商议修路",
        participants=[*pw.households.q1.members.all(), *pw.households.q1b.members.all()],
    )


def test_matter_page_offers_the_award_to_proposers_of_its_village(meeting, login, pw):
    link = f"/points/meetings/{meeting.pk}/award/"
    assert link in login(pw.users.grid1).get(f"/matters/{meeting.matter_id}/").content.decode()
    assert link not in login(pw.users.official).get(f"/matters/{meeting.matter_id}/").content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("grid1", 200), ("cadre", 200), ("official", 403), ("other_cadre", 404), ("outsider", 404), ("handler", 404)],
)
def test_who_may_open_the_meeting_award_page(meeting, login, pw, persona, status):
    assert login(getattr(pw.users, persona)).get(f"/points/meetings/{meeting.pk}/award/").status_code == status


def test_participants_proposed_once_even_on_a_double_post(meeting, login, pw):
    client = login(pw.users.grid1)
    page = client.get(f"/points/meetings/{meeting.pk}/award/")
    token = page.context["form"].initial["form_token"]
    data = {"form_token": token, "rule": pw.rules.meeting.pk, "note": "院坝会"}
    first = client.post(f"/points/meetings/{meeting.pk}/award/", data)
    again = client.post(f"/points/meetings/{meeting.pk}/award/", data)
    assert first.status_code == again.status_code == 302
    batch = AwardBatch.objects.get()
    assert batch.deliberation == meeting
    assert sorted(Award.objects.values_list("account_id", flat=True)) == sorted([pw.acc.q1.pk, pw.acc.q1b.pk])


def test_a_second_award_of_the_same_rule_is_refused_next_to_the_rule(meeting, login, pw):
    from points import services as s

    s.award_propose_for_deliberation(actor=pw.users.grid1, deliberation=meeting, rule=pw.rules.meeting)
    client = login(pw.users.grid1)
    token = client.get(f"/points/meetings/{meeting.pk}/award/").context["form"].initial["form_token"]
    response = client.post(f"/points/meetings/{meeting.pk}/award/", {"form_token": token, "rule": pw.rules.meeting.pk})
    assert response.status_code == 400
    assert response.context["form"].errors["rule"]
    assert AwardBatch.objects.count() == 1
