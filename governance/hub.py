"""The administrator's hub (管理, /manage/): one card per book the township administrator keeps.

A card is one line of CARDS: its title, what it is for, the URL name of its page, who sees it
(read from the caller's scope, no query: the navigation asks on every page) and, optionally,
its figures (each a label, a number and the list it counts). The hub shows the cards the
caller may use, and is a 403 for whoever may use none; the navigation shows 管理 to them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from governance import accounts
from governance.catalogues import sees_catalogues
from governance.roles import ADMIN_ROLES, ASSIGNER_ROLES, PLACE_KEEPERS
from governance.scoping import scope_for


@dataclass(frozen=True)
class Figure:
    label: str
    value: int
    url: str
    warn: bool = False


@dataclass(frozen=True)
class Card:
    title: str
    text: str
    url_name: str
    shown: Callable  # fn(scope) -> bool
    figures: Callable | None = None  # fn(user) -> [Figure]


def township_admin(scope) -> bool:
    return scope.has_any_role(ADMIN_ROLES)


def _staff_figures(user) -> list[Figure]:
    counts = accounts.account_counts(user)
    url = reverse("governance:staff-list")
    return [
        Figure(_("active"), counts["active"], f"{url}?{urlencode({'status': 'active'})}"),
        Figure(
            _("must change the password"),
            counts["must_change"],
            f"{url}?{urlencode({'status': 'must_change'})}",
            warn=bool(counts["must_change"]),
        ),
        Figure(_("deactivated"), counts["deactivated"], f"{url}?{urlencode({'status': 'deactivated'})}"),
    ]


CARDS = [
    Card(
        _("Staff accounts"),
        _("Open accounts one by one or from an Excel list, reset forgotten passwords, deactivate those who left."),
        "governance:staff-list",
        township_admin,
        _staff_figures,
    ),
    Card(
        _("Posts and people"),
        _("Who answers for which place: give and end posts, 包村 and 包片, and keep the township's 片区."),
        "governance:assignment-manage",
        lambda scope: scope.has_any_role(ASSIGNER_ROLES),
    ),
    Card(
        _("Grids and courtyards"),
        _("Add, rename, merge and split the villages' grids and courtyards; households move on the record."),
        "grids:place-list",
        lambda scope: scope.has_any_role(PLACE_KEEPERS),
    ),
    Card(
        _("Catalogues and settings"),
        _("Matter categories, time limits, the working-day calendar, tags and visit targets, and who edits each."),
        "catalogues:overview",
        sees_catalogues,
    ),
]


def shows_hub(scope) -> bool:
    """Whether the navigation shows 管理: to the township administrator (and the superuser). A
    village cadre, who keeps posts and places too, reaches those pages from its own menu and
    home."""
    return township_admin(scope)


@login_required
def hub(request):
    """管理: the cards of the books the caller keeps, each with its figures."""
    scope = scope_for(request.user)
    if not shows_hub(scope):
        raise PermissionDenied(_("The administration pages are for the township administrator (镇街管理员)."))
    cards = [card for card in CARDS if card.shown(scope)]
    rows = [
        {"card": card, "url": reverse(card.url_name), "figures": card.figures(request.user) if card.figures else []}
        for card in cards
    ]
    townships = list(accounts.admin_townships(request.user)[:3]) if not request.user.is_superuser else []
    return render(request, "governance/manage/hub.html", {"rows": rows, "townships": townships})
