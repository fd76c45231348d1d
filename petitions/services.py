"""Every write to a matter. One transaction and one MatterEvent per action.

Creating a matter (matter_submit, matter_submit_public) is here in full. Every action on a
matter goes through petitions.workflow.matter_transition: it locks the row, checks the actor
and then the state (403 before 409), runs the action's effect below (which validates its
payload, ValidationError: 400, and changes the matter's fields), sets the state, writes the
event and tells the next actor (inbox now, e-mail after commit).
"""

import datetime

from django.conf import settings
from django.contrib.postgres.search import TrigramWordSimilarity
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, Case, F, FloatField, Q, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.shortcuts import assign_perm

from governance.errors import Conflict
from governance.models import Department, Role
from governance.scoping import scope_for
from grids.idnumbers import validate_phone
from grids.models import Grid, Household, HouseholdMove, Resident, Village
from grids.services import place_in_use
from petitions import calendar, deadlines, extensions, procedure, resident_sms, workflow
from petitions.models import (
    Approval,
    ClockLimit,
    CompactStatus,
    CompactVersion,
    DecisionRule,
    Deliberation,
    EvaluationMethod,
    ExtensionRequest,
    Kind,
    Matter,
    MatterCategory,
    MatterEvent,
    MatterGroupObjectPermission,
    Rating,
    RepresentativesAuthorisation,
    Source,
)
from petitions.queue import queue_changed
from petitions.selectors import handler_candidates
from petitions.workflow import Change, matter_transition

SUBMITTER = workflow.SUBMITTER
# The extensions' services (their effects register with the workflow on import).
matter_request_extension = extensions.matter_request_extension
matter_decide_extension = extensions.matter_decide_extension
# Kept for callers: the rules of 议 live in petitions.procedure.
vote_outcome = procedure.vote_outcome
VILLAGE_STEPS = procedure.VILLAGE_STEPS


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


def _check_category(category: MatterCategory | None) -> None:
    if category is not None and not category.is_active:
        raise ValidationError({"category": _("This category is no longer in use.")})


def _check_text(field: str, value: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


# ---------------------------------------------------------------- 受理: acceptance


def _village_acceptance() -> dict:
    """A new matter's acceptance clock: the village classifies or rejects it by accept_by."""
    matter = Matter()
    return {f: getattr(matter, f) for f in deadlines.start_acceptance(matter, ClockLimit.Clock.VILLAGE_ACCEPTANCE)}


def _acceptor(actor, matter: Matter, level: str) -> tuple[str, str]:
    """(place, role) of who accepted, for the public: a place and a role, never a name."""
    scope = scope_for(actor)
    if level == "township":
        role = Role.TOWNSHIP_OFFICIAL if scope.covers(matter, {Role.TOWNSHIP_OFFICIAL}) else ""
        return matter.township.name, role
    if matter.grid_id and not scope.covers(matter, {Role.VILLAGE_CADRE}) and scope.covers(matter, {Role.GRID_LEADER}):
        return f"{matter.village.name}{matter.grid.name}", Role.GRID_LEADER
    return matter.village.name, Role.VILLAGE_CADRE if scope.covers(matter, {Role.VILLAGE_CADRE}) else ""


def _accept(matter: Matter, actor, level: str, payload: dict) -> list[str]:
    """Record the acceptance (受理告知) in the event's payload and stop its clock."""
    place, role = _acceptor(actor, matter, level)
    deadline = matter.deadline.isoformat() if matter.deadline else None
    payload["accepted"] = {"level": level, "place": place, "role": role, "deadline": deadline}
    return deadlines.end_acceptance(matter)


def _route_acceptance(matter: Matter, was_government: bool) -> list[str]:
    """A matter routed to the township (政事) waits for its acceptance there; routed away
    from it, nothing waits."""
    if matter.kind == Kind.GOVERNMENT and not was_government:
        return deadlines.start_acceptance(matter, ClockLimit.Clock.TOWNSHIP_ACCEPTANCE)
    if matter.kind != Kind.GOVERNMENT:
        return deadlines.end_acceptance(matter)
    return []


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
    grid = place_in_use(grid)
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
        **_village_acceptance(),
    )
    _record(matter, actor=actor, action="submit", from_state="", payload={"source": source, "on_behalf": on_behalf})
    workflow.tell(
        workflow.classifiers_of(matter),
        matter,
        _("New matter to classify: %(title)s") % {"title": matter.title},
        action="submit",
    )
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
    sms_consent: str = "",
) -> Matter:
    """A resident submits through the public form; the tracking code is their key to it.
    `sms_consent`: the wording of the SMS updates' checkbox as the resident was shown it, when
    they ticked it (empty: no SMS, ever)."""
    if grid is not None and grid.village_id != village.pk:
        raise ValidationError({"grid": _("This grid is not in the chosen village.")})
    if grid is not None:
        grid = place_in_use(grid)
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
        **_village_acceptance(),
    )
    _record(matter, actor=None, action="submit", from_state="", payload={"source": Source.PUBLIC_FORM})
    if sms_consent:
        resident_sms.sms_subscribe(matter=matter, phone=phone, wording=sms_consent)
    workflow.tell(
        workflow.classifiers_of(matter),
        matter,
        _("New matter from the public form: %(title)s") % {"title": matter.title},
        action="submit",
    )
    return matter


