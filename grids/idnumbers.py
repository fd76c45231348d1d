"""Resident ID numbers (居民身份证号码, GB 11643-1999) and phone numbers.

An ID number is validated on its check digit, stored encrypted (Fernet, keys from
ID_ENCRYPTION_KEYS, rotatable), found through a keyed HMAC hash (ID_HASH_KEY), and shown
masked: first 4 and last 4 characters.
"""

import datetime
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from grids.validators import validate_birth_date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_PHONE_SHAPE = re.compile(r"^1[3-9]\d{9}$")


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def id_check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def validate_id_number(value: str) -> str:
    """Return the normalized ID number or raise ValidationError with a plain message."""
    number = normalize_id_number(value)
    if not _ID_SHAPE.match(number):
        raise ValidationError(
            _("An ID number has 18 characters: 17 digits and a final digit or X."),
            code="id_shape",
        )
    try:
        birth_date = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date inside this ID number is not a real date."), code="id_birth_date"
        ) from None
    try:
        validate_birth_date(birth_date)
    except ValidationError:
        raise ValidationError(
            _("The birth date inside this ID number is in the future or more than 130 years ago."),
            code="id_birth_date",
        ) from None
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError(
            _("This ID number's check digit is wrong; please check every digit."),
            code="id_check_digit",
        )
    return number


def looks_like_id_number(value: str) -> bool:
    return bool(_ID_SHAPE.match(normalize_id_number(value)))


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.ID_ENCRYPTION_KEYS])


def encrypt_id_number(number: str) -> str:
    return _fernet().encrypt(number.encode()).decode()


def decrypt_id_number(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def rotate_id_token(token: str) -> str:
    """Re-encrypt a stored token with the newest key (MultiFernet.rotate)."""
    return _fernet().rotate(token.encode()).decode()


def hash_id_number(number: str) -> str:
    key = settings.ID_HASH_KEY.encode()
    return hmac.new(key, normalize_id_number(number).encode(), hashlib.sha256).hexdigest()


def mask_id_number(number: str) -> str:
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def normalize_phone(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def validate_phone(value: str) -> str:
    phone = normalize_phone(value)
    if phone and not _PHONE_SHAPE.match(phone):
        raise ValidationError(
            _("A mobile number has 11 digits and starts with 1, e.g. 15800001234."),
            code="phone_shape",
        )
    return phone
