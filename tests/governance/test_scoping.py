from governance.scoping import scope_for
from grids.models import Grid, Household, Resident, Village


def visible(user, model=Household, kind="household"):
    return set(scope_for(user).filter(model.objects.all(), kind).values_list("pk", flat=True))


def test_grid_worker_sees_only_their_grid(world):
    hh = world.households
    assert visible(world.users.grid1) == {hh.q1.pk, hh.q1b.pk}
    assert visible(world.users.grid2) == {hh.q2.pk}


def test_courtyard_helper_sees_only_courtyard_households(world):
    assert visible(world.users.helper) == {world.households.q1.pk}
    assert set(
        scope_for(world.users.helper).filter(Resident.objects.all(), "resident").values_list("household_id", flat=True)
    ) == {world.households.q1.pk}


def test_cadre_sees_their_village_official_their_township(world):
    hh = world.households
    assert visible(world.users.cadre) == {hh.q1.pk, hh.q1b.pk, hh.q2.pk}
    assert visible(world.users.official) == {hh.q1.pk, hh.q1b.pk, hh.q2.pk, hh.h1.pk}
    assert visible(world.users.other_official) == {hh.l1.pk}


def test_department_handler_and_outsider_see_no_households(world):
    assert visible(world.users.handler) == set()
    assert visible(world.users.outsider) == set()


def test_places_visible(world):
    s = scope_for(world.users.grid1)
    assert set(s.filter_places(Grid.objects.all(), "grid")) == {world.q1}
    assert set(s.filter_places(Village.objects.all(), "village")) == {world.qixing}
    h = scope_for(world.users.handler)
    assert set(h.filter_places(Village.objects.all(), "village")) == {world.qixing, world.hualong}


def test_past_assignment_no_longer_scopes(world):
    import datetime

    from governance.models import Assignment

    Assignment.objects.filter(user=world.users.grid1).update(
        valid_from=datetime.date(2020, 1, 1), valid_to=datetime.date(2020, 12, 31)
    )
    assert visible(world.users.grid1) == set()
    past = scope_for(world.users.grid1, on=datetime.date(2020, 6, 1))
    assert set(past.filter(Household.objects.all(), "household").values_list("pk", flat=True)) == {
        world.households.q1.pk,
        world.households.q1b.pk,
    }