# Duplicates are suggested, never enforced: a few open matters of the village whose words
# resemble the new one's. pg_trgm's word_similarity both ways (the new title within an open
# matter's title and description, and its title within the new text) catches a short title
# ("路灯又坏了") restated in a longer text. Measured on Chinese titles: a shared phrase scores
# 0.3 to 1, unrelated texts 0, a shared first word alone (三组…, 申请…) about 0.3 to 0.4, so the
# threshold lets the same category (a bonus) bring in a weaker likeness.
# pg_trgm splits Chinese into character trigrams only when the database's LC_CTYPE classifies
# CJK as letters (C.UTF-8, zh_CN.UTF-8 and en_US.UTF-8 do; plain "C" does not, and every score
# is then 0): the query asks the database itself and, where it cannot, keeps the old rule.
DUPLICATE_THRESHOLD = 0.3
DUPLICATE_CATEGORY_BONUS = 0.1
DUPLICATES_SHOWN = 5
_DUPLICATE_TEXT = 300  # characters of the new description compared (a probe may come from a URL)


def possible_duplicates(matter: Matter, category: MatterCategory | None = None, *, among=None) -> list[Matter]:
    """Open matters that may be the same as `matter` (offered at intake and classification),
    most alike first, at most DUPLICATES_SHOWN, each with `similarity` (0 to 1; None where it
    is not measured). `among`: the matters the caller sees (default: all). One query.

    On PostgreSQL: open matters of the same village whose title and description resemble the
    new one's (pg_trgm), the same category a bonus, the same grid first among equals.
    Elsewhere (SQLite, the embedded default) the old rule: the same category in the same grid."""
    category = category or matter.category
    rows = (Matter.objects.all() if among is None else among).filter(state__in=list(workflow.OPEN_STATES))
    rows = rows.exclude(pk=matter.pk) if matter.pk else rows
    old_rule = Q(category=category) & (Q(grid_id=matter.grid_id) if matter.grid_id else Q(village_id=matter.village_id))
    if connection.vendor == "postgresql":
        return list(_similar_matters(rows, matter, category, old_rule))
    if category is None:
        return []
    found = list(rows.filter(old_rule).order_by("-id")[:DUPLICATES_SHOWN])
    for row in found:
        row.similarity = None
    return found


def _similar_matters(rows, matter, category, old_rule):
    title = " ".join(matter.title.split())
    new_text = " ".join(f"{matter.title} {matter.description[:_DUPLICATE_TEXT]}".split())
    text = Concat("title", Value(" "), "description", output_field=TextField())
    score = Greatest(
        TrigramWordSimilarity(title, text),
        TrigramWordSimilarity(F("title"), Value(new_text)),
        output_field=FloatField(),
    )
    rank = score
    if category is not None:
        rank = score + Case(When(category_id=category.pk, then=Value(DUPLICATE_CATEGORY_BONUS)), default=Value(0.0))
    same_grid = Case(When(grid_id=matter.grid_id, then=Value(0)), default=Value(1)) if matter.grid_id else Value(0)
    # A constant the planner folds: whether pg_trgm makes trigrams of Chinese here.
    splits_cjk = RawSQL("cardinality(show_trgm(%s)) > 0", ["村治"], output_field=BooleanField())
    alike = Q(splits_cjk=True, duplicate_rank__gte=DUPLICATE_THRESHOLD)
    if category is not None:
        alike |= Q(splits_cjk=False) & old_rule
    return (
        rows.filter(village_id=matter.village_id)
        .annotate(similarity=score, duplicate_rank=rank, other_grid=same_grid, splits_cjk=splits_cjk)
        .filter(alike)
        .order_by("-duplicate_rank", "other_grid", "-id")[:DUPLICATES_SHOWN]
    )


# ---------------------------------------------------------------- the actions
#
# Each action is one entry of petitions.workflow.TRANSITIONS and one effect below: the part
# of it that is its own (validate the payload, change the matter's fields). The core,
# workflow.matter_transition, does the rest: lock, check, state, event, notifications.
# The public names (matter_classify ...) are thin wrappers kept for their callers.


def _kind_and_category(kind: str, category: MatterCategory) -> None:
    _check_category(category)
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Choose civil, village or government.")})


@workflow.effect("classify")
def _classify(matter: Matter, actor, *, kind: str, category: MatterCategory) -> Change:
    _kind_and_category(kind, category)
    matter.kind, matter.category = kind, category
    clock = deadlines.start_clock(matter)
    payload = {"kind": kind, "category": category.code, "deadline": matter.deadline.isoformat()}
    accepted = _accept(matter, actor, "village", payload)
    return Change(payload, ["kind", "category", "updated_at", *clock, *accepted, *_route_acceptance(matter, False)])


def matter_classify(*, matter: Matter, actor, kind: str, category: MatterCategory) -> Matter:
    """三事分流: set the kind and category; the owner for that kind is told."""
    return matter_transition(matter=matter, actor=actor, action="classify", kind=kind, category=category)[0]


@workflow.effect("reclassify")
def _reclassify(matter: Matter, actor, *, kind: str, category: MatterCategory, reason: str) -> Change:
    _kind_and_category(kind, category)
    reason = _check_text("reason", reason, _("Say why the matter is re-routed."))
    if kind == matter.kind and category.pk == matter.category_id:
        raise ValidationError({"kind": _("Choose another kind or category.")})
    payload = {"from_kind": matter.kind, "kind": kind, "category": category.code, "reason": reason}
    was_government = matter.kind == Kind.GOVERNMENT
    matter.kind, matter.category = kind, category
    # The same start, the new kind's time limit: the resident's wait keeps counting.
    clock = deadlines.start_clock(matter) + deadlines.reset_flags(matter, timezone.now())
    payload["deadline"] = matter.deadline.isoformat()
    return Change(payload, ["kind", "category", "updated_at", *clock, *_route_acceptance(matter, was_government)])


