"""The one family of errors every service raises, and what each becomes.

A service refuses in the contract's order: the caller's role first (`Forbidden`, 403), then
the object's state (`Conflict`, 409), then the input (`Refused` about one field, or
`Invalid` about several, 400). Each carries a stable `code` (the API's error code, the
tests' handle) and, for a 400, the `field` it is about. The API turns them into bodies in
one place (`governance.api_common.exception_handler`); the pages in one place
(`governance.forms.save_form`). A domain app names its own errors as subclasses
(`MatterStateError(Conflict)`) only when a caller needs to tell them apart.

Django's `ValidationError` stays what services raise for ordinary field errors: forms show
it next to the field, the API as a serializer's 400.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    code = "error"
    field: str | None = None

    def __init__(self, message, code: str | None = None, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        if field:
            self.field = field

    def as_body(self) -> dict:
        """The API's body: {"detail", "code"} and, for a refusal about one field, that field
        with its message, as a serializer's 400 would carry it."""
        body = {"detail": str(self.message), "code": self.code}
        if self.field:
            body[self.field] = [str(self.message)]
        return body


class Forbidden(DomainError):
    """The caller's role may not take this action on this object (403)."""

    status = 403
    code = "permission_denied"


class Conflict(DomainError):
    """The action is not possible in the object's current state (409)."""

    status = 409
    code = "invalid_state"


class Refused(DomainError):
    """A well-formed request that is refused (400), about one field: not enough points, a
    cap reached, an ID number held elsewhere."""

    code = "refused"

    def __init__(self, message, code: str, field: str | None = None):
        super().__init__(message, code, field)


class Invalid(DomainError):
    """Several errors at once (400): by field, then by position in a list sent, e.g.
    {"accounts": {"2": ["..."]}}."""

    code = "invalid"

    def __init__(self, errors: dict, message=None):
        super().__init__(message or _("Some items of the list are invalid."))
        self.errors = errors

    def as_body(self) -> dict:
        return self.errors


def refuse_unknown_fields(service: str, changes, allowed) -> None:
    """An `<entity>_update(**changes)` given a field it does not change: a programming error
    (TypeError), never an answer to the user."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise TypeError(f"{service} cannot change {sorted(unknown)}")
