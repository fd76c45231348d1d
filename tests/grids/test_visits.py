"""Visits: the service, replays, corrections and the households' due dates."""

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from governance.models import Role
from grids.models import Household, Tag
from grids.services import household_update
from grids.visits.models import Visit
from grids.visits.selectors import households_to_visit
from grids.visits.services import VisitConflict, households_refresh_visit_due, visit_record
from petitions.models import Matter, Source
from tests.factories import assign, make_household, make_user

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 11, 30, 10, 0))


def record(world, user=None, household=None, **fields):
    fields.setdefault("client_uuid", uuid.uuid4())
    fields.setdefault("visited_at", NOW)
    fields.setdefault("method", Visit.Method.HOME)
    fields.setdefault("now", NOW)
    if household is None and fields["method"] in (Visit.Method.HOME, Visit.Method.SIT_DOWN):
        household = world.households.q1
    return visit_record(author=user or world.users.grid1, household=household, **fields)


def test_grid_worker_logs_visit_with_places_from_the_household(world):
    visit, created = record(world, notes="老人腿脚不便", met=Visit.Met.HEAD)
    assert created
    assert (visit.township_id, visit.village_id, visit.grid_id) == (world.weituo.pk, world.qixing.pk, world.q1.pk)
    assert visit.courtyard_id == world.yard.pk
    assert visit.visited_on == datetime.date(2026, 11, 30)


def test_replay_with_same_body_returns_stored_visit_and_writes_nothing(world):
    key = uuid.uuid4()
    first, created = record(world, client_uuid=key, notes="一切正常")
    again, created_again = record(world, client_uuid=key, notes="一切正常", now=NOW + datetime.timedelta(hours=3))
    assert created and not created_again
    assert again.pk == first.pk
    assert Visit.objects.count() == 1


def test_same_uuid_with_different_body_is_a_conflict(world):
    key = uuid.uuid4()
    record(world, client_uuid=key, notes="一切正常")
    with pytest.raises(VisitConflict) as exc:
        record(world, client_uuid=key, notes="有矛盾")
    assert exc.value.code == "visit_uuid_reused"
    assert Visit.objects.count() == 1


def test_uuid_is_unique_per_author_not_globally(world):
    key = uuid.uuid4()
    record(world, client_uuid=key)
    other, created = record(world, user=world.users.cadre, client_uuid=key)
    assert created and other.author == world.users.cadre


def test_a_few_minutes_of_clock_drift_is_tolerated_but_not_days(world):
    record(world, visited_at=NOW + datetime.timedelta(minutes=5))
    with pytest.raises(ValidationError) as exc:
        record(world, visited_at=NOW + datetime.timedelta(days=2))
    assert "visited_at" in exc.value.message_dict
    assert Visit.objects.count() == 1


def test_household_outside_the_workers_grid_is_a_field_error(world):
    with pytest.raises(ValidationError) as exc:
        record(world, household=world.households.q2)
    assert "household" in exc.value.message_dict
    assert not Visit.objects.exists()


def test_courtyard_helper_visits_only_their_courtyard(world):
    visit, _ = record(world, user=world.users.helper, household=world.households.q1)
    assert visit.courtyard_id == world.yard.pk
    with pytest.raises(ValidationError):
        record(world, user=world.users.helper, household=world.households.q1b)


def test_village_cadre_visits_anywhere_in_the_village_but_not_beyond(world):
    record(world, user=world.users.cadre, household=world.households.q2)
    with pytest.raises(ValidationError):
        record(world, user=world.users.cadre, household=world.households.h1)


def test_township_official_and_outsider_cannot_log_visits(world):
    for user in (world.users.official, world.users.outsider, world.users.handler):
        with pytest.raises(ValidationError):
            record(world, user=user)
    assert not Visit.objects.exists()


def test_grid_walk_needs_no_household_but_a_grid_of_ones_own(world):
    visit, _ = record(world, method=Visit.Method.GRID, grid=world.q1)
    assert visit.household is None and visit.grid == world.q1
    with pytest.raises(ValidationError) as exc:
        record(world, method=Visit.Method.GRID, grid=world.q2)
    assert "grid" in exc.value.message_dict


def test_home_visit_without_household_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        visit_record(
            author=world.users.grid1, client_uuid=uuid.uuid4(), visited_at=NOW, method="home", grid=world.q1, now=NOW
        )
    assert "household" in exc.value.message_dict