def matter_reclassify(*, matter: Matter, actor, kind: str, category: MatterCategory, reason: str) -> Matter:
    """Re-route (e.g. the township returns a 政事 to the village): back to classified under
    the new kind, with a reason; the new owner is told."""
    return matter_transition(
        matter=matter, actor=actor, action="reclassify", kind=kind, category=category, reason=reason
    )[0]


@workflow.effect("reject")
def _reject(matter: Matter, actor, *, reason: str, duplicate_of: Matter | None = None) -> Change:
    reason = _check_text("reason", reason, _("Say why the matter is rejected."))
    if duplicate_of is not None and (duplicate_of.pk == matter.pk or duplicate_of.village_id != matter.village_id):
        raise ValidationError({"duplicate_of": _("Choose another matter of the same village.")})
    matter.reject_reason, matter.duplicate_of, matter.closed_at = reason, duplicate_of, timezone.now()
    payload = {"reason": reason, "duplicate_of": duplicate_of.pk if duplicate_of else None}
    fields = ["reject_reason", "duplicate_of", "closed_at", "updated_at", *deadlines.end_acceptance(matter)]
    return Change(payload, fields)


def matter_reject(*, matter: Matter, actor, reason: str, duplicate_of: Matter | None = None) -> Matter:
    """Close without handling: not a matter for us, or a duplicate of another open one."""
    return matter_transition(matter=matter, actor=actor, action="reject", reason=reason, duplicate_of=duplicate_of)[0]


@workflow.effect("withdraw")
def _withdraw(matter: Matter, actor, *, reason: str = "") -> Change:
    matter.closed_at = timezone.now()
    return Change({"reason": (reason or "").strip()}, ["closed_at", "updated_at", *deadlines.end_acceptance(matter)])


def matter_withdraw(*, matter: Matter, actor, reason: str = "") -> Matter:
    """The submitter (by tracking code: actor None) or staff withdraw it before handling."""
    return matter_transition(matter=matter, actor=actor, action="withdraw", reason=reason)[0]


# ---------------------------------------------------------------- 议: deliberation


def _names(values) -> list[str]:
    return [v.strip() for v in (values or []) if v.strip()]


def _validate_vote(data: dict) -> dict:
    counts = {}
    for field in procedure.VOTE_COUNTS:
        value = data.get(field)
        if value is None or not isinstance(value, int) or value < 0:
            raise ValidationError({field: _("Give a whole number, zero or more.")})
        counts[field] = value
    errors = procedure.vote_count_errors(counts)
    if errors:
        first = next(iter(errors))  # one at a time, as a person reads them
        raise ValidationError({first: errors[first]})
    return counts


def _mediation(record: Deliberation, *, parties, facts, agreed_terms, signed_by) -> None:
    record.parties = _names(parties)
    if len(record.parties) < 2:
        raise ValidationError({"parties": _("A mediation has at least two parties.")})
    record.facts = (facts or "").strip()
    record.agreed_terms = _check_text("agreed_terms", agreed_terms, _("Write down what the parties agreed."))
    record.signed_by = _names(signed_by)


def _attendance(record: Deliberation, counts: dict) -> None:
    """Step 4, the party members' meeting: how many of the branch's members attended."""
    for field in ("entitled", "present"):
        value = counts.get(field)
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ValidationError({field: _("Give a whole number, zero or more.")})
    errors = procedure.attendance_errors(counts)
    if errors:
        first = next(iter(errors))
        raise ValidationError({first: errors[first]})
    record.entitled, record.present = counts["entitled"], counts["present"]


def _authorised(matter: Matter, held_on: datetime.date) -> bool:
    """Whether the village's 村民会议 had authorised its 村民代表会议 to decide the matter's
    category by the day of the vote (Art. 24)."""
    return RepresentativesAuthorisation.objects.filter(
        village_id=matter.village_id, categories=matter.category_id, resolved_on__lte=held_on
    ).exists()


def _notice(record: Deliberation, body: str, notice: dict) -> None:
    """A 村民会议 is announced ten days ahead, or sooner when urgent with the reason (Art. 21)."""
    errors = procedure.notice_errors(body=body, held_on=record.held_on, **notice)
    if errors:
        first = next(iter(errors))
        raise ValidationError({first: errors[first]})
    if body not in procedure.VILLAGERS_MEETINGS:
        return
    refusal = procedure.short_notice(
        body=body, held_on=record.held_on, announced_on=notice["announced_on"], urgent=notice["urgent"]
    )
    if refusal:
        raise refusal
    record.announced_on, record.urgent = notice["announced_on"], notice["urgent"]
    record.urgent_reason = (notice["urgent_reason"] or "").strip() if notice["urgent"] else ""


def _vote(record: Deliberation, matter: Matter, body: str, counts: dict, notice: dict) -> None:
    """Step 5: who voted (by the category's rule), the notice, the counts; quorum and result computed."""
    counts = _validate_vote(counts)
    if body not in Deliberation.Body.values:
        raise ValidationError({"body": _("Choose the villagers' meeting or the representatives' meeting.")})
    rule = procedure.decision_rule(matter)
    authorised = rule == DecisionRule.MEMBERS_MEETING and _authorised(matter, record.held_on)
    refusal = procedure.body_refusal(rule, body, authorised=authorised)
    if refusal:
        raise refusal
    _notice(record, body, notice)
    record.body, record.decision_rule = body, rule
    for field, value in counts.items():
        setattr(record, field, value)
    record.quorum_met, record.carried = procedure.vote_outcome(
        body=body, entitled=counts["entitled"], present=counts["present"], in_favour=counts["in_favour"], rule=rule
    )


