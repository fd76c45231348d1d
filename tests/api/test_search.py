"""Finding households and residents: name, pinyin, initials, ID number, tag, place."""

import pytest

from grids.idnumbers import decrypt_id_number
from grids.models import Tag


def found(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def head_of(household):
    return household.members.get(relation_to_head="head")


def other_member_of(household):
    return household.members.exclude(relation_to_head="head").first()


@pytest.mark.parametrize("term", ["张三", "张", "zhangsan", "ZhangSan", "zhang", "zs", "ZS"])
def test_household_search_by_head_name_pinyin_and_initials(world, as_user, term):
    assert found(as_user(world.users.cadre), f"/api/v1/households/?search={term}") == {world.households.q1.pk}


@pytest.mark.parametrize("term", ["张三", "zhangsan", "zs"])
def test_resident_search_by_name_pinyin_and_initials(world, as_user, term):
    head = head_of(world.households.q1)
    assert found(as_user(world.users.cadre), f"/api/v1/residents/?search={term}") == {head.pk}


def test_search_stays_in_scope(world, as_user):
    assert found(as_user(world.users.grid2), "/api/v1/households/?search=zs") == set()
    assert found(as_user(world.users.grid2), "/api/v1/residents/?search=张三") == set()


def test_search_by_id_number_finds_the_resident_and_their_household(world, as_user):
    client = as_user(world.users.cadre)
    member = other_member_of(world.households.q1b)
    number = decrypt_id_number(member.id_number_encrypted)

    assert found(client, f"/api/v1/residents/?search={number}") == {member.pk}
    assert found(client, f"/api/v1/residents/?id_number={number.lower()}") == {member.pk}
    # A household is found through any of its members.
    assert found(client, f"/api/v1/households/?search={number}") == {world.households.q1b.pk}
    assert found(client, f"/api/v1/households/?id_number={number}") == {world.households.q1b.pk}


def test_partial_or_malformed_id_number_finds_nothing(world, as_user):
    client = as_user(world.users.cadre)
    number = decrypt_id_number(head_of(world.households.q1).id_number_encrypted)

    assert found(client, f"/api/v1/residents/?id_number={number[:10]}") == set()
    assert found(client, f"/api/v1/households/?id_number={number[:17]}") == set()


def test_filter_by_tag(world, as_user):
    elderly = Tag.objects.create(code="elderly_alone", name="独居老人", is_key_group=True)
    world.households.q1b.tags.add(elderly)
    head_of(world.households.q2).tags.add(elderly)
    client = as_user(world.users.cadre)

    assert found(client, "/api/v1/households/?tag=elderly_alone") == {world.households.q1b.pk}
    assert found(client, "/api/v1/residents/?tag=elderly_alone") == {head_of(world.households.q2).pk}
    assert found(client, "/api/v1/households/?tag=nobody") == set()


def test_filter_by_grid_village_courtyard_and_household(world, as_user):
    client = as_user(world.users.official)
    hh = world.households

    assert found(client, f"/api/v1/households/?grid={world.q2.pk}") == {hh.q2.pk}
    assert found(client, f"/api/v1/households/?village={world.qixing.pk}") == {hh.q1.pk, hh.q1b.pk, hh.q2.pk}
    assert found(client, f"/api/v1/households/?courtyard={world.yard.pk}") == {hh.q1.pk}
    assert found(client, f"/api/v1/residents/?grid={world.h1.pk}") == set(hh.h1.members.values_list("pk", flat=True))
    assert found(client, f"/api/v1/residents/?courtyard={world.yard.pk}") == set(
        hh.q1.members.values_list("pk", flat=True)
    )
    assert found(client, f"/api/v1/residents/?household={hh.q2.pk}") == set(hh.q2.members.values_list("pk", flat=True))
    # Filtering on a place out of scope shows nothing, not an error.
    assert found(client, f"/api/v1/households/?grid={world.l1.pk}") == set()


def test_filters_combine(world, as_user):
    client = as_user(world.users.cadre)

    assert found(client, f"/api/v1/households/?search=zs&grid={world.q1.pk}") == {world.households.q1.pk}
    assert found(client, f"/api/v1/households/?search=zs&grid={world.q2.pk}") == set()


def test_malformed_filter_value_is_400(world, as_user):
    response = as_user(world.users.cadre).get("/api/v1/households/?grid=abc", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json() == {"grid": ["Enter a number."]}


def test_place_lists_filter_by_parent(world, as_user):
    client = as_user(world.users.official)

    assert found(client, f"/api/v1/grids/?village={world.qixing.pk}") == {world.q1.pk, world.q2.pk}
    assert found(client, f"/api/v1/villages/?township={world.weituo.pk}") == {world.qixing.pk, world.hualong.pk}
    assert found(client, f"/api/v1/courtyards/?grid={world.q1.pk}") == {world.yard.pk}
