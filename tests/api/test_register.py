"""The household register over the API: writes through the services, personal data
masked or revealed on the record, and errors in the agreed order and language."""

import datetime

import pytest

from grids.idnumbers import decrypt_id_number
from grids.models import Household, HouseholdMove, IdNumberReveal, Resident, Tag
from tests.factories import make_id_number


@pytest.fixture
def tags(db):
    return {
        "elderly": Tag.objects.create(code="elderly_alone", name="独居老人", is_key_group=True),
        "veteran": Tag.objects.create(code="veteran", name="退役军人"),
    }


def head_of(household) -> Resident:
    return household.members.get(relation_to_head="head")


# Personal data


def test_reveal_id_number_returns_it_in_full_and_is_audited(world, as_user):
    head = head_of(world.households.q1)

    response = as_user(world.users.cadre).post(f"/api/v1/residents/{head.pk}/reveal-id-number/")

    assert response.status_code == 200
    assert response.json() == {"id_number": decrypt_id_number(head.id_number_encrypted)}
    reveal = IdNumberReveal.objects.get()
    assert (reveal.user, reveal.resident, reveal.channel) == (world.users.cadre, head, "api")


def test_grid_worker_cannot_reveal_id_number_and_nothing_is_recorded(world, as_user):
    head = head_of(world.households.q1)

    response = as_user(world.users.grid1).post(f"/api/v1/residents/{head.pk}/reveal-id-number/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not IdNumberReveal.objects.exists()


def test_reveal_without_a_recorded_id_number_is_409(world, as_user):
    resident = Resident.objects.create(
        township=world.weituo,
        village=world.qixing,
        grid=world.q1,
        household=world.households.q1,
        name="无证",
        relation_to_head="grandchild",
        gender="female",
    )

    response = as_user(world.users.cadre).post(f"/api/v1/residents/{resident.pk}/reveal-id-number/")

    assert response.status_code == 409
    assert response.json()["code"] == "no_id_number"
    assert not IdNumberReveal.objects.exists()


def test_id_number_is_only_ever_listed_masked(world, as_user):
    head = head_of(world.households.q1)
    number = decrypt_id_number(head.id_number_encrypted)

    body = as_user(world.users.cadre).get(f"/api/v1/residents/{head.pk}/").json()

    assert body["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert number not in str(body)


def test_phone_and_birth_date_in_full_for_editors_masked_for_others(world, as_user):
    head = head_of(world.households.q1)
    Household.objects.filter(pk=world.households.q1.pk).update(phone="15823459119")
    masked_phone = head.phone[:3] + "****" + head.phone[-4:]

    editor = as_user(world.users.grid1).get(f"/api/v1/residents/{head.pk}/").json()
    assert (editor["phone"], editor["birth_date"], editor["can_edit"]) == (head.phone, str(head.birth_date), True)

    viewer = as_user(world.users.official).get(f"/api/v1/residents/{head.pk}/").json()
    assert (viewer["phone"], viewer["birth_date"], viewer["can_edit"]) == (masked_phone, None, False)
    assert viewer["age"] == editor["age"] is not None

    household = as_user(world.users.helper).get(f"/api/v1/households/{world.households.q1.pk}/").json()
    assert household["phone"] == "158****9119"
    households = as_user(world.users.official).get("/api/v1/households/").json()["results"]
    assert {h["phone"] for h in households if h["id"] == world.households.q1.pk} == {"158****9119"}


def test_resident_output_names_its_household_place_tags_and_labels(world, as_user, tags):
    head = head_of(world.households.q1)
    head.tags.add(tags["veteran"])

    body = as_user(world.users.cadre).get(f"/api/v1/residents/{head.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert body["household"] == world.households.q1.pk
    assert body["household_number"] == world.households.q1.number
    assert (body["grid"], body["grid_name"]) == (world.q1.pk, "第一网格")
    assert (body["village"], body["village_name"]) == (world.qixing.pk, "七星村")
    assert body["tags"] == [{"code": "veteran", "name": "退役军人", "is_key_group": False}]
    assert (body["relation_to_head"], body["relation_to_head_label"]) == ("head", "head of household")
    assert body["status"] == "resident"


# Writes


def test_grid_worker_creates_a_household_with_tags_and_courtyard(world, as_user, tags):
    payload = {
        "grid": world.q1.pk,
        "courtyard": world.yard.pk,
        "number": "Q1-088",
        "address": "老院子 3 号",
        "phone": "158 0000 1234",
        "tags": ["elderly_alone"],
    }

    response = as_user(world.users.grid1).post("/api/v1/households/", payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    household = Household.objects.get(pk=body["id"])
    assert (household.village_id, household.township_id, household.courtyard_id) == (
        world.qixing.pk,
        world.weituo.pk,
        world.yard.pk,
    )
    assert household.phone == body["phone"] == "15800001234"
    assert [t["code"] for t in body["tags"]] == ["elderly_alone"]


def test_household_number_must_be_unique_in_the_village(world, as_user):
    payload = {"grid": world.q2.pk, "number": world.households.q1.number}

    response = as_user(world.users.cadre).post("/api/v1/households/", payload, format="json")

    assert response.status_code == 400
    assert "number" in response.json()


def test_courtyard_of_another_grid_is_refused(world, as_user):
    payload = {"grid": world.q2.pk, "courtyard": world.yard.pk, "number": "Q2-001"}

    response = as_user(world.users.cadre).post("/api/v1/households/", payload, format="json")

    assert response.status_code == 400
    assert "courtyard" in response.json()
    assert not Household.objects.filter(number="Q2-001").exists()


def test_unknown_tag_is_a_field_error(world, as_user):
    payload = {"grid": world.q1.pk, "number": "Q1-089", "tags": ["no-such-tag"]}

    response = as_user(world.users.grid1).post("/api/v1/households/", payload, format="json")

    assert response.status_code == 400
    assert "tags" in response.json()


def test_user_editing_one_grid_cannot_create_in_another_they_can_see(world, as_user):
    from governance.models import Role
    from tests.factories import assign

    assign(world.users.official, Role.GRID_WORKER, world.q1)

    response = as_user(world.users.official).post(
        "/api/v1/households/", {"grid": world.h1.pk, "number": "H1-009"}, format="json"
    )

    assert response.status_code == 403
    assert not Household.objects.filter(number="H1-009").exists()


def test_patching_the_grid_is_refused_in_favour_of_move(world, as_user):
    response = as_user(world.users.cadre).patch(
        f"/api/v1/households/{world.households.q1b.pk}/", {"grid": world.q2.pk}, format="json"
    )

    assert response.status_code == 400
    assert "grid" in response.json()
    world.households.q1b.refresh_from_db()
    assert world.households.q1b.grid_id == world.q1.pk


def test_cadre_moves_a_household_on_the_record(world, as_user):
    household = world.households.q1b

    response = as_user(world.users.cadre).post(
        f"/api/v1/households/{household.pk}/move/", {"to_grid": world.q2.pk, "reason": "新房在二组"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["grid"] == world.q2.pk
    move = HouseholdMove.objects.get()
    assert (move.from_grid, move.to_grid, move.moved_by, move.reason) == (
        world.q1,
        world.q2,
        world.users.cadre,
        "新房在二组",
    )
    assert set(Resident.objects.filter(household=household).values_list("grid_id", flat=True)) == {world.q2.pk}
    # The grid worker of grid 1 no longer sees it.
    assert as_user(world.users.grid1).get(f"/api/v1/households/{household.pk}/").status_code == 404


def test_move_to_a_grid_of_another_village_is_refused(world, as_user):
    response = as_user(world.users.admin).post(
        f"/api/v1/households/{world.households.q1b.pk}/move/",
        {"to_grid": world.h1.pk, "reason": "搬迁"},
        format="json",
    )

    assert response.status_code == 400
    assert "to_grid" in response.json()
    assert not HouseholdMove.objects.exists()


def test_move_needs_a_reason(world, as_user):
    response = as_user(world.users.cadre).post(
        f"/api/v1/households/{world.households.q1b.pk}/move/", {"to_grid": world.q2.pk}, format="json"
    )

    assert response.status_code == 400
    assert "reason" in response.json()


def test_grid_worker_adds_a_resident_with_an_id_number(world, as_user, tags):
    number = make_id_number(datetime.date(2015, 6, 1), 321)
    payload = {
        "household": world.households.q1.pk,
        "name": "张小明",
        "relation_to_head": "grandchild",
        "gender": "male",
        "id_number": number.lower(),
        "tags": ["elderly_alone"],
    }

    response = as_user(world.users.grid1).post("/api/v1/residents/", payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    resident = Resident.objects.get(pk=body["id"])
    assert decrypt_id_number(resident.id_number_encrypted) == number
    assert body["id_number_masked"] == resident.id_number_masked
    assert "id_number" not in body
    assert body["birth_date"] == "2015-06-01"
    assert (resident.grid_id, resident.village_id) == (world.q1.pk, world.qixing.pk)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_number", "500117201506013219"),
        ("id_number", "12345"),
        ("phone", "12345"),
        ("relation_to_head", "head"),
        ("gender", "unknown"),
    ],
)
def test_bad_resident_input_is_a_field_error(world, as_user, field, value):
    payload = {"household": world.households.q1.pk, "name": "张小明", "relation_to_head": "child", "gender": "male"}
    payload[field] = value
    before = Resident.objects.count()

    response = as_user(world.users.grid1).post("/api/v1/residents/", payload, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Resident.objects.count() == before


def test_duplicate_id_number_is_a_field_error(world, as_user):
    number = decrypt_id_number(head_of(world.households.q2).id_number_encrypted)
    payload = {
        "household": world.households.q1.pk,
        "name": "重号",
        "relation_to_head": "child",
        "gender": "male",
        "id_number": number,
    }

    response = as_user(world.users.cadre).post("/api/v1/residents/", payload, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["id_number"]


def test_renaming_the_head_renames_the_household(world, as_user):
    head = head_of(world.households.q1)

    response = as_user(world.users.grid1).patch(f"/api/v1/residents/{head.pk}/", {"name": "张叁"}, format="json")

    assert response.status_code == 200
    world.households.q1.refresh_from_db()
    assert world.households.q1.head_name == "张叁"
    assert world.households.q1.head_name_initials == "zs"


def test_clearing_an_id_number(world, as_user):
    head = head_of(world.households.q1)

    response = as_user(world.users.cadre).patch(f"/api/v1/residents/{head.pk}/", {"id_number": ""}, format="json")

    assert response.status_code == 200
    assert response.json()["id_number_masked"] == ""
    head.refresh_from_db()
    assert head.id_number_hash is None


# Error order and language


def test_out_of_scope_is_404_before_the_role_and_the_input_are_looked_at(world, as_user):
    response = as_user(world.users.grid2).patch(
        f"/api/v1/households/{world.households.q1.pk}/", {"phone": "bad"}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert set(response.json()) == {"detail", "code"}


def test_role_is_403_before_the_input_is_looked_at(world, as_user):
    response = as_user(world.users.helper).patch(
        f"/api/v1/households/{world.households.q1.pk}/", {"phone": "bad"}, format="json"
    )

    assert response.status_code == 403
    assert set(response.json()) == {"detail", "code"}


def test_role_without_register_rights_is_403_on_create_whatever_the_input(world, as_user):
    response = as_user(world.users.official).post("/api/v1/households/", {"grid": "nonsense"}, format="json")

    assert response.status_code == 403


def test_state_is_409_before_the_input_is_looked_at(world, as_user):
    """An Idempotency-Key already used elsewhere is a conflict even if the body is bad."""
    client = as_user(world.users.cadre)
    first = client.post(
        "/api/v1/households/", {"grid": world.q1.pk, "number": "K-1"}, format="json", HTTP_IDEMPOTENCY_KEY="k-409"
    )
    assert first.status_code == 201

    response = client.post("/api/v1/residents/", {"name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-409")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"


def test_errors_come_in_english_on_request(world, as_user):
    client = as_user(world.users.grid1)
    url = f"/api/v1/households/{world.households.q1.pk}/"

    invalid = client.patch(url, {"phone": "12345", "number": ""}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert invalid.status_code == 400
    assert invalid.json() == {
        "phone": ["A mobile number has 11 digits and starts with 1, e.g. 15800001234."],
        "number": ["This field may not be blank."],
    }
    missing = client.get("/api/v1/households/999999/", HTTP_ACCEPT_LANGUAGE="en")
    assert missing.json() == {"detail": "Not found.", "code": "not_found"}
    refused = client.post(
        f"/api/v1/residents/{head_of(world.households.q1).pk}/reveal-id-number/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.json() == {"detail": "Your role may not see full ID numbers.", "code": "permission_denied"}


def test_errors_default_to_chinese(world, as_user):
    response = as_user(world.users.grid1).post(
        "/api/v1/residents/", {"household": world.households.q1.pk}, format="json"
    )

    assert response.status_code == 400
    message = response.json()["name"][0]
    assert message != "This field is required."
    assert any("\u4e00" <= char <= "\u9fff" for char in message)
