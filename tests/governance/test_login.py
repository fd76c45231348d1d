"""Login throttles and lock-outs that hold: the trusted client address, the per-address limit,
the (username, address) lock-out, the CAPTCHA for a sprayed username, and counters shared
by every worker through Redis (with a local fallback while Redis is down)."""

import os
import uuid

import pytest
from axes.models import AccessAttempt
from captcha.models import CaptchaStore
from django.test import RequestFactory
from rest_framework.test import APIClient

from governance import login as login_module
from governance.cache import FallbackRedisCache
from governance.login import address_blocked, captcha_required, client_ip, record_failure

TOKEN_URL = "/api/v1/auth/token/"
LOGIN_URL = "/accounts/login/"


def token(client, username, password="demo12345", ip="203.0.113.7", **data):
    return client.post(TOKEN_URL, {"username": username, "password": password, **data}, format="json", REMOTE_ADDR=ip)


def page_login(client, username, password="demo12345", ip="203.0.113.7", **data):
    return client.post(LOGIN_URL, {"username": username, "password": password, **data}, REMOTE_ADDR=ip)


@pytest.fixture
def api():
    return APIClient()


# --- the client address -------------------------------------------------------------------


def _request(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request("203.0.113.7", "1.2.3.4")) == "203.0.113.7"


def test_forwarded_for_is_ignored_from_an_untrusted_peer(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(_request("203.0.113.7", "1.2.3.4")) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1"]
    # The client wrote "6.6.6.6" itself; 198.51.100.5 reached our proxies, which added 10.1.1.1.
    assert client_ip(_request("127.0.0.1", "6.6.6.6, 198.51.100.5, 10.1.1.1")) == "198.51.100.5"
    assert client_ip(_request("10.0.0.2", "2001:db8::1")) == "2001:db8::1"
    assert client_ip(_request("10.0.0.2")) == "10.0.0.2"
    assert client_ip(_request("10.0.0.2", "not-an-address, 10.0.0.3")) == "10.0.0.3"


def test_a_request_without_an_address_has_none():
    assert client_ip(_request("")) is None


# --- the token endpoint -------------------------------------------------------------------


# docker-compose.yml's nginx: the one address whose X-Forwarded-For is believed.
PROXY = "172.30.0.2"


def test_token_throttle_ignores_forged_forwarded_for(world, api, settings, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    settings.TRUSTED_PROXIES = [f"{PROXY}/32"]
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "3/min"})
    statuses = [
        api.post(
            TOKEN_URL,
            {"username": "t_grid1", "password": "demo12345"},
            format="json",
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]


def proxied_token(client, username, password="demo12345", *, forwarded, peer=PROXY):
    """A token login reaching the app from `peer` (the proxy unless told) with X-Forwarded-For."""
    body = {"username": username, "password": password}
    return client.post(TOKEN_URL, body, format="json", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)


def test_behind_the_trusted_proxy_the_throttle_counts_each_forwarded_client(world, api, settings, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    settings.TRUSTED_PROXIES = [f"{PROXY}/32"]
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "3/min"})

    def via_proxy(client_address):
        return proxied_token(api, "t_grid1", forwarded=f"6.6.6.6, {client_address}").status_code

    # Five clients behind one proxy: each has its own count, none is throttled for the others.
    assert [via_proxy(f"198.51.100.{i}") for i in range(5)] == [200] * 5
    assert [via_proxy("198.51.100.1") for _ in range(3)] == [200, 200, 429]


def test_behind_the_trusted_proxy_the_lockout_is_per_forwarded_client(world, api, settings):
    settings.TRUSTED_PROXIES = [f"{PROXY}/32"]
    for i in range(5):
        proxied_token(api, "t_grid1", f"wrong{i}", forwarded="198.51.100.66")
    assert proxied_token(api, "t_grid1", forwarded="198.51.100.66").json()["code"] == "locked_out"
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.66"]
    # The owner, behind the same proxy, still logs in.
    assert proxied_token(api, "t_grid1", forwarded="203.0.113.7").status_code == 200

    # A peer that is not the proxy forging the owner's address locks out only itself.
    for i in range(5):
        proxied_token(api, "t_cadre", f"wrong{i}", forwarded="203.0.113.7", peer="198.51.100.77")
    assert AccessAttempt.objects.get(username="t_cadre").ip_address == "198.51.100.77"
    assert proxied_token(api, "t_cadre", forwarded="203.0.113.7").status_code == 200


