"""Extensions by approval (延期审批): more time on a matter only when the level above says so.

The handler (while handling) or the owner asks (`request_extension`: a later deadline or a
pause of the clock, with a reason); the level above, those who may verify or supervise the
matter, decides (`decide_extension`), never the handler or the requester. Only approved time
moves the deadline or stops the clock. One request waits at a time (Matter.pending_extension,
and a unique constraint as the last line), and at most MATTER_EXTENSION_LIMIT are approved
per matter; a later deadline moves it by at most MATTER_EXTENSION_MAX_DAYS calendar days
(信访: 30). Both effects run under the matter's row lock (petitions.workflow.matter_transition).
"""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.errors import Refused
from petitions import calendar, deadlines, workflow
from petitions.models import ExtensionRequest, Matter
from petitions.workflow import Change, MatterStateError, matter_transition


def _approved(matter: Matter) -> int:
    return ExtensionRequest.objects.filter(matter=matter, status=ExtensionRequest.Status.APPROVED).count()


def _check_limit(matter: Matter) -> None:
    if _approved(matter) >= settings.MATTER_EXTENSION_LIMIT:
        raise MatterStateError(
            _("This matter has had the extensions it may have (%(limit)d).")
            % {"limit": settings.MATTER_EXTENSION_LIMIT},
            code="extension_limit",
        )


def _check_deadline(matter: Matter, deadline: datetime.datetime) -> datetime.datetime:
    """A later deadline, at most MATTER_EXTENSION_MAX_DAYS after the current one, as the end of its day."""
    deadline = calendar.end_of_day(timezone.localtime(deadline).date())
    if matter.deadline is None or deadline <= matter.deadline:
        raise Refused(_("Ask for a deadline after the current one."), code="bad_deadline", field="deadline")
    latest = matter.deadline + datetime.timedelta(days=settings.MATTER_EXTENSION_MAX_DAYS)
    if deadline > latest:
        raise Refused(
            _("An extension adds at most %(days)d days to the deadline.")
            % {"days": settings.MATTER_EXTENSION_MAX_DAYS},
            code="bad_deadline",
            field="deadline",
        )
    return deadline


@workflow.effect("request_extension")
def _request_extension(matter: Matter, actor, *, reason: str, deadline=None, pause: bool = False) -> Change:
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Say why more time is needed."), code="required", field="reason")
    if matter.pending_extension_id:
        raise MatterStateError(_("An extension request already waits for a decision."), code="extension_pending")
    _check_limit(matter)
    if (deadline is None) == (not pause):
        raise Refused(
            _("Ask for either a later deadline or a pause of the clock."), code="bad_deadline", field="deadline"
        )
    if pause and matter.paused_at is not None:
        raise MatterStateError(_("The clock is already paused."), code="clock_paused")
    kind = ExtensionRequest.Kind.PAUSE if pause else ExtensionRequest.Kind.DEADLINE
    wanted = _check_deadline(matter, deadline) if deadline is not None else None
    request = ExtensionRequest.objects.create(
        matter=matter, kind=kind, deadline=wanted, reason=reason, requested_by=actor, requested_at=timezone.now()
    )
    matter.pending_extension = request
    payload = {
        "request": request.pk,
        "kind": kind,
        "deadline": wanted.isoformat() if wanted else None,
        "reason": reason,
    }
    return Change(payload, ["pending_extension", "updated_at"])


def matter_request_extension(
    *, matter: Matter, actor, reason: str, deadline: datetime.datetime | None = None, pause: bool = False
) -> ExtensionRequest:
    """Ask the level above for a later deadline or a pause, with a reason."""
    _matter, event = matter_transition(
        matter=matter, actor=actor, action="request_extension", reason=reason, deadline=deadline, pause=pause
    )
    return ExtensionRequest.objects.get(pk=event.payload["request"])


def _apply(matter: Matter, request: ExtensionRequest, now: datetime.datetime) -> list[str]:
    """Approved time: the new deadline (warnings afresh), or the clock stopped."""
    if request.kind == ExtensionRequest.Kind.PAUSE:
        if matter.paused_at is not None:
            return []
        matter.paused_at, matter.pause_reason = now, request.reason[:200]
        return ["paused_at", "pause_reason"]
    matter.deadline = request.deadline
    start = matter.clock_started_at or now
    matter.warn_at = start + (matter.deadline - start) * 0.8
    return ["deadline", "warn_at", *deadlines.reset_flags(matter, now)]


def _check_still_later(matter: Matter, request: ExtensionRequest) -> None:
    """An approved deadline only ever gives more time: the matter's deadline may have moved
    since the request (assigned with a later one, a resumed pause), and the stale request
    would then shorten it."""
    if request.kind != ExtensionRequest.Kind.DEADLINE:
        return
    if matter.deadline is not None and request.deadline <= matter.deadline:
        raise MatterStateError(
            _("The deadline has moved past the one asked for since the request: refuse it, and ask again if needed."),
            code="extension_stale",
        )


@workflow.effect("decide_extension")
def _decide_extension(matter: Matter, actor, *, approve: bool, reason: str) -> Change:
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Give the reasons for the decision."), code="required", field="reason")
    request = ExtensionRequest.objects.select_related("requested_by").get(pk=matter.pending_extension_id)
    if approve:
        _check_limit(matter)
        _check_still_later(matter, request)
    now = timezone.now()
    request.status = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.REFUSED
    request.decided_by, request.decided_at, request.decision_reason = actor, now, reason
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    matter.pending_extension = None
    fields = ["pending_extension", "updated_at", *(_apply(matter, request, now) if approve else [])]
    payload = {"request": request.pk, "kind": request.kind, "approved": approve, "reason": reason}
    if approve and matter.deadline:
        payload["deadline"] = matter.deadline.isoformat()
    return Change(payload, fields, {"requester": [request.requested_by]})


def matter_decide_extension(*, matter: Matter, actor, approve: bool, reason: str) -> ExtensionRequest:
    """The level above approves or refuses the waiting extension request."""
    _matter, event = matter_transition(
        matter=matter, actor=actor, action="decide_extension", approve=approve, reason=reason
    )
    return ExtensionRequest.objects.get(pk=event.payload["request"])
