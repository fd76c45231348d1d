"""The benchmark's bare views (grids.bench): the API's scoping, search and tags, without its layers."""

import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.urls("grids.bench")


def _get(client, url, user=None):
    headers = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"} if user else {}
    return client.get(url, **headers)


def test_bare_views_refuse_a_request_without_a_token(world, client):
    assert _get(client, "/bare/households/").status_code == 403
    assert _get(client, "/bare/residents/").status_code == 403


def test_bare_households_are_the_users_own_with_their_tags(world, client):
    rows = _get(client, "/bare/households/", world.users.grid1).json()["results"]
    assert {row["head_name"] for row in rows} == {"张三", "李四"}
    assert all(row["tags"] == [] for row in rows)


def test_bare_residents_are_found_by_search_in_the_users_scope(world, client):
    rows = _get(client, "/bare/residents/?search=王五", world.users.cadre).json()["results"]
    assert [row["name"] for row in rows] == ["王五"]
    assert _get(client, "/bare/residents/?search=王五", world.users.grid1).json()["results"] == []
