"""What a caller is told when the ID number they enter is already registered.

One rule for the register import, the resident API and the resident form. A holder the caller
may see is named (code ``id_number_taken``), so a cadre can find the duplicate. A holder outside
the caller's scope is not: the answer (``id_number_unavailable``) says neither whether nor where
the number is registered, the refusal is recorded (hash only) and the holder's township is told.
Refusals are capped per file and per user per day, so the answer cannot be used to probe for
people: past the daily cap every number not already in the caller's scope is refused.

A refusal is usually raised inside a transaction that then rolls back, so it travels on the
exception (``id_refusals``) and is written by ``id_refusals_kept`` at the edge, after the rollback.
"""

import contextlib
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import IdNumberRefusal, Resident
from grids.selectors import residents_visible_to

TAKEN = "id_number_taken"
UNAVAILABLE = "id_number_unavailable"
TOO_MANY = "too_many_id_refusals"
EXHAUSTED = "id_refusals_exhausted"


@dataclass(frozen=True)
class Verdict:
    code: str
    message: str
    refusal: IdNumberRefusal | None = None  # unsaved; written by id_refusals_kept


def taken_message(holder: Resident) -> str:
    return _("This ID number is already registered to %(name)s of household %(number)s.") % {
        "name": holder.name,
        "number": holder.household.number,
    }


def unavailable_message() -> str:
    return _(
        "This ID number cannot be registered here. Check it against the person's ID card; "
        "if it is right, ask the township office."
    )


def exhausted_message() -> str:
    return _(
        "Too many ID numbers were refused for your account today; new ID numbers can be entered "
        "again tomorrow, or by the township office."
    )


def too_many_message() -> str:
    """Names the cap, not the count: how many numbers of a file are held elsewhere is itself
    what an enumeration wants to learn."""
    return _(
        "More than %(max)d ID numbers in this file cannot be registered here; the file was refused as a whole. "
        "Ask the township office to check the file."
    ) % {"max": settings.REGISTER_ID_REFUSALS_PER_FILE}


def _day_start() -> datetime.datetime:
    today = timezone.localdate()
    return timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))


def refusals_left(user) -> int:
    """How many more refusals the user may run into today (0: exhausted)."""
    used = IdNumberRefusal.objects.filter(user=user, refused_at__gte=_day_start()).count()
    return max(settings.REGISTER_ID_REFUSALS_PER_DAY - used, 0)


def visible_holder_ids(user, holders) -> set[int]:
    """The ids among `holders` (residents) that `user` may see."""
    ids = [h.pk for h in holders]
    if user is None:
        return set(ids)
    return set(residents_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def judge(*, user, holder: Resident, digest: str, channel: str, visible: bool) -> Verdict:
    """The answer for one number already held by `holder` (someone other than the person edited)."""
    if visible:
        return Verdict(TAKEN, taken_message(holder))
    refusal = IdNumberRefusal(user=user, id_number_hash=digest, channel=channel, holder_township_id=holder.township_id)
    return Verdict(UNAVAILABLE, unavailable_message(), refusal)


def resident_id_check(*, user, digest: str, exclude_pk: int | None, channel: str) -> None:
    """Refuse `digest` for a resident created or edited by `user`, or return (the number is free).

    Raises ValidationError on ``id_number`` with one of the codes above; an out-of-scope holder's
    refusal rides on the error as ``id_refusals``.
    """
    holder = Resident.objects.select_related("household").filter(id_number_hash=digest)
    if exclude_pk:
        holder = holder.exclude(pk=exclude_pk)
    holder = holder.first()
    visible = holder is not None and bool(visible_holder_ids(user, [holder]))
    if user is not None and not visible and refusals_left(user) <= 0:
        raise ValidationError({"id_number": ValidationError(exhausted_message(), code=EXHAUSTED)})
    if holder is None:
        return
    verdict = judge(user=user, holder=holder, digest=digest, channel=channel, visible=visible)
    error = ValidationError({"id_number": ValidationError(verdict.message, code=verdict.code)})
    error.id_refusals = [verdict.refusal] if verdict.refusal else []
    raise error


def id_refusals_record(refusals: list[IdNumberRefusal]) -> None:
    """Write the refusals and tell each holder's township officials (who, how many; no number)."""
    from governance.models import Role
    from governance.scoping import users_holding
    from governance.services import notify_many

    refusals = [r for r in refusals if r.user_id is not None]
    if not refusals:
        return
    with transaction.atomic():
        IdNumberRefusal.objects.bulk_create(refusals)
        counts: dict[tuple, int] = {}
        for refusal in refusals:
            key = (refusal.holder_township_id, refusal.user_id, refusal.channel)
            counts[key] = counts.get(key, 0) + 1
        items = []
        for (township_id, user_id, channel), count in counts.items():
            if township_id is None:
                continue
            actor = next(r.user for r in refusals if r.user_id == user_id)
            title = _("ID numbers of your township's residents were refused to another account")
            body = _(
                "%(user)s entered %(count)d ID numbers registered in your township (channel: %(channel)s); "
                "they were refused and nothing was revealed. Check whether this was a move or a probe."
            ) % {
                "user": actor.get_full_name() or actor.get_username(),
                "count": count,
                "channel": channel,
            }
            for official in users_holding(
                {Role.TOWNSHIP_OFFICIAL, Role.TOWNSHIP_LEADER}, township_id=township_id
            ).exclude(pk=user_id):
                items.append((official, title, body, ""))
        notify_many(items)


@contextlib.contextmanager
def id_refusals_kept():
    """Around a call that may be refused inside a transaction: record its refusals after the rollback.

    Use it outside every atomic block of the request (around `idempotent` or `submit_once`).
    """
    try:
        yield
    except Exception as exc:
        id_refusals_record(getattr(exc, "id_refusals", None) or [])
        raise


class IdRefusals:
    """`id_refusals_kept` for a page whose helper (governance.forms.save_form) turns the
    service's error into form errors: `watching(perform)` notes the refusals the error
    carries, `record()`, called after the helper returned (the attempt rolled back), writes
    them."""

    def __init__(self):
        self.refusals: list[IdNumberRefusal] = []

    def watching(self, perform):
        def watched():
            try:
                return perform()
            except Exception as exc:
                self.refusals.extend(getattr(exc, "id_refusals", None) or [])
                raise

        return watched

    def record(self) -> None:
        refusals, self.refusals = self.refusals, []
        id_refusals_record(refusals)
