"""Each role's home page shows its own work."""

import datetime

from governance.models import Assignment


def _html(client, url="/"):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_grid_worker_home_lists_their_households_only(login, world):
    html = _html(login(world.users.grid1))
    assert "<h1>七星村 第一网格</h1>" in html
    assert "张三" in html and "李四" in html and "王五" not in html
    assert 'name="q"' in html  # the search box
    assert "/households/new/" in html


def test_courtyard_helper_home_lists_courtyard_households(login, world):
    html = _html(login(world.users.helper))
    assert "张三" in html and "李四" not in html
    assert "/households/new/" not in html  # helpers look, they do not edit the register


def test_cadre_home_shows_village_grids_with_counts(login, world):
    response = login(world.users.cadre).get("/")
    village = response.context["villages"][0]
    assert village["place"] == world.qixing
    assert [(g.name, g.household_count, g.resident_count) for g in village["children"]] == [
        ("第一网格", 2, 4),
        ("第二网格", 1, 2),
    ]
    assert village["households"] == 3
    html = response.content.decode()
    assert f"/households/?grid={world.q1.pk}" in html
    assert "<h1>七星村</h1>" in html


def test_official_home_shows_township_villages_with_counts(login, world):
    response = login(world.users.official).get("/")
    township = response.context["townships"][0]
    assert township["place"] == world.weituo
    assert [(v.name, v.grid_count, v.household_count) for v in township["children"]] == [
        ("七星村", 2, 3),
        ("化龙村", 1, 1),
    ]
    assert "李湾村" not in response.content.decode()


def test_department_handler_home_has_placeholder_for_matters(login, world):
    html = _html(login(world.users.handler))
    assert "司法所" in html
    assert "交办给本部门的事项" in html or "暂无" in html
    assert "张三" not in html
    assert 'href="/households/"' not in html  # no household menu entry for a department


def test_user_without_assignment_is_told_to_ask_an_administrator(login, world):
    html = _html(login(world.users.outsider))
    assert "您还没有职责分工" in html
    assert 'href="/households/"' not in html


def test_ended_assignment_no_longer_shows(login, world):
    Assignment.objects.filter(user=world.users.grid1).update(
        valid_from=datetime.date(2020, 1, 1), valid_to=datetime.date(2020, 12, 31)
    )
    html = _html(login(world.users.grid1))
    assert "张三" not in html and "您还没有职责分工" in html


def test_superuser_home_links_admin_and_shows_all_townships(login, world):
    response = login(world.users.admin).get("/")
    html = response.content.decode()
    assert 'href="/admin/"' in html
    # Several townships: side by side, households and residents as the tallies counted them,
    # each opening its own dashboard (its villages, with their live counts).
    rows = response.context["district_board"]["townships"]
    assert [row["township"] for row in rows] == [world.weituo, world.xiaomian]
    from grids.models import Household, Resident

    for row in rows:
        assert row["households"] == Household.objects.filter(township=row["township"]).count()
        assert row["residents"] == Resident.objects.filter(township=row["township"]).count()
        assert f'href="{row["dashboard_url"]}"' in html
    page = login(world.users.admin).get(rows[0]["dashboard_url"])
    assert page.status_code == 200
    assert [t["place"] for t in page.context["townships"]] == [world.weituo]
    assert page.context["board"]["villages"]


def test_every_page_has_title_and_h1(login, world):
    q1 = world.households.q1
    member = q1.members.first()
    client = login(world.users.cadre)
    for url in [
        "/",
        "/households/",
        "/households/new/",
        f"/households/{q1.pk}/",
        f"/households/{q1.pk}/edit/",
        f"/households/{q1.pk}/move/",
        f"/households/{q1.pk}/residents/new/",
        f"/residents/{member.pk}/",
        f"/residents/{member.pk}/edit/",
        "/notifications/",
    ]:
        html = _html(client, url)
        assert html.count("<h1") == 1, url
        assert "<title>" in html and "<title> · 村治</title>" not in html, url


def test_navigation_shows_only_what_the_role_can_use(login, world):
    html = _html(login(world.users.grid1))
    assert 'href="/households/"' in html and 'href="/admin/"' not in html
    html = _html(login(world.users.admin))
    assert 'href="/admin/"' in html


def test_language_switch_to_english_and_back(login, world):
    client = login(world.users.grid1)
    assert '<html lang="zh-hans">' in _html(client)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/households/"})
    assert response.status_code == 302 and response["Location"] == "/households/"
    assert '<html lang="en">' in _html(client, "/households/")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in _html(client)
