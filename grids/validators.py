"""Checks on register data shared by the resident form, the API and the register import."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_AGE_YEARS = 130


def birth_date_bounds(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The earliest and the latest birth date accepted: MAX_AGE_YEARS back, and today."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - MAX_AGE_YEARS), today
    except ValueError:  # 29 February
        return today.replace(year=today.year - MAX_AGE_YEARS, day=28), today


def validate_birth_date(value: datetime.date | None, today: datetime.date | None = None) -> None:
    """A birth date is not in the future and not more than MAX_AGE_YEARS years back."""
    if value is None:
        return
    earliest, today = birth_date_bounds(today)
    if value > today:
        raise ValidationError(_("The birth date cannot be in the future."), code="future_birth_date")
    if value < earliest:
        raise ValidationError(
            _("The birth date is more than %(years)d years ago.") % {"years": MAX_AGE_YEARS},
            code="birth_date_too_early",
        )
