"""The matter cards of every list (the list, the queue, the home's cards, the duplicates found
while typing) and a matter's state chip, written in Python: a page of twenty cards through
the template language took longer than the rest of the page together (its translations,
dates and lookups per card). Every value is escaped as it goes in."""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from petitions.models import Kind, State

register = template.Library()

# A state by shape as well as colour (petitions.models.State); a withdrawn matter ↩.
STATE_SHAPES = {
    "submitted": "○",
    "classified": "◔",
    "deliberating": "◑",
    "handling": "◕",
    "verifying": "◉",
    "evaluating": "●",
    "closed": "✓",
    "rejected": "✕",
}

CARD = (
    '<li class="card matter-card{classes}"><div class="row"><div class="grow">'
    '<h3><a href="{url}">{title}</a> <span class="number">#{pk}</span></h3>'
    '<ul class="chips"><li>{state}</li><li class="chip">{kind}</li>{chips}</ul>'
    '<p class="meta">{meta}</p>{next}</div><div>{button}</div></div></li>'
)


@register.simple_tag
def matter_state(matter, names=None) -> SafeString:
    """The state chip: its shape and its name (`names`: the states' names, when a list has them)."""
    shape = STATE_SHAPES.get(matter.state, "↩")
    name = names[matter.state] if names else matter.get_state_display()
    return mark_safe(  # nosec B308 B703: the state is a choice's key, its name escaped
        f'<span class="chip state state-{escape(matter.state)}"><span class="shape" aria-hidden="true">{shape}'
        f"</span> {escape(name)}</span>"
    )


@register.simple_tag
def matter_cards(rows, empty=None) -> SafeString:
    """The cards of `rows` (matters annotated by petitions.views.annotate_rows; a duplicate
    found while typing carries its `similarity`), or `empty` in words when there are none."""
    if not rows:
        empty = empty or _("No matters to show.")
        return mark_safe(f'<p class="empty">{escape(empty)}</p>')  # nosec B308 B703: escaped
    words = {
        "unclassified": '<span aria-hidden="true">?</span> ' + escape(_("not classified yet")),
        "overdue": '<li class="chip warn"><span aria-hidden="true">⚠</span> ' + escape(_("overdue")) + "</li>",
        "today": escape(_("today")),
        "your_turn": escape(_("Your turn:")),
        "open": escape(_("Open")),
        # The choices' names once per list, not a dict of them built per card (get_FOO_display).
        "states": {value: str(label) for value, label in State.choices},
        "kinds": {value: escape(label) for value, label in Kind.choices},
    }
    cards = [_card(matter, words) for matter in rows]
    return mark_safe('<ul class="cards matter-rows">' + "".join(cards) + "</ul>")  # nosec B308 B703


def _card(matter, words: dict) -> str:
    url = reverse("petitions:matter-detail", args=[matter.pk])
    overdue = bool(matter.is_overdue and matter.is_open or matter.late_acceptance)
    classes = (" yours" if matter.your_turn else "") + (" overdue" if overdue else "")
    chips = ""
    if matter.category_id:
        chips += f'<li class="chip">{escape(matter.category.name)}</li>'
    similarity = getattr(matter, "similarity", None)
    if similarity:
        alike = _("%(percent)s%% alike") % {"percent": round(similarity * 100)}
        chips += f'<li class="chip similarity">{escape(alike)}</li>'
    if overdue:
        chips += words["overdue"]
    if matter.your_turn:
        action, label = matter.your_turn
        next_line = f'<p class="next yours"><span aria-hidden="true">▶</span> {words["your_turn"]} {escape(label)}</p>'
        button = (
            f'<a class="button primary small" href="{url}#action-{escape(action)}" '
            f'aria-label="{escape(label)}: {escape(matter.title)}">{escape(label)}</a>'
        )
    else:
        next_line = f'<p class="next">{escape(matter.waiting_for)}</p>' if matter.waiting_for else ""
        opened = escape(_("Open %(title)s") % {"title": matter.title})
        button = f'<a class="button small" href="{url}" aria-label="{opened}">{words["open"]} ›</a>'
    return CARD.format(
        classes=classes,
        url=url,
        title=escape(matter.title),
        pk=matter.pk,
        state=matter_state(matter, words["states"]),
        kind=words["kinds"].get(matter.kind, escape(matter.kind)) if matter.kind else words["unclassified"],
        chips=chips,
        meta=_meta(matter, words),
        next=next_line,
        button=button,
    )


def _meta(matter, words: dict) -> str:
    """Where, how old, and the clock: the village · the grid · 3 days ago · due 2026-12-10."""
    parts = [escape(matter.village.name)]
    if matter.grid_id:
        parts.append(escape(matter.grid.name))
    if matter.age_days == 0:
        parts.append(words["today"])
    else:
        days = ngettext("%(days)s day ago", "%(days)s days ago", matter.age_days) % {"days": matter.age_days}
        parts.append(escape(days))
    if matter.state == "submitted" and matter.accept_by:
        parts.append(escape(_("due %(day)s") % {"day": _day(matter.accept_by)}))
    if matter.deadline and matter.clock_running:
        if matter.is_overdue:
            parts.append(escape(_("due %(day)s") % {"day": _day(matter.deadline)}))
        else:
            left = timeuntil(matter.deadline)
            parts.append(escape(_("due %(day)s, %(left)s left") % {"day": _day(matter.deadline), "left": left}))
    return " · ".join(parts)


def _day(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d")
