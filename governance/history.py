"""Every change on record: who changed what, when, and each field before and after.

Changes to people (staff accounts), places, assignments, catalogues and settings are kept by
django-auditlog (one `auditlog.LogEntry` row per save or delete, its `changes` a JSON of
field → [before, after]). An app says which of its models keep history, and who may read an
object's history, in its own `audited.py` (found by `autodiscover_modules("audited")` in
`GovernanceConfig.ready`) through `keep_history`. The history page and the API answer from
that registry: a kind the caller may not see answers 404 like a missing object.

Writes through `QuerySet.update()` and `bulk_create` leave no entry (auditlog hears model
signals): a service that changes a kept model saves the row, as the services here do.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from auditlog.context import set_extra_data
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.core.exceptions import FieldDoesNotExist
from django.db.models import BooleanField, Model, QuerySet
from django.http import Http404
from django.utils.functional import SimpleLazyObject
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

# Who may read an object's history: fn(user) -> the queryset of objects of that kind whose
# history the user reads (those they may see, usually).
Readable = Callable[..., QuerySet]


@dataclass(frozen=True)
class Kept:
    kind: str
    model: type[Model]
    readable: Readable
    label: str  # a lazy translation
    # fn(obj) -> the objects whose changes show in obj's history too (a staff account's
    # StaffAccount in the account's), or None.
    parts: Callable[..., Iterable[Model]] | None = None


_kept: dict[str, Kept] = {}


def keep_history(model, *, kind: str, readable: Readable, exclude=(), mask=(), m2m=(), parts=None) -> None:
    """Keep every change of `model` (`kind` names it in URLs: /history/<kind>/<pk>/), readable
    by whoever `readable(user)` lets see the object. `exclude`: fields not recorded at all
    (password hashes, counters); `mask`: fields recorded only as changed, never their values;
    `parts(obj)`: the objects (kept themselves) whose changes the object's history shows too."""
    auditlog.register(model, exclude_fields=list(exclude), mask_fields=list(mask), m2m_fields=set(m2m))
    label = model._meta.verbose_name  # lazy: read in the language of the page that shows it
    _kept[kind] = Kept(kind=kind, model=model, readable=readable, label=label, parts=parts)


def kept_kinds() -> dict[str, Kept]:
    return dict(_kept)


def kind_of(obj) -> str | None:
    """The registered kind of an object's model (a page links its history with it)."""
    for kind, kept in _kept.items():
        if isinstance(obj, kept.model):
            return kind
    return None


@dataclass(frozen=True)
class Change:
    at: object
    actor: str
    action: str
    fields: list[tuple[str, str, str]]  # (field's name, before, after)
    created: bool = False  # the object was made: its fields have no before


ACTIONS = {
    LogEntry.Action.CREATE: _("created"),
    LogEntry.Action.UPDATE: _("changed"),
    LogEntry.Action.DELETE: _("deleted"),
}


def object_for_history(user, kind: str, pk) -> Model:
    """The object whose history `user` asks for, or 404 (an unknown kind, a missing object and
    one the user may not see answer alike)."""
    kept = _kept.get(kind)
    if kept is None:
        raise Http404
    try:
        return kept.readable(user).get(pk=pk)
    except (kept.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def history_of(obj, *, limit: int = 200) -> list[Change]:
    """The object's changes (and its parts', see `keep_history`), newest first: who (the
    account's name, or the system for a task or a command), when, and each field's value
    before and after, with the fields' names and choices as the site's language shows them."""
    entries = LogEntry.objects.get_for_object(obj)
    kept = _kept.get(kind_of(obj) or "")
    for part in kept.parts(obj) if kept and kept.parts else ():
        entries = entries | LogEntry.objects.get_for_object(part)
    entries = entries.select_related("actor", "content_type").order_by("-timestamp", "-pk")[:limit]
    changes = []
    for entry in entries:
        rows = _rows(entry, entry.content_type.model_class() or type(obj))
        actor = entry.actor.get_full_name() or entry.actor.username if entry.actor else str(_("the system"))
        action = str(ACTIONS.get(entry.action, ""))
        created = entry.action == LogEntry.Action.CREATE
        changes.append(Change(at=entry.timestamp, actor=actor, action=action, fields=rows, created=created))
    return changes


def _rows(entry, model) -> list[tuple[str, str, str]]:
    """An entry's fields as (name, before, after), each value as the site shows it. auditlog's
    own display turns a many-to-many change into the names of its keys, and lists the id and the
    reverse relations of a new object (their "values" are a manager's repr): the raw change is
    read for the former, the latter are left out."""
    shown = entry.changes_display_dict
    rows = []
    for name, raw in entry.changes_dict.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            rows.append((name, *_before_after(raw)))
            continue
        if field.auto_created and (field.is_relation or getattr(field, "primary_key", False)):
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue  # the entry's own time says when
        label = getattr(field, "verbose_name", name)
        values = raw if isinstance(raw, dict) else shown.get(label, raw)
        before, after = _before_after(values)
        if not before and not after:
            continue  # a field left empty when the object was made: nothing to read
        if isinstance(field, BooleanField):
            before, after = _yes_no(before), _yes_no(after)
        rows.append((_field_label(field), before, after))
    return rows


def _field_label(field) -> str:
    """A field's name as the pages show it. A foreign key named by Django alone ("grid",
    "village") is named by the model it points at, whose name is translated."""
    label = str(field.verbose_name)
    if field.is_relation and field.related_model and label == field.name.replace("_", " "):
        label = str(field.related_model._meta.verbose_name)
    return capfirst(label)


def _yes_no(value: str) -> str:
    return {"True": str(_("yes")), "False": str(_("no"))}.get(value, value)


def _before_after(values) -> tuple[str, str]:
    """A field's change as two strings: [before, after] for a plain field; for a many-to-many
    field (auditlog records {"operation": add/delete/clear, "objects": [...]}) what was added
    shows as after, what was taken away as before."""
    if isinstance(values, dict):
        objects = "、".join(str(o) for o in values.get("objects", []))
        return ("", objects) if values.get("operation") == "add" else (objects, "")
    before, after = (list(values) + ["", ""])[:2]
    return _blank(before), _blank(after)


def _blank(value) -> str:
    return "" if value in (None, "None") else str(value)


def mask_value(value) -> str:
    """How a masked field (a phone) stands in the history: 158****9119, as the pages show it."""
    text = "" if value in (None, "None") else str(value)  # auditlog hands an absent value as "None"
    return f"{text[:3]}****{text[-4:]}" if len(text) >= 7 else "****" if text else ""


class HistoryActorMiddleware:
    """Name the signed-in user as the actor of every change a request makes, whether a page's
    session or the API's token signed them in: the actor is read when the first change is
    saved (after DRF has authenticated the request and set `request.user`), not when the
    request arrives."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        def actor():
            user = getattr(request, "user", None)
            return user if user is not None and user.is_authenticated else None

        context = {"actor": SimpleLazyObject(actor), "remote_addr": request.META.get("REMOTE_ADDR")}
        with set_extra_data(context_data=context):
            return self.get_response(request)
