"""What the attack on issue 17 (self-service administration: staff accounts, assignments, 片区,
places, catalogues, history) found, one test per finding, named for the behaviour that holds."""

import datetime
import threading

import pytest
from auditlog.models import LogEntry
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from governance import accounts as a
from governance.models import Assignment, Role, StaffAccount
from grids.models import Area
from tests.factories import assign, make_user

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- assigning oneself


def test_township_admin_cannot_make_themselves_a_township_official(sw, as_user):
    """The administrator reads no people; a township official reads them all and reveals ID
    numbers. Giving oneself that role would be the way round: 403, and nothing written."""
    admin = sw.users.weituo_admin
    before = Assignment.objects.count()
    response = as_user(admin).post(
        "/api/v1/assignments/",
        {"user": admin.pk, "role": "township_official", "place_type": "township", "place_id": sw.weituo.pk},
        format="json",
    )
    assert response.status_code == 403, response.json()
    assert response.json()["code"] == "own_assignment"
    assert Assignment.objects.count() == before
    assert as_user(admin).get(f"/api/v1/households/{sw.households.q1.pk}/").status_code == 404


def test_village_cadre_cannot_assign_themselves_a_grid(world, as_user):
    cadre = world.users.cadre
    before = Assignment.objects.count()
    response = as_user(cadre).post(
        "/api/v1/assignments/",
        {"user": cadre.pk, "role": "grid_leader", "place_type": "grid", "place_id": world.q2.pk},
        format="json",
    )
    assert response.status_code == 403, response.json()
    assert Assignment.objects.count() == before


def test_the_assignment_page_offers_no_one_their_own_account(sw, client):
    from governance.assigning import assignable_users

    admin = sw.users.weituo_admin
    assert not assignable_users(admin).filter(pk=admin.pk).exists()
    assert not assignable_users(sw.users.cadre).filter(pk=sw.users.cadre.pk).exists()


# ---------------------------------------------------------------- accounts another township keeps


def test_an_account_working_in_another_township_today_is_not_kept_by_a_past_one(sw, as_user):
    """小沔镇's official once held a grid of 渭沱镇. 渭沱镇's administrator must not reset their
    password (and so log in as them) nor deactivate them (which ended their 小沔镇 post)."""
    moved = sw.users.other_official
    last_year = timezone.localdate() - datetime.timedelta(days=400)
    assign(moved, Role.GRID_WORKER, sw.q1, valid_from=last_year, valid_to=last_year + datetime.timedelta(days=30))
    password = moved.password
    client = as_user(sw.users.weituo_admin)

    assert client.get(f"/api/v1/staff/{moved.pk}/").status_code == 404
    assert client.post(f"/api/v1/staff/{moved.pk}/reset-password/", {}, format="json").status_code == 404
    response = client.post(f"/api/v1/staff/{moved.pk}/deactivate/", {"reason": "调走"}, format="json")
    assert response.status_code == 404

    moved.refresh_from_db()
    assert moved.is_active and moved.password == password
    assert Assignment.objects.get(user=moved, role=Role.TOWNSHIP_OFFICIAL).valid_to is None
    # 小沔镇's own administrator keeps it.
    assert a.accounts_managed_by(sw.users.xiaomian_admin).filter(pk=moved.pk).exists()


def test_an_account_another_township_opened_is_not_kept_by_a_past_one(sw):
    opened, _password = a.staff_account_create(
        by=sw.users.xiaomian_admin, township=sw.xiaomian, account=a.NewAccount(username="t_xm_new", name="小沔新人")
    )
    last_year = timezone.localdate() - datetime.timedelta(days=400)
    assign(opened, Role.GRID_WORKER, sw.q1, valid_from=last_year, valid_to=last_year + datetime.timedelta(days=30))
    assert not a.accounts_managed_by(sw.users.weituo_admin).filter(pk=opened.pk).exists()


