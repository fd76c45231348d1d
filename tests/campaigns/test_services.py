"""Campaigns: who makes and starts them, the tasks they send down, answering (once, offline
or not), and where findings lead."""

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils import timezone

from governance.errors import Conflict, Forbidden
from grids.campaigns.models import Campaign, Task
from grids.campaigns.selectors import campaigns_visible_to, open_tasks_for, progress, summary, tasks_visible_to
from grids.campaigns.services import (
    campaign_close,
    campaign_edit,
    campaign_set_form,
    campaign_start,
    covered_households,
    task_answer,
)
from grids.models import Grid, Tag, Township, Village
from tests.factories import make_household

pytestmark = pytest.mark.usefixtures("english")

HAZARD = {
    "uses_gas": "yes",
    "gas_kind": "lpg",
    "hose_ok": "no",
    "alarm": "no",
    "hazard": "yes",
    "hazard_detail": "阀门漏气",
}
SAFE = {"uses_gas": "yes", "gas_kind": "pipe", "hose_ok": "yes", "alarm": "yes", "hazard": "no"}


def _task(campaign, household):
    return Task.objects.get(campaign=campaign, household=household, follows=None)


def test_the_township_makes_a_campaign_for_a_village_and_starting_sends_one_task_per_household(
    world, make_campaign, safety
):
    campaign = make_campaign()
    assert campaign.state == Campaign.State.DRAFT and not Task.objects.exists()
    campaign = campaign_start(campaign=campaign, actor=world.users.official)
    h = world.households
    assert campaign.state == Campaign.State.STARTED and campaign.task_count == 3
    tasks = Task.objects.filter(campaign=campaign)
    assert {t.household_id for t in tasks} == {h.q1.pk, h.q1b.pk, h.q2.pk}
    task = _task(campaign, h.q2)
    assert (task.township_id, task.village_id, task.grid_id) == (h.q2.township_id, h.q2.village_id, h.q2.grid_id)
    assert task.due_on == campaign.due_on and task.state == Task.State.OPEN


def test_coverage_by_grid_courtyard_and_tag(world, make_campaign):
    h = world.households
    assert set(covered_households(make_campaign(villages=[], grids=[world.q2]))) == {h.q2}
    assert set(covered_households(make_campaign(villages=[], courtyards=[world.yard]))) == {h.q1}
    assert set(covered_households(make_campaign(villages=[]))) == {h.q1, h.q1b, h.q2, h.h1}
    tag = Tag.objects.create(code="lives_alone", name="独居老人")
    h.q1b.members.first().tags.add(tag)  # a member's tag counts for the household
    h.h1.tags.add(tag)
    assert set(covered_households(make_campaign(villages=[], tags=[tag]))) == {h.q1b, h.h1}
    village = make_campaign(actor=world.users.cadre, village=world.qixing, villages=[], tags=[tag])
    assert set(covered_households(village)) == {h.q1b}


@pytest.mark.parametrize(
    ("who", "village"),
    [("cadre", None), ("other_cadre", "qixing"), ("grid1", "qixing"), ("other_official", None), ("outsider", None)],
)
def test_who_may_not_make_a_campaign(world, make_campaign, who, village):
    with pytest.raises(Forbidden):
        make_campaign(actor=getattr(world.users, who), village=getattr(world, village) if village else None)
    assert not Campaign.objects.exists()


def test_a_village_campaign_stays_in_its_village(world, make_campaign):
    with pytest.raises(ValidationError) as error:
        make_campaign(actor=world.users.cadre, village=world.qixing, villages=[world.hualong])
    assert "villages" in error.value.message_dict
    with pytest.raises(ValidationError):
        make_campaign(villages=[world.liwan])  # another township's village


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": " "}, "title"),
        ({"due_on": datetime.date(2020, 1, 1)}, "due_on"),
        ({"retention_days": 7}, "retention_days"),
    ],
)
def test_bad_campaign_input_changes_nothing(world, make_campaign, fields, field):
    with pytest.raises(ValidationError) as error:
        make_campaign(**fields)
    assert field in error.value.message_dict
    assert not Campaign.objects.exists()


