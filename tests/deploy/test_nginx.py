"""deploy/nginx/cunzhi.conf, run for real: nginx with the project's own file (ports, upstream,
certificate and static paths rewritten) in front of the live test server.

It checks what the file promises: plain HTTP is redirected to HTTPS, an HTML page comes back
compressed by Django's padded gzip (nginx never compresses it twice), a hashed static file is
served by nginx with a year's cache, /media/ is never served from disk, and the app counts a
failed login against the address nginx saw, not nginx's own nor a forged X-Forwarded-For.

Needs the `nginx` and `openssl` binaries (.ci/run installs nginx); outside CI the test is
skipped, saying why, when nginx is missing.
"""

import gzip
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from axes.models import AccessAttempt

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "nginx" / "cunzhi.conf"
TOKEN_URL = "/api/v1/auth/token/"
# Loopback has the whole 127/8: nginx listens on 127.0.0.1 and reaches the app from there,
# while the "clients" below connect from addresses of their own.
NGINX = "127.0.0.1"
CLIENT, OTHER_CLIENT = "127.0.0.2", "127.0.0.3"


def _nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((NGINX, 0))
        return s.getsockname()[1]


def _version(binary: str) -> tuple[int, ...]:
    out = subprocess.run([binary, "-v"], capture_output=True, text=True, check=True).stderr
    return tuple(int(n) for n in re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out).groups())


def _replace(text: str, old: str, new: str) -> str:
    # Each rewrite must find its line: a change to the file that escapes it fails here, loudly.
    assert old in text, f"{CONFIG.name} no longer has {old!r}; update this test's rewrite"
    return text.replace(old, new)


def _test_config(binary: str, workdir: Path, *, upstream: str, http_port: int, https_port: int) -> Path:
    site = CONFIG.read_text()
    site = _replace(site, "server web:8000;", f"server {upstream};")
    site = _replace(site, "listen 80 default_server;", f"listen {NGINX}:{http_port} default_server;")
    site = _replace(site, "listen 443 ssl default_server;", f"listen {NGINX}:{https_port} ssl default_server;")
    site = _replace(site, "/etc/nginx/certs/", f"{workdir}/certs/")
    site = _replace(site, "/srv/static/", f"{workdir}/static/")
    if _version(binary) < (1, 25, 1):  # Debian 12's nginx 1.22: HTTP/2 is a `listen` flag there
        site = _replace(site, "http2 on;", "")
    (workdir / "cunzhi.conf").write_text(site)
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / name).mkdir()
    main = workdir / "nginx.conf"
    main.write_text(
        f"""
{"user root root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    include {workdir}/cunzhi.conf;
}}
"""
    )
    return main


def _static_files(workdir: Path) -> dict:
    """One real stylesheet as collectstatic's manifest storage leaves it: a hashed name with its
    .gz beside it, and the plain name."""
    source = (ROOT / "static" / "css" / "app.css").read_bytes()
    digest = hashlib.md5(source, usedforsecurity=False).hexdigest()[:12]
    css = workdir / "static" / "css"
    css.mkdir(parents=True)
    (css / "app.css").write_bytes(source)
    (css / f"app.{digest}.css").write_bytes(source)
    (css / f"app.{digest}.css.gz").write_bytes(gzip.compress(source))
    return {"hashed": f"/static/css/app.{digest}.css", "plain": "/static/css/app.css", "body": source}


def _self_signed(workdir: Path) -> None:
    certs = workdir / "certs"
    certs.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
        + ["-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")],
        check=True,
        capture_output=True,
    )


class Site:
    def __init__(self, http_port: int, https_port: int):
        self.http_port, self.https_port = http_port, https_port
        self.tls = ssl.create_default_context()
        self.tls.check_hostname = False
        self.tls.verify_mode = ssl.CERT_NONE

    def request(self, method, path, *, source=CLIENT, https=True, headers=None, body=None):
        if https:
            conn = http.client.HTTPSConnection(
                NGINX, self.https_port, context=self.tls, timeout=20, source_address=(source, 0)
            )
        else:
            conn = http.client.HTTPConnection(NGINX, self.http_port, timeout=20, source_address=(source, 0))
        try:
            conn.request(method, path, body=body, headers={"Host": "localhost", **(headers or {})})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def token(self, username, password, *, source=CLIENT, forged=None):
        headers = {"Content-Type": "application/json", "Accept-Language": "en"}
        if forged:
            headers["X-Forwarded-For"] = forged
        body = json.dumps({"username": username, "password": password})
        status, _headers, answer = self.request("POST", TOKEN_URL, source=source, headers=headers, body=body)
        return status, json.loads(answer)