def _step(record: Deliberation, matter: Matter, step, body: str, counts: dict, notice: dict) -> list[str]:
    """A 七步走 step in order; returns the matter's fields it changed (a new vote clears the
    township's decision and the filing, which were for the vote before)."""
    records = matter.deliberations.all()
    refusal = procedure.step_refusal(step, records, revote=procedure.revote_due(matter, records))
    if refusal:
        raise ValidationError({"step": refusal})
    record.step = step
    if step == procedure.PARTY_STEP:
        _attendance(record, counts)
    if step != procedure.VOTE_STEP:
        return []
    _vote(record, matter, body, counts, notice)
    matter.township_approval, matter.township_approval_reason = "", ""
    matter.township_approved_by, matter.township_approved_at = None, None
    matter.filed_on, matter.filing_note, matter.filing_returned_at = None, "", None
    return [
        "township_approval",
        "township_approval_reason",
        "township_approved_by",
        "township_approved_at",
        "filed_on",
        "filing_note",
        "filing_returned_at",
    ]


def _awaits_approval(matter: Matter) -> bool:
    return procedure.awaiting_approval(matter, Deliberation.objects.filter(matter=matter).order_by("held_on", "id"))


def _awaits_filing(matter: Matter) -> bool:
    return procedure.awaiting_filing(matter, Deliberation.objects.filter(matter=matter).order_by("held_on", "id"))


def _compact_follows_vote(matter: Matter) -> None:
    """The compact version a 村事 decides follows its vote: awaiting filing (备案) once the vote
    carried and the resolution was published, adopted on the vote's day; proposed (its articles
    frozen) after a failed vote, or after a new vote on a version the township returned."""
    version = CompactVersion.objects.select_for_update().filter(matter=matter).first()
    following = (CompactStatus.PROPOSED, CompactStatus.AWAITING_FILING, CompactStatus.RETURNED)
    if version is None or version.status not in following:
        return
    records = Deliberation.objects.filter(matter=matter).order_by("held_on", "id")
    if procedure.awaiting_filing(matter, records):
        status, adopted_on = CompactStatus.AWAITING_FILING, procedure.village_steps(records)["latest"][5].held_on
    elif version.status == CompactStatus.RETURNED and matter.filing_returned_at is not None:
        return  # returned and not voted on again yet: the village may still amend it
    else:
        status, adopted_on = CompactStatus.PROPOSED, None
    version.status, version.adopted_on = status, adopted_on
    version.save(update_fields=["status", "adopted_on", "updated_at"])


def _compact_filed(matter: Matter, actor, filed_on: datetime.date) -> None:
    """The version the filed 村事 decided comes into force from the filing's day; the one in
    force before is superseded (the partial unique constraint keeps one in force)."""
    version = CompactVersion.objects.select_for_update().filter(matter=matter).first()
    if version is None:
        return
    CompactVersion.objects.filter(village_id=version.village_id, status=CompactStatus.IN_FORCE).exclude(
        pk=version.pk
    ).update(status=CompactStatus.SUPERSEDED, superseded_on=filed_on, updated_at=timezone.now())
    version.status, version.filed_on, version.filed_by, version.in_force_from = (
        CompactStatus.IN_FORCE,
        filed_on,
        actor,
        filed_on,
    )
    version.save(update_fields=["status", "filed_on", "filed_by", "in_force_from", "updated_at"])


def _compact_returned(matter: Matter, actor, reason: str) -> None:
    """The township returned the compact: the version is not in force; the village may amend
    its articles and vote again (the vote proposes it again)."""
    version = CompactVersion.objects.select_for_update().filter(matter=matter).first()
    if version is None:
        return
    version.status, version.return_reason, version.returned_by = CompactStatus.RETURNED, reason, actor
    version.returned_at, version.adopted_on = timezone.now(), None
    version.save(update_fields=["status", "return_reason", "returned_by", "returned_at", "adopted_on", "updated_at"])


class DuplicateDeliberation(Conflict, workflow.MatterError):
    """The minutes are word for word those of a record the matter already has (409): a form
    sent twice by mistake, or a copy left unedited. Sent again with confirm_duplicate, it is
    recorded (another meeting may well have ended the same way)."""

    code = "duplicate_deliberation"

    def __init__(self, record: Deliberation):
        super().__init__(
            _(
                "The same minutes were already recorded for this matter (record of %(day)s). If this is "
                "another meeting, send it again with confirm_duplicate."
            )
            % {"day": record.held_on.isoformat()}
        )
        self.record = record

    def as_body(self) -> dict:
        return {**super().as_body(), "record": self.record.pk}


def _same_words(text: str) -> str:
    # Spaces carry no meaning between Chinese characters: a line break or a space more or
    # less does not make other minutes.
    return "".join(text.split())


def _recorded_before(matter: Matter, record: Deliberation) -> Deliberation | None:
    """The matter's earlier record of the same kind (and 七步走 step) with the same minutes,
    whitespace aside. Another step, or a meeting after a mediation, is another record by
    construction, whatever its words."""
    words = _same_words(record.summary)
    earlier = Deliberation.objects.filter(matter=matter, kind=record.kind, step=record.step)
    for row in earlier.only("pk", "kind", "held_on", "summary").order_by("id"):
        if _same_words(row.summary) == words:
            return row
    return None


