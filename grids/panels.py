"""Sections that other apps add to a household's page (the points passbook, ...).

grids knows none of the apps built on it: an app that has something to show on the
household page puts a module `household_panels.py` beside its models and registers a
function there with `@household_panel`. The page asks each one, in the order they were
registered, for a `Panel` (or None, to show nothing) and includes its template with the
panel's context as `panel`. The modules are found on the first use, as the admin finds
`admin.py` modules.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict = field(default_factory=dict)


_panels: list[Callable] = []
_discovered = False


def household_panel(function: Callable) -> Callable:
    """Register `function(request, household) -> Panel | None` as a household page section."""
    if function not in _panels:
        _panels.append(function)
    return function


def household_panels(request, household) -> list[Panel]:
    """The sections the registered apps show on this household's page, in order."""
    global _discovered
    if not _discovered:
        autodiscover_modules("household_panels")
        _discovered = True
    return [panel for panel in (function(request, household) for function in _panels) if panel is not None]
