"""How long free text may be, and how far back a date: one place for every form and API input.

A field that names its own `max_length` keeps it; every other text field (a description, the
minutes, a note) gets TEXT_LONG, and every list of values LIST_LONG items, so that no input
stores an unbounded text: the public form once stored a description of 850 000 characters.
Forms get it from `BoundedTextForm`, API input serializers from governance.api_input.
"""

import datetime

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext as _

TEXT_SHORT = 200  # a title, a reason, a one-line note
TEXT_LONG = 5000  # a description, the minutes, a result
LIST_LONG = 500  # names in a list (attendees, parties)
# A head count (those entitled to a meeting, present, voting): far above any village, far
# below the database's integer, so a typo answers 400 and never overflows the column.
HEAD_COUNT_MAX = 1_000_000
# How far back a date of the village's own records may go (a statement's period, a pledge's
# period, a meeting): a typo such as 1926 for 2026 answers 400 and never lands in the records.
RECORDS_YEARS_BACK = 10


def earliest_day(today: datetime.date) -> datetime.date:
    """The first day a record dated `today` may name (RECORDS_YEARS_BACK years before, 1 January)."""
    return datetime.date(today.year - RECORDS_YEARS_BACK, 1, 1)


def too_early(day: datetime.date, today: datetime.date):
    """The error message for a `day` before earliest_day(today), else None."""
    earliest = earliest_day(today)
    if day < earliest:
        return _("That is too long ago: give a day from %(earliest)s on.") % {"earliest": earliest.isoformat()}
    return None


def outside_records(day: datetime.date, today: datetime.date):
    """The error message for a `day` of the village's records (a setting's start, a meeting)
    before earliest_day(today) or after `today`, else None."""
    if day > today:
        return _("That day has not come yet: give today or a day before.")
    return too_early(day, today)


def bound_form_field(field: forms.Field) -> None:
    """Give an unbounded text field of a form TEXT_LONG, validator and `maxlength` attribute."""
    not_text = (forms.UUIDField, forms.JSONField)
    if isinstance(field, forms.CharField) and not isinstance(field, not_text) and field.max_length is None:
        field.max_length = TEXT_LONG
        field.validators.append(MaxLengthValidator(TEXT_LONG))
        if not field.widget.is_hidden:
            field.widget.attrs.setdefault("maxlength", str(TEXT_LONG))


class BoundedTextForm(forms.Form):
    """The base of every form here that takes free text."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            bound_form_field(field)
