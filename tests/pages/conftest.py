import re

import pytest


@pytest.fixture
def login(client):
    """Log the test client in as a user: login(world.users.grid1)."""

    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def field_block(html: str, name: str) -> str:
    """The markup of one form field's wrapper (label, errors, input, help)."""
    match = re.search(rf'<div class="field[^"]*" id="field-{name}">(.*?)</div>', html, re.S)
    assert match, f"no field {name!r} in the page"
    return match.group(1)


def form_token(html: str) -> str:
    match = re.search(r'name="form_token" value="([0-9a-f-]{36})"', html)
    assert match, "no form token in the page"
    return match.group(1)
