"""What the management commands share: reading an option's value and printing what was done."""

from collections.abc import Callable, Mapping
from typing import TypeVar

from django.core.management.base import CommandError

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
