"""Working days on the Chinese calendar: public holidays and make-up working days (调休).

A day's status comes from, in order: an override entered by the district (CalendarDay), the
chinese-calendar package for the years it knows, and plain weekends for any other year
(never an error: a deadline in a year nobody has entered yet still computes).
"""

import datetime
from functools import lru_cache

import chinese_calendar
from chinese_calendar import constants as cc_constants
from django.utils import timezone

KNOWN_YEARS = frozenset(d.year for d in cc_constants.holidays) & frozenset(range(2004, 2100))


def _overrides(start: datetime.date, end: datetime.date) -> dict[datetime.date, bool]:
    from petitions.models import CalendarDay

    return dict(CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_workday"))


@lru_cache(maxsize=4096)
def _package_workday(day: datetime.date) -> bool:
    if day.year in KNOWN_YEARS:
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def is_workday(day: datetime.date, overrides: dict | None = None) -> bool:
    if overrides is None:
        overrides = _overrides(day, day)
    if day in overrides:
        return overrides[day]
    return _package_workday(day)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The `days`-th working day after `start` (start itself not counted)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    # Two months of look-ahead per 20 working days covers the Spring Festival comfortably.
    horizon = start + datetime.timedelta(days=days * 3 + 30)
    overrides = _overrides(start, horizon)
    day, counted = start, 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if is_workday(day, overrides):
            counted += 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days in (start, end]."""
    if end <= start:
        return 0
    overrides = _overrides(start, end)
    count, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        count += is_workday(day, overrides)
    return count


def end_of_day(day: datetime.date) -> datetime.datetime:
    """A deadline falls at the end of its working day, local time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def deadline_after(start: datetime.datetime, days: int) -> datetime.datetime:
    return end_of_day(add_working_days(timezone.localtime(start).date(), days))


def year_days(year: int) -> list[tuple[datetime.date, bool, bool]]:
    """Every day of `year` as (day, is_workday, overridden): the calendar's page draws the
    year from it (one query for the year's overrides)."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    overrides = _overrides(first, last)
    days, day = [], first
    while day <= last:
        days.append((day, is_workday(day, overrides), day in overrides))
        day += datetime.timedelta(days=1)
    return days
