"""Forms: errors next to the field, what was typed is kept, nothing half-written, one save per form."""

import importlib
import threading

import pytest
from django.db import connection

from governance.models import IdempotencyRecord
from grids.models import Household, HouseholdMove, Resident
from tests.pages.conftest import field_block, form_token

BAD_ID = "500117197005060011"  # right shape, wrong check digit


def _token(client, url):
    return form_token(client.get(url).content.decode())


def test_add_household_then_head(login, world):
    client = login(world.users.grid1)
    token = _token(client, "/households/new/")
    response = client.post(
        "/households/new/",
        {
            "form_token": token,
            "grid": world.q1.pk,
            "number": "Q1-100",
            "address": "七星村1组",
            "phone": "158 0000 1234",
        },
    )
    household = Household.objects.get(number="Q1-100")
    assert response.status_code == 302
    assert response["Location"] == f"/households/{household.pk}/residents/new/?relation=head"
    assert household.phone == "15800001234" and household.grid == world.q1

    token = _token(client, response["Location"])
    response = client.post(
        f"/households/{household.pk}/residents/new/",
        {"form_token": token, "name": "陈大", "relation_to_head": "head", "gender": "male", "status": "resident"},
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.head_name == "陈大"


def test_duplicate_household_number_error_next_to_field_and_input_kept(login, world):
    client = login(world.users.grid1)
    token = _token(client, "/households/new/")
    response = client.post(
        "/households/new/",
        {"form_token": token, "grid": world.q1.pk, "number": world.households.q1b.number, "address": "新地址88号"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    number = field_block(html, "number")
    assert "already used in the village" in number or "已" in number
    assert "has-error" in html
    assert 'value="新地址88号"' in field_block(html, "address")
    assert form_token(html) == token  # the same form, so a corrected resend is still one save
    assert Household.objects.filter(address="新地址88号").count() == 0
    assert not IdempotencyRecord.objects.exists()

    # Corrected and sent again with the same token: saved once.
    response = client.post(
        "/households/new/", {"form_token": token, "grid": world.q1.pk, "number": "Q1-NEW", "address": "新地址88号"}
    )
    assert response.status_code == 302
    assert Household.objects.filter(address="新地址88号").count() == 1


def test_grid_worker_cannot_add_household_in_another_grid(login, world):
    client = login(world.users.grid1)
    token = _token(client, "/households/new/")
    response = client.post("/households/new/", {"form_token": token, "grid": world.q2.pk, "number": "Q2-900"})
    assert response.status_code == 200
    assert "errorlist" in field_block(response.content.decode(), "grid")
    assert not Household.objects.filter(number="Q2-900").exists()


def test_grid_choices_are_only_editable_grids(login, world):
    response = login(world.users.cadre).get("/households/new/")
    assert set(response.context["form"].fields["grid"].queryset) == {world.q1, world.q2}


def test_bad_phone_and_missing_number_shown_next_to_fields(login, world):
    client = login(world.users.grid1)
    token = _token(client, "/households/new/")
    response = client.post("/households/new/", {"form_token": token, "grid": world.q1.pk, "phone": "12345"})
    html = response.content.decode()
    assert "11 digits" in field_block(html, "phone") or "11" in field_block(html, "phone")
    assert "errorlist" in field_block(html, "number")
    assert 'value="12345"' in field_block(html, "phone")
    assert Household.objects.count() == 5


def test_bad_id_number_error_next_to_field_and_nothing_written(login, world):
    q1 = world.households.q1
    client = login(world.users.grid1)
    url = f"/households/{q1.pk}/residents/new/"
    before = Resident.objects.count()
    response = client.post(
        url,
        {
            "form_token": _token(client, url),
            "name": "张小花",
            "relation_to_head": "child",
            "gender": "female",
            "id_number": BAD_ID,
            "status": "resident",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "校验位" in field_block(html, "id_number")
    assert 'value="张小花"' in field_block(html, "name")
    assert Resident.objects.count() == before


def test_second_head_refused_by_service_shown_next_to_relation(login, world):
    q1 = world.households.q1
    client = login(world.users.grid1)
    url = f"/households/{q1.pk}/residents/new/"
    response = client.post(
        url,
        {
            "form_token": _token(client, url),
            "name": "张二",
            "relation_to_head": "head",
            "gender": "male",
            "status": "resident",
        },
    )
    assert "已有户主" in field_block(response.content.decode(), "relation_to_head")
    assert not Resident.objects.filter(name="张二").exists()
    assert not IdempotencyRecord.objects.exists()


def test_move_to_same_grid_error_and_nothing_written(login, world):
    q1b = world.households.q1b
    client = login(world.users.cadre)
    url = f"/households/{q1b.pk}/move/"
    response = client.post(url, {"form_token": _token(client, url), "to_grid": world.q1.pk, "reason": "试试"})
    assert "已在该网格内" in field_block(response.content.decode(), "to_grid")
    assert not HouseholdMove.objects.exists()


def test_move_to_grid_of_other_village_refused(login, world):
    q1 = world.households.q1
    client = login(world.users.cadre)
    url = f"/households/{q1.pk}/move/"
    response = client.post(url, {"form_token": _token(client, url), "to_grid": world.h1.pk, "reason": "试试"})
    assert "errorlist" in field_block(response.content.decode(), "to_grid")
    q1.refresh_from_db()
    assert q1.grid_id == world.q1.pk


def test_move_household(login, world):
    q1b = world.households.q1b
    client = login(world.users.cadre)
    url = f"/households/{q1b.pk}/move/"
    response = client.post(url, {"form_token": _token(client, url), "to_grid": world.q2.pk, "reason": "网格调整"})
    assert response.status_code == 302
    q1b.refresh_from_db()
    assert q1b.grid_id == world.q2.pk
    assert set(q1b.members.values_list("grid_id", flat=True)) == {world.q2.pk}
    # Grid 1's worker no longer sees it; grid 2's does.
    assert login(world.users.grid1).get(f"/households/{q1b.pk}/").status_code == 404
    assert login(world.users.grid2).get(f"/households/{q1b.pk}/").status_code == 200


def test_edit_household_and_resident(login, world):
    q1 = world.households.q1
    client = login(world.users.grid1)
    url = f"/households/{q1.pk}/edit/"
    form = client.get(url).context["form"]
    assert form.initial["number"] == q1.number
    response = client.post(
        url,
        {"form_token": form_token(client.get(url).content.decode()), "number": q1.number, "address": "新地址"},
    )
    assert response.status_code == 302
    q1.refresh_from_db()
    assert q1.address == "新地址"

    member = q1.members.exclude(relation_to_head="head").first()
    masked = member.id_number_masked
    url = f"/residents/{member.pk}/edit/"
    html = client.get(url).content.decode()
    assert masked in field_block(html, "id_number")  # shown in the help text, never in clear
    response = client.post(
        url,
        {
            "form_token": form_token(html),
            "name": "张改名",
            "relation_to_head": member.relation_to_head,
            "gender": member.gender,
            "status": "away",
            "id_number": "",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.status, member.id_number_masked) == ("张改名", "away", masked)


def test_double_submit_creates_once(login, world):
    client = login(world.users.grid1)
    token = _token(client, "/households/new/")
    data = {"form_token": token, "grid": world.q1.pk, "number": "Q1-DOUBLE", "address": "双击"}
    first = client.post("/households/new/", data)
    second = client.post("/households/new/", data)
    assert Household.objects.filter(number="Q1-DOUBLE").count() == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    followed = client.get(second["Location"])
    assert "没有重复保存" in followed.content.decode()


def test_double_submit_of_resident_creates_once(login, world):
    q1b = world.households.q1b
    client = login(world.users.grid1)
    url = f"/households/{q1b.pk}/residents/new/"
    data = {
        "form_token": _token(client, url),
        "name": "李小",
        "relation_to_head": "child",
        "gender": "male",
        "status": "resident",
    }
    client.post(url, data)
    client.post(url, data)
    assert Resident.objects.filter(name="李小").count() == 1


def test_form_without_token_is_refused_without_writing(login, world):
    client = login(world.users.grid1)
    response = client.post("/households/new/", {"grid": world.q1.pk, "number": "Q1-NOTOKEN"})
    assert response.status_code == 200
    assert "form-errors" in response.content.decode()
    assert not Household.objects.filter(number="Q1-NOTOKEN").exists()
    # The page comes back with a fresh token, so sending it again works.
    assert form_token(response.content.decode())


def test_form_tokens_are_per_user(login, world):
    """A token used by one user does not block another user's form (keys are per user)."""
    client = login(world.users.grid1)
    token = _token(client, "/households/new/")
    client.post("/households/new/", {"form_token": token, "grid": world.q1.pk, "number": "Q1-A"})
    client = login(world.users.cadre)
    client.post("/households/new/", {"form_token": token, "grid": world.q2.pk, "number": "Q2-B"})
    assert set(Household.objects.filter(number__in=["Q1-A", "Q2-B"]).values_list("number", flat=True)) == {
        "Q1-A",
        "Q2-B",
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_creates_once(world):
    """Two posts of one form at the same moment: the unique claim lets exactly one save."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locking; run with DATABASE_URL=postgres://...")
    from django.test import Client

    first = Client()
    first.force_login(world.users.grid1)
    token = form_token(first.get("/households/new/").content.decode())
    data = {"form_token": token, "grid": world.q1.pk, "number": "Q1-RACE"}
    barrier = threading.Barrier(2)
    statuses = []

    def send():
        client = Client()
        client.force_login(world.users.grid1)
        barrier.wait()
        try:
            statuses.append(client.post("/households/new/", data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302]
    assert Household.objects.filter(number="Q1-RACE").count() == 1


def test_tags_are_offered_and_saved_when_defined(login, world):
    from grids.models import Tag

    elderly = Tag.objects.create(code="elderly_alone", name="独居老人", is_key_group=True)
    Tag.objects.create(code="veteran", name="退役军人")
    client = login(world.users.grid1)
    html = client.get("/households/new/").content.decode()
    assert "独居老人" in field_block(html, "tags")
    response = client.post(
        "/households/new/",
        {"form_token": form_token(html), "grid": world.q1.pk, "number": "Q1-TAG", "tags": [elderly.pk]},
    )
    assert response.status_code == 302
    household = Household.objects.get(number="Q1-TAG")
    assert list(household.tags.all()) == [elderly]
    listed = client.get("/households/", {"tag": elderly.pk}).content.decode()
    assert "Q1-TAG" in listed and "★" in listed


def test_no_tag_box_when_no_tags_exist(login, world):
    html = login(world.users.grid1).get("/households/new/").content.decode()
    assert 'id="field-tags"' not in html


def _form_classes():
    from django import forms

    for module in ("grids.forms", "grids.visits.forms", "petitions.forms", "petitions.public_forms", "points.forms"):
        importlib.import_module(module)
    found, todo = set(), [forms.BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in {"grids", "petitions", "points", "governance"}:
                found.add(sub)
    return sorted(found, key=lambda c: (c.__module__, c.__name__))


def test_every_visible_form_field_has_a_translatable_label():
    """A field without a label shows its English name (an "Awards" in a Chinese error summary)."""
    from django import forms
    from django.contrib.auth.forms import AuthenticationForm
    from django.utils.functional import Promise

    missing = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in _form_classes()
        if not issubclass(form, AuthenticationForm)  # its username label comes from the user model
        for name, field in form.base_fields.items()
        if not isinstance(field.widget, forms.HiddenInput) and not isinstance(field.label, Promise)
    ]
    assert missing == []
