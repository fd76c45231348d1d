"""Writes to the matters' catalogues and a village's matter settings (docs/administration.md).

The district's catalogues (categories with their decision rules, time limits, the clocks'
limits, the working-day calendar) are one for every township and village: the superuser, the
district's administrator, edits them (governance.roles.DISTRICT_CATALOGUE_EDITORS); everyone
else reads them. A village's matter settings (who verifies its 村事) are set by the township
that oversees it (MATTER_SETTINGS_EDITORS), never by the 两委 whose work is checked.

Every service checks the actor first (Forbidden, 403), then the row's state (Conflict, 409: a
category in use is deactivated, not deleted), then the input (Refused, 400, on the field), and
writes in one transaction through `save()`/`delete()`, so every change is on record
(governance.history) with its actor.

Deadlines already set stay as they are: a matter's clock takes its time limit when it starts
(classification) and keeps it, with the working days it counted (`Matter.time_limit_days`);
only a matter (re)classified after the change takes the new limit (petitions.deadlines).
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.catalogues import check_district_catalogue_editor
from governance.errors import Conflict, Forbidden, Refused
from governance.limits import earliest_day
from governance.roles import MATTER_SETTINGS_EDITORS
from governance.scoping import scope_for
from grids.models import Village
from petitions.models import (
    MAX_LIMIT_DAYS,
    CalendarDay,
    ClockLimit,
    DecisionRule,
    Kind,
    Matter,
    MatterCategory,
    RepresentativesAuthorisation,
    TimeLimit,
    VillageAffairsVerifiers,
    VillageMatterSettings,
)

# How far ahead a calendar day may be entered: the State Council announces a year's holidays
# and 调休 in the autumn before it, so this year and the next two are plenty.
CALENDAR_YEARS_AHEAD = 2


def _choice(value, choices, field: str) -> None:
    if value not in choices:
        raise Refused(_("Choose one of the options offered."), code="invalid_choice", field=field)


def _days(value, field: str = "working_days") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT_DAYS:
        raise Refused(
            _("Give a number of working days from 1 to %(max)d.") % {"max": MAX_LIMIT_DAYS},
            code="out_of_range",
            field=field,
        )
    return value


def _saved(obj, *, field: str, message: str, code: str = "duplicate"):
    """Save `obj` in a savepoint; a unique constraint that a concurrent write won answers as
    the checks before it would have (a 400 on `field`), never a database error."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise Refused(message, code=code, field=field) from None
    return obj


def _changed(row, changes: dict, *, fields, check):
    """The row again, locked, with `changes` set on it and checked by `check(row)` (a field
    not in `fields` is the caller's mistake); the caller saves it (`_saved`)."""
    unknown = set(changes) - set(fields)
    if unknown:
        raise ValueError(unknown)
    row = type(row).objects.select_for_update().get(pk=row.pk)
    for name, value in changes.items():
        setattr(row, name, value)
    check(row)
    return row


# ---------------------------------------------------------------- categories


def category_usage(category: MatterCategory) -> int:
    """How many records name the category: its matters and the resolutions authorising the
    代表会议 on it. A category in use is deactivated, never deleted."""
    matters = Matter.objects.filter(category=category).count()
    return matters + RepresentativesAuthorisation.categories.through.objects.filter(mattercategory=category).count()


def _check_category(category: MatterCategory) -> None:
    code, name = (category.code or "").strip(), (category.name or "").strip()
    if not code:
        raise Refused(_("Give the category a code."), code="required", field="code")
    if not name:
        raise Refused(_("Give the category a name."), code="required", field="name")
    category.code, category.name = code, name
    _choice(category.default_kind, Kind.values, "default_kind")
    _choice(category.decision_rule, DecisionRule.values, "decision_rule")
    others = MatterCategory.objects.exclude(pk=category.pk)
    if others.filter(code=code).exists():
        raise Refused(_("Another category already has the code “%(code)s”.") % {"code": code}, "duplicate", "code")
    if others.filter(name=name).exists():
        raise Refused(_("Another category is already named “%(name)s”.") % {"name": name}, "duplicate", "name")


