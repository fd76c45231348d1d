"""Idempotency-Key: a replay returns the first response and creates nothing more."""

from governance.models import IdempotencyRecord
from grids.models import Household, HouseholdMove, Resident


def test_replayed_household_create_returns_the_first_response(world, as_user):
    client = as_user(world.users.grid1)
    payload = {"grid": world.q1.pk, "number": "Q1-500", "address": "河边"}
    before = Household.objects.count()

    first = client.post("/api/v1/households/", payload, format="json", HTTP_IDEMPOTENCY_KEY="phone-42")
    second = client.post("/api/v1/households/", payload, format="json", HTTP_IDEMPOTENCY_KEY="phone-42")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Household.objects.count() == before + 1


def test_replayed_resident_create_creates_one_resident(world, as_user):
    client = as_user(world.users.cadre)
    payload = {"household": world.households.q2.pk, "name": "王小五", "relation_to_head": "child", "gender": "female"}
    before = Resident.objects.count()

    responses = [
        client.post("/api/v1/residents/", payload, format="json", HTTP_IDEMPOTENCY_KEY="r-1") for _ in range(3)
    ]

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert Resident.objects.count() == before + 1


def test_replayed_move_moves_once(world, as_user):
    client = as_user(world.users.cadre)
    url = f"/api/v1/households/{world.households.q1b.pk}/move/"
    payload = {"to_grid": world.q2.pk, "reason": "新房"}

    first = client.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="move-1")
    second = client.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="move-1")

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == first.json()
    assert HouseholdMove.objects.count() == 1


def test_same_key_on_another_path_is_409(world, as_user):
    client = as_user(world.users.cadre)
    client.post(
        "/api/v1/households/", {"grid": world.q1.pk, "number": "Q1-501"}, format="json", HTTP_IDEMPOTENCY_KEY="dup"
    )
    payload = {"household": world.households.q1.pk, "name": "张四", "relation_to_head": "child", "gender": "male"}
    before = Resident.objects.count()

    response = client.post("/api/v1/residents/", payload, format="json", HTTP_IDEMPOTENCY_KEY="dup")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert set(response.json()) == {"detail", "code"}
    assert Resident.objects.count() == before


def test_same_key_with_another_body_is_409_and_writes_nothing(world, as_user):
    """Regression: the second request got the first one's 201 back, as if it had been done."""
    from grids.models import Household

    client = as_user(world.users.cadre)
    first = client.post(
        "/api/v1/households/", {"grid": world.q1.pk, "number": "Q1-511"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    again = client.post(
        "/api/v1/households/", {"grid": world.q1.pk, "number": "Q1-511"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    other = client.post(
        "/api/v1/households/", {"grid": world.q1.pk, "number": "Q1-512"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert (first.status_code, again.status_code) == (201, 201) and again.json() == first.json()
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert not Household.objects.filter(number="Q1-512").exists()


def test_keys_belong_to_one_user(world, as_user, api_client):
    as_user(world.users.grid1).post(
        "/api/v1/households/", {"grid": world.q1.pk, "number": "Q1-502"}, format="json", HTTP_IDEMPOTENCY_KEY="same"
    )

    response = as_user(world.users.cadre).post(
        "/api/v1/households/", {"grid": world.q1.pk, "number": "Q1-503"}, format="json", HTTP_IDEMPOTENCY_KEY="same"
    )

    assert response.status_code == 201
    assert response.json()["number"] == "Q1-503"


def test_a_failed_create_records_no_key_and_can_be_retried(world, as_user):
    client = as_user(world.users.grid1)
    bad = client.post(
        "/api/v1/households/", {"grid": world.q1.pk, "phone": "123"}, format="json", HTTP_IDEMPOTENCY_KEY="retry"
    )
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()

    good = client.post(
        "/api/v1/households/", {"grid": world.q1.pk, "number": "Q1-504"}, format="json", HTTP_IDEMPOTENCY_KEY="retry"
    )
    assert good.status_code == 201


def test_refused_create_records_no_key(world, as_user):
    response = as_user(world.users.official).post(
        "/api/v1/households/", {"grid": world.q1.pk, "number": "Q1-505"}, format="json", HTTP_IDEMPOTENCY_KEY="no"
    )

    assert response.status_code == 403
    assert not IdempotencyRecord.objects.exists()


def test_old_idempotency_records_are_pruned_and_recent_ones_kept(world, settings):
    import datetime

    from django.utils import timezone

    from governance.services import idempotency_records_prune

    settings.IDEMPOTENCY_KEEP_DAYS = 30
    old = IdempotencyRecord.objects.create(
        user=world.users.grid1, key="old", method="POST", path="/api/v1/visits/", status_code=201, body={}
    )
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))
    IdempotencyRecord.objects.create(
        user=world.users.grid1, key="new", method="POST", path="/api/v1/visits/", status_code=201, body={}
    )
    assert idempotency_records_prune() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_the_prune_command_does_what_the_nightly_task_does(world, settings):
    """Like every periodic job, the prune is also a management command."""
    import datetime
    import io

    from django.core.management import call_command
    from django.utils import timezone

    settings.IDEMPOTENCY_KEEP_DAYS = 30
    old = IdempotencyRecord.objects.create(
        user=world.users.grid1, key="old", method="POST", path="/api/v1/visits/", status_code=201, body={}
    )
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))
    out = io.StringIO()
    call_command("prune_idempotency_records", stdout=out)
    assert out.getvalue().strip() == "deleted=1" and not IdempotencyRecord.objects.exists()
