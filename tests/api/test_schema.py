"""The OpenAPI schema generates cleanly and the docs are served."""

from django.core.management import call_command


def test_schema_generates_and_validates_without_warnings(db, tmp_path):
    out = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    schema = out.read_text()
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/me/",
        "/api/v1/households/{id}/move/",
        "/api/v1/residents/{id}/reveal-id-number/",
        "/api/v1/notifications/unread-count/",
        "/api/v1/matter-categories/",
        "/api/v1/matters/{id}/classify/",
        "/api/v1/matters/{id}/events/",
        "/api/v1/public/matters/",
        "/api/v1/public/matters/{code}/evaluate/",
    ):
        assert f"  {path}:" in schema


def test_schema_and_docs_are_served_to_a_signed_in_user(world, client):
    client.force_login(world.users.cadre)

    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI's start-up script is a file of its own: the page carries no inline script.
    assert "<script>" not in docs.content.decode()
    assert client.get("/api/docs/?script=").status_code == 200
    assert "script-src 'self'" in docs["Content-Security-Policy"]
    assert "unsafe-inline" not in docs["Content-Security-Policy"].split("script-src")[1].split(";")[0]


def test_schema_and_docs_need_a_login(db, client, api_client):
    assert api_client.get("/api/schema/").status_code == 401
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/accounts/login/?next=")


def test_schema_and_docs_can_be_public(db, client, settings):
    settings.API_DOCS_PUBLIC = True

    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
