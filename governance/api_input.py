"""How every API input serializer reads a request: one mechanism for the whole project.

DRF reads a form or multipart body differently from JSON: a check box that is not ticked
is not sent at all, so an absent boolean is read as False and an absent multi-valued field
as an empty list. For an API client that sends only the fields it changes, that turns "not
sent" into "set to false" (a verification that passes nothing, an item taken off sale by a
photo upload). Input serializers here inherit from `InputSerializer` or
`InputModelSerializer`, which read an absent field as absent in every body type: a required
field answers 400 `required`, an optional one keeps its default (or its current value).

They also refuse a date-time without a time zone (code `naive_datetime`) rather than
guessing the server's zone, and bound every text and list that sets no length of its own
(governance.limits).
"""

import functools

from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html
from rest_framework.utils.formatting import lazy_format

from governance.limits import LIST_LONG, TEXT_LONG
from governance.uploads import UploadRefused, check_xlsx


class AwareDateTimeField(serializers.DateTimeField):
    """A date-time input that must carry its offset (`2026-05-10T09:30:00+08:00` or `...Z`)."""

    default_error_messages = {
        "naive_datetime": _("Give the time with its time zone, e.g. 2026-05-10T09:30:00+08:00."),
    }

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive_datetime")
        return super().enforce_timezone(value)


class _AbsentIsAbsentMany:
    """For fields whose form reading turns "absent" into "[]"."""

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and self.field_name not in dictionary:
            return empty
        return super().get_value(dictionary)


@functools.cache
def _form_safe(cls: type) -> type:
    if issubclass(cls, _AbsentIsAbsentMany):
        return cls
    return type(f"FormSafe{cls.__name__}", (_AbsentIsAbsentMany, cls), {"__module__": __name__})


def harden(field: serializers.Field) -> serializers.Field:
    """Make one writable field read a form body as it reads JSON (see the module's doc).

    Only the field's class changes (to a subclass that overrides one method), never its state.
    """
    if field.read_only:
        return field
    if isinstance(field, serializers.BooleanField):
        # DRF reads an absent form field as False (or None if nullable).
        field.default_empty_html = empty
    elif isinstance(field, (serializers.ManyRelatedField, serializers.MultipleChoiceField)):
        field.__class__ = _form_safe(type(field))
    elif type(field) is serializers.DateTimeField:
        field.__class__ = AwareDateTimeField
        field.error_messages.setdefault("naive_datetime", AwareDateTimeField.default_error_messages["naive_datetime"])
    elif isinstance(field, serializers.CharField) and field.max_length is None:
        _bound(field, TEXT_LONG, "max_length")
    elif isinstance(field, serializers.ListField):
        if field.max_length is None:
            _bound(field, LIST_LONG, "max_length")
        harden(field.child)
    return field


def _bound(field, limit: int, error: str) -> None:
    """The length limit of governance.limits on a field that sets none, as DRF would set it."""
    field.max_length = limit
    message = lazy_format(field.error_messages[error], max_length=limit)
    field.validators.append(MaxLengthValidator(limit, message=message))


class InputFieldsMixin:
    """Harden every field the serializer has, declared or built from the model."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            harden(field)
        return fields


class InputSerializer(InputFieldsMixin, serializers.Serializer):
    """The base of every API input serializer."""


class InputModelSerializer(InputFieldsMixin, serializers.ModelSerializer):
    """The base of every API input serializer built from a model."""


class VisibleField(serializers.PrimaryKeyRelatedField):
    """A primary key among the rows the caller may see (`selector(user)`): any other id is
    "does not exist", a 400 on the field that reveals nothing (not even that the row exists)."""

    def __init__(self, selector=None, **kwargs):
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.selector(self.context["request"].user)


class XlsxFileField(serializers.FileField):
    """An uploaded .xlsx within the bounds of governance.uploads: any other file is a 400 on the
    field with the refusal's code (not_xlsx, file_too_large, ...)."""

    def to_internal_value(self, data):
        file = super().to_internal_value(data)
        try:
            check_xlsx(file)
        except UploadRefused as refused:
            raise serializers.ValidationError(refused.message, code=refused.code) from None
        return file
