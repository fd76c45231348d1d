"""Every write to a matter. One service per action, one transaction, one MatterEvent.

Each action locks the matter row (select_for_update), checks the actor and then the state
(petitions.workflow: 403 before 409), validates its payload (ValidationError: 400), writes
the event, saves with update_fields, and notifies the next actor after commit.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from governance.models import Department, Role
from governance.roles import GRID_ROLES
from governance.scoping import users_holding
from governance.services import notify
from grids.idnumbers import validate_phone
from grids.models import Grid, Household, Resident, Village
from petitions import calendar, deadlines, workflow
from petitions.models import (
    Deliberation,
    Kind,
    Matter,
    MatterCategory,
    MatterEvent,
    Rating,
    Source,
    State,
)

SUBMITTER = "submitter"


def _record(matter: Matter, *, actor, action: str, from_state: str, payload: dict | None = None) -> MatterEvent:
    return MatterEvent.objects.create(
        matter=matter,
        actor=actor,
        actor_label="" if actor else SUBMITTER,
        action=action,
        from_state=from_state,
        to_state=matter.state,
        payload=payload or {},
    )


def _locked(matter: Matter) -> Matter:
    return Matter.objects.select_for_update().get(pk=matter.pk)


def _link(matter: Matter) -> str:
    return f"/matters/{matter.pk}/"


def _tell(users, matter: Matter, title: str, body: str = "") -> None:
    for user in users:
        notify(user=user, title=title, body=body or matter.title, url=_link(matter))


def _owners(matter: Matter):
    """The people who act next for the matter's kind (for notifications)."""
    if matter.kind == Kind.CIVIL and matter.grid_id:
        return users_holding(GRID_ROLES, grid_id=matter.grid_id)
    if matter.kind == Kind.GOVERNMENT:
        return users_holding({Role.TOWNSHIP_OFFICIAL}, township_id=matter.township_id)
    return users_holding({Role.VILLAGE_CADRE}, village_id=matter.village_id)


def _classifiers(matter: Matter):
    cadres = users_holding({Role.VILLAGE_CADRE}, village_id=matter.village_id)
    if not matter.grid_id:
        return cadres
    return cadres | users_holding({Role.GRID_LEADER}, grid_id=matter.grid_id)


def _check_category(category: MatterCategory | None) -> None:
    if category is not None and not category.is_active:
        raise ValidationError({"category": _("This category is no longer in use.")})