def test_a_started_campaign_keeps_its_form_and_coverage(world, make_campaign, safety):
    campaign = make_campaign(start=True)
    with pytest.raises(Conflict):
        campaign_set_form(
            campaign=campaign, actor=world.users.official, form=[{"name": "a", "kind": "text", "label": "甲"}]
        )
    with pytest.raises(Conflict):
        campaign_edit(campaign=campaign, actor=world.users.official, title="改名")
    with pytest.raises(Conflict):
        campaign_start(campaign=campaign, actor=world.users.official)
    campaign.refresh_from_db()
    assert campaign.title == "燃气安全排查" and campaign.form[0]["name"] == "uses_gas"


def test_starting_needs_the_categories_the_form_raises(world, make_campaign):
    campaign = make_campaign()
    with pytest.raises(ValidationError, match="public_security"):
        campaign_start(campaign=campaign, actor=world.users.official)
    assert not Task.objects.exists()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT


def test_starting_with_no_household_covered_is_refused(world, make_campaign, safety):
    tag = Tag.objects.create(code="nobody", name="无人")
    campaign = make_campaign(tags=[tag])
    with pytest.raises(ValidationError) as error:
        campaign_start(campaign=campaign, actor=world.users.official)
    assert "coverage" in error.value.message_dict


def test_an_answer_is_stored_once_and_a_resend_finds_it(world, make_campaign, safety):
    campaign = make_campaign(start=True)
    task = _task(campaign, world.households.q1b)
    key = uuid.uuid4()
    stored, created = task_answer(actor=world.users.grid1, task=task, client_uuid=key, answers=SAFE)
    assert created and stored.state == Task.State.DONE and stored.answers["gas_kind"] == "pipe"
    again, created = task_answer(actor=world.users.grid1, task=task, client_uuid=key, answers=SAFE)
    assert not created and again.pk == stored.pk
    with pytest.raises(Conflict) as error:
        task_answer(actor=world.users.grid1, task=task, client_uuid=key, answers={**SAFE, "alarm": "no"})
    assert error.value.code == "answer_uuid_reused"
    with pytest.raises(Conflict) as error:
        task_answer(actor=world.users.grid1, task=task, client_uuid=uuid.uuid4(), answers=SAFE)
    assert error.value.code == "task_done"


def test_a_hazard_raises_a_matter_and_a_follow_up(world, make_campaign, safety):
    from petitions.models import Matter

    campaign = make_campaign(start=True)
    household = world.households.q1
    answered_at = timezone.now() - datetime.timedelta(hours=3)  # answered offline, synced later
    task, _ = task_answer(
        actor=world.users.grid1, task=_task(campaign, household), client_uuid=uuid.uuid4(), answers=HAZARD,
        answered_at=answered_at,
    )  # fmt: skip
    (matter,) = task.matters.all()
    assert matter.category == safety and matter.household == household and matter.grid == world.q1
    assert "阀门漏气" in matter.description and "燃气安全排查" in matter.description
    assert Matter.objects.count() == 1
    follow_up = Task.objects.get(follows=task)
    assert follow_up.due_on == timezone.localdate(answered_at) + datetime.timedelta(days=7)
    assert follow_up.household == household and follow_up.state == Task.State.OPEN


def test_bad_answers_change_nothing(world, make_campaign, safety):
    campaign = make_campaign(start=True)
    task = _task(campaign, world.households.q1)
    with pytest.raises(ValidationError) as error:
        task_answer(actor=world.users.grid1, task=task, client_uuid=uuid.uuid4(), answers={"uses_gas": "yes"})
    assert "gas_kind" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        task_answer(
            actor=world.users.grid1, task=task, client_uuid=uuid.uuid4(), answers=SAFE,
            answered_at=timezone.now() + datetime.timedelta(hours=2),
        )  # fmt: skip
    assert "answered_at" in error.value.message_dict
    task.refresh_from_db()
    assert task.state == Task.State.OPEN and task.answers is None


