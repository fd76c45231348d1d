"""What each role sees of places, departments and assignments."""

import pytest


def names(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return {row.get("name") or row.get("username") for row in response.json()["results"]}


def users_of(client):
    response = client.get("/api/v1/assignments/")
    assert response.status_code == 200
    return {row["user"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("persona", "villages", "grids"),
    [
        ("grid1", {"七星村"}, {("七星村", "第一网格")}),
        ("cadre", {"七星村"}, {("七星村", "第一网格"), ("七星村", "第二网格")}),
        ("official", {"七星村", "化龙村"}, {("七星村", "第一网格"), ("七星村", "第二网格"), ("化龙村", "第一网格")}),
        ("handler", {"七星村", "化龙村"}, {("七星村", "第一网格"), ("七星村", "第二网格"), ("化龙村", "第一网格")}),
        ("other_official", {"李湾村"}, {("李湾村", "第一网格")}),
        ("outsider", set(), set()),
    ],
)
def test_places_by_role(world, as_user, persona, villages, grids):
    client = as_user(getattr(world.users, persona))

    assert names(client, "/api/v1/villages/") == villages
    rows = client.get("/api/v1/grids/").json()["results"]
    assert {(row["village_name"], row["name"]) for row in rows} == grids


def test_departments_of_my_township(world, as_user):
    assert names(as_user(world.users.grid1), "/api/v1/departments/") == {"司法所"}
    assert names(as_user(world.users.other_official), "/api/v1/departments/") == set()


def test_assignments_visible_by_role(world, as_user):
    u = world.users
    weituo_staff = {u.grid1, u.grid2, u.helper, u.cadre, u.clerk, u.supervisor, u.other_cadre, u.official}
    weituo_staff |= {u.leader, u.handler}

    assert users_of(as_user(u.grid1)) == {u.grid1.pk}
    qixing_staff = {u.grid1, u.grid2, u.helper, u.cadre, u.clerk, u.supervisor}
    assert users_of(as_user(u.cadre)) == {user.pk for user in qixing_staff}
    assert users_of(as_user(u.supervisor)) == {u.supervisor.pk}  # the committee: its own only
    assert users_of(as_user(u.official)) == {user.pk for user in weituo_staff}
    assert users_of(as_user(u.other_official)) == {u.other_official.pk}
    assert users_of(as_user(u.outsider)) == set()


def test_assignment_filters(world, as_user):
    import datetime

    from governance.models import Role
    from tests.factories import assign

    assign(
        world.users.grid1,
        Role.GRID_LEADER,
        world.q1,
        valid_from=datetime.date(2020, 1, 1),
        valid_to=datetime.date(2020, 12, 31),
    )
    client = as_user(world.users.official)

    current = client.get(f"/api/v1/assignments/?user={world.users.grid1.pk}&current=1").json()["results"]
    past = client.get(f"/api/v1/assignments/?user={world.users.grid1.pk}&current=0").json()["results"]
    leaders = client.get("/api/v1/assignments/?role=grid_leader").json()["results"]

    assert [a["role"] for a in current] == ["grid_worker"]
    assert [a["role"] for a in past] == ["grid_leader"]
    assert [a["user"] for a in leaders] == [world.users.grid1.pk]