def test_token_endpoint_limits_failures_per_address_across_usernames(world, api, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    statuses = [token(api, f"nobody{i}", "wrong").status_code for i in range(5)]
    assert statuses == [400] * 5

    response = token(api, "t_grid1")  # even the right password: no password is checked
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_failures"
    # Another address is not affected.
    assert token(api, "t_grid1", ip="198.51.100.9").status_code == 200


def test_another_address_cannot_lock_someone_elses_account(world, api):
    attacker = [token(api, "t_grid1", f"wrong{i}", ip="198.51.100.66").status_code for i in range(6)]
    assert attacker[-2:] == [429, 429]
    assert token(api, "t_grid1", ip="198.51.100.66").json()["code"] == "locked_out"
    # The owner, from their own address, still logs in.
    assert token(api, "t_grid1", ip="203.0.113.7").status_code == 200


def test_username_failing_from_three_addresses_needs_a_captcha_on_the_token_endpoint(world, api):
    for i in range(3):
        assert token(api, "t_grid1", "wrong", ip=f"198.51.100.{i + 1}").status_code == 400

    response = token(api, "t_grid1", ip="203.0.113.7")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "captcha_required"
    assert body["captcha_image"].endswith(f"/captcha/image/{body['captcha_key']}/")
    assert api.get(body["captcha_image"]).status_code == 200

    store = CaptchaStore.objects.get(hashkey=body["captcha_key"])
    # A wrong answer uses the challenge up and answers with a new one.
    wrong = token(api, "t_grid1", captcha_key=store.hashkey, captcha_answer="nope")
    assert wrong.json()["code"] == "captcha_required" and wrong.json()["captcha_key"] != store.hashkey

    fresh = CaptchaStore.objects.get(hashkey=wrong.json()["captcha_key"])
    response = token(api, "t_grid1", captcha_key=fresh.hashkey, captcha_answer=fresh.response.upper())
    assert response.status_code == 200 and response.json()["token"]
    # Another username is not affected.
    assert token(api, "t_cadre").status_code == 200


# --- the login page -------------------------------------------------------------------------


def test_login_page_limits_failures_per_address_across_usernames(world, client, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    for i in range(5):
        assert page_login(client, f"nobody{i}", "wrong").status_code == 200

    response = page_login(client, "t_grid1", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "最近几分钟内从此网络登录失败次数过多" in response.content.decode()  # the Chinese page
    assert "_auth_user_id" not in client.session
    assert page_login(client, "t_grid1", ip="198.51.100.9").status_code == 302


def test_login_page_lockout_is_per_username_and_address(world, client):
    for _ in range(5):
        page_login(client, "t_grid1", "wrong", ip="198.51.100.66")
    assert page_login(client, "t_grid1", ip="198.51.100.66").status_code == 429
    assert page_login(client, "t_grid1", ip="203.0.113.7").status_code == 302


def test_login_page_asks_for_a_captcha_for_a_sprayed_username(world, client):
    for i in range(2):
        page_login(client, "t_grid1", "wrong", ip=f"198.51.100.{i + 1}")
    # The third address's failure is the one that turns the CAPTCHA on: it is shown at once.
    html = page_login(client, "t_grid1", "wrong", ip="198.51.100.3").content.decode()
    assert 'name="captcha_1"' in html and "/captcha/image/" in html

    # Without the right characters no password is checked, even the right one.
    response = page_login(client, "t_grid1", captcha_0="x", captcha_1="y")
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert 'name="captcha_1"' in response.content.decode()

    store = CaptchaStore.objects.order_by("-pk").first()
    response = page_login(client, "t_grid1", captcha_0=store.hashkey, captcha_1=store.response)
    assert response.status_code == 302


# --- shared across processes, and Redis down ---------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL")


def _redis_cache(location, prefix):
    return FallbackRedisCache(
        location,
        {"KEY_PREFIX": prefix, "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}},
    )


@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")
def test_counters_are_shared_by_two_processes_through_redis(settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    prefix = f"test-{uuid.uuid4().hex}"
    worker_a, worker_b = _redis_cache(REDIS_URL, prefix), _redis_cache(REDIS_URL, prefix)

    record_failure(ip="198.51.100.1", username="t_grid1", store=worker_a)
    record_failure(ip="198.51.100.2", username="t_grid1", store=worker_b)
    assert not address_blocked(ip="198.51.100.1", store=worker_b)
    assert not captcha_required(username="t_grid1", store=worker_a)
    record_failure(ip="198.51.100.1", username="t_grid1", store=worker_b)
    record_failure(ip="198.51.100.3", username="t_grid1", store=worker_a)

    assert address_blocked(ip="198.51.100.1", store=worker_b) is False  # two of three
    record_failure(ip="198.51.100.1", username="other", store=worker_a)
    assert address_blocked(ip="198.51.100.1", store=worker_b)
    assert captcha_required(username="t_grid1", store=worker_b)
    worker_a.clear()


@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")
def test_drf_throttle_is_shared_by_two_processes(world, api, settings, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "2/min"})
    prefix = f"test-{uuid.uuid4().hex}"
    workers = [_redis_cache(REDIS_URL, prefix), _redis_cache(REDIS_URL, prefix)]
    statuses = []
    for i in range(3):
        monkeypatch.setattr(login_module.ClientIpScopedRateThrottle, "cache", workers[i % 2])
        statuses.append(token(api, "t_grid1").status_code)
    assert statuses == [200, 200, 429]
    workers[0].clear()


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "governance.cache.FallbackRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def test_login_works_while_redis_is_down(world, api, client, settings, redis_down):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    assert token(api, "t_grid1").status_code == 200
    assert page_login(client, "t_cadre").status_code == 302
    # The counters still hold, in the process's own memory.
    statuses = [token(api, f"nobody{i}", "wrong", ip="198.51.100.1").status_code for i in range(4)]
    assert statuses == [400, 400, 400, 429]