@pytest.mark.parametrize("who", ["grid2", "other_cadre", "clerk", "outsider", "other_official"])
def test_only_the_households_staff_answer(world, make_campaign, safety, who):
    campaign = make_campaign(start=True)
    with pytest.raises(Forbidden):
        task_answer(
            actor=getattr(world.users, who), task=_task(campaign, world.households.q1), client_uuid=uuid.uuid4(),
            answers=SAFE,
        )  # fmt: skip


def test_a_closed_campaign_takes_no_answers(world, make_campaign, safety):
    campaign = make_campaign(start=True)
    campaign_close(campaign=campaign, actor=world.users.official)
    with pytest.raises(Conflict):
        task_answer(
            actor=world.users.grid1, task=_task(campaign, world.households.q1), client_uuid=uuid.uuid4(), answers=SAFE
        )
    assert not open_tasks_for(world.users.grid1).exists()


def test_to_do_progress_summary_and_scope(world, make_campaign, safety):
    campaign = make_campaign(start=True)
    h = world.households
    assert [t.household for t in open_tasks_for(world.users.grid1)] == sorted(
        [h.q1, h.q1b], key=lambda x: _task(campaign, x).pk
    )
    assert [t.household for t in open_tasks_for(world.users.grid2)] == [h.q2]
    assert not open_tasks_for(world.users.other_cadre).exists()
    task_answer(actor=world.users.grid1, task=_task(campaign, h.q1b), client_uuid=uuid.uuid4(), answers=SAFE)
    by_grid = {row["id"]: row for row in progress(campaign, by="grid")}
    assert (by_grid[world.q1.pk]["done"], by_grid[world.q1.pk]["total"]) == (1, 2)
    assert (by_grid[world.q2.pk]["done"], by_grid[world.q2.pk]["total"]) == (0, 1)
    (village,) = progress(campaign, by="village")
    assert (village["done"], village["total"], village["overdue"]) == (1, 3, 0)
    overdue = progress(campaign, by="village", today=campaign.due_on + datetime.timedelta(days=1))
    assert overdue[0]["overdue"] == 2
    assert summary(campaign) == {
        "answered": 1,
        "choices": {"uses_gas": {"yes": 1}, "gas_kind": {"pipe": 1}, "hose_ok": {"yes": 1}, "alarm": {"yes": 1},
                    "hazard": {"no": 1}},
    }  # fmt: skip
    assert set(tasks_visible_to(world.users.grid2)) == {_task(campaign, h.q2)}
    assert tasks_visible_to(world.users.cadre).count() == 3
    assert not tasks_visible_to(world.users.other_cadre).exists()
    for who in ("official", "cadre", "grid1", "grid2"):
        assert list(campaigns_visible_to(getattr(world.users, who))) == [campaign], who
    for who in ("other_cadre", "other_official", "outsider"):
        assert not campaigns_visible_to(getattr(world.users, who)).exists(), who


def test_starting_is_one_statement_whatever_the_number_of_households(
    world, make_campaign, safety, django_assert_max_num_queries
):
    for _ in range(30):
        make_household(world.q2, members=0)
    campaign = make_campaign()
    with django_assert_max_num_queries(12):
        campaign = campaign_start(campaign=campaign, actor=world.users.official)
    assert campaign.task_count == 33 == Task.objects.filter(campaign=campaign).count()


def test_a_place_with_tasks_is_not_deleted(world, make_campaign, safety):
    """The task's township, village and grid are copies of its household's places without a
    constraint in the database (migration 0003): the ORM's PROTECT still keeps each of them."""
    campaign_start(campaign=make_campaign(), actor=world.users.official)
    task = Task.objects.filter(household=world.households.q2).first()
    township = Township.objects.create(name="空镇", code="T-EMPTY")
    village = Village.objects.create(township=world.weituo, name="空村", code="V-EMPTY")
    grid = Grid.objects.create(township=world.weituo, village=world.qixing, number=99, name="空网格")
    for field, place in (("township", township), ("village", village), ("grid", grid)):
        Task.objects.filter(pk=task.pk).update(**{field: place})
        with pytest.raises(ProtectedError):
            place.delete()
        assert type(place).objects.filter(pk=place.pk).exists()


