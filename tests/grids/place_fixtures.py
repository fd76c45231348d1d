"""The world's place keepers: its village cadre and superuser, and a township administrator of
渭沱镇 (镇街管理员), who keeps the places of every village of the township."""

import pytest

from governance.models import Role
from tests.factories import assign, make_user


@pytest.fixture
def pk_world(world):
    """`world` with `users.township_admin`, the administrator of 渭沱镇."""
    world.users.township_admin = make_user("t_weituo_admin", name="渭沱镇管理员")
    assign(world.users.township_admin, Role.TOWNSHIP_ADMIN, world.weituo)
    return world