@pytest.fixture
def nginx_site(live_server, settings):
    binary = _nginx_binary()
    if binary is None:
        reason = "nginx is not installed: apt-get install -y --no-install-recommends nginx"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI must run this test; .ci/run installs it)")
        print(f"\nSKIP nginx test: {reason}")
        pytest.skip(reason)
    # As docker-compose.yml sets them: only nginx's address is believed, and it says HTTPS.
    settings.TRUSTED_PROXIES = [NGINX]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.AXES_FAILURE_LIMIT = 3

    workdir = Path(tempfile.mkdtemp(prefix="cunzhi-nginx-"))
    workdir.chmod(0o755)
    _self_signed(workdir)
    static = _static_files(workdir)
    http_port, https_port = _free_port(), _free_port()
    upstream = live_server.url.split("//", 1)[1].replace("localhost", "127.0.0.1")
    main = _test_config(binary, workdir, upstream=upstream, http_port=http_port, https_port=https_port)

    check = subprocess.run([binary, "-t", "-p", str(workdir), "-c", str(main)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [binary, "-p", str(workdir), "-c", str(main), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection((NGINX, https_port), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()
                time.sleep(0.05)
        site = Site(http_port, https_port)
        site.static = static
        yield site
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def test_plain_http_is_redirected_to_https(nginx_site):
    status, headers, _ = nginx_site.request("GET", "/accounts/login/?next=/", https=False)
    assert status == 301
    assert headers["location"] == "https://localhost/accounts/login/?next=/"


def test_a_page_comes_back_gzipped_by_django_not_twice(nginx_site):
    status, headers, body = nginx_site.request("GET", "/accounts/login/", headers={"Accept-Encoding": "gzip"})
    # 200, not Django's own redirect to HTTPS: X-Forwarded-Proto reached the app.
    assert status == 200
    assert headers["content-encoding"] == "gzip" and "Accept-Encoding" in headers["vary"]
    # Django's gzip names a random-length file in the header (FNAME, against BREACH); nginx's
    # never does. So it is the app's padded gzip, and nginx left it as it was.
    assert body[3] & gzip.FNAME
    assert b"csrfmiddlewaretoken" in gzip.decompress(body)

    status, headers, body = nginx_site.request("GET", "/accounts/login/")
    assert status == 200 and "content-encoding" not in headers and b"csrfmiddlewaretoken" in body


def test_static_files_are_served_by_nginx_with_long_cache_for_hashed_names(nginx_site):
    static = nginx_site.static
    status, headers, body = nginx_site.request("GET", static["hashed"], headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["content-type"].startswith("text/css") and headers["x-content-type-options"] == "nosniff"
    assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == static["body"]

    status, headers, body = nginx_site.request("GET", static["plain"])
    assert status == 200 and body == static["body"]
    assert headers["cache-control"] == "public, max-age=60"

    assert nginx_site.request("GET", "/static/css/missing.css")[0] == 404


def test_media_is_never_served_from_disk(nginx_site):
    assert nginx_site.request("GET", "/media/photos/anything.jpg")[0] == 404


def test_the_app_counts_logins_against_the_address_nginx_saw(world, nginx_site):
    username = world.users.grid1.username
    # The client forges an X-Forwarded-For; nginx appends the address it saw.
    for i in range(3):
        status, body = nginx_site.token(username, f"wrong{i}", forged="198.51.100.66")
        assert status in (400, 429), body

    attempts = list(AccessAttempt.objects.filter(username=username).values_list("ip_address", flat=True))
    assert attempts == [CLIENT]  # neither nginx's own address nor the forged one
    assert nginx_site.token(username, "demo12345")[1]["code"] == "locked_out"
    # Another client behind the same nginx is its own address, and not locked out.
    status, body = nginx_site.token(username, "demo12345", source=OTHER_CLIENT, forged=CLIENT)
    assert status == 200 and body["token"]