def _check_text(field: str, value: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


# ---------------------------------------------------------------- 提: intake


@transaction.atomic
def matter_submit(
    *,
    actor,
    title: str,
    description: str,
    grid: Grid,
    source: str,
    submitter_name: str,
    submitter_phone: str = "",
    household: Household | None = None,
    category: MatterCategory | None = None,
    on_behalf: bool = False,
) -> Matter:
    """Staff record a matter (found on a visit, at the office, by phone), possibly on a
    resident's behalf (代办). The village's classifiers are told."""
    if household is not None and household.grid_id != grid.pk:
        raise ValidationError({"household": _("This household is not in the chosen grid.")})
    if source == Source.PUBLIC_FORM:
        raise ValidationError({"source": _("Matters from the public form come in through the public form.")})
    _check_category(category)
    matter = Matter.objects.create(
        township_id=grid.township_id,
        village_id=grid.village_id,
        grid=grid,
        household=household,
        title=_check_text("title", title, _("Give the matter a short title.")),
        description=_check_text("description", description, _("Describe the matter.")),
        category=category,
        source=source,
        submitter_name=_check_text("submitter_name", submitter_name, _("Who raised it?")),
        submitter_phone=validate_phone(submitter_phone),
        on_behalf=on_behalf,
        created_by=actor,
    )
    _record(matter, actor=actor, action="submit", from_state="", payload={"source": source, "on_behalf": on_behalf})
    _tell(_classifiers(matter), matter, _("New matter to classify: %(title)s") % {"title": matter.title})
    return matter


@transaction.atomic
def matter_submit_public(
    *,
    title: str,
    description: str,
    village: Village,
    submitter_name: str,
    submitter_phone: str,
    grid: Grid | None = None,
) -> Matter:
    """A resident submits through the public form; the tracking code is their key to it."""
    if grid is not None and grid.village_id != village.pk:
        raise ValidationError({"grid": _("This grid is not in the chosen village.")})
    phone = validate_phone(submitter_phone)
    if not phone:
        raise ValidationError({"submitter_phone": _("Leave a mobile number so the village can reach you.")})
    matter = Matter.objects.create(
        township_id=village.township_id,
        village=village,
        grid=grid,
        title=_check_text("title", title, _("Give the matter a short title.")),
        description=_check_text("description", description, _("Describe the matter.")),
        source=Source.PUBLIC_FORM,
        submitter_name=_check_text("submitter_name", submitter_name, _("Tell us your name.")),
        submitter_phone=phone,
    )
    _record(matter, actor=None, action="submit", from_state="", payload={"source": Source.PUBLIC_FORM})
    _tell(_classifiers(matter), matter, _("New matter from the public form: %(title)s") % {"title": matter.title})
    return matter


def possible_duplicates(matter: Matter, category: MatterCategory | None = None):
    """Open matters of the same category in the same grid (offered at intake and classification)."""
    category = category or matter.category
    if category is None:
        return Matter.objects.none()
    rows = Matter.objects.filter(category=category, state__in=list(workflow.OPEN_STATES)).exclude(pk=matter.pk)
    rows = rows.filter(grid_id=matter.grid_id) if matter.grid_id else rows.filter(village_id=matter.village_id)
    return rows.order_by("-id")[:10]


# ---------------------------------------------------------------- 分: classification


@transaction.atomic
def matter_classify(*, matter: Matter, actor, kind: str, category: MatterCategory) -> Matter:
    """三事分流: set the kind and category; the owner for that kind is told."""
    matter = _locked(matter)
    workflow.check(actor, "classify", matter)
    _check_category(category)
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Choose civil, village or government.")})
    before = matter.state
    matter.kind, matter.category, matter.state = kind, category, State.CLASSIFIED
    clock = deadlines.start_clock(matter)
    matter.save(update_fields=["kind", "category", "state", "updated_at", *clock])
    payload = {"kind": kind, "category": category.code, "deadline": matter.deadline.isoformat()}
    _record(matter, actor=actor, action="classify", from_state=before, payload=payload)
    _tell(_owners(matter), matter, _("A matter is yours to deliberate: %(title)s") % {"title": matter.title})
    return matter


@transaction.atomic
def matter_reclassify(*, matter: Matter, actor, kind: str, category: MatterCategory, reason: str) -> Matter:
    """Re-route (e.g. the township returns a 政事 to the village): back to classified under
    the new kind, with a reason; the new owner is told."""
    matter = _locked(matter)
    workflow.check(actor, "reclassify", matter)
    _check_category(category)
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Choose civil, village or government.")})
    reason = _check_text("reason", reason, _("Say why the matter is re-routed."))
    if kind == matter.kind and category.pk == matter.category_id:
        raise ValidationError({"kind": _("Choose another kind or category.")})
    before = matter.state
    payload = {"from_kind": matter.kind, "kind": kind, "category": category.code, "reason": reason}
    matter.kind, matter.category, matter.state = kind, category, State.CLASSIFIED
    # The same start, the new kind's time limit: the resident's wait keeps counting.
    clock = deadlines.start_clock(matter) + deadlines.reset_flags(matter, timezone.now())
    payload["deadline"] = matter.deadline.isoformat()
    matter.save(update_fields=["kind", "category", "state", "updated_at", *clock])
    _record(matter, actor=actor, action="reclassify", from_state=before, payload=payload)
    _tell(_owners(matter), matter, _("A matter was re-routed to you: %(title)s") % {"title": matter.title}, reason)
    return matter


@transaction.atomic
def matter_reject(*, matter: Matter, actor, reason: str, duplicate_of: Matter | None = None) -> Matter:
    """Close without handling: not a matter for us, or a duplicate of another open one."""
    matter = _locked(matter)
    workflow.check(actor, "reject", matter)
    reason = _check_text("reason", reason, _("Say why the matter is rejected."))
    if duplicate_of is not None and (duplicate_of.pk == matter.pk or duplicate_of.village_id != matter.village_id):
        raise ValidationError({"duplicate_of": _("Choose another matter of the same village.")})
    before = matter.state
    matter.state, matter.reject_reason, matter.duplicate_of = State.REJECTED, reason, duplicate_of
    matter.closed_at = timezone.now()
    matter.save(update_fields=["state", "reject_reason", "duplicate_of", "closed_at", "updated_at"])
    payload = {"reason": reason, "duplicate_of": duplicate_of.pk if duplicate_of else None}
    _record(matter, actor=actor, action="reject", from_state=before, payload=payload)
    if matter.created_by_id and matter.created_by_id != actor.pk:
        _tell(
            [matter.created_by],
            matter,
            _("A matter you recorded was rejected: %(title)s") % {"title": matter.title},
            reason,
        )
    return matter


@transaction.atomic
def matter_withdraw(*, matter: Matter, actor, reason: str = "") -> Matter:
    """The submitter (by tracking code: actor None) or staff withdraw it before handling."""
    matter = _locked(matter)
    workflow.check(actor, "withdraw", matter)
    before = matter.state
    matter.state, matter.closed_at = State.WITHDRAWN, timezone.now()
    matter.save(update_fields=["state", "closed_at", "updated_at"])
    _record(matter, actor=actor, action="withdraw", from_state=before, payload={"reason": (reason or "").strip()})
    return matter


# ---------------------------------------------------------------- 议: deliberation


VILLAGE_STEPS = {
    1: _("collect the proposal"),
    2: _("the party branch proposes (村党组织提议)"),
    3: _("the village committees discuss (两委会商议)"),
    4: _("the party members' meeting reviews (党员大会审议)"),
    5: _("the villagers' vote"),
    6: _("publish the resolution (决议公开)"),
}


def vote_outcome(*, body: str, entitled: int, present: int, in_favour: int) -> tuple[bool, bool]:
    """(quorum met, carried) for a 村事 vote.

    村民会议: more than half of the adult villagers present, or (households basis) two thirds of
    the households' representatives; 村民代表会议: two thirds of the representatives. Carried by
    more than half of those present, and only with a quorum.
    """
    if body == Deliberation.Body.VILLAGERS_MEETING:
        quorum = present * 2 > entitled
    elif body in (Deliberation.Body.HOUSEHOLDS_MEETING, Deliberation.Body.REPRESENTATIVES_MEETING):
        quorum = present * 3 >= entitled * 2
    else:
        raise ValidationError({"body": _("Choose the villagers' meeting or the representatives' meeting.")})
    return quorum, quorum and in_favour * 2 > present


def _steps_done(matter: Matter) -> dict[int, Deliberation]:
    """The latest record of each 七步走 step."""
    steps = {}
    for record in matter.deliberations.filter(kind=Deliberation.Kind.STEP).order_by("held_on", "id"):
        steps[record.step] = record
    return steps


def _validate_vote(data: dict) -> dict:
    counts = {}
    for field in ("entitled", "present", "in_favour", "against", "abstain"):
        value = data.get(field)
        if value is None or not isinstance(value, int) or value < 0:
            raise ValidationError({field: _("Give a whole number, zero or more.")})
        counts[field] = value
    if counts["entitled"] == 0:
        raise ValidationError({"entitled": _("Nobody is entitled to vote?")})
    if counts["present"] > counts["entitled"]:
        raise ValidationError({"present": _("More people present than entitled to attend.")})
    if counts["in_favour"] + counts["against"] + counts["abstain"] > counts["present"]:
        raise ValidationError({"in_favour": _("More votes than people present.")})
    return counts


def deliberation_complete(matter: Matter) -> bool:
    """Whether 议 is done for the matter's kind (so that it may be handled)."""
    records = matter.deliberations.all()
    if matter.kind == Kind.CIVIL:
        return records.filter(kind__in=[Deliberation.Kind.MEETING, Deliberation.Kind.MEDIATION]).exists()
    if matter.kind == Kind.GOVERNMENT:
        return records.filter(kind=Deliberation.Kind.REVIEW).exists()
    steps = _steps_done(matter)
    return all(n in steps for n in range(1, 7)) and bool(steps[5].carried)


@transaction.atomic
def matter_deliberate(
    *,
    matter: Matter,
    actor,
    kind: str,
    held_on: datetime.date,
    summary: str,
    attendees: list[str] | None = None,
    participants: list[Resident] | None = None,
    parties: list[str] | None = None,
    facts: str = "",
    agreed_terms: str = "",
    signed_by: list[str] | None = None,
    step: int | None = None,
    body: str = "",
    entitled: int | None = None,
    present: int | None = None,
    in_favour: int | None = None,
    against: int | None = None,
    abstain: int | None = None,
) -> Deliberation:
    """Add a deliberation record: a 院坝会 or a mediation (民事), a 七步走 step in order, with
    the vote at step 5 (村事), or the township's review that accepts a 政事."""
    matter = _locked(matter)
    workflow.check(actor, "deliberate", matter)
    summary = _check_text("summary", summary, _("Write the minutes: what was discussed and decided."))
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("A meeting cannot be held in the future.")})
    allowed = {
        Kind.CIVIL: {Deliberation.Kind.MEETING, Deliberation.Kind.MEDIATION},
        Kind.VILLAGE: {Deliberation.Kind.STEP, Deliberation.Kind.MEETING},
        Kind.GOVERNMENT: {Deliberation.Kind.REVIEW},
    }[matter.kind]
    if kind not in allowed:
        raise ValidationError({"kind": _("This kind of record does not belong to this kind of matter.")})
    record = Deliberation(
        matter=matter,
        kind=kind,
        held_on=held_on,
        summary=summary,
        attendees=[a.strip() for a in (attendees or []) if a.strip()],
        recorded_by=actor,
    )
    if kind == Deliberation.Kind.MEDIATION:
        record.parties = [p.strip() for p in (parties or []) if p.strip()]
        if len(record.parties) < 2:
            raise ValidationError({"parties": _("A mediation has at least two parties.")})
        record.facts = (facts or "").strip()
        record.agreed_terms = _check_text("agreed_terms", agreed_terms, _("Write down what the parties agreed."))
        record.signed_by = [s.strip() for s in (signed_by or []) if s.strip()]
    if kind == Deliberation.Kind.STEP:
        if step not in VILLAGE_STEPS:
            raise ValidationError({"step": _("Choose a step from 1 to 6.")})
        done = _steps_done(matter)
        missing = [n for n in range(1, step) if n not in done]
        if missing:
            raise ValidationError({"step": _("Record step %(step)d first.") % {"step": missing[0]}})
        if step == 6 and not done[5].carried:
            raise ValidationError({"step": _("The resolution can only be published after a vote has carried.")})
        if step < 5 and step in done and 5 in done:
            raise ValidationError({"step": _("The vote has been held; earlier steps cannot be recorded again.")})
        record.step = step
        if step == 5:
            counts = _validate_vote(
                {
                    "entitled": entitled,
                    "present": present,
                    "in_favour": in_favour,
                    "against": against,
                    "abstain": abstain,
                }
            )
            if body not in Deliberation.Body.values:
                raise ValidationError({"body": _("Choose the villagers' meeting or the representatives' meeting.")})
            record.body = body
            for field, value in counts.items():
                setattr(record, field, value)
            record.quorum_met, record.carried = vote_outcome(
                body=body, entitled=counts["entitled"], present=counts["present"], in_favour=counts["in_favour"]
            )
    record.save()
    if participants:
        wrong = [r for r in participants if r.village_id != matter.village_id]
        if wrong:
            raise ValidationError({"participants": _("Participants must be residents of the matter's village.")})
        record.participants.set(participants)
    before = matter.state
    matter.state = State.DELIBERATING
    matter.save(update_fields=["state", "updated_at"])
    payload = {"record": record.pk, "kind": kind}
    if record.step:
        payload["step"] = record.step
    if record.step == 5:
        payload.update(quorum_met=record.quorum_met, carried=record.carried)
    _record(matter, actor=actor, action="deliberate", from_state=before, payload=payload)
    return record


