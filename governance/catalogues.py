"""The catalogues and settings overview (/manage/catalogues/): every catalogue and setting of
the deployment, who owns it and who edits it (docs/administration.md).

Governance draws the overview but knows none of the apps above it: each app registers its
catalogues and settings in its own `catalogues.py` (found by `autodiscover_modules` in
`GovernanceConfig.ready`, as `nav.py` and `audited.py` are), naming the page that edits it and
who reads and who edits it, as functions of the caller's scope (governance.scoping.Scope).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from governance.errors import Forbidden
from governance.roles import CATALOGUE_MENU_ROLES, DISTRICT_CATALOGUE_EDITORS, FINANCE_EDITORS, FINANCE_READERS
from governance.scoping import Scope, scope_for

# Who owns a catalogue or a setting, in the overview's order.
OWNERS = {
    "district": _("The district's catalogues"),
    "township": _("Each township's settings"),
    "village": _("Each village's settings"),
    "deployment": _("Set when the server is installed"),
}
OWNER_NOTES = {
    "district": _(
        "One catalogue for every township and village of the district: edited by the district's "
        "administrator (the superuser), read by all staff."
    ),
    "township": _("Set by the township that oversees the village; the village reads them."),
    "village": _("Kept by each village's own cadres, for their village only."),
    "deployment": _("Changed by whoever runs the server, in its environment; shown here for reference."),
}

Check = Callable[[Scope], bool]


def everyone(scope: Scope) -> bool:
    return True


def superuser_only(scope: Scope) -> bool:
    return scope.is_superuser


def holding(roles) -> Check:
    """A check: the superuser, or someone holding one of `roles` somewhere."""
    return lambda scope: scope.has_any_role(roles)


@dataclass(frozen=True)
class Catalogue:
    key: str
    owner: str  # a key of OWNERS
    title: str
    description: str
    editors: str  # who edits it, in words
    url_name: str | None = None  # the page that shows it (None: no page, `value` says it)
    reads: Check = everyone
    edits: Check = superuser_only
    value: Callable[[], str] | None = None  # a setting shown on the overview itself
    order: int = 100


_catalogues: dict[str, Catalogue] = {}


def register_catalogue(catalogue: Catalogue) -> Catalogue:
    """Add a catalogue or setting to the overview (a second registration of a key replaces it)."""
    if catalogue.owner not in OWNERS:
        raise ValueError(catalogue.owner)
    _catalogues[catalogue.key] = catalogue
    return catalogue


def may_edit_district_catalogues(user) -> bool:
    """The district's catalogues are one for every township and village: the superuser, the
    district's administrator, edits them (DISTRICT_CATALOGUE_EDITORS); everyone else reads them."""
    return scope_for(user).has_any_role(DISTRICT_CATALOGUE_EDITORS)


def check_district_catalogue_editor(user) -> None:
    """Forbidden (403) for anyone but the district's administrator."""
    if not may_edit_district_catalogues(user):
        raise Forbidden(gettext("Only the district's administrator edits the district's catalogues."))


def register_district_catalogue(**fields) -> Catalogue:
    """Add one of the district's catalogues (owner "district") to the overview: every member of
    staff reads it, the district's administrator, the superuser, edits it
    (governance.roles.DISTRICT_CATALOGUE_EDITORS). `fields` are the rest of its Catalogue."""
    return register_catalogue(
        Catalogue(owner="district", editors=_("The district's administrator (superuser)"), **fields)
    )


@dataclass(frozen=True)
class Row:
    catalogue: Catalogue
    url: str | None
    may_edit: bool
    value: str | None


def catalogues_for(scope: Scope) -> list[tuple[str, str, str, list[Row]]]:
    """The catalogues and settings this caller sees, grouped by owner in OWNERS' order:
    (owner, heading, note, rows), each row with its page and whether the caller edits it."""
    groups = []
    for owner, heading in OWNERS.items():
        rows = [
            Row(
                catalogue=c,
                url=reverse(c.url_name) if c.url_name else None,
                may_edit=c.edits(scope),
                value=c.value() if c.value else None,
            )
            for c in sorted(_catalogues.values(), key=lambda c: (c.order, c.key))
            if c.owner == owner and c.reads(scope)
        ]
        if rows:
            groups.append((owner, heading, OWNER_NOTES[owner], rows))
    return groups


def sees_catalogues(scope: Scope) -> bool:
    """Whether the menu offers the overview (anyone signed in may open it)."""
    return scope.has_any_role(CATALOGUE_MENU_ROLES)


# governance's own: how often a village posts its accounts (财务公开).
register_catalogue(
    Catalogue(
        key="finance-settings",
        owner="village",
        title=_("Accounts posting (财务公开)"),
        description=_("How often the village posts its accounts (monthly or quarterly), and since when."),
        editors=_("The village's cadres"),
        url_name="governance:finance-list",
        reads=holding(FINANCE_READERS),
        edits=holding(FINANCE_EDITORS),
        order=50,
    )
)