def test_an_administrator_does_not_keep_another_administrators_account(sw, as_user):
    peer = make_user("t_weituo_admin2", name="渭沱镇管理员二")
    assign(peer, Role.TOWNSHIP_ADMIN, sw.weituo)
    client = as_user(sw.users.weituo_admin)
    assert client.post(f"/api/v1/staff/{peer.pk}/reset-password/", {}, format="json").status_code == 404
    peer.refresh_from_db()
    assert peer.check_password("demo12345")
    # Their own account stays on their list (its actions are refused there, 403 own_account).
    assert client.get(f"/api/v1/staff/{sw.users.weituo_admin.pk}/").status_code == 200


# ---------------------------------------------------------------- 片区 created twice at once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_area_name_sent_twice_at_once_is_one_area_and_a_400_not_a_500(sw):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent inserts need PostgreSQL (set DATABASE_URL)")
    admin = sw.users.weituo_admin
    body = {"township": sw.weituo.pk, "name": "北片", "villages": [sw.qixing.pk]}
    barrier = threading.Barrier(3)
    statuses = [None] * 3

    def run(i):
        try:
            client = APIClient()
            client.force_authenticate(admin)
            barrier.wait()
            statuses[i] = client.post("/api/v1/areas/", body, format="json").status_code
        except Exception as error:
            statuses[i] = repr(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201, 400, 400], statuses
    assert Area.objects.filter(name="北片").count() == 1


# ---------------------------------------------------------------- every refusal in Chinese


def test_a_short_password_is_refused_in_chinese_and_in_english(sw, as_user):
    """Django 5.2's own wording of this message is not in its Chinese catalogue."""
    client = as_user(sw.users.weituo_admin)
    body = {"username": "t_short_pw", "name": "短密码", "password": "k7mp3x"}
    chinese = client.post("/api/v1/staff/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    english = client.post("/api/v1/staff/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert chinese.status_code == english.status_code == 400
    assert chinese.json()["password"] == ["密码长度太短。密码必须包含至少 8 个字符。"]
    assert english.json()["password"] == ["This password is too short. It must contain at least 8 characters."]
    assert not a.accounts_managed_by(sw.users.weituo_admin).filter(username="t_short_pw").exists()


# ---------------------------------------------------------------- history names every actor


def test_a_first_login_password_change_through_the_api_is_on_record_under_the_account(sw, api_client):
    """/api/v1/auth/password/ signs no one in before it writes: its change was "the system"'s."""
    changed = api_client.post(
        "/api/v1/auth/password/",
        {"username": "t_new_grid", "password": sw.opened_password, "new_password": "liangjiang-2026"},
        format="json",
    )
    assert changed.status_code == 200
    entry = LogEntry.objects.get_for_object(StaffAccount.objects.get(user=sw.opened)).order_by("-pk").first()
    assert entry.changes_dict["must_change_password"] == ["True", "False"]
    assert entry.actor == sw.opened
    assert "pbkdf2" not in str(LogEntry.objects.filter(object_pk=str(sw.opened.pk)).values_list("changes", flat=True))


def test_an_account_opened_for_another_township_is_neither_offered_nor_assignable(sw, as_user, client):
    """小沔镇's new account holds no post yet: 渭沱镇's cadre saw its name on the form and could
    take it as a grid worker of 七星村."""
    from governance.assigning import assignable_users

    fresh, _password = a.staff_account_create(
        by=sw.users.xiaomian_admin, township=sw.xiaomian, account=a.NewAccount(username="t_xm_fresh", name="小沔新人")
    )
    for assigner in (sw.users.cadre, sw.users.weituo_admin):
        assert not assignable_users(assigner).filter(pk=fresh.pk).exists()
        response = as_user(assigner).post(
            "/api/v1/assignments/",
            {"user": fresh.pk, "role": "grid_worker", "place_type": "grid", "place_id": sw.q2.pk},
            format="json",
        )
        assert response.status_code == 400, response.json()
        assert response.json()["code"] == "does_not_exist"
    assert not Assignment.objects.filter(user=fresh).exists()
    assert assignable_users(sw.users.xiaomian_admin).filter(pk=fresh.pk).exists()
    # One opened for 渭沱镇 is offered to its cadre.
    assert assignable_users(sw.users.cadre).filter(pk=sw.opened.pk).exists()
