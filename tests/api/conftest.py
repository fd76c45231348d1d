import pytest

# The matters fixtures: the world plus a grid leader and a second 司法所 member, and categories.
from tests.petitions.conftest import categories, mw  # noqa: F401


@pytest.fixture
def ids(world):
    """The ids that API URLs and payloads refer to."""
    hh = world.households
    return {
        "weituo": world.weituo.pk,
        "xiaomian": world.xiaomian.pk,
        "qixing": world.qixing.pk,
        "hualong": world.hualong.pk,
        "q1": world.q1.pk,
        "q2": world.q2.pk,
        "h1": world.h1.pk,
        "l1": world.l1.pk,
        "yard": world.yard.pk,
        "sifasuo": world.sifasuo.pk,
        "hh_q1": hh.q1.pk,
        "hh_q1b": hh.q1b.pk,
        "hh_q2": hh.q2.pk,
        "hh_h1": hh.h1.pk,
        "hh_l1": hh.l1.pk,
        "res_q1": hh.q1.members.get(relation_to_head="head").pk,
        "res_q1b": hh.q1b.members.get(relation_to_head="head").pk,
        "res_q2": hh.q2.members.get(relation_to_head="head").pk,
    }