def test_courtyard_walk_records_the_courtyard(world):
    visit, _ = record(world, user=world.users.helper, method=Visit.Method.COURTYARD, courtyard=world.yard)
    assert visit.courtyard == world.yard and visit.grid == world.q1


def test_correction_supersedes_and_only_once(world):
    wrong, _ = record(world, household=world.households.q1, notes="记错户")
    right, _ = record(world, household=world.households.q1b, notes="更正", supersedes=wrong)
    assert right.supersedes == wrong
    wrong.refresh_from_db()
    assert wrong.superseded_by == right
    with pytest.raises(VisitConflict) as exc:
        record(world, notes="再改", supersedes=wrong)
    assert exc.value.code == "visit_already_corrected"
    # The superseded household's due date falls back: its only visit was the wrong one.
    world.households.q1.refresh_from_db()
    assert world.households.q1.last_visited_on is None


def test_only_ones_own_visits_can_be_corrected(world):
    theirs, _ = record(world, user=world.users.cadre)
    with pytest.raises(ValidationError) as exc:
        record(world, supersedes=theirs)
    assert "supersedes" in exc.value.message_dict


def test_raise_matter_from_visit_in_one_step(world):
    visit, _ = record(world, notes="屋顶漏雨\n需要维修", raise_matter=True)
    matter = Matter.objects.get()
    assert visit.matter == matter and visit.result == Visit.Result.REPORTED
    assert matter.source == Source.VISIT and matter.household == world.households.q1
    assert matter.title == "屋顶漏雨"
    # A replay does not raise a second matter.
    record(world, client_uuid=visit.client_uuid, notes="屋顶漏雨\n需要维修", raise_matter=True)
    assert Matter.objects.count() == 1


def test_raise_matter_needs_notes_and_then_writes_nothing(world):
    with pytest.raises(ValidationError):
        record(world, raise_matter=True)
    assert not Matter.objects.exists() and not Visit.objects.exists()


def test_due_date_follows_the_shortest_tag_target(world, settings):
    settings.VISIT_DEFAULT_EVERY_DAYS = 182
    household = world.households.q1
    record(world, household=household)
    household.refresh_from_db()
    assert household.last_visited_on == datetime.date(2026, 11, 30)
    assert household.visit_due_on == datetime.date(2026, 11, 30) + datetime.timedelta(days=182)
    monthly = Tag.objects.create(code="key", name="重点人群", is_key_group=True, visit_every_days=30)
    household_update(household=household, tags=[monthly])
    household.refresh_from_db()
    assert household.visit_due_on == datetime.date(2026, 12, 30)


def test_a_members_tag_sets_the_household_target(world):
    weekly = Tag.objects.create(code="alone", name="独居老人", visit_every_days=7)
    household = world.households.q1
    record(world, household=household)
    member = household.members.first()
    member.tags.add(weekly)
    households_refresh_visit_due([household.pk])
    household.refresh_from_db()
    assert household.visit_due_on == datetime.date(2026, 12, 7)


def test_households_to_visit_puts_never_visited_then_longest_overdue_first(world):
    grid = world.q1
    extra = make_household(grid, head_name="孙八")
    record(world, household=world.households.q1, visited_at=NOW - datetime.timedelta(days=200))
    record(world, household=world.households.q1b, visited_at=NOW - datetime.timedelta(days=10))
    order = [h.pk for h in households_to_visit(world.users.grid1)]
    assert order == [extra.pk, world.households.q1.pk, world.households.q1b.pk]


def test_households_to_visit_filters_by_courtyard_and_tag(world):
    tag = Tag.objects.create(code="poor", name="困难户")
    world.households.q1b.tags.add(tag)
    assert [h.pk for h in households_to_visit(world.users.grid1, courtyard_id=world.yard.pk)] == [
        world.households.q1.pk
    ]
    assert [h.pk for h in households_to_visit(world.users.grid1, tag_id=tag.pk)] == [world.households.q1b.pk]


def test_grid_leader_of_another_grid_sees_only_their_households(world):
    leader = make_user("t_leader2")
    assign(leader, Role.GRID_LEADER, world.q2)
    assert set(households_to_visit(leader).values_list("grid_id", flat=True)) == {world.q2.pk}
    assert Household.objects.filter(grid=world.q2).count() == households_to_visit(leader).count()
