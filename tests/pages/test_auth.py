"""Log in, log out, and the lock-out after repeated wrong passwords."""

import pytest


@pytest.fixture(autouse=True)
def _fresh_axes(db):
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


def test_login_page_renders(client, db):
    response = client.get("/accounts/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="username"' in html and 'autocomplete="current-password"' in html
    assert html.count("<h1") == 1


def test_login_and_land_on_home(client, world):
    response = client.post("/accounts/login/", {"username": "t_grid1", "password": "demo12345"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "张三" in client.get("/").content.decode()


def test_login_follows_next(client, world):
    response = client.post("/accounts/login/?next=/households/", {"username": "t_cadre", "password": "demo12345"})
    assert response["Location"] == "/households/"


def test_wrong_password_shows_error_and_keeps_username(client, world):
    response = client.post("/accounts/login/", {"username": "t_grid1", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "form-errors" in html and 'value="t_grid1"' in html


def test_logout_is_a_post(client, world):
    client.force_login(world.users.grid1)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_five_wrong_passwords_lock_the_username(client, world):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "t_grid1", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "t_grid1", "password": "demo12345"})
    assert response.status_code == 429
    assert "registration/locked_out.html" in {t.name for t in response.templates}
    html = response.content.decode()
    assert "t_grid1" in html and "15" in html  # who, and how many minutes to wait
    # Another username is not locked.
    assert client.post("/accounts/login/", {"username": "t_cadre", "password": "demo12345"}).status_code == 302