# ---------------------------------------------------------------- 办 and 督: handling and verification


@transaction.atomic
def matter_handle(
    *,
    matter: Matter,
    actor,
    handler=None,
    department: Department | None = None,
    deadline: datetime.datetime | None = None,
) -> Matter:
    """Assign the matter to a person or (政事) a township department, once deliberation is
    complete. A department's group gets the permission to report on this one matter."""
    matter = _locked(matter)
    workflow.check(actor, "handle", matter)
    if (handler is None) == (department is None):
        raise ValidationError({"handler": _("Choose either a handler or a department.")})
    if department is not None and (matter.kind != Kind.GOVERNMENT or department.township_id != matter.township_id):
        raise ValidationError({"department": _("Only a government matter goes to a department of its township.")})
    if handler is not None and not handler.is_active:
        raise ValidationError({"handler": _("This account is not active.")})
    if deadline is not None and deadline <= timezone.now():
        raise ValidationError({"deadline": _("The deadline must be in the future.")})
    if not deliberation_complete(matter):
        message = {
            Kind.CIVIL: _("Hold a consultation meeting or a mediation first."),
            Kind.VILLAGE: _("Complete steps 1 to 6, with a vote that carried, first."),
            Kind.GOVERNMENT: _("The township must review and accept the matter first."),
        }[matter.kind]
        raise workflow.MatterStateError(message, code="deliberation_incomplete")
    before = matter.state
    matter.state, matter.handler, matter.department, matter.assigned_by = State.HANDLING, handler, department, actor
    clock = deadlines.set_deadline(matter, deadline) + deadlines.reset_flags(matter, timezone.now()) if deadline else []
    matter.save(update_fields=["state", "handler", "department", "assigned_by", "updated_at", *clock])
    deadline = matter.deadline
    if department is not None:
        assign_perm("petitions.handle_matter", department.group, matter)
        assign_perm("petitions.view_matter", department.group, matter)
    payload = {
        "handler": handler.pk if handler else None,
        "department": department.pk if department else None,
        "deadline": deadline.isoformat() if deadline else None,
    }
    _record(matter, actor=actor, action="handle", from_state=before, payload=payload)
    people = [handler] if handler else users_holding({Role.DEPARTMENT_HANDLER}, department_id=department.pk)
    _tell(people, matter, _("A matter to handle: %(title)s") % {"title": matter.title})
    return matter


