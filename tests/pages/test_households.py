"""The household list, search, details, masking and the audited ID number reveal."""

import datetime

import pytest

from grids.idnumbers import decrypt_id_number
from grids.models import IdNumberReveal, Resident, Tag
from grids.services import household_create, household_move, resident_update
from tests.factories import make_household, make_id_number


def _names(response) -> str:
    return response.content.decode()


def test_grid_worker_sees_only_their_grid_households(login, world):
    html = _names(login(world.users.grid1).get("/households/"))
    assert "张三" in html and "李四" in html
    assert "王五" not in html and "赵六" not in html and "马七" not in html


def test_cadre_sees_village_official_township(login, world):
    html = _names(login(world.users.cadre).get("/households/"))
    assert all(n in html for n in ("张三", "李四", "王五")) and "赵六" not in html
    html = _names(login(world.users.official).get("/households/"))
    assert all(n in html for n in ("张三", "李四", "王五", "赵六")) and "马七" not in html


def test_department_handler_list_is_empty(login, world):
    response = login(world.users.handler).get("/households/")
    assert response.status_code == 200
    assert list(response.context["rows"]) == []


@pytest.mark.parametrize("query", ["zs", "ZS", "zhang", "zhangsan", "张三", "张"])
def test_search_by_name_pinyin_and_initials(login, world, query):
    response = login(world.users.grid1).get("/households/", {"q": query})
    assert [h.head_name for h in response.context["rows"]] == ["张三"]


def test_search_by_member_name_and_number(login, world):
    q1 = world.households.q1
    member = q1.members.exclude(relation_to_head=Resident.Relation.HEAD).first()
    client = login(world.users.grid1)
    assert [h.pk for h in client.get("/households/", {"q": member.name}).context["rows"]] == [q1.pk]
    assert [h.pk for h in client.get("/households/", {"q": q1.number}).context["rows"]] == [q1.pk]


def test_search_by_full_id_number_finds_household_in_scope_only(login, world):
    q1 = world.households.q1
    resident = q1.members.first()
    # Re-register a known number so the test knows it in clear text.
    number = make_id_number(datetime.date(1970, 5, 6), 901)
    resident_update(resident=resident, id_number=number)
    assert [h.pk for h in login(world.users.grid1).get("/households/", {"q": number.lower()}).context["rows"]] == [
        q1.pk
    ]
    assert list(login(world.users.grid2).get("/households/", {"q": number}).context["rows"]) == []


def test_filter_by_grid_and_tag(login, world):
    tag = Tag.objects.create(code="elderly_alone", name="独居老人", is_key_group=True)
    world.households.q2.tags.add(tag)
    client = login(world.users.cadre)
    rows = client.get("/households/", {"grid": world.q2.pk}).context["rows"]
    assert [h.pk for h in rows] == [world.households.q2.pk]
    rows = client.get("/households/", {"tag": tag.pk}).context["rows"]
    assert [h.pk for h in rows] == [world.households.q2.pk]
    # A grid outside the scope is ignored, not an error and not a leak.
    rows = client.get("/households/", {"grid": world.h1.pk}).context["rows"]
    assert {h.pk for h in rows} == {world.households.q1.pk, world.households.q1b.pk, world.households.q2.pk}


def test_list_is_paginated(login, world):
    for _ in range(21):
        make_household(world.q2, members=1)
    client = login(world.users.grid2)
    first = client.get("/households/")
    assert len(first.context["rows"]) == 20
    second = client.get("/households/", {"page": 2})
    assert len(second.context["rows"]) == 2
    assert "?page=1" in second.content.decode()


def test_htmx_search_returns_only_the_results(login, world):
    response = login(world.users.grid1).get("/households/", {"q": "zs"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and "张三" in html and "李四" not in html
    assert "HX-Request" in response["Vary"]
    restore = login(world.users.grid1).get(
        "/households/", {"q": "zs"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.content.decode()


def test_list_shows_next_action_for_household_without_head(login, world):
    empty = household_create(grid=world.q1, number="Q1-EMPTY")
    html = login(world.users.grid1).get("/households/").content.decode()
    assert f"/households/{empty.pk}/residents/new/?relation=head" in html
    html = login(world.users.official).get("/households/").content.decode()
    assert f"/households/{empty.pk}/residents/new/" not in html


def test_phone_masked_for_viewers_full_for_editors(login, world):
    q1 = world.households.q1
    member = q1.members.first()
    html = login(world.users.official).get(f"/households/{q1.pk}/").content.decode()
    assert member.phone not in html and member.phone_masked in html
    assert member.id_number_masked in html
    html = login(world.users.grid1).get(f"/households/{q1.pk}/").content.decode()
    assert member.phone in html


def test_household_detail_shows_move_history(login, world):
    q1 = world.households.q1
    household_move(household=q1, to_grid=world.q2, moved_by=world.users.cadre, reason="网格调整")
    html = login(world.users.cadre).get(f"/households/{q1.pk}/").content.decode()
    assert "网格调整" in html and "七星村干部" in html


def test_reveal_id_number_shows_it_once_and_records_it(login, world):
    resident = world.households.q1.members.first()
    number = decrypt_id_number(resident.id_number_encrypted)
    client = login(world.users.cadre)
    detail = client.get(f"/residents/{resident.pk}/").content.decode()
    assert number not in detail and resident.id_number_masked in detail
    assert "reveal-id-number" in detail
    response = client.post(f"/residents/{resident.pk}/reveal-id-number/")
    assert response.status_code == 200
    assert number in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    reveal = IdNumberReveal.objects.get()
    assert (reveal.user, reveal.resident, reveal.channel) == (world.users.cadre, resident, "page")
    assert number not in client.get(f"/residents/{resident.pk}/").content.decode()


def test_reveal_button_only_for_revealers(login, world):
    resident = world.households.q1.members.first()
    html = login(world.users.grid1).get(f"/residents/{resident.pk}/").content.decode()
    assert "reveal-id-number" not in html
    html = login(world.users.official).get(f"/residents/{resident.pk}/").content.decode()
    assert "reveal-id-number" in html


def test_reveal_address_opened_with_get_goes_back_to_the_masked_page(login, world):
    resident = world.households.q1.members.first()
    response = login(world.users.cadre).get(f"/residents/{resident.pk}/reveal-id-number/")
    assert response.status_code == 302 and response["Location"] == f"/residents/{resident.pk}/"
    assert not IdNumberReveal.objects.exists()


def test_household_page_offers_a_visit_to_its_visitors_only(login, world):
    url = f"/households/{world.households.q1.pk}/"
    visit = f"/visits/new/?household={world.households.q1.pk}"
    assert visit in login(world.users.grid1).get(url).content.decode()
    assert visit in login(world.users.helper).get(url).content.decode()
    assert visit not in login(world.users.official).get(url).content.decode()
