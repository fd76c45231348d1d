"""Sections that higher apps add to a lower app's page: the household page (its matters, visits
and passbook), the matter page (the council meeting it was raised at, its mediations), the visit
form (the campaign questions a visit may answer; its `obj` is the form's households), the
visit to-do (the campaign households left to answer; `obj` is None).

The page's app knows none of the apps built on it: an app that has something to show puts a
module `<page>_panels.py` beside its models and registers a function there with
`@panel("<page>")`. The page asks each one, in the order they were registered, for a `Panel`
(or None, to show nothing) and includes its template with the panel's context as `panel`. The
modules are found on a page's first use, as the admin finds `admin.py` modules.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules

PAGES = ("household", "matter", "visit_form", "visit_todo")


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict = field(default_factory=dict)


_panels: dict[str, list[Callable]] = {page: [] for page in PAGES}
_discovered: set[str] = set()


def panel(page: str) -> Callable[[Callable], Callable]:
    """Register `function(request, obj) -> Panel | None` as a section of `page`'s page."""

    def register(function: Callable) -> Callable:
        if function not in _panels[page]:
            _panels[page].append(function)
        return function

    return register


def panels(page: str, request, obj) -> list[Panel]:
    """The sections the registered apps show on this object's page, in order."""
    if page not in _discovered:
        autodiscover_modules(f"{page}_panels")
        _discovered.add(page)
    return [shown for shown in (function(request, obj) for function in _panels[page]) if shown is not None]


def latest_panel(template: str, key: str, rows, limit: int, **context) -> Panel:
    """A panel of the first `limit` of `rows` (a queryset, in its order) as `key`, with `more`
    saying whether there are others (one query of `limit` + 1 rows), and `context`."""
    listed = list(rows[: limit + 1])
    return Panel(template, {key: listed[:limit], "more": len(listed) > limit, **context})
