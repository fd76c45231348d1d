"""Assignments given and ended through /api/v1/assignments/ and the 片区 of /api/v1/areas/: who may
give which role where (governance.assigning), the scope following on the assignee's next request,
and every change on record (governance.history)."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext

from governance.history import history_of
from governance.models import Assignment, Role
from grids.models import Area
from tests.factories import assign, make_user

URL = "/api/v1/assignments/"


@pytest.fixture
def tadmin(world):
    """渭沱镇's township administrator (镇街管理员)."""
    user = make_user("t_weituo_admin", name="渭沱镇管理员")
    assign(user, Role.TOWNSHIP_ADMIN, world.weituo)
    return user


def fresh(user):
    """The user as their next request loads them (the scope is cached per request only)."""
    return get_user_model().objects.get(pk=user.pk)


def grid_worker(user, grid, **extra):
    return {"user": user.pk, "role": "grid_worker", "place_type": "grid", "place_id": grid.pk, **extra}


def household_ids(client):
    response = client.get("/api/v1/households/")
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def test_cadre_reassigns_a_grid_worker_and_the_new_one_sees_exactly_that_grid(world, as_user, api_client):
    cadre, leaving = world.users.cadre, world.users.grid2
    newcomer = make_user("t_newcomer", name="新网格员")
    old = leaving.assignments.get()
    client = as_user(cadre)

    ended = client.post(f"{URL}{old.pk}/end/", {}, format="json")
    created = client.post(URL, grid_worker(newcomer, world.q2, title="第二网格网格员"), format="json")

    assert ended.status_code == 200, ended.json()
    assert ended.json()["valid_to"] == timezone.localdate().isoformat()
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["user"], body["role"], body["place_type"], body["place_id"]) == (
        newcomer.pk,
        "grid_worker",
        "grid",
        world.q2.pk,
    )
    assert body["valid_from"] == timezone.localdate().isoformat() and body["valid_to"] is None
    # Scope follows at once: the newcomer's next request sees exactly 第二网格's households.
    assert household_ids(as_user(fresh(newcomer))) == {world.households.q2.pk}
    # The one who left still works today (their last day), and sees nothing from tomorrow.
    assert household_ids(as_user(fresh(leaving))) == {world.households.q2.pk}
    # Each change is on record, naming the cadre who made it.
    end_change = history_of(old)[0]
    assert end_change.actor == cadre.first_name
    [(name, before, after)] = end_change.fields
    assert (name, before) == (gettext("valid to"), "") and after
    [made] = history_of(Assignment.objects.get(pk=body["id"]))
    assert made.actor == cadre.first_name and made.action == gettext("created")
    history = as_user(cadre).get(f"/api/v1/history/assignment/{body['id']}/")
    assert history.status_code == 200 and history.json()[0]["actor"] == cadre.first_name


def test_a_leaver_sees_nothing_from_the_day_after_their_last(world, as_user):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    old = world.users.grid2.assignments.get()
    Assignment.objects.filter(pk=old.pk).update(valid_from=yesterday - datetime.timedelta(days=30))
    response = as_user(world.users.cadre).post(f"{URL}{old.pk}/end/", {"valid_to": yesterday}, format="json")
    assert response.status_code == 200, response.json()
    assert household_ids(as_user(fresh(world.users.grid2))) == set()


def test_cadre_gets_403_for_a_township_or_village_role_and_404_for_another_villages_grid(world, as_user):
    client = as_user(world.users.cadre)
    newcomer = make_user("t_newcomer", name="新人")
    before = Assignment.objects.count()

    township_role = client.post(
        URL,
        {"user": newcomer.pk, "role": "township_official", "place_type": "township", "place_id": world.weituo.pk},
        format="json",
    )
    village_role = client.post(
        URL,
        {"user": newcomer.pk, "role": "village_cadre", "place_type": "village", "place_id": world.qixing.pk},
        format="json",
    )
    other_grid = client.post(URL, grid_worker(newcomer, world.h1), format="json")
    other_courtyard_grid = client.post(URL, grid_worker(newcomer, world.l1), format="json")
    ending_a_cadre = client.post(f"{URL}{world.users.cadre.assignments.get().pk}/end/", {}, format="json")
    ending_elsewhere = client.post(f"{URL}{world.users.other_cadre.assignments.get().pk}/end/", {}, format="json")

    assert township_role.status_code == 403 and township_role.json()["code"] == "role_not_assignable"
    assert village_role.status_code == 403
    assert other_grid.status_code == 404 and set(other_grid.json()) == {"detail", "code"}
    assert other_courtyard_grid.status_code == 404
    assert ending_a_cadre.status_code == 403
    assert ending_elsewhere.status_code == 404
    assert Assignment.objects.count() == before
    assert not Assignment.objects.filter(valid_to__isnull=False).exists()


