import pytest

from tests.demo_snapshot import load_demo

# The matters fixtures (the world plus a grid leader, a second 司法所 member, and categories).
from tests.petitions.conftest import categories, mw  # noqa: F401


@pytest.fixture
def demo(db):
    """The demo (seed_demo): every role's account with real numbers behind its home."""
    load_demo()