def test_a_photo_answer_names_an_uploaded_photo_of_ones_own(world, make_campaign, safety, settings, tmp_path):
    from grids.campaigns.models import AnswerPhoto
    from grids.campaigns.services import answer_photo_upload
    from tests.pledge_fixtures import jpeg

    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(start=True)
    with pytest.raises(Forbidden):
        answer_photo_upload(actor=world.users.clerk, upload=jpeg())
    photo = answer_photo_upload(actor=world.users.grid1, upload=jpeg())
    other = answer_photo_upload(actor=world.users.grid2, upload=jpeg())
    task = _task(campaign, world.households.q1)
    with pytest.raises(ValidationError) as error:  # someone else's photo
        task_answer(
            actor=world.users.grid1, task=task, client_uuid=uuid.uuid4(), answers={**HAZARD, "photo": other.token}
        )
    assert "photo" in error.value.message_dict
    task, _ = task_answer(
        actor=world.users.grid1, task=task, client_uuid=uuid.uuid4(), answers={**HAZARD, "photo": photo.token}
    )
    assert task.answers["photo"] == photo.token
    assert AnswerPhoto.objects.get(pk=photo.pk).task == task


def test_answers_are_deleted_after_their_retention_and_the_counts_stay(
    world, make_campaign, safety, settings, tmp_path
):
    from grids.campaigns.models import AnswerPhoto
    from grids.campaigns.services import answer_photo_upload, campaigns_delete_expired_answers
    from tests.pledge_fixtures import jpeg

    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(start=True, retention_days=30)
    photo = answer_photo_upload(actor=world.users.grid1, upload=jpeg())
    task_answer(
        actor=world.users.grid1, task=_task(campaign, world.households.q1), client_uuid=uuid.uuid4(),
        answers={**HAZARD, "photo": photo.token},
    )  # fmt: skip
    task_answer(
        actor=world.users.grid1, task=_task(campaign, world.households.q1b), client_uuid=uuid.uuid4(), answers=SAFE
    )
    before = summary(campaign)
    unclaimed = answer_photo_upload(actor=world.users.grid1, upload=jpeg())
    day_before = timezone.now() + datetime.timedelta(days=(campaign.due_on - timezone.localdate()).days + 30)
    # The unclaimed photo goes a week after its upload; the answers only after their retention.
    assert campaigns_delete_expired_answers(now=day_before) == {"campaigns": 0, "unclaimed_photos": 1}
    later = day_before + datetime.timedelta(days=1)
    assert campaigns_delete_expired_answers(now=later) == {"campaigns": 1, "unclaimed_photos": 0}
    campaign.refresh_from_db()
    assert campaign.answers_deleted_at is not None
    assert not Task.objects.filter(campaign=campaign, answers__isnull=False).exists()
    assert not AnswerPhoto.objects.filter(pk__in=[photo.pk, unclaimed.pk]).exists()
    assert list(tmp_path.rglob("*.jpg")) == []
    kept = summary(campaign)
    assert kept["answered"] == before["answered"] == 2 and kept["choices"] == before["choices"]
    assert kept["progress"]["village"][0]["done"] == 2
    assert campaigns_delete_expired_answers(now=later) == {"campaigns": 0, "unclaimed_photos": 0}


def test_progress_lists_grids_by_number_not_by_name(world, make_campaign, safety):
    """第一, 第二, 第三网格 in that order (by name, 第三 sorts before 第二)."""
    from grids.services import grid_create
    from tests.factories import make_household

    make_household(grid_create(village=world.qixing, number=3, name="第三网格"), head_name="周九")
    campaign = make_campaign(start=True)
    assert [row["name"] for row in progress(campaign, by="grid")] == ["第一网格", "第二网格", "第三网格"]
