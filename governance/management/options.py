"""What the management commands share: reading an option's value and printing what was done."""

import datetime
from collections.abc import Callable, Mapping
from typing import TypeVar

from django.core.management.base import CommandError
from django.utils import timezone

T = TypeVar("T")


def parsed_option(value: str, parse: Callable[[str], T], *, option: str, expected: str) -> T:
    """`parse(value)`, or a CommandError that says what the option takes."""
    try:
        return parse(value)
    except ValueError:
        raise CommandError(f"{option} must be {expected}, not {value!r}")


def counts_line(counts: Mapping[str, object]) -> str:
    """`name=value` pairs on one line, the way the commands report what they did."""
    return " ".join(f"{name}={value}" for name, value in counts.items())


def add_now_option(parser) -> None:
    """The sweeps' `--now`: the moment to sweep as of (tests, a rerun of a missed night)."""
    parser.add_argument("--now", help="ISO-8601 time to sweep as of (default: the current time)")


def now_option(value: str | None) -> datetime.datetime:
    """The moment `--now` names (a naive time is local), or the current time without it."""
    if not value:
        return timezone.now()
    moment = parsed_option(
        value, datetime.datetime.fromisoformat, option="--now", expected="ISO-8601, e.g. 2026-12-01T09:00:00+08:00"
    )
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
