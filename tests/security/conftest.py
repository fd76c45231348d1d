import logging

import pytest

from tests.demo_snapshot import load_demo


@pytest.fixture
def demo(db):
    """The seeded demo, with the request loggers quiet: thousands of refusals would log a
    warning (with a traceback) each, costing more than the requests."""
    load_demo()
    quiet = [logging.getLogger(name) for name in ("django.request", "django.security", "axes")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)
    yield
    for logger, level in zip(quiet, levels, strict=True):
        logger.setLevel(level)