@workflow.effect("deliberate")
def _deliberate(
    matter: Matter,
    actor,
    *,
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
    announced_on: datetime.date | None = None,
    urgent: bool = False,
    urgent_reason: str = "",
    confirm_duplicate: bool = False,
) -> Change:
    summary = _check_text("summary", summary, _("Write the minutes: what was discussed and decided."))
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("A meeting cannot be held in the future.")})
    if kind not in procedure.deliberation_kinds(matter):
        raise ValidationError({"kind": _("This kind of record does not belong to this kind of matter.")})
    record = Deliberation(
        matter=matter, kind=kind, held_on=held_on, summary=summary, attendees=_names(attendees), recorded_by=actor
    )
    if kind == Deliberation.Kind.MEDIATION:
        _mediation(record, parties=parties, facts=facts, agreed_terms=agreed_terms, signed_by=signed_by)
    changed = []
    if kind == Deliberation.Kind.STEP:
        counts = {"entitled": entitled, "present": present, "in_favour": in_favour, "against": against}
        notice = {"announced_on": announced_on, "urgent": bool(urgent), "urgent_reason": urgent_reason}
        changed = _step(record, matter, step, body, {**counts, "abstain": abstain}, notice)
    # Asked last, once the record is otherwise valid. The matter's row is locked, so two
    # sends of the same minutes at once are asked in turn.
    same = _recorded_before(matter, record)
    if same is not None and not confirm_duplicate:
        raise DuplicateDeliberation(same)
    record.save()
    if participants:
        if any(r.village_id != matter.village_id for r in participants):
            raise ValidationError({"participants": _("Participants must be residents of the matter's village.")})
        record.participants.set(participants)
    payload = {"record": record.pk, "kind": kind}
    if same is not None:
        payload["same_minutes_as"] = same.pk
    if record.step:
        payload["step"] = record.step
    if record.step == procedure.VOTE_STEP:
        payload.update(quorum_met=record.quorum_met, carried=record.carried, rule=record.decision_rule)
    # The township's review of a 政事 is its acceptance (受理).
    accepted = []
    if kind == Deliberation.Kind.REVIEW and matter.accept_by is not None:
        accepted = _accept(matter, actor, "township", payload)
    published = record.step == procedure.LAST_RECORDED_STEP
    facts = {"awaiting_approval": published and _awaits_approval(matter)}
    after = None
    if record.step in (procedure.VOTE_STEP, procedure.LAST_RECORDED_STEP):
        facts["awaiting_filing"] = published and _awaits_filing(matter)
        after = _compact_follows_vote
    return Change(payload, ["updated_at", *changed, *accepted], facts, after)


def matter_deliberate(*, matter: Matter, actor, **record) -> Deliberation:
    """Add a deliberation record: a 院坝会 or a mediation (民事), a 七步走 step in order, with
    the vote at step 5 (村事), or the township's review that accepts a 政事. The fields are
    those of DeliberateSerializer (kind, held_on, summary, attendees, participants, parties,
    facts, agreed_terms, signed_by, step, body and the vote's counts, its notice: announced_on,
    urgent, urgent_reason; at step 4 the party members' attendance: entitled, present).
    Minutes identical to a record the matter has (whitespace aside) raise DuplicateDeliberation
    unless confirm_duplicate."""
    _matter, event = matter_transition(matter=matter, actor=actor, action="deliberate", **record)
    return Deliberation.objects.get(pk=event.payload["record"])


# ---------------------------------------------------------------- 办 and 督: handling and verification


INCOMPLETE = {
    Kind.CIVIL: _("Hold a consultation meeting or a mediation first."),
    Kind.VILLAGE: _("Complete steps 1 to 6, with a vote that carried, first."),
    Kind.GOVERNMENT: _("The township must review and accept the matter first."),
}


AWAITING = {
    "approval": gettext_lazy("The township must approve the land contract adjustment first."),
    "filing": gettext_lazy("File the village compact with the township (备案) first."),
}


def _check_assignment(matter: Matter, handler, department, deadline) -> None:
    if (handler is None) == (department is None):
        raise ValidationError({"handler": _("Choose either a handler or a department.")})
    if department is not None and (matter.kind != Kind.GOVERNMENT or department.township_id != matter.township_id):
        raise ValidationError({"department": _("Only a government matter goes to a department of its township.")})
    if handler is not None and not handler.is_active:
        raise ValidationError({"handler": _("This account is not active.")})
    if handler is not None and not handler_candidates(matter).filter(pk=handler.pk).exists():
        raise ValidationError({"handler": _("This person does not work where this matter is handled.")})
    if deadline is not None and deadline <= timezone.now():
        raise ValidationError({"deadline": _("The deadline must be in the future.")})


@workflow.effect("handle")
def _handle(matter: Matter, actor, *, handler=None, department: Department | None = None, deadline=None) -> Change:
    _check_assignment(matter, handler, department, deadline)
    records = matter.deliberations.all()
    waiting = procedure.township_step(matter, records)
    if waiting:
        raise workflow.MatterStateError(AWAITING[waiting], code=f"awaiting_township_{waiting}")
    if not procedure.deliberation_complete(matter, records):
        raise workflow.MatterStateError(INCOMPLETE[matter.kind], code="deliberation_incomplete")
    matter.handler, matter.department, matter.assigned_by = handler, department, actor
    clock = deadlines.set_deadline(matter, deadline) + deadlines.reset_flags(matter, timezone.now()) if deadline else []
    if department is not None:
        assign_perm("petitions.handle_matter", department.group, matter)
        assign_perm("petitions.view_matter", department.group, matter)
        clock += deadlines.start_sign_off(matter)
    else:
        clock += deadlines.clear_sign_off(matter)
    payload = {
        "handler": handler.pk if handler else None,
        "department": department.pk if department else None,
        "deadline": matter.deadline.isoformat() if matter.deadline else None,
    }
    return Change(payload, ["handler", "department", "assigned_by", "updated_at", *clock])


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
    return matter_transition(
        matter=matter, actor=actor, action="handle", handler=handler, department=department, deadline=deadline
    )[0]