@transaction.atomic
def matter_report(*, matter: Matter, actor, result: str) -> Matter:
    """The handler reports the result (for a 村事: step 7, the published outcome)."""
    matter = _locked(matter)
    workflow.check(actor, "report", matter)
    result = _check_text("result", result, _("Describe what was done."))
    before = matter.state
    matter.state, matter.result, matter.reported_by = State.VERIFYING, result, actor
    matter.save(update_fields=["state", "result", "reported_by", "updated_at"])
    payload = {"result": result}
    if matter.kind == Kind.VILLAGE:
        payload["step"] = 7
    _record(matter, actor=actor, action="report", from_state=before, payload=payload)
    if matter.kind == Kind.CIVIL:
        verifiers = users_holding({Role.VILLAGE_CADRE}, village_id=matter.village_id)
    else:
        verifiers = users_holding({Role.TOWNSHIP_OFFICIAL}, township_id=matter.township_id)
    _tell(
        [u for u in verifiers if u.pk != actor.pk], matter, _("A result to verify: %(title)s") % {"title": matter.title}
    )
    return matter


@transaction.atomic
def matter_verify(*, matter: Matter, actor, passed: bool, note: str = "") -> Matter:
    """督: someone other than the handler checks the result; a failed check returns it to handling."""
    matter = _locked(matter)
    workflow.check(actor, "verify", matter)
    if not passed:
        note = _check_text("note", note, _("Say what is still wrong."))
    before = matter.state
    matter.state = State.EVALUATING if passed else State.HANDLING
    matter.evaluation_opened_at = timezone.now() if passed else None
    matter.save(update_fields=["state", "evaluation_opened_at", "updated_at"])
    _record(matter, actor=actor, action="verify", from_state=before, payload={"passed": passed, "note": note})
    if not passed:
        people = (
            [matter.handler]
            if matter.handler_id
            else users_holding({Role.DEPARTMENT_HANDLER}, department_id=matter.department_id)
        )
        _tell(people, matter, _("The result was not accepted: %(title)s") % {"title": matter.title}, note)
    elif matter.created_by_id:
        _tell([matter.created_by], matter, _("Ask the resident for an evaluation: %(title)s") % {"title": matter.title})
    return matter


