"""ID numbers already registered: named to a caller who may see the holder, neutral and
recorded for anyone else, capped per file and per day. One rule for the import (API, page),
the resident API and the resident form."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from governance.models import Notification
from governance.tasks import run_job
from grids.idnumbers import decrypt_id_number, hash_id_number
from grids.models import IdNumberRefusal, Resident
from tests.factories import make_id_number
from tests.grids.test_register import person, xlsx
from tests.pages.conftest import field_block, form_token

IMPORT = "/api/v1/households/import/"
RESIDENTS = "/api/v1/residents/"


def head_of(household) -> Resident:
    return household.members.get(relation_to_head="head")


def number_of(resident) -> str:
    return decrypt_id_number(resident.id_number_encrypted)


def post_file(client, rows):
    return client.post(IMPORT, {"file": SimpleUploadedFile("register.xlsx", xlsx(rows).getvalue())}, format="multipart")


def fresh(seq: int) -> str:
    return make_id_number(datetime.date(1980, 5, 6), 900 + seq)


def new_resident(world, id_number: str) -> dict:
    return {
        "household": world.households.q1.pk,
        "name": "新来人",
        "relation_to_head": "child",
        "gender": "male",
        "id_number": id_number,
    }


# ---------------------------------------------------------------- the import


def test_import_does_not_reveal_a_holder_in_another_township(world, as_user):
    holder = head_of(world.households.l1)  # 李湾村, 小沔镇: outside the 七星村 cadre's scope
    response = post_file(as_user(world.users.cadre), [person(id_number=number_of(holder))])

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_register"
    [error] = body["errors"]
    assert error["code"] == "id_number_unavailable" and error["column"] == "公民身份号码"
    text = str(body)
    assert holder.name not in text and world.households.l1.number not in text and "李湾" not in text
    refusal = IdNumberRefusal.objects.get()
    assert refusal.user == world.users.cadre and refusal.channel == "import"
    assert refusal.id_number_hash == hash_id_number(number_of(holder)) and number_of(holder) not in str(
        IdNumberRefusal.objects.values().get()
    )
    # The holder's township is told who tried (not the number); the cadre's own township is not told the holder.
    told = Notification.objects.get(user=world.users.other_official)
    assert world.users.cadre.get_full_name() in told.body or world.users.cadre.username in told.body
    assert number_of(holder) not in told.body


def test_import_names_a_holder_the_cadre_may_see(world, as_user):
    holder = head_of(world.households.q2)  # 七星村, another household
    response = post_file(as_user(world.users.cadre), [person(id_number=number_of(holder))])

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "id_number_taken"
    assert holder.name in error["message"] and world.households.q2.number in error["message"]
    assert not IdNumberRefusal.objects.exists()


def test_too_many_refusals_in_one_file_refuse_it_whole_without_rows(world, as_user, settings):
    settings.REGISTER_ID_REFUSALS_PER_FILE = 1
    holders = [head_of(world.households.l1), head_of(world.households.h1)]
    rows = [
        person(household="Q-1", id_number=number_of(holders[0])),
        person(household="Q-2", id_number=number_of(holders[1])),
    ]
    response = post_file(as_user(world.users.cadre), rows)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "too_many_id_refusals"
    assert [(e["row"], e["code"]) for e in body["errors"]] == [(0, "too_many_id_refusals")]
    assert all(h.name not in str(body) for h in holders)
    assert IdNumberRefusal.objects.filter(user=world.users.cadre).count() == 2
    assert "2" not in body["errors"][0]["message"]  # the cap is named, not how many were held


def test_a_file_past_the_days_allowance_says_only_that(world, as_user, settings):
    """Regression: with one refusal left, a file of many held numbers answered with their count."""
    settings.REGISTER_ID_REFUSALS_PER_FILE = 1
    settings.REGISTER_ID_REFUSALS_PER_DAY = 1
    holders = [head_of(world.households.l1), head_of(world.households.h1)]
    rows = [
        person(household="Q-1", id_number=number_of(holders[0])),
        person(household="Q-2", id_number=number_of(holders[1])),
    ]
    body = post_file(as_user(world.users.cadre), rows).json()
    assert body["code"] == "id_refusals_exhausted"


def test_refusals_per_day_stop_every_new_id_number(world, as_user, settings):
    settings.REGISTER_ID_REFUSALS_PER_DAY = 1
    client = as_user(world.users.cadre)
    first = post_file(client, [person(id_number=number_of(head_of(world.households.l1)))])
    assert first.json()["errors"][0]["code"] == "id_number_unavailable"

    # Exhausted: a number nobody holds is refused like one somebody holds, so nothing is learnt.
    for number in (fresh(1), number_of(head_of(world.households.h1))):
        response = post_file(client, [person(id_number=number)])
        assert response.status_code == 400
        assert response.json()["code"] == "id_refusals_exhausted"
    response = client.post(RESIDENTS, new_resident(world, fresh(2)), format="json")
    assert response.status_code == 400 and response.data["id_number"][0].code == "id_refusals_exhausted"
    assert not Resident.objects.filter(name__in=["刘大山", "新来人"]).exists()

    # Numbers already in the cadre's scope still work: editing them is not probing.
    own = head_of(world.households.q1)
    response = client.patch(f"{RESIDENTS}{own.pk}/", {"id_number": number_of(own), "notes": "核实"}, format="json")
    assert response.status_code == 200


def test_refusals_of_another_day_do_not_count(world, as_user, settings):
    settings.REGISTER_ID_REFUSALS_PER_DAY = 1
    holder = head_of(world.households.l1)
    refusal = IdNumberRefusal.objects.create(user=world.users.cadre, id_number_hash="x" * 64, channel="import")
    IdNumberRefusal.objects.filter(pk=refusal.pk).update(refused_at=refusal.refused_at - datetime.timedelta(days=1))

    response = post_file(as_user(world.users.cadre), [person(id_number=number_of(holder))])

    assert response.json()["errors"][0]["code"] == "id_number_unavailable"


def test_page_import_records_the_refusal_after_its_rollback(world, client):
    client.force_login(world.users.cadre)
    holder = head_of(world.households.l1)
    token = form_token(client.get("/households/import/").content.decode())
    upload = SimpleUploadedFile("register.xlsx", xlsx([person(id_number=number_of(holder))]).getvalue())

    response = client.post("/households/import/", {"form_token": token, "file": upload})
    run_job(int(response["Location"].split("/")[2]))  # the import is a job (governance.jobs)

    page = client.get(response["Location"])
    assert [e["code"] for e in page.context["errors"]] == ["id_number_unavailable"]
    assert holder.name not in page.content.decode()
    assert IdNumberRefusal.objects.filter(user=world.users.cadre, channel="import").count() == 1


# ---------------------------------------------------------------- the resident API and form


def test_resident_api_does_not_confirm_a_number_held_elsewhere(world, as_user):
    holder = head_of(world.households.l1)
    before = Resident.objects.count()

    response = as_user(world.users.cadre).post(RESIDENTS, new_resident(world, number_of(holder)), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["id_number"]
    assert response.data["id_number"][0].code == "id_number_unavailable"
    assert holder.name not in str(response.json()) and world.households.l1.number not in str(response.json())
    assert Resident.objects.count() == before
    assert IdNumberRefusal.objects.filter(user=world.users.cadre, channel="api").count() == 1


def test_resident_api_names_a_holder_in_scope(world, as_user):
    holder = head_of(world.households.q2)

    response = as_user(world.users.cadre).post(RESIDENTS, new_resident(world, number_of(holder)), format="json")

    assert response.status_code == 400
    assert response.data["id_number"][0].code == "id_number_taken"
    assert holder.name in response.json()["id_number"][0]
    assert not IdNumberRefusal.objects.exists()


def test_grid_worker_is_not_told_about_a_holder_in_another_grid(world, as_user):
    holder = head_of(world.households.q2)  # 第二网格: the grid-1 worker cannot see it

    response = as_user(world.users.grid1).post(RESIDENTS, new_resident(world, number_of(holder)), format="json")

    assert response.data["id_number"][0].code == "id_number_unavailable"
    assert holder.name not in str(response.json())


def test_resident_form_does_not_reveal_a_holder_elsewhere(world, client):
    client.force_login(world.users.cadre)
    holder = head_of(world.households.l1)
    url = f"/households/{world.households.q1.pk}/residents/new/"
    token = form_token(client.get(url).content.decode())

    response = client.post(
        url,
        {
            "form_token": token,
            "name": "新来人",
            "relation_to_head": "child",
            "gender": "male",
            "id_number": number_of(holder),
            "status": "resident",
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert field_block(html, "id_number").count("errorlist") >= 1
    assert holder.name not in html
    assert IdNumberRefusal.objects.filter(user=world.users.cadre, channel="form").count() == 1


@pytest.mark.parametrize("channel", ["api", "import"])
def test_refusals_of_every_channel_share_the_daily_allowance(world, as_user, settings, channel):
    settings.REGISTER_ID_REFUSALS_PER_DAY = 2
    IdNumberRefusal.objects.create(user=world.users.cadre, id_number_hash="y" * 64, channel="form")
    IdNumberRefusal.objects.create(user=world.users.cadre, id_number_hash="z" * 64, channel="form")
    client = as_user(world.users.cadre)
    if channel == "api":
        response = client.post(RESIDENTS, new_resident(world, fresh(3)), format="json")
        assert response.data["id_number"][0].code == "id_refusals_exhausted"
    else:
        response = post_file(client, [person(id_number=fresh(3))])
        assert response.json()["code"] == "id_refusals_exhausted"
