"""The OpenAPI schema generates cleanly and the docs are served."""

import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone


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
        "/api/v1/assignments/{id}/end/",
        "/api/v1/areas/{id}/",
        "/api/v1/auth/password/",
        "/api/v1/staff/",
        "/api/v1/staff/{id}/reset-password/",
        "/api/v1/staff/import/",
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


def _openapi_to_json_schema(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema's null type (the rest is the same)."""
    if isinstance(node, list):
        return [_openapi_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _openapi_to_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def _response_validator(client, path, method="get", status="200"):
    import jsonschema

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    response_schema = schema["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    document = {**_openapi_to_json_schema(response_schema), "components": _openapi_to_json_schema(schema["components"])}
    return jsonschema.Draft202012Validator(document)


def _errors(validator, body):
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


@pytest.mark.parametrize(
    ("path", "url"),
    [("/api/v1/households/", "/api/v1/households/"), ("/api/v1/households/{id}/", "/api/v1/households/{hh}/")],
)
def test_household_responses_match_the_schema(world, as_user, path, url):
    """A household outside any courtyard has courtyard_name null: the schema says so."""
    client = as_user(world.users.cadre)
    without = world.households.q2
    without.courtyard = None
    without.save(update_fields=["courtyard"])
    body = client.get(url.format(hh=without.pk)).json()
    if "results" in body:
        assert any(row["courtyard_name"] is None for row in body["results"])
    else:
        assert body["courtyard_name"] is None

    assert _errors(_response_validator(client, path), body) == []


@pytest.mark.parametrize(("path", "url"), [("/api/v1/visits/", "/api/v1/visits/"), ("/api/v1/visits/{id}/", None)])
def test_visit_responses_match_the_schema(world, as_user, path, url):
    """A walk of a grid meets nobody in particular: met is "", which the schema allows."""
    client = as_user(world.users.grid1)
    walk = client.post(
        "/api/v1/visits/",
        {
            "client_uuid": str(uuid.uuid4()),
            "grid": world.q1.pk,
            "visited_at": timezone.now().isoformat(),
            "method": "grid",
        },
        format="json",
    )
    assert walk.status_code == 201, walk.json()
    body = client.get(url or f"/api/v1/visits/{walk.json()['id']}/").json()
    assert (body["results"][0] if "results" in body else body)["met"] == ""

    assert _errors(_response_validator(client, path), body) == []


def test_the_endpoints_that_may_answer_with_a_job_document_the_cap(db, tmp_path):
    """respond-async past JOB_OPEN_PER_USER is a 429 (governance.jobs.TooManyJobs): the schema says so."""
    import yaml

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(out))
    paths = yaml.safe_load(out.read_text())["paths"]
    for path, method in (("/api/v1/households/import/", "post"), ("/api/v1/households/export/", "get")):
        responses = paths[path][method]["responses"]
        assert {"202", "429"} <= set(responses), (path, sorted(responses))
        assert "too_many_jobs" in responses["429"]["description"]
