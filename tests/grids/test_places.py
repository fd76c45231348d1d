"""Keeping places (grids.places): grids and courtyards created, renamed, merged and split, every
household moved on the record, a merged place retired and kept, what points at it following."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from governance.errors import Conflict
from governance.history import history_of
from governance.models import Assignment, Role
from governance.scoping import scope_for
from grids import places
from grids.models import Courtyard, Grid, Household, HouseholdMove, Resident
from grids.selectors import grids_editable_by
from grids.services import courtyard_create, grid_create, household_create, household_move
from petitions.models import Matter, MatterEvent, State
from tests.factories import assign, make_household, make_user


def today():
    return timezone.localdate()


# ---------------------------------------------------------------- create and rename


def test_a_new_grid_takes_the_next_number_of_the_village(world):
    grid = grid_create(village=world.qixing, name=" 第三网格 ")

    assert (grid.number, grid.name, grid.township_id) == (3, "第三网格", world.weituo.pk)


def test_a_grid_number_or_name_in_use_is_refused(world):
    with pytest.raises(ValidationError) as taken:
        grid_create(village=world.qixing, name="新网格", number=2)
    with pytest.raises(ValidationError) as same:
        grid_create(village=world.qixing, name="第二网格")
    with pytest.raises(ValidationError) as empty:
        grid_create(village=world.qixing, name="  ")

    assert set(taken.value.message_dict) == {"number"}
    assert set(same.value.message_dict) == {"name"}
    assert set(empty.value.message_dict) == {"name"}
    assert Grid.objects.filter(village=world.qixing).count() == 2


def test_renaming_and_renumbering_a_grid_is_kept_in_its_history(world):
    places.grid_update(grid=world.q2, name="河坝网格", number=5)

    world.q2.refresh_from_db()
    assert (world.q2.name, world.q2.number) == ("河坝网格", 5)
    fields = {name: (before, after) for name, before, after in history_of(world.q2)[0].fields}
    assert fields[str(Grid._meta.get_field("name").verbose_name)] == ("第二网格", "河坝网格")
    with pytest.raises(ValidationError) as taken:
        places.grid_update(grid=world.q2, number=1)
    assert set(taken.value.message_dict) == {"number"}


def test_courtyards_are_created_and_renamed_within_their_grid(world):
    yard = courtyard_create(grid=world.q2, name="新院子")
    places.courtyard_update(courtyard=yard, name="竹林院子")

    yard.refresh_from_db()
    assert (yard.name, yard.grid_id, yard.village_id) == ("竹林院子", world.q2.pk, world.qixing.pk)
    courtyard_create(grid=world.q2, name="老院子")  # the same name in another grid is fine
    with pytest.raises(ValidationError) as taken:
        places.courtyard_update(courtyard=yard, name="老院子")
    assert set(taken.value.message_dict) == {"name"}


# ---------------------------------------------------------------- merge


def test_merging_moves_every_household_on_the_record_and_retires_the_grid(world):
    q1_households = {world.households.q1.pk, world.households.q1b.pk}

    merged = places.grid_merge(grid=world.q1, into=world.q2, actor=world.users.cadre)

    assert {m.household_id for m in merged.moves} == q1_households
    moves = HouseholdMove.objects.filter(household_id__in=q1_households)
    assert {(m.from_grid_id, m.to_grid_id, m.moved_by_id, m.reason) for m in moves} == {
        (world.q1.pk, world.q2.pk, world.users.cadre.pk, "合并网格")
    }
    assert not Household.objects.filter(grid=world.q1).exists()
    assert not Resident.objects.filter(grid=world.q1).exists()
    world.q1.refresh_from_db()
    assert (world.q1.retired_on, world.q1.merged_into_id) == (today(), world.q2.pk)
    # The courtyard went along, its household still in it.
    world.yard.refresh_from_db()
    assert world.yard.grid_id == world.q2.pk
    assert Household.objects.get(pk=world.households.q1.pk).courtyard_id == world.yard.pk
    # The retired grid keeps its history, readable by whoever sees it.
    assert history_of(world.q1)[0].fields


def test_a_courtyard_whose_name_the_other_grid_has_is_renamed_after_its_old_grid(world):
    courtyard_create(grid=world.q2, name="老院子")

    merged = places.grid_merge(grid=world.q1, into=world.q2, actor=world.users.cadre)

    world.yard.refresh_from_db()
    assert merged.renamed == [("老院子", world.yard.name)]
    assert world.yard.name != "老院子" and "第一网格" in world.yard.name
    assert Courtyard.objects.active().filter(grid=world.q2).count() == 2


def test_the_grid_staff_of_a_merged_grid_lose_it_and_its_courtyard_helper_keeps_the_courtyard(world):
    grid1, helper = world.users.grid1, world.users.helper

    merged = places.grid_merge(grid=world.q1, into=world.q2, actor=world.users.cadre)

    assert merged.ended == 1
    assert grid1.assignments.get().valid_to == today()
    tomorrow = today() + datetime.timedelta(days=1)
    assert scope_for(grid1, on=tomorrow).roles == frozenset()
    old, new = helper.assignments.order_by("pk")
    assert (old.grid_id, old.valid_to) == (world.q1.pk, today())
    assert (new.role, new.courtyard_id, new.grid_id, new.valid_from, new.valid_to) == (
        Role.COURTYARD_HELPER,
        world.yard.pk,
        world.q2.pk,
        today(),
        None,
    )
    assert scope_for(helper, on=tomorrow).grid_ids == frozenset({world.q2.pk})
    # The cadre keeps the village, and the assignments to the merged grid stay on record.
    assert Assignment.objects.filter(grid=world.q1).count() == 2


def test_an_assignment_not_started_yet_ends_on_its_first_day(world):
    later = today() + datetime.timedelta(days=10)
    coming = assign(make_user("t_coming"), Role.GRID_LEADER, world.q1, valid_from=later)

    places.grid_merge(grid=world.q1, into=world.q2, actor=world.users.cadre)

    coming.refresh_from_db()
    assert coming.valid_to == later


@pytest.mark.parametrize(
    ("into", "code"),
    [("q1", "same_place"), ("retired", "into_retired")],
)
def test_a_grid_is_not_merged_into_itself_or_into_a_retired_grid(world, into, code):
    extra = grid_create(village=world.qixing, name="第三网格")
    places.grid_merge(grid=extra, into=world.q2, actor=world.users.cadre)
    target = world.q1 if into == "q1" else extra

    with pytest.raises(Conflict) as refused:
        places.grid_merge(grid=world.q1, into=target, actor=world.users.cadre)

    assert refused.value.code == code
    assert Household.objects.filter(grid=world.q1).count() == 2


def test_a_retired_grid_is_not_merged_again_nor_renamed_nor_split(world):
    places.grid_merge(grid=world.q1, into=world.q2, actor=world.users.cadre)
    moves = HouseholdMove.objects.count()

    for attempt in (
        lambda: places.grid_merge(grid=world.q1, into=world.q2, actor=world.users.cadre),
        lambda: places.grid_update(grid=world.q1, name="复活"),
        lambda: places.grid_split(grid=world.q1, name="新", households=[world.households.q1], actor=world.users.cadre),
    ):
        with pytest.raises(Conflict):
            attempt()
    assert HouseholdMove.objects.count() == moves


def test_grids_of_two_villages_are_not_merged(world):
    with pytest.raises(ValidationError) as refused:
        places.grid_merge(grid=world.q1, into=world.h1, actor=world.users.official)

    assert set(refused.value.message_dict) == {"into"}
    assert world.q1.households.count() == 2


def test_a_retired_grid_takes_nothing_new_and_is_no_longer_offered(world):
    places.grid_merge(grid=world.q1, into=world.q2, actor=world.users.cadre)

    for attempt in (
        lambda: household_create(grid=world.q1, number="N-1"),
        lambda: household_move(
            household=world.households.h1, to_grid=world.q1, moved_by=world.users.cadre, reason="回迁"
        ),
        lambda: courtyard_create(grid=world.q1, name="新院子"),
    ):
        with pytest.raises(Conflict) as refused:
            attempt()
        assert refused.value.code == "retired"
    assert world.q1 not in grids_editable_by(world.users.cadre)
    assert world.q1 not in grids_editable_by(world.users.admin)
    # Its number is free for a grid in use.
    assert grid_create(village=world.qixing, name="新一网格", number=1).number == 1


def test_open_matters_follow_their_households_and_the_merged_grid(mw):
    hh = mw.households
    with_household = mw.staff_matter(household=hh.q1b)
    public = mw.public_matter(grid=mw.q1)
    closed = mw.staff_matter(household=hh.q1b, title="已办结")
    Matter.objects.filter(pk=closed.pk).update(state=State.CLOSED)

    places.grid_merge(grid=mw.q1, into=mw.q2, actor=mw.users.cadre)

    grids = dict(Matter.objects.values_list("pk", "grid_id"))
    assert grids[with_household.pk] == mw.q2.pk
    assert grids[public.pk] == mw.q2.pk
    assert grids[closed.pk] == mw.q1.pk  # the record of grid 1's work stays with it
    moved = MatterEvent.objects.filter(action="move")
    assert {e.matter_id for e in moved} == {with_household.pk, public.pk}
    event = moved.get(matter=with_household)
    assert (event.actor_id, event.payload["reason"], event.payload["note"]) == (
        mw.users.cadre.pk,
        "合并网格",
        "第一网格 → 第二网格",
    )


def test_a_household_moved_alone_takes_its_open_matters_along(mw):
    matter = mw.staff_matter(household=mw.households.q1b)

    household_move(household=mw.households.q1b, to_grid=mw.q2, moved_by=mw.users.cadre, reason="分户")

    matter.refresh_from_db()
    assert matter.grid_id == mw.q2.pk
    assert matter.events.filter(action="move").count() == 1


# ---------------------------------------------------------------- split


def test_splitting_moves_the_chosen_households_and_a_courtyard_that_goes_whole(world):
    extra = make_household(world.q1, head_name="孙八")

    split = places.grid_split(
        grid=world.q1,
        name="第三网格",
        households=[world.households.q1, extra],
        actor=world.users.cadre,
    )

    new = split.grid
    assert (new.number, new.name, new.village_id) == (3, "第三网格", world.qixing.pk)
    assert set(Household.objects.filter(grid=new).values_list("pk", flat=True)) == {world.households.q1.pk, extra.pk}
    assert Household.objects.filter(grid=world.q1).get() == world.households.q1b
    assert {(m.from_grid_id, m.to_grid_id, m.reason) for m in split.moves} == {(world.q1.pk, new.pk, "拆分网格")}
    # 老院子's only household went: the courtyard and its helper went along.
    world.yard.refresh_from_db()
    assert world.yard.grid_id == new.pk
    assert split.courtyards == [world.yard]
    assert world.users.helper.assignments.order_by("-pk").first().grid_id == new.pk


def test_households_leave_a_courtyard_that_stays(world):
    stays = make_household(world.q1, head_name="周九", courtyard=world.yard)

    split = places.grid_split(grid=world.q1, name="第三网格", households=[world.households.q1], actor=world.users.cadre)

    moved = Household.objects.get(pk=world.households.q1.pk)
    assert (moved.grid_id, moved.courtyard_id) == (split.grid.pk, None)
    assert Household.objects.get(pk=stays.pk).courtyard_id == world.yard.pk
    assert split.courtyards == []


@pytest.mark.parametrize("households", [[], ["q2"]])
def test_a_split_takes_only_households_of_the_grid(world, households):
    chosen = [getattr(world.households, name) for name in households]

    with pytest.raises(ValidationError) as refused:
        places.grid_split(grid=world.q1, name="第三网格", households=chosen, actor=world.users.cadre)

    assert set(refused.value.message_dict) == {"households"}
    assert Grid.objects.filter(village=world.qixing).count() == 2
    assert not HouseholdMove.objects.exists()


# ---------------------------------------------------------------- courtyards


def test_merging_a_courtyard_moves_its_households_and_ends_its_helpers(world):
    into = courtyard_create(grid=world.q1, name="新院子")

    merged = places.courtyard_merge(courtyard=world.yard, into=into, actor=world.users.cadre)

    household = Household.objects.get(pk=world.households.q1.pk)
    assert (household.grid_id, household.courtyard_id) == (world.q1.pk, into.pk)
    assert [(m.from_courtyard_id, m.to_courtyard_id, m.reason) for m in merged.moves] == [
        (world.yard.pk, into.pk, "合并院落")
    ]
    world.yard.refresh_from_db()
    assert (world.yard.retired_on, world.yard.merged_into_id) == (today(), into.pk)
    assert world.users.helper.assignments.get().valid_to == today()
    # The name is free again; the retired courtyard takes no households.
    courtyard_create(grid=world.q1, name="老院子")
    with pytest.raises(Conflict):
        household_create(grid=world.q1, number="N-2", courtyard=world.yard)


def test_a_courtyard_is_merged_only_into_another_in_use_of_its_grid(world):
    other_grid = courtyard_create(grid=world.q2, name="二组院子")
    with pytest.raises(ValidationError) as elsewhere:
        places.courtyard_merge(courtyard=world.yard, into=other_grid, actor=world.users.cadre)
    with pytest.raises(Conflict) as itself:
        places.courtyard_merge(courtyard=world.yard, into=world.yard, actor=world.users.cadre)

    assert set(elsewhere.value.message_dict) == {"into"}
    assert itself.value.code == "same_place"
    assert Household.objects.get(pk=world.households.q1.pk).courtyard_id == world.yard.pk


def test_a_matter_moved_says_so_on_its_timeline_not_on_the_public_page(mw, client):
    from django.utils.translation import gettext

    from petitions import workflow

    matter = mw.staff_matter(household=mw.households.q1b)
    places.grid_merge(grid=mw.q1, into=mw.q2, actor=mw.users.cadre)
    client.force_login(mw.users.cadre)

    page = client.get(f"/matters/{matter.pk}/").content.decode()

    assert gettext("Moved to another grid") in page and "第一网格 → 第二网格" in page
    assert workflow.public_step("move") is None
    public = client.get(f"/api/v1/public/matters/{matter.tracking_code}/").json()
    assert "move" not in {step["step"] for step in public["steps"]}