@transaction.atomic
def category_create(
    *,
    actor,
    code: str,
    name: str,
    default_kind: str,
    decision_rule: str = DecisionRule.SIMPLE,
    order: int = 100,
    is_active: bool = True,
) -> MatterCategory:
    """A new matter category (邻里纠纷, 土地承包调整 ...) with the kind it usually is and, for a
    村事, the rule it is decided by."""
    check_district_catalogue_editor(actor)
    category = MatterCategory(
        code=code, name=name, default_kind=default_kind, decision_rule=decision_rule, order=order, is_active=is_active
    )
    _check_category(category)
    return _saved(category, field="code", message=_("Another category already has this code or name."))


CATEGORY_FIELDS = ("code", "name", "default_kind", "decision_rule", "order", "is_active")


@transaction.atomic
def category_update(*, actor, category: MatterCategory, **changes) -> MatterCategory:
    """Change a category: its words, its kind, its decision rule, its place in the lists, or
    whether it is offered (`is_active`; a category in use is deactivated, not deleted). Open
    村事 that voted under another rule vote again (petitions.procedure.rule_changed)."""
    check_district_catalogue_editor(actor)
    category = _changed(category, changes, fields=CATEGORY_FIELDS, check=_check_category)
    return _saved(category, field="code", message=_("Another category already has this code or name."))


def check_category_removable(category: MatterCategory) -> None:
    """A category in use is deactivated, never deleted (409)."""
    used = category_usage(category)
    if used:
        raise Conflict(
            _(
                "“%(name)s” is named by %(count)d records (matters or resolutions): it cannot be deleted. "
                "Deactivate it instead: it is no longer offered, and the records keep it."
            )
            % {"name": category.name, "count": used},
            code="category_in_use",
        )


@transaction.atomic
def category_delete(*, actor, category: MatterCategory) -> None:
    """Delete a category nothing names yet (its own time limits go with it); one in use is
    refused (409): deactivate it instead."""
    check_district_catalogue_editor(actor)
    category = MatterCategory.objects.select_for_update().get(pk=category.pk)
    check_category_removable(category)
    for limit in TimeLimit.objects.filter(category=category):
        limit.delete()  # one by one, so that each is on record
    category.delete()


# ---------------------------------------------------------------- time limits


def _check_time_limit(limit: TimeLimit) -> None:
    _choice(limit.stage, TimeLimit.Stage.values, "stage")
    _choice(limit.kind, Kind.values, "kind")
    _days(limit.working_days)
    same = TimeLimit.objects.exclude(pk=limit.pk).filter(stage=limit.stage, kind=limit.kind, category=limit.category)
    if same.exists():
        raise Refused(
            _("This stage, kind and category already have a time limit: change that one."), "duplicate", "category"
        )


@transaction.atomic
def time_limit_create(
    *,
    actor,
    stage: str = TimeLimit.Stage.HANDLING,
    kind: str,
    category: MatterCategory | None = None,
    working_days: int,
) -> TimeLimit:
    """The working days a kind of matter (of one category, or of every category without its
    own) has at a stage. Deadlines already set are not rewritten (see the module's doc)."""
    check_district_catalogue_editor(actor)
    limit = TimeLimit(stage=stage, kind=kind, category=category, working_days=working_days)
    _check_time_limit(limit)
    return _saved(limit, field="category", message=_("This stage, kind and category already have a time limit."))


TIME_LIMIT_FIELDS = ("stage", "kind", "category", "working_days")


@transaction.atomic
def time_limit_update(*, actor, limit: TimeLimit, **changes) -> TimeLimit:
    check_district_catalogue_editor(actor)
    limit = _changed(limit, changes, fields=TIME_LIMIT_FIELDS, check=_check_time_limit)
    return _saved(limit, field="category", message=_("This stage, kind and category already have a time limit."))


