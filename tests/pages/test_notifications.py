"""The notification inbox: unread marked, mark read one by one or all, count in the menu."""

from django.utils import timezone

from governance.models import Notification


def _notify(user, title, read=False, url=""):
    return Notification.objects.create(user=user, title=title, url=url, read_at=timezone.now() if read else None)


def test_inbox_lists_own_notifications_with_unread_marked(login, world):
    _notify(world.users.grid1, "逢十提醒", url="/households/")
    _notify(world.users.grid1, "旧消息", read=True)
    _notify(world.users.grid2, "别人的消息")
    response = login(world.users.grid1).get("/notifications/")
    html = response.content.decode()
    assert "逢十提醒" in html and "旧消息" in html and "别人的消息" not in html
    assert response.context["counts"] == {"total": 2, "unread": 1}
    assert html.count('class="chip unread"') == 1
    assert 'id="nav-unread" class="badge">1<' in html


def test_mark_one_read_without_javascript(login, world):
    note = _notify(world.users.grid1, "逢十提醒")
    client = login(world.users.grid1)
    response = client.post(f"/notifications/{note.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_mark_one_read_with_htmx_swaps_row_and_badge(login, world):
    note = _notify(world.users.grid1, "逢十提醒")
    _notify(world.users.grid1, "另一条")
    response = login(world.users.grid1).post(f"/notifications/{note.pk}/read/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert f'id="notification-{note.pk}"' in html and 'class="chip read"' in html
    assert 'hx-swap-oob="true"' in html and ">1<" in html


def test_mark_all_read(login, world):
    for i in range(3):
        _notify(world.users.grid1, f"消息{i}")
    other = _notify(world.users.grid2, "别人的")
    client = login(world.users.grid1)
    response = client.post("/notifications/read-all/", follow=True)
    assert not Notification.objects.filter(user=world.users.grid1, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None
    assert "3" in response.content.decode()


def test_only_local_links_are_shown(login, world):
    _notify(world.users.grid1, "坏链接", url="javascript:alert(1)")
    _notify(world.users.grid1, "外链", url="https://evil.example/")
    html = login(world.users.grid1).get("/notifications/").content.decode()
    assert "javascript:" not in html and "evil.example" not in html
