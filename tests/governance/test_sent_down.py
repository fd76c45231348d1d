"""力量沉底 and the township administrator: 包村 (a township official answering for a village), 包片
(a township leader for a 片区, a named set of villages), and the 镇街管理员 who keeps the books of
staff and places but reads no people."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from governance.models import Assignment, Role
from governance.scoping import assignments_visible, reaches_village, reads_people, scope_for
from governance.services import assignment_create, assignment_end
from grids.models import Area, Grid, Household, Village
from tests.factories import assign, make_user


def visible_households(user):
    return set(scope_for(user).filter(Household.objects.all(), "household").values_list("pk", flat=True))


def test_liaison_sees_the_village_they_answer_for_and_nothing_else(world):
    """A township official with only a 包村 assignment to 七星村 sees 七星村's households, as its
    cadres do, and 化龙村's not."""
    official = make_user("baocun", name="包村干部")
    today = timezone.localdate()
    week_ago = today - datetime.timedelta(days=7)
    township_role = assign(official, Role.TOWNSHIP_OFFICIAL, world.weituo, valid_from=week_ago)
    assign(official, Role.VILLAGE_LIAISON, world.qixing, valid_from=today - datetime.timedelta(days=3))
    assignment_end(assignment=township_role, on=timezone.localdate() - datetime.timedelta(days=1))
    official = type(official).objects.get(pk=official.pk)  # a fresh scope
    hh = world.households
    assert visible_households(official) == {hh.q1.pk, hh.q1b.pk, hh.q2.pk}
    assert set(scope_for(official).filter_places(Village.objects.all(), "village")) == {world.qixing}
    assert reaches_village(official, {Role.VILLAGE_LIAISON}, township_id=world.weituo.pk, village_id=world.qixing.pk)
    assert not reaches_village(
        official, {Role.VILLAGE_LIAISON}, township_id=world.weituo.pk, village_id=world.hualong.pk
    )


def test_only_the_townships_own_staff_are_sent_down(world):
    """包村 needs a township role in the same township on the day it starts: a village cadre, an
    official of another township and someone with no role are refused, and nothing is written."""
    before = Assignment.objects.count()
    for user in (world.users.cadre, world.users.other_official, world.users.outsider):
        with pytest.raises(ValidationError) as refused:
            assign(user, Role.VILLAGE_LIAISON, world.qixing)
        assert "user" in refused.value.message_dict
    assert Assignment.objects.count() == before
    assert assign(world.users.official, Role.VILLAGE_LIAISON, world.qixing).village_id == world.qixing.pk


def test_area_leader_sees_the_villages_of_the_area(world):
    area = Area.objects.create(township=world.weituo, name="北片")
    area.villages.add(world.hualong)
    leader = world.users.leader
    assign(leader, Role.AREA_LEADER, area)
    leader = type(leader).objects.get(pk=leader.pk)
    scope = scope_for(leader)
    assert scope.by_role[Role.AREA_LEADER] == frozenset({world.hualong.pk})
    only_area = set(
        scope.filter(Household.objects.all(), "household", roles={Role.AREA_LEADER}).values_list("pk", flat=True)
    )
    assert only_area == {world.households.h1.pk}
    assert reaches_village(leader, {Role.AREA_LEADER}, township_id=world.weituo.pk, village_id=world.hualong.pk)
    assert not reaches_village(leader, {Role.AREA_LEADER}, township_id=world.weituo.pk, village_id=world.qixing.pk)


def test_an_area_is_assigned_as_an_area(world):
    """An area leader's assignment points at an area; a village or the township is refused, and
    the database refuses an area on any other role."""
    with pytest.raises(ValidationError):
        assignment_create(user=world.users.leader, role=Role.AREA_LEADER, place=world.qixing)
    area = Area.objects.create(township=world.weituo, name="南片")
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            user=world.users.leader,
            role=Role.TOWNSHIP_LEADER,
            township=world.weituo,
            area=area,
            valid_from=timezone.localdate(),
        )


def test_township_admin_sees_places_and_assignments_but_no_people(world):
    admin = make_user("weituo_admin_t", name="镇街管理员")
    assign(admin, Role.TOWNSHIP_ADMIN, world.weituo)
    assert not reads_people(admin)
    assert visible_households(admin) == set()
    assert set(scope_for(admin).filter_places(Grid.objects.all(), "grid")) == {world.q1, world.q2, world.h1}
    seen = set(assignments_visible(admin).values_list("user__username", flat=True))
    assert {"t_grid1", "t_cadre", "t_official", "t_hualong"} <= seen
    assert "t_xiaomian" not in seen
