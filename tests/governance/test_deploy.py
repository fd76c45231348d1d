"""Production settings: `check --deploy` is clean with proper keys and refuses bad ones;
every page carries a Content-Security-Policy; HTTPS and HSTS are on when DEBUG is off."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]


def _deploy_check(**env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG", "SECRET_KEY", "ID_"))}
    base.update(
        DEBUG="0",
        SECRET_KEY="s" * 20 + Fernet.generate_key().decode(),
        ID_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ID_HASH_KEY="h" * 20 + Fernet.generate_key().decode(),
        ALLOWED_HOSTS="cunzhi.example.gov.cn",
        CSRF_TRUSTED_ORIGINS="https://cunzhi.example.gov.cn",
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_refuses_an_invalid_encryption_key():
    result = _deploy_check(ID_ENCRYPTION_KEYS="not-a-fernet-key")
    assert result.returncode != 0
    assert "cunzhi.E002" in result.stderr


def test_check_deploy_refuses_the_hash_key_shared_with_secret_key():
    shared = "x" * 60
    result = _deploy_check(SECRET_KEY=shared, ID_HASH_KEY=shared)
    assert result.returncode != 0
    assert "cunzhi.E005" in result.stderr


def _errors(**overrides):
    with override_settings(**overrides):
        return {m.id for m in run_checks(include_deployment_checks=True) if m.id.startswith("cunzhi.")}


def test_key_checks_in_process():
    good = Fernet.generate_key().decode()
    secret = "s" * 60
    assert _errors(SECRET_KEY=secret, ID_ENCRYPTION_KEYS=[good], ID_HASH_KEY="h" * 40) == set()
    assert "cunzhi.E002" in _errors(SECRET_KEY=secret, ID_ENCRYPTION_KEYS=[good, "bad"], ID_HASH_KEY="h" * 40)
    assert "cunzhi.E003" in _errors(SECRET_KEY=secret, ID_ENCRYPTION_KEYS=[good, good], ID_HASH_KEY="h" * 40)
    assert "cunzhi.E005" in _errors(SECRET_KEY=secret, ID_ENCRYPTION_KEYS=[good], ID_HASH_KEY=secret)
    assert "cunzhi.E006" in _errors(SECRET_KEY=good, ID_ENCRYPTION_KEYS=[good], ID_HASH_KEY="h" * 40)
    # The development defaults are refused by --deploy.
    assert {"cunzhi.E010", "cunzhi.E011"} <= _errors()


@pytest.mark.parametrize("persona", ["anonymous", "grid1", "cadre", "official", "clerk"])
def test_every_page_answers_with_a_strict_csp(world, client, persona):
    if persona != "anonymous":
        client.force_login(getattr(world.users, persona))
    for url in ["/", "/accounts/login/", "/public/", "/households/", "/matters/", "/points/", "/no-such-page/"]:
        response = client.get(url)
        policy = response.get("Content-Security-Policy", "")
        assert "default-src 'self'" in policy, (url, response.status_code)
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'", policy
        assert "frame-ancestors 'none'" in policy


def test_https_and_hsts_in_production(world, client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    plain = client.get("/accounts/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    secure = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


SMS_BY_ALIYUN = {
    "CUNZHI_SMS_PROVIDER": "aliyun",
    "CUNZHI_SMS_ACCESS_KEY_ID": "LTAI-test",
    "CUNZHI_SMS_ACCESS_KEY_SECRET": "secret-test",
    "CUNZHI_SMS_SIGN_NAME": "村治平台",
}


@pytest.mark.parametrize(
    ("templates", "public_url", "refused"),
    [
        ('{"supervision": {"code": "SMS_1", "params": ["title"]}}', "", None),
        ('{"resident_accepted": {"code": "SMS_2", "params": ["title", "link"]}}', "", "CUNZHI_PUBLIC_URL"),
        ('{"resident_accepted": {"code": "SMS_2", "params": ["link"]}}', "https://cunzhi.example.gov.cn", None),
        ("{}", "", "supervision"),
    ],
)
def test_a_real_sms_provider_starts_only_with_what_its_messages_need(templates, public_url, refused):
    """A missing template for 督办, or residents' SMS whose links would be bare paths, stop the
    process at start rather than send wrong or no messages."""
    supervision = '"supervision": {"code": "SMS_1", "params": ["title"]}'
    if "resident_" in templates:
        templates = templates.replace("{", "{" + supervision + ", ", 1)
    result = _deploy_check(**SMS_BY_ALIYUN, CUNZHI_SMS_TEMPLATES=templates, CUNZHI_PUBLIC_URL=public_url)
    if refused is None:
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        assert result.returncode != 0 and refused in result.stderr