# ---------------------------------------------------------------- 评: evaluation


@transaction.atomic
def matter_evaluate(*, matter: Matter, actor, rating: str, comment: str = "") -> Matter:
    """评: the submitter (actor None, by tracking code) or staff on a return visit (回访) record
    the resident's rating. Unsatisfied reopens handling and is counted."""
    matter = _locked(matter)
    workflow.check(actor, "evaluate", matter)
    if rating not in Rating.values:
        raise ValidationError({"rating": _("Choose satisfied, basically satisfied or unsatisfied.")})
    comment = (comment or "").strip()
    if rating == Rating.UNSATISFIED and not comment:
        raise ValidationError({"comment": _("Tell us what is still not right.")})
    before = matter.state
    matter.rating, matter.evaluation_comment = rating, comment
    fields = ["rating", "evaluation_comment", "state", "updated_at"]
    escalated = False
    if rating == Rating.UNSATISFIED:
        # Reopened: handling again, on a fresh clock of the same time limit.
        matter.state = State.HANDLING
        matter.reopen_count += 1
        matter.clock_started_at = None
        fields += ["reopen_count", *deadlines.start_clock(matter), *deadlines.reset_flags(matter, timezone.now())]
        if matter.reopen_count > settings.MATTER_REOPEN_LIMIT and matter.escalation_level < 2:
            matter.escalation_level, escalated = 2, True
            fields.append("escalation_level")
    else:
        matter.state, matter.closed_at = State.CLOSED, timezone.now()
        fields.append("closed_at")
    matter.save(update_fields=fields)
    payload = {"rating": rating, "comment": comment, "by": "staff" if actor else SUBMITTER}
    _record(matter, actor=actor, action="evaluate", from_state=before, payload=payload)
    if escalated:
        MatterEvent.objects.create(
            matter=matter,
            actor=None,
            actor_label=deadlines.SYSTEM,
            action="escalate",
            from_state=matter.state,
            to_state=matter.state,
            payload={"level": 2, "reason": "reopen_limit", "reopened": matter.reopen_count},
        )
        _tell(
            deadlines.supervisors_at(matter, 2),
            matter,
            _("Reopened %(count)d times, now supervised by the township: %(title)s")
            % {"count": matter.reopen_count, "title": matter.title},
            comment,
        )
    if rating == Rating.UNSATISFIED:
        people = (
            [matter.handler]
            if matter.handler_id
            else users_holding({Role.DEPARTMENT_HANDLER}, department_id=matter.department_id)
        )
        _tell(
            people,
            matter,
            _("The resident is not satisfied; the matter is reopened: %(title)s") % {"title": matter.title},
            comment,
        )
    return matter


