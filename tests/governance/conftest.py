# The matters fixtures (the world plus a grid leader, a second 司法所 member, and categories).
from tests.petitions.conftest import categories, mw  # noqa: F401
