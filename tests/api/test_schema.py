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


def test_schema_and_docs_are_served(world, as_user):
    client = as_user(world.users.cadre)

    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