@workflow.effect("township_approval")
def _township_approval(matter: Matter, actor, *, approve: bool, reason: str) -> Change:
    reason = _check_text("reason", reason, _("Give the reason for the decision."))
    matter.township_approval = Approval.APPROVED if approve else Approval.REFUSED
    matter.township_approval_reason, matter.township_approved_by = reason, actor
    matter.township_approved_at = timezone.now()
    fields = ["township_approval", "township_approval_reason", "township_approved_by", "township_approved_at"]
    return Change({"approve": bool(approve), "reason": reason}, [*fields, "updated_at"])


def matter_township_approval(*, matter: Matter, actor, approve: bool, reason: str) -> Matter:
    """The township approves or refuses a land contract adjustment whose vote carried (农村土地
    承包法 Art. 28), with a reason. Handling waits for the approval; after a refusal the
    village may vote again (the new vote waits for a new decision) or reject the matter."""
    return matter_transition(matter=matter, actor=actor, action="township_approval", approve=approve, reason=reason)[0]


@workflow.effect("record_filing")
def _record_filing(
    matter: Matter, actor, *, filed: bool, reason: str = "", filed_on: datetime.date | None = None
) -> Change:
    if not filed:
        reason = _check_text("reason", reason, _("Say why the compact is returned: the village amends it."))
        matter.filing_note, matter.filing_returned_at = reason, timezone.now()
        return Change(
            {"filed": False, "reason": reason},
            ["filing_note", "filing_returned_at", "updated_at"],
            after=lambda m: _compact_returned(m, actor, reason),
        )
    filed_on = filed_on or timezone.localdate()
    if filed_on > timezone.localdate():
        raise ValidationError({"filed_on": _("The filing cannot be in the future.")})
    vote = procedure.village_steps(matter.deliberations.all())["latest"][procedure.VOTE_STEP]
    if filed_on < vote.held_on:
        raise ValidationError({"filed_on": _("The compact is filed after the vote that adopted it.")})
    matter.filed_on, matter.filing_note = filed_on, (reason or "").strip()
    return Change(
        {"filed": True, "filed_on": filed_on.isoformat(), "reason": matter.filing_note},
        ["filed_on", "filing_note", "updated_at"],
        after=lambda m: _compact_filed(m, actor, filed_on),
    )


def matter_record_filing(
    *, matter: Matter, actor, filed: bool, reason: str = "", filed_on: datetime.date | None = None
) -> Matter:
    """The township files the village compact (村规民约) adopted by the villagers' meeting (备案,
    Art. 27), from `filed_on` (today by default, never in the future): the compact version the
    matter decided comes into force and the one before is superseded. Or it returns it with
    `reason`: the version is returned, the village told; it may amend it and vote again."""
    return matter_transition(
        matter=matter, actor=actor, action="record_filing", filed=filed, reason=reason, filed_on=filed_on
    )[0]


@workflow.effect("report")
def _report(matter: Matter, actor, *, result: str) -> Change:
    matter.result = _check_text("result", result, _("Describe what was done."))
    matter.reported_by = actor
    payload = {"result": matter.result}
    fields = ["result", "reported_by", "updated_at"]
    if matter.first_reported_at is None:
        matter.first_reported_at = timezone.now()
        fields.append("first_reported_at")
    if matter.kind == Kind.VILLAGE:
        # Step 7, 实施结果公开: its record carries the outcome, beside steps 1 to 6.
        record = Deliberation.objects.create(
            matter=matter,
            kind=Deliberation.Kind.STEP,
            step=procedure.OUTCOME_STEP,
            held_on=timezone.localdate(),
            summary=matter.result,
            recorded_by=actor,
        )
        payload.update(step=procedure.OUTCOME_STEP, record=record.pk)
    if matter.department_id and matter.signed_at is None:
        # A department's first report signs for it too (签收).
        matter.signed_at, matter.signed_by = timezone.now(), actor
        payload["signed"] = True
        fields += ["signed_at", "signed_by"]
    return Change(payload, fields)


def matter_report(*, matter: Matter, actor, result: str) -> Matter:
    """The handler reports the result (for a 村事: step 7, the published outcome)."""
    return matter_transition(matter=matter, actor=actor, action="report", result=result)[0]


@workflow.effect("sign")
def _sign(matter: Matter, actor) -> Change:
    matter.signed_at, matter.signed_by = timezone.now(), actor
    return Change({"department": matter.department_id}, ["signed_at", "signed_by", "updated_at"])


def matter_sign(*, matter: Matter, actor) -> Matter:
    """签收: a handler of the assigned department signs for the matter."""
    return matter_transition(matter=matter, actor=actor, action="sign")[0]


@workflow.effect("send_back")
def _send_back(matter: Matter, actor, *, reason: str) -> Change:
    reason = _check_text("reason", reason, _("Say why the matter is not your department's."))
    department = matter.department
    # The department's grants on this one matter go with it (governance: a department is a group).
    MatterGroupObjectPermission.objects.filter(content_object=matter, group_id=department.group_id).delete()
    payload = {"reason": reason, "department": department.pk}
    matter.handler = matter.department = None
    fields = ["handler", "department", "updated_at", *deadlines.clear_sign_off(matter)]
    if matter.pending_extension_id:
        # The department that asked for more time no longer holds the matter: its request is
        # closed unapproved, so that the next department may ask and nobody decides a moot one.
        ExtensionRequest.objects.filter(pk=matter.pending_extension_id).update(
            status=ExtensionRequest.Status.REFUSED, decided_at=timezone.now(), decision_reason=reason
        )
        payload["extension_closed"] = matter.pending_extension_id
        matter.pending_extension = None
        fields.append("pending_extension")
    return Change(payload, fields)