@transaction.atomic
def matter_supervise(*, matter: Matter, actor, note: str) -> MatterEvent:
    """督办: a note from above the owner; the state does not change. The next actor is told."""
    matter = _locked(matter)
    workflow.check(actor, "supervise", matter)
    note = _check_text("note", note, _("Write the supervision note."))
    event = _record(matter, actor=actor, action="supervise", from_state=matter.state, payload={"note": note})
    if matter.state in (State.HANDLING,):
        people = (
            [matter.handler]
            if matter.handler_id
            else users_holding({Role.DEPARTMENT_HANDLER}, department_id=matter.department_id)
        )
    elif matter.state == State.SUBMITTED:
        people = _classifiers(matter)
    else:
        people = _owners(matter)
    _tell(people, matter, _("Supervision note (督办): %(title)s") % {"title": matter.title}, note)
    return event


@transaction.atomic
def matter_grant(*, matter: Matter, actor, user, permission: str = "view_matter") -> None:
    """A one-off grant to someone outside the hierarchy (a 公益律师团 lawyer on a mediation)."""
    matter = _locked(matter)
    if not workflow.may(actor, "deliberate", matter):
        raise workflow.MatterPermissionError(_("Only the matter's owner may grant access to it."))
    if not matter.is_open:
        raise workflow.MatterStateError(_("The matter is closed."))
    if permission not in ("view_matter", "handle_matter"):
        raise ValidationError({"permission": _("Unknown permission.")})
    assign_perm(f"petitions.{permission}", user, matter)
    _record(
        matter,
        actor=actor,
        action="grant",
        from_state=matter.state,
        payload={"user": user.pk, "permission": permission},
    )