def test_township_admin_assigns_a_liaison_who_sees_the_village_on_the_next_request(world, as_user, tadmin):
    official = world.users.official
    visit = {
        "client_uuid": "8d6c3f0e-5d0e-4c47-9f5f-3a1f7f5f2a01",
        "household": world.households.q1.pk,
        "visited_at": timezone.now().isoformat(),
        "method": "home",
        "notes": "包村走访",
    }
    assert as_user(fresh(official)).post("/api/v1/visits/", visit, format="json").status_code == 403

    response = as_user(tadmin).post(
        URL,
        {"user": official.pk, "role": "village_liaison", "place_type": "village", "place_id": world.qixing.pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    client = as_user(fresh(official))
    me = client.get("/api/v1/me/").json()
    assert {(a["role"], a["place_name"]) for a in me["assignments"]} >= {("village_liaison", "七星村")}
    # 包村 puts them in 七星村's households as a visitor, from this very request.
    assert client.post("/api/v1/visits/", visit, format="json").status_code == 201
    [made] = history_of(Assignment.objects.get(pk=response.json()["id"]))
    assert made.actor == tadmin.first_name
    assert (gettext("role"), "", str(Role.VILLAGE_LIAISON.label)) in made.fields


def test_only_the_townships_own_officials_are_sent_down(world, as_user, tadmin):
    response = as_user(tadmin).post(
        URL,
        {"user": world.users.cadre.pk, "role": "village_liaison", "place_type": "village", "place_id": world.qixing.pk},
        format="json",
    )
    assert response.status_code == 400 and "user" in response.json()
    assert not Assignment.objects.filter(role=Role.VILLAGE_LIAISON).exists()


def test_township_admin_assigns_across_the_township_but_not_another(world, as_user, tadmin):
    newcomer = make_user("t_newcomer", name="新人")
    client = as_user(tadmin)
    cadre = client.post(
        URL,
        {"user": newcomer.pk, "role": "village_cadre", "place_type": "village", "place_id": world.hualong.pk},
        format="json",
    )
    handler = client.post(
        URL,
        {"user": newcomer.pk, "role": "department_handler", "place_type": "department", "place_id": world.sifasuo.pk},
        format="json",
    )
    another_township = client.post(URL, grid_worker(newcomer, world.l1), format="json")
    another_admin = client.post(
        URL,
        {"user": newcomer.pk, "role": "township_admin", "place_type": "township", "place_id": world.weituo.pk},
        format="json",
    )
    assert cadre.status_code == 201 and handler.status_code == 201
    assert newcomer.groups.filter(pk=world.sifasuo.group_id).exists()
    assert another_township.status_code == 404
    assert another_admin.status_code == 403


def test_refusals_about_the_input_name_their_field_and_code(world, as_user):
    client = as_user(world.users.cadre)
    newcomer = make_user("t_newcomer", name="新人")
    wrong_level = client.post(
        URL,
        {"user": newcomer.pk, "role": "grid_worker", "place_type": "courtyard", "place_id": world.yard.pk},
        format="json",
    )
    stranger = client.post(URL, grid_worker(world.users.other_official, world.q2), format="json")
    backwards = client.post(
        URL,
        grid_worker(newcomer, world.q2, valid_from=timezone.localdate().isoformat(), valid_to="2020-01-01"),
        format="json",
    )
    missing = client.post(URL, {"role": "grid_worker"}, format="json")

    assert wrong_level.status_code == 400
    assert wrong_level.json()["code"] == "wrong_place_type" and "place_type" in wrong_level.json()
    assert stranger.status_code == 400
    assert stranger.json()["code"] == "does_not_exist" and "user" in stranger.json()
    assert backwards.status_code == 400 and "valid_to" in backwards.json()
    assert missing.status_code == 400 and {"user", "place_type", "place_id"} <= set(missing.json())
    assert not Assignment.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize(
    ("field", "days", "reach"),
    [("valid_from", -32, 31), ("valid_from", 367, 366), ("valid_to", -32, 31), ("valid_to", 5 * 366 + 1, 5 * 366)],
)
def test_an_assignments_days_reach_a_month_back_and_a_year_or_a_term_ahead(world, as_user, field, days, reach):
    """A backdated start rewrites the 逢十 compliance of the days it covers: a post given in the
    pages or the API starts at most a month back (governance.assigning.MAX_DAYS_BACK)."""
    client = as_user(world.users.cadre)
    newcomer = make_user("t_newcomer", name="新人")
    day = timezone.localdate() + datetime.timedelta(days=days)
    dates = {"valid_from": day.isoformat()} if field == "valid_from" else {"valid_to": day.isoformat()}
    if field == "valid_to" and days < 0:
        dates["valid_from"] = (day - datetime.timedelta(days=1)).isoformat()

    refused = client.post(URL, grid_worker(newcomer, world.q2, **dates), format="json")

    assert refused.status_code == 400, refused.json()
    assert str(reach) in refused.json()[field][0]
    assert not Assignment.objects.filter(user=newcomer).exists()


def test_an_assignment_within_the_reach_is_given_and_ended(world, as_user):
    client = as_user(world.users.cadre)
    newcomer = make_user("t_newcomer", name="新人")
    today = timezone.localdate()
    start, term_end = today - datetime.timedelta(days=31), today + datetime.timedelta(days=5 * 366)

    given = client.post(
        URL, grid_worker(newcomer, world.q2, valid_from=start.isoformat(), valid_to=term_end.isoformat()), format="json"
    )
    end = f"{URL}{given.json()['id']}/end/"
    too_old = client.post(end, {"valid_to": (today - datetime.timedelta(days=32)).isoformat()}, format="json")
    ended = client.post(end, {"valid_to": today.isoformat()}, format="json")

    assert given.status_code == 201, given.json()
    assert too_old.status_code == 400 and "31" in too_old.json()["valid_to"][0]
    assert ended.status_code == 200 and ended.json()["valid_to"] == today.isoformat()


def test_ending_an_ended_assignment_is_409_and_an_end_is_never_moved_later(world, as_user):
    client = as_user(world.users.cadre)
    today = timezone.localdate()
    old = world.users.grid2.assignments.get()
    Assignment.objects.filter(pk=old.pk).update(valid_from=today - datetime.timedelta(days=60))
    first = client.post(f"{URL}{old.pk}/end/", {"valid_to": today + datetime.timedelta(days=5)}, format="json")
    later = client.post(f"{URL}{old.pk}/end/", {"valid_to": today + datetime.timedelta(days=9)}, format="json")
    before_start = client.post(f"{URL}{old.pk}/end/", {"valid_to": "2000-01-01"}, format="json")
    earlier = client.post(f"{URL}{old.pk}/end/", {"valid_to": today - datetime.timedelta(days=2)}, format="json")
    again = client.post(f"{URL}{old.pk}/end/", {}, format="json")

    assert first.status_code == 200
    assert later.status_code == 400 and "valid_to" in later.json()
    assert before_start.status_code == 400
    assert earlier.status_code == 200
    assert again.status_code == 409 and again.json()["code"] == "assignment_ended"
    old.refresh_from_db()
    assert old.valid_to == today - datetime.timedelta(days=2)


def test_a_double_entry_is_409_and_an_idempotent_replay_returns_the_first(world, as_user):
    client = as_user(world.users.cadre)
    newcomer = make_user("t_newcomer", name="新人")
    first = client.post(URL, grid_worker(newcomer, world.q1), format="json", HTTP_IDEMPOTENCY_KEY="asg-1")
    replay = client.post(URL, grid_worker(newcomer, world.q1), format="json", HTTP_IDEMPOTENCY_KEY="asg-1")
    double = client.post(URL, grid_worker(newcomer, world.q1), format="json")

    assert first.status_code == 201 and replay.status_code == 201
    assert replay.json()["id"] == first.json()["id"] and replay["Idempotent-Replayed"] == "true"
    assert double.status_code == 409 and double.json()["code"] == "already_assigned"
    assert Assignment.objects.filter(user=newcomer).count() == 1


def test_assignments_are_never_deleted(world, as_user):
    old = world.users.grid1.assignments.get()
    assert as_user(world.users.admin).delete(f"{URL}{old.pk}/").status_code == 405
    assert Assignment.objects.filter(pk=old.pk).exists()


# ---------------------------------------------------------------- 片区 (areas) and 包片


def test_township_admin_keeps_an_area_and_its_leaders_scope_follows(world, as_user, tadmin):
    client = as_user(tadmin)
    created = client.post(
        "/api/v1/areas/",
        {"township": world.weituo.pk, "name": "北片", "villages": [world.qixing.pk, world.hualong.pk]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    area = created.json()
    assert area["village_names"] == ["七星村", "化龙村"]
    leader = world.users.leader
    given = client.post(
        URL,
        {"user": leader.pk, "role": "area_leader", "place_type": "area", "place_id": area["id"]},
        format="json",
    )
    assert given.status_code == 201, given.json()
    assert given.json()["place_name"] == "北片" and given.json()["area"] == area["id"]

    changed = client.patch(f"/api/v1/areas/{area['id']}/", {"name": "北部片区", "villages": [world.hualong.pk]})

    assert changed.status_code == 200, changed.json()
    from governance.scoping import scope_for

    assert scope_for(fresh(leader)).by_role[Role.AREA_LEADER] == frozenset({world.hualong.pk})
    leaders = client.get(f"{URL}?area={area['id']}").json()["results"]
    assert [row["user"] for row in leaders] == [leader.pk]
    fields = [field for change in history_of(Area.objects.get(pk=area["id"])) for field in change.fields]
    assert (gettext("name"), "北片", "北部片区") in fields
    assert (gettext("villages"), "七星村", "") in fields
    created = history_of(Area.objects.get(pk=area["id"]))[-1]
    assert created.action == gettext("created")
    # a foreign key Django names alone ("township") is named by the model it points at
    township = capfirst(Area._meta.get_field("township").related_model._meta.verbose_name)
    assert {name for name, _before, _after in created.fields} == {gettext("name"), township}


def test_areas_are_read_by_the_township_and_kept_by_its_administrator_only(world, as_user, tadmin):
    area = Area.objects.create(township=world.weituo, name="南片")
    area.villages.add(world.qixing)
    assert as_user(world.users.grid1).get(f"/api/v1/areas/{area.pk}/").status_code == 200
    assert as_user(world.users.other_official).get(f"/api/v1/areas/{area.pk}/").status_code == 404
    assert as_user(world.users.official).patch(f"/api/v1/areas/{area.pk}/", {"name": "x"}).status_code == 403
    assert as_user(world.users.official).post("/api/v1/areas/", {}).status_code == 403
    client = as_user(tadmin)
    elsewhere = client.post(
        "/api/v1/areas/", {"township": world.weituo.pk, "name": "西片", "villages": [world.liwan.pk]}, format="json"
    )
    other_township = client.post(
        "/api/v1/areas/", {"township": world.xiaomian.pk, "name": "西片", "villages": []}, format="json"
    )
    same_name = client.post(
        "/api/v1/areas/", {"township": world.weituo.pk, "name": "南片", "villages": [world.hualong.pk]}, format="json"
    )
    empty = client.patch(f"/api/v1/areas/{area.pk}/", {"villages": []}, format="json")
    assert elsewhere.status_code == 400 and "villages" in elsewhere.json()
    assert other_township.status_code == 400 and "township" in other_township.json()
    assert same_name.status_code == 400 and "name" in same_name.json()
    assert empty.status_code == 400 and "villages" in empty.json()
    assert client.put(f"/api/v1/areas/{area.pk}/", {"name": "x"}).status_code == 405
    assert Area.objects.count() == 1 and list(area.villages.all()) == [world.qixing]
