"""The caller's notification inbox."""

from governance.models import Notification
from governance.services import notify


def ids_of(response):
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


def test_inbox_lists_only_my_notifications_newest_first(world, as_user):
    first = notify(user=world.users.grid1, title="逢十提醒")
    second = notify(user=world.users.grid1, title="新事项")
    notify(user=world.users.grid2, title="别人的")

    assert ids_of(as_user(world.users.grid1).get("/api/v1/notifications/")) == [second.pk, first.pk]


def test_unread_filter_and_count(world, as_user):
    read = notify(user=world.users.grid1, title="旧")
    unread = notify(user=world.users.grid1, title="新")
    Notification.objects.filter(pk=read.pk).update(read_at="2026-01-01T00:00:00Z")
    client = as_user(world.users.grid1)

    assert ids_of(client.get("/api/v1/notifications/?unread=1")) == [unread.pk]
    assert ids_of(client.get("/api/v1/notifications/?unread=true")) == [unread.pk]
    assert ids_of(client.get("/api/v1/notifications/?unread=0")) == [read.pk]
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread_count": 1}


def test_mark_one_read(world, as_user):
    note = notify(user=world.users.grid1, title="逢十提醒")
    other = notify(user=world.users.grid1, title="另一条")
    client = as_user(world.users.grid1)

    response = client.post(f"/api/v1/notifications/{note.pk}/mark-read/")

    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert response.json()["read_at"]
    other.refresh_from_db()
    assert other.read_at is None
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread_count": 1}


def test_mark_all_read_touches_only_mine(world, as_user):
    notify(user=world.users.grid1, title="一")
    notify(user=world.users.grid1, title="二")
    theirs = notify(user=world.users.grid2, title="三")

    response = as_user(world.users.grid1).post("/api/v1/notifications/mark-all-read/")

    assert response.json() == {"marked": 2, "unread_count": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_someone_elses_notification_is_404(world, as_user):
    theirs = notify(user=world.users.grid2, title="别人的")

    response = as_user(world.users.grid1).post(f"/api/v1/notifications/{theirs.pk}/mark-read/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