def matter_send_back(*, matter: Matter, actor, reason: str) -> Matter:
    """退回: the department's handler returns a matter that is not theirs, with a reason; it
    goes back to whoever assigned it (deliberating), who is told and assigns it again."""
    return matter_transition(matter=matter, actor=actor, action="send_back", reason=reason)[0]


@workflow.effect("verify")
def _verify(matter: Matter, actor, *, passed: bool, note: str = "") -> Change:
    if not passed:
        note = _check_text("note", note, _("Say what is still wrong."))
    matter.evaluation_opened_at = timezone.now() if passed else None
    matter.verified_by = actor
    return Change({"passed": passed, "note": note}, ["state", "evaluation_opened_at", "verified_by", "updated_at"])


def matter_verify(*, matter: Matter, actor, passed: bool, note: str = "") -> Matter:
    """督: someone other than the handler checks the result; a failed check returns it to handling."""
    return matter_transition(matter=matter, actor=actor, action="verify", passed=passed, note=note)[0]


# ---------------------------------------------------------------- 评 and 复查: evaluation, review


def _reopen(matter: Matter) -> tuple[list[str], bool]:
    """Handling again, on a fresh clock of the same time limit; past the reopen limit the
    township supervises it. Returns (changed fields, escalated)."""
    matter.reopen_count += 1
    matter.clock_started_at = None
    matter.paused_at, matter.pause_reason = None, ""
    fields = [
        "reopen_count",
        "paused_at",
        "pause_reason",
        *deadlines.start_clock(matter),
        *deadlines.reset_flags(matter, timezone.now()),
    ]
    if matter.reopen_count > settings.MATTER_REOPEN_LIMIT and matter.escalation_level < 2:
        matter.escalation_level = 2
        return [*fields, "escalation_level"], True
    return fields, False


def _escalated_by_reopening(matter: Matter) -> None:
    MatterEvent.objects.create(
        matter=matter,
        actor=None,
        actor_label=deadlines.SYSTEM,
        action="escalate",
        from_state=matter.state,
        to_state=matter.state,
        payload={"level": 2, "reason": "reopen_limit", "reopened": matter.reopen_count},
    )


def _evaluation_method(actor, method: str) -> str:
    """The submitter answers online; staff say how they reached the resident."""
    if actor is None:
        return EvaluationMethod.ONLINE
    if method not in EvaluationMethod.values:
        raise ValidationError({"method": _("Say how the resident's answer reached you.")})
    return method


def _to_review(matter: Matter, comment: str) -> list[str]:
    """The dissatisfied resident's one review (复查): one level up, on the review's own clock."""
    now = timezone.now()
    matter.rating, matter.evaluation_comment = Rating.UNSATISFIED, comment
    matter.review_requested_at, matter.evaluation_opened_at = now, None
    fields = ["rating", "evaluation_comment", "review_requested_at", "evaluation_opened_at"]
    return fields + deadlines.start_review_clock(matter, now)


@workflow.effect("evaluate")
def _evaluate(matter: Matter, actor, *, rating: str, comment: str = "", method: str = "") -> Change:
    if rating not in Rating.values:
        raise ValidationError({"rating": _("Choose satisfied, basically satisfied or unsatisfied.")})
    comment = (comment or "").strip()
    if rating == Rating.UNSATISFIED and not comment:
        raise ValidationError({"comment": _("Tell us what is still not right.")})
    matter.evaluation_method = _evaluation_method(actor, method)
    payload = {"rating": rating, "comment": comment, "by": "staff" if actor else SUBMITTER}
    payload["method"] = matter.evaluation_method
    fields = ["evaluation_method", "state", "updated_at"]
    if rating == Rating.UNSATISFIED and matter.review_requested_at is None:
        payload["review"] = True
        return Change(payload, [*fields, *_to_review(matter, comment)], {"review": True})
    matter.rating, matter.evaluation_comment, matter.closed_at = rating, comment, timezone.now()
    return Change(payload, [*fields, "rating", "evaluation_comment", "closed_at"])


def matter_evaluate(*, matter: Matter, actor, rating: str, comment: str = "", method: str = "") -> Matter:
    """评: the submitter (actor None, by tracking code) or someone independent of the work on
    a return visit (回访) record the resident's rating. Unsatisfied goes one level up for a
    review (复查), once; after it, the matter closes on the record."""
    return matter_transition(
        matter=matter, actor=actor, action="evaluate", rating=rating, comment=comment, method=method
    )[0]


@workflow.effect("request_review")
def _request_review(matter: Matter, actor, *, reason: str, method: str = "") -> Change:
    reason = _check_text("reason", reason, _("Say what is still not right."))
    matter.evaluation_method = _evaluation_method(actor, method)
    fields = ["evaluation_method", "updated_at", *_to_review(matter, reason)]
    payload = {"reason": reason, "by": "staff" if actor else SUBMITTER, "method": matter.evaluation_method}
    return Change(payload, fields)


def matter_request_review(*, matter: Matter, actor, reason: str, method: str = "") -> Matter:
    """复查: a dissatisfied resident (actor None, by tracking code) or the revisitor on their
    behalf asks for a review one level up, once per matter."""
    return matter_transition(matter=matter, actor=actor, action="request_review", reason=reason, method=method)[0]


