import pytest
from django.core.exceptions import ValidationError

from grids.idnumbers import decrypt_id_number, hash_id_number
from grids.models import HouseholdMove, Resident
from grids.services import household_move, resident_create, resident_update
from tests.factories import make_id_number


def test_resident_id_number_is_encrypted_hashed_and_masked(world):
    head = world.households.q1.members.get(relation_to_head="head")
    assert head.id_number_masked.startswith("5001") and "*" * 10 in head.id_number_masked
    number = decrypt_id_number(head.id_number_encrypted)
    assert head.id_number_hash == hash_id_number(number)
    assert number not in head.id_number_encrypted


def test_duplicate_id_number_is_refused_and_nothing_written(world):
    head = world.households.q1.members.get(relation_to_head="head")
    number = decrypt_id_number(head.id_number_encrypted)
    before = Resident.objects.count()
    with pytest.raises(ValidationError) as exc:
        resident_create(
            household=world.households.q2, name="重复", relation_to_head="child", gender="male", id_number=number
        )
    assert "id_number" in exc.value.message_dict
    assert Resident.objects.count() == before


def test_bad_check_digit_is_refused(world):
    import datetime

    good = make_id_number(datetime.date(1980, 5, 1), 12)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationError):
        resident_create(
            household=world.households.q2, name="错号", relation_to_head="child", gender="male", id_number=bad
        )


def test_pinyin_and_initials_are_stored(world):
    head = world.households.q1.members.get(relation_to_head="head")
    assert (head.name, head.name_pinyin, head.name_initials) == ("张三", "zhangsan", "zs")
    assert world.households.q1.head_name_initials == "zs"


def test_second_head_is_refused(world):
    with pytest.raises(ValidationError):
        resident_create(household=world.households.q1, name="另一户主", relation_to_head="head", gender="male")


def test_renaming_head_updates_household(world):
    head = world.households.q1.members.get(relation_to_head="head")
    resident_update(resident=head, name="张三丰")
    world.households.q1.refresh_from_db()
    assert world.households.q1.head_name == "张三丰"
    assert world.households.q1.head_name_initials == "zsf"


def test_household_move_is_recorded_and_moves_residents(world):
    hh = world.households.q1b
    move = household_move(household=hh, to_grid=world.q2, moved_by=world.users.cadre, reason="分户调整")
    hh.refresh_from_db()
    assert hh.grid == world.q2
    assert set(hh.members.values_list("grid_id", flat=True)) == {world.q2.pk}
    assert HouseholdMove.objects.get() == move
    assert move.from_grid == world.q1 and move.moved_by == world.users.cadre


def test_household_cannot_move_to_another_village(world):
    with pytest.raises(ValidationError):
        household_move(household=world.households.q1b, to_grid=world.h1, moved_by=world.users.cadre, reason="x")
    assert not HouseholdMove.objects.exists()