@transaction.atomic
def matter_pause(*, matter: Matter, actor, reason: str) -> Matter:
    """Stop the clock while waiting for the resident (materials, a site visit), on the record."""
    matter = _locked(matter)
    if not (workflow.may(actor, "deliberate", matter) or workflow.is_handler(actor, matter)):
        raise workflow.MatterPermissionError(_("Only the owner or the handler may pause the clock."))
    if matter.state not in deadlines.CLOCK_STATES or matter.deadline is None or matter.paused_at is not None:
        raise workflow.MatterStateError(_("The clock is not running."))
    reason = _check_text("reason", reason, _("Say what you are waiting for."))
    matter.paused_at, matter.pause_reason = timezone.now(), reason
    matter.save(update_fields=["paused_at", "pause_reason", "updated_at"])
    _record(matter, actor=actor, action="pause", from_state=matter.state, payload={"reason": reason})
    return matter


@transaction.atomic
def matter_resume(*, matter: Matter, actor, now: datetime.datetime | None = None) -> Matter:
    """Restart the clock; the deadline moves by the working days the pause lasted."""
    matter = _locked(matter)
    if not (workflow.may(actor, "deliberate", matter) or workflow.is_handler(actor, matter)):
        raise workflow.MatterPermissionError(_("Only the owner or the handler may resume the clock."))
    if matter.paused_at is None:
        raise workflow.MatterStateError(_("The clock is not paused."))
    now = now or timezone.now()
    lost = calendar.working_days_between(timezone.localtime(matter.paused_at).date(), timezone.localtime(now).date())
    payload = {"paused_at": matter.paused_at.isoformat(), "working_days": lost}
    if lost:
        matter.deadline = calendar.end_of_day(
            calendar.add_working_days(timezone.localtime(matter.deadline).date(), lost)
        )
        matter.warn_at = matter.warn_at + (now - matter.paused_at) if matter.warn_at else None
    matter.paused_at, matter.pause_reason = None, ""
    fields = ["paused_at", "pause_reason", "deadline", "warn_at", "updated_at", *deadlines.reset_flags(matter, now)]
    matter.save(update_fields=fields)
    payload["deadline"] = matter.deadline.isoformat()
    _record(matter, actor=actor, action="resume", from_state=matter.state, payload=payload)
    return matter
