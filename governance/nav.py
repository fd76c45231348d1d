"""The navigation bar's flags and counts, contributed by the apps that own them.

Governance draws the menu but knows none of the apps above it: each app adds a `nav.py`
that registers a function `(request, scope) -> dict` with `register_badges`; the function's
keys land in the template's `nav` (`nav.matters_waiting`, `nav.sees_points`, ...). The
modules are found by `autodiscover_modules("nav")` in `GovernanceConfig.ready`, as the
admin finds `admin.py`. A badge that counts rows must stay one query per request.
"""

from collections.abc import Callable

Badges = Callable[..., dict]

_badges: list[Badges] = []


def register_badges(fn: Badges) -> Badges:
    """Add `fn(request, scope) -> dict` to every page's navigation (usable as a decorator)."""
    if fn not in _badges:
        _badges.append(fn)
    return fn


def badges_for(request, scope) -> dict:
    """Every registered app's flags and counts for this request, merged in registration order."""
    flags: dict = {}
    for fn in _badges:
        flags.update(fn(request, scope))
    return flags
