import io
import logging

import pytest
from django.core.management import call_command


@pytest.fixture
def demo(db):
    """The seeded demo, with the request loggers quiet: thousands of refusals would log a
    warning (with a traceback) each, costing more than the requests."""
    call_command("seed_demo", force=True, stdout=io.StringIO())
    quiet = [logging.getLogger(name) for name in ("django.request", "django.security", "axes")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)
    yield
    for logger, level in zip(quiet, levels, strict=True):
        logger.setLevel(level)