@workflow.effect("decide_review")
def _decide_review(matter: Matter, actor, *, upheld: bool, reason: str) -> Change:
    reason = _check_text("reason", reason, _("Give the reasons for the decision."))
    matter.review_upheld = upheld
    payload = {"upheld": upheld, "reason": reason}
    if upheld:
        matter.closed_at = timezone.now()
        return Change(payload, ["review_upheld", "closed_at", "updated_at"])
    reopened, escalated = _reopen(matter)
    fields = ["review_upheld", "updated_at", *reopened]
    return Change(payload, fields, {"escalated": escalated}, _escalated_by_reopening if escalated else None)


def matter_decide_review(*, matter: Matter, actor, upheld: bool, reason: str) -> Matter:
    """复查 decided one level up: the result upheld closes the matter (the resident is told
    where else to turn); not upheld, it is handled again (reopened, counted)."""
    return matter_transition(matter=matter, actor=actor, action="decide_review", upheld=upheld, reason=reason)[0]


@workflow.effect("supervise")
def _supervise(matter: Matter, actor, *, note: str) -> Change:
    return Change({"note": _check_text("note", note, _("Write the supervision note."))})


def matter_supervise(*, matter: Matter, actor, note: str) -> MatterEvent:
    """督办: a note from above the owner; the state does not change. The next actor is told."""
    return matter_transition(matter=matter, actor=actor, action="supervise", note=note)[1]


@workflow.effect("grant")
def _grant(matter: Matter, actor, *, user, permission: str = "view_matter") -> Change:
    if permission not in ("view_matter", "handle_matter"):
        raise ValidationError({"permission": _("Unknown permission.")})
    assign_perm(f"petitions.{permission}", user, matter)
    return Change({"user": user.pk, "permission": permission})


def matter_grant(*, matter: Matter, actor, user, permission: str = "view_matter") -> None:
    """A one-off grant to someone outside the hierarchy (a 公益律师团 lawyer on a mediation)."""
    matter_transition(matter=matter, actor=actor, action="grant", user=user, permission=permission)


@workflow.effect("pause")
def _pause(matter: Matter, actor, *, reason: str) -> Change:
    reason = _check_text("reason", reason, _("Say what you are waiting for."))
    matter.paused_at, matter.pause_reason = timezone.now(), reason
    return Change({"reason": reason}, ["paused_at", "pause_reason", "updated_at"])


def matter_pause(*, matter: Matter, actor, reason: str) -> Matter:
    """The level above stops the clock (the owner and the handler ask for it:
    petitions.extensions), on the record."""
    return matter_transition(matter=matter, actor=actor, action="pause", reason=reason)[0]


@workflow.effect("resume")
def _resume(matter: Matter, actor, *, now: datetime.datetime | None = None) -> Change:
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
    payload["deadline"] = matter.deadline.isoformat()
    return Change(payload, fields)


def matter_resume(*, matter: Matter, actor, now: datetime.datetime | None = None) -> Matter:
    """Restart the clock; the deadline moves by the working days the pause lasted."""
    return matter_transition(matter=matter, actor=actor, action="resume", now=now)[0]


# ---------------------------------------------------------------- places (grids.signals)


def _moved(matters: list[Matter], to_grid_id: int, *, actor, note: str, reason: str) -> None:
    """Put `matters` in another grid, each with a `move` event (staff only) saying from where
    to where and why."""
    if not matters:
        return
    events = [
        MatterEvent(
            matter=matter,
            actor=actor,
            action="move",
            from_state=matter.state,
            to_state=matter.state,
            payload={"from_grid": matter.grid_id, "to_grid": to_grid_id, "note": note, "reason": reason},
        )
        for matter in matters
    ]
    Matter.objects.filter(pk__in=[m.pk for m in matters]).update(grid_id=to_grid_id, updated_at=timezone.now())
    MatterEvent.objects.bulk_create(events)
    queue_changed(township_ids={m.township_id for m in matters})  # update() and bulk_create() send no signal


def _grid_names(*ids) -> dict[int, str]:
    return dict(Grid.objects.filter(pk__in=sorted(set(ids))).values_list("pk", "name"))


def matters_follow_household_moves(moves: list[HouseholdMove]) -> None:
    """The open matters of households moved to another grid go with them."""
    by_household = {m.household_id: m for m in moves if m.to_grid_id != m.from_grid_id}
    if not by_household:
        return
    matters = list(
        Matter.objects.select_for_update()
        .filter(household_id__in=sorted(by_household), state__in=list(workflow.OPEN_STATES))
        .order_by("pk")
    )
    matters = [m for m in matters if m.grid_id != by_household[m.household_id].to_grid_id]
    if not matters:
        return
    names = _grid_names(*(m.grid_id for m in matters), *(m.to_grid_id for m in by_household.values()))
    for matter in matters:
        move = by_household[matter.household_id]
        note = f"{names.get(matter.grid_id, '')} → {names.get(move.to_grid_id, '')}"
        _moved([matter], move.to_grid_id, actor=move.moved_by, note=note, reason=move.reason)


def matters_move_grid(*, from_grid: Grid, to_grid: Grid, actor, reason: str) -> None:
    """The open matters still in `from_grid` (those naming no household; the others followed
    their households) go to `to_grid`: a grid merged into another hands over its work."""
    matters = list(
        Matter.objects.select_for_update().filter(grid=from_grid, state__in=list(workflow.OPEN_STATES)).order_by("pk")
    )
    _moved(matters, to_grid.pk, actor=actor, note=f"{from_grid.name} → {to_grid.name}", reason=reason)
