"""Small template helpers for the pages."""

import datetime

from django import template
from django.utils.http import url_has_allowed_host_and_scheme

register = template.Library()


@register.filter
def minutes(delta) -> int:
    """A timedelta as whole minutes, rounded up (axes' lock-out cool-off)."""
    if not isinstance(delta, datetime.timedelta):
        return 0
    return max(int(-(-delta.total_seconds() // 60)), 0)


@register.filter
def local_url(url: str) -> str:
    """`url` when it is a path on this site, else "" (a stored link must never lead away)."""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts=set()) and url.startswith("/"):
        return url
    return ""


@register.filter
def age_on(birth_date, today=None):
    """Whole years from `birth_date` to today."""
    if not birth_date:
        return ""
    from django.utils import timezone

    today = today or timezone.localdate()
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


@register.filter
def spaced(number) -> str:
    """A count with its thousands apart, as Chinese print sets them: 50 000 (no-break spaces)."""
    try:
        return f"{int(number):,}".replace(",", "\u00a0")
    except (TypeError, ValueError):
        return ""
