"""The suite can run with the clock moved (CUNZHI_TEST_TODAY / CUNZHI_TEST_CLOCK_SHIFT_DAYS)."""

import datetime
import os
import threading

from django.utils import timezone
from time_machine import escape_hatch


def test_the_moved_clock_applies_here_and_in_other_threads():
    seen = []
    thread = threading.Thread(target=lambda: seen.append(timezone.localdate()))
    thread.start()
    thread.join()
    assert seen == [timezone.localdate()]
    if not escape_hatch.is_travelling():
        assert not os.environ.get("CUNZHI_TEST_TODAY") and not os.environ.get("CUNZHI_TEST_CLOCK_SHIFT_DAYS")
        return
    real_now = escape_hatch.datetime.datetime.now(datetime.UTC)
    if today := os.environ.get("CUNZHI_TEST_TODAY"):
        assert timezone.localdate() == datetime.date.fromisoformat(today)
    elif shift := os.environ.get("CUNZHI_TEST_CLOCK_SHIFT_DAYS"):
        assert round((timezone.now() - real_now) / datetime.timedelta(days=1)) == int(shift)
