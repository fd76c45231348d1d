"""A body over DATA_UPLOAD_MAX_MEMORY_SIZE answers 413: JSON under /api/, a page elsewhere."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from petitions.models import Matter

LIMIT = 10_000
BIG = "长" * LIMIT  # three bytes each in UTF-8


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT


def public_matter(world, **extra):
    return {
        "title": "路灯坏了",
        "description": "村口路灯坏了",
        "village": world.qixing.pk,
        "submitter_name": "王五",
        "submitter_phone": "15900001111",
        **extra,
    }


def assert_too_large(response):
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "request_too_large" and response.json()["detail"]


def test_a_json_body_over_the_limit_is_413(world, api_client):
    body = json.dumps(public_matter(world, description=BIG), ensure_ascii=False)

    assert_too_large(api_client.post("/api/v1/public/matters/", body, content_type="application/json"))
    assert not Matter.objects.exists()


def test_a_form_body_over_the_limit_is_413(world, api_client):
    assert_too_large(api_client.post("/api/v1/public/matters/", public_matter(world, description=BIG)))
    assert not Matter.objects.exists()


def test_a_multipart_field_over_the_limit_is_413(world, as_user):
    client = as_user(world.users.grid1)
    photo = SimpleUploadedFile("a.jpg", b"x", content_type="image/jpeg")

    response = client.post("/api/v1/public/matters/", {**public_matter(world, description=BIG), "photo": photo})

    assert_too_large(response)


def test_a_form_over_the_limit_signed_in_by_session_is_413(world, client):
    client.force_login(world.users.cadre)

    assert_too_large(client.post("/api/v1/public/matters/", public_matter(world, description=BIG)))


def test_a_body_under_the_limit_still_works(world, api_client):
    response = api_client.post("/api/v1/public/matters/", public_matter(world), format="json")

    assert response.status_code == 201, response.json()


def test_a_page_form_over_the_limit_answers_a_readable_page(world, client):
    response = client.post("/public/500117101001/new/", public_matter(world, description=BIG))

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "<h1>" in response.content.decode()
    assert not Matter.objects.exists()
    # A resident is not signed in: the way back is the form, not a home page behind the login.
    page = response.content.decode()
    assert 'href="/public/500117101001/new/"' in page and "/accounts/login" not in page


def test_json_nested_too_deeply_is_a_400_not_a_500(db, client, settings):
    """Thousands of nested brackets make Python's JSON parser give up (RecursionError): the
    body is malformed, so a 400 parse_error, on the public intake as anywhere."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default: the body is small, only deep
    body = '{"a":' * 5000 + "1" + "}" * 5000
    response = client.post("/api/v1/public/matters/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_an_unknown_api_address_is_a_json_404_and_a_page_stays_html(world, client):
    client.force_login(world.users.cadre)
    api = client.get("/api/v1/no-such-thing/")
    assert api.status_code == 404
    assert api.json() == {"detail": api.json()["detail"], "code": "not_found"}
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
