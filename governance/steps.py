"""Which steps of a record's cycle a user may take now (a pledge's, a meeting's, a selection's,
a mediation's): one home for asking a record's `check(user, step, record)`, which raises
Forbidden (the role) or Conflict (the state) when the step may not be taken."""

from collections.abc import Callable, Iterable

from governance.errors import Conflict, Forbidden


def allowed(check: Callable, user, step: str, record) -> bool:
    """Whether `check` lets the user take `step` on the record now."""
    try:
        check(user, step, record)
    except (Forbidden, Conflict):
        return False
    return True


def steps_allowed(check: Callable, user, steps: Iterable[str], record) -> list[str]:
    """The `steps`, in their order, that `check` lets the user take on the record now."""
    return [step for step in steps if allowed(check, user, step, record)]