@transaction.atomic
def time_limit_delete(*, actor, limit: TimeLimit) -> None:
    """Remove a time limit: the kind's own limit (or the built-in one) applies from then on."""
    check_district_catalogue_editor(actor)
    TimeLimit.objects.select_for_update().get(pk=limit.pk).delete()


# ---------------------------------------------------------------- the clocks' limits


@transaction.atomic
def clock_limit_set(*, actor, clock: str, working_days: int) -> ClockLimit:
    """The working days of acceptance (受理) at the village or the township, or of a
    department's sign-off (签收). Clocks already running keep their end."""
    check_district_catalogue_editor(actor)
    _choice(clock, ClockLimit.Clock.values, "clock")
    _days(working_days)
    limit = ClockLimit.objects.select_for_update().filter(clock=clock).first() or ClockLimit(clock=clock)
    if limit.pk and limit.working_days == working_days:
        return limit
    limit.working_days = working_days
    return _saved(limit, field="clock", message=_("This clock's limit was changed at the same time: try again."))


# ---------------------------------------------------------------- the working-day calendar


def calendar_bounds(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day a calendar override may name."""
    return earliest_day(today), datetime.date(today.year + CALENDAR_YEARS_AHEAD, 12, 31)


@transaction.atomic
def calendar_day_add(*, actor, date: datetime.date, is_workday: bool, name: str = "") -> CalendarDay:
    """A holiday, or a make-up working day (调休), that overrides the public calendar on that
    day: for a year the chinese-calendar package does not know yet, or a local correction.
    Deadlines already set keep their day; clocks started from now on count it."""
    check_district_catalogue_editor(actor)
    first, last = calendar_bounds(timezone.localdate())
    if not first <= date <= last:
        raise Refused(
            _("Give a day from %(first)s to %(last)s.") % {"first": first.isoformat(), "last": last.isoformat()},
            code="out_of_range",
            field="date",
        )
    existing = CalendarDay.objects.filter(date=date).first()
    if existing is not None:
        raise Refused(
            _("%(date)s is already in the calendar (%(what)s): remove it first to change it.")
            % {"date": date.isoformat(), "what": _("working day") if existing.is_workday else _("holiday")},
            code="duplicate",
            field="date",
        )
    day = CalendarDay(date=date, is_workday=bool(is_workday), name=(name or "").strip())
    return _saved(day, field="date", message=_("This day is already in the calendar."))


@transaction.atomic
def calendar_day_remove(*, actor, day: CalendarDay) -> None:
    """Take an override out: the public calendar decides that day again."""
    check_district_catalogue_editor(actor)
    CalendarDay.objects.select_for_update().get(pk=day.pk).delete()


# ---------------------------------------------------------------- a village's matter settings


def may_set_matter_settings(user, village: Village) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or village.township_id in scope.ids_for(MATTER_SETTINGS_EDITORS)


@transaction.atomic
def matter_settings_set(*, actor, village: Village, village_affairs_verifiers: str) -> VillageMatterSettings:
    """Who verifies the village's 村事 (督): the township, the supervision committee, or either.
    Set by the township that oversees the village, never by its 两委 (maker-checker)."""
    if not may_set_matter_settings(actor, village):
        raise Forbidden(_("Only the township that oversees the village sets who verifies its village matters."))
    _choice(village_affairs_verifiers, VillageAffairsVerifiers.values, "village_affairs_verifiers")
    row = VillageMatterSettings.objects.select_for_update().filter(village=village).first()
    row = row or VillageMatterSettings(village=village)
    if row.pk and row.village_affairs_verifiers == village_affairs_verifiers:
        return row
    row.village_affairs_verifiers = village_affairs_verifiers
    return _saved(row, field="village_affairs_verifiers", message=_("Changed at the same time: try again."))
