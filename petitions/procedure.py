"""The rules of 议, once: which deliberation records a matter allows, the 七步走 done so far,
whether deliberation is complete, and a 村事 vote's quorum and result under its category's
decision rule (村民委员会组织法 Art. 21–27, 农村土地承包法 Art. 28): who may vote, the notice
of a 村民会议, the majority, and what the township does after the vote (approval, 备案).

Plain functions over records already loaded (a matter's `deliberations.all()`, ordered by
the model as held_on, id), so that the services (under the row lock), the page, the forms
and the serializers all read the same answer without another query.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from governance.errors import Refused
from petitions.models import Approval, DecisionRule, Deliberation, Kind

# The records each kind of matter is deliberated with; the first is the usual one.
DELIBERATION_KINDS = {
    Kind.CIVIL: (Deliberation.Kind.MEETING, Deliberation.Kind.MEDIATION),
    Kind.VILLAGE: (Deliberation.Kind.STEP, Deliberation.Kind.MEETING),
    Kind.GOVERNMENT: (Deliberation.Kind.REVIEW,),
}

# The 七步走 as the API and the public page name them (steps 1 to 6 are deliberation records;
# step 7 is the handler's report).
VILLAGE_STEPS = {
    1: _("collect the proposal"),
    2: _("the party branch proposes (村党组织提议)"),
    3: _("the village committees discuss (两委会商议)"),
    4: _("the party members' meeting reviews (党员大会审议)"),
    5: _("the villagers' vote"),
    6: _("publish the resolution (决议公开)"),
    7: _("publish the result of the implementation (实施结果公开)"),
}
# The same steps as the matter's page titles them.
STEP_TITLES = {
    1: _("Collect the proposal"),
    2: _("The party branch proposes (村党组织提议)"),
    3: _("The two committees discuss (两委会商议)"),
    4: _("The party members' meeting reviews (党员大会审议)"),
    5: _("The villagers vote (村民会议/代表会议表决)"),
    6: _("Publish the resolution (决议公开)"),
    7: _("Carry it out and publish the result (实施结果公开)"),
}
PARTY_STEP = 4
VOTE_STEP = 5
LAST_RECORDED_STEP = 6  # steps 1 to 6 are recorded by `deliberate`; step 7 by the report
OUTCOME_STEP = 7
# The bodies that are a 村民会议 (of the adult villagers, or of the households' representatives).
VILLAGERS_MEETINGS = frozenset({Deliberation.Body.VILLAGERS_MEETING, Deliberation.Body.HOUSEHOLDS_MEETING})
NOTICE_DAYS = 10

# What the matter's page says of each rule.
RULE_EXPLAINED = {
    DecisionRule.SIMPLE: _(
        "The villagers' meeting (quorum: over half of the adult villagers, or two thirds of the households) "
        "or the representatives' meeting (quorum: two thirds); carried by over half of those present."
    ),
    DecisionRule.LAND: _(
        "Land contract adjustment (农村土地承包法 Art. 28): carried only with two thirds of all the members of "
        "the villagers' meeting or of all the representatives in favour, not of those present; then the "
        "township approves it before it is carried out."
    ),
    DecisionRule.COMPACT: _(
        "Village compact (村规民约, Art. 27): decided by the villagers' meeting only; then filed (备案) with the "
        "township before it is carried out."
    ),
    DecisionRule.MEMBERS_MEETING: _(
        "A matter of Art. 24 (collective income, land contracting plans, 宅基地, compensation): decided by the "
        "villagers' meeting, or by the representatives' meeting when the villagers' meeting has authorised it."
    ),
}


def deliberation_kinds(matter) -> tuple:
    """The kinds of deliberation record `matter` allows (none before it is classified)."""
    return DELIBERATION_KINDS.get(matter.kind, ())


def sent_back(matter) -> bool:
    """Whether the township refused the land adjustment or returned the compact after the
    latest vote (a new vote clears both): the village votes again, or rejects the matter."""
    return matter.township_approval == Approval.REFUSED or matter.filing_returned_at is not None


def _latest_vote(records):
    votes = [r for r in records if r.kind == Deliberation.Kind.STEP and r.step == VOTE_STEP]
    return votes[-1] if votes else None


def rule_changed(matter, records) -> bool:
    """Whether the latest vote was held under another decision rule than the one the matter's
    category now has (re-filed after the vote): it decides nothing under the new rule (who may
    vote, the majority, the township's step differ), so the village votes again."""
    vote = _latest_vote(records) if matter.kind == Kind.VILLAGE else None
    return bool(vote and vote.decision_rule) and vote.decision_rule != decision_rule(matter)


def revote_due(matter, records) -> bool:
    """Whether the latest vote no longer stands: sent back by the township (`sent_back`) or
    held under another rule (`rule_changed`). Step 5 is due again, then step 6."""
    return sent_back(matter) or rule_changed(matter, records)


def village_steps(records, *, revote: bool = False) -> dict:
    """The 七步走 as done so far: the latest record of each step, the votes, whether the vote
    carried, and the step that comes next (5 again after a failed vote, or when the vote no
    longer stands: `revote`, see revote_due, whose resolution is then due again; None when
    all are done)."""
    latest, votes = {}, []
    for record in records:
        if record.kind == Deliberation.Kind.STEP:
            latest[record.step] = record
            if record.step == VOTE_STEP:
                votes.append(record)
                # A resolution published for an earlier vote is not this vote's: after a new
                # vote (a failed one, a land adjustment refused, a compact returned) step 6 is due again.
                latest.pop(LAST_RECORDED_STEP, None)
    carried = VOTE_STEP in latest and bool(latest[VOTE_STEP].carried)
    revote = revote and carried
    if revote:
        latest.pop(LAST_RECORDED_STEP, None)
    missing = [n for n in range(1, LAST_RECORDED_STEP + 1) if n not in latest]
    if VOTE_STEP in latest and (revote or not carried):
        next_step = VOTE_STEP  # a failed vote, or one that no longer stands: vote again, or reject
    else:
        next_step = missing[0] if missing else None
    return {"latest": latest, "votes": votes, "carried": carried, "revote": revote, "next": next_step}


def decision_rule(matter) -> str:
    """The rule a matter is decided by: its category's (a 村事's), else the simple one."""
    if matter.kind != Kind.VILLAGE or not matter.category_id:
        return DecisionRule.SIMPLE
    return matter.category.decision_rule


def village_vote_done(records, matter=None) -> bool:
    """Steps 1 to 6 recorded, with a vote that carried (under the matter's rule, when `matter`
    is given: see rule_changed)."""
    steps = village_steps(records, revote=matter is not None and rule_changed(matter, records))
    return all(n in steps["latest"] for n in range(1, LAST_RECORDED_STEP + 1)) and steps["carried"]


def township_step(matter, records) -> str | None:
    """What the township still has to do before the 村事 may be handled: "approval" (a land
    adjustment not yet approved), "filing" (a compact not yet filed, 备案), or None."""
    if matter.kind != Kind.VILLAGE or not village_vote_done(records, matter):
        return None
    rule = decision_rule(matter)
    if rule == DecisionRule.LAND and matter.township_approval != Approval.APPROVED:
        return "approval"
    if rule == DecisionRule.COMPACT and matter.filed_on is None:
        return "filing"
    return None


def awaiting_approval(matter, records) -> bool:
    """A land adjustment whose vote carried and was published, and that the township has not
    decided on since (a refusal waits for a new vote)."""
    return township_step(matter, records) == "approval" and not matter.township_approval


def awaiting_filing(matter, records) -> bool:
    """A village compact whose vote carried and was published, neither filed by the township
    nor returned since (a returned compact waits for a new vote)."""
    return township_step(matter, records) == "filing" and matter.filing_returned_at is None


def deliberation_complete(matter, records) -> bool:
    """Whether 议 is done for the matter's kind (so that it may be handled): a meeting or a
    mediation (民事), the township's review (政事), or steps 1 to 6 with a vote that carried
    and, by the category's rule, the township's approval or the filing (村事)."""
    kinds = {r.kind for r in records}
    if matter.kind == Kind.CIVIL:
        return bool(kinds & {Deliberation.Kind.MEETING, Deliberation.Kind.MEDIATION})
    if matter.kind == Kind.GOVERNMENT:
        return Deliberation.Kind.REVIEW in kinds
    if matter.kind == Kind.VILLAGE:
        return village_vote_done(records, matter) and township_step(matter, records) is None
    return False


def step_refusal(step, records, *, revote: bool = False) -> str | None:
    """Why 七步走 step `step` may not be recorded now (None: it may); `revote`: the latest
    vote no longer stands (see revote_due)."""
    if step not in VILLAGE_STEPS or step > LAST_RECORDED_STEP:
        return _("Choose a step from 1 to 6.")
    steps = village_steps(records, revote=revote)
    if step == LAST_RECORDED_STEP and steps["revote"]:
        return _(
            "The vote no longer stands (the township sent the decision back, or the matter was re-filed under a "
            "category decided another way): the villagers vote again before a resolution is published."
        )
    done = steps["latest"]
    missing = [n for n in range(1, step) if n not in done]
    if missing:
        return _("Record step %(step)d first.") % {"step": missing[0]}
    if step == LAST_RECORDED_STEP and not done[VOTE_STEP].carried:
        return _("The resolution can only be published after a vote has carried.")
    if step < VOTE_STEP and step in done and VOTE_STEP in done:
        return _("The vote has been held; earlier steps cannot be recorded again.")
    return None


VOTE_COUNTS = ("entitled", "present", "in_favour", "against", "abstain")


def vote_count_errors(counts: dict) -> dict:
    """What does not add up in a vote's counts (each a whole number, zero or more, or None
    when not given): by field, in the order a person reads them."""
    errors = {}
    entitled, present = counts.get("entitled"), counts.get("present")
    if entitled == 0:
        errors["entitled"] = _("Nobody is entitled to vote?")
    if present is not None and entitled is not None and present > entitled:
        errors["present"] = _("More people present than entitled to attend.")
    votes = [counts.get(n) for n in ("in_favour", "against", "abstain")]
    if present is not None and None not in votes and sum(votes) > present:
        errors["in_favour"] = _("More votes than people present.")
    return errors


def quorum_needed(body: str, entitled: int) -> int:
    """How many must attend: 村民会议, more than half of the adult villagers; the household
    representatives or the villagers' representatives, two thirds."""
    if body == Deliberation.Body.VILLAGERS_MEETING:
        return entitled // 2 + 1
    if body in (Deliberation.Body.HOUSEHOLDS_MEETING, Deliberation.Body.REPRESENTATIVES_MEETING):
        return -(-entitled * 2 // 3)
    raise ValidationError({"body": _("Choose the villagers' meeting or the representatives' meeting.")})


def majority_needed(present: int, *, rule: str = DecisionRule.SIMPLE, entitled: int | None = None) -> int:
    """Carried by more than half of those present; a land contract adjustment by two thirds
    of all the members of the body (三分之二以上: two thirds or more), however many came."""
    if rule == DecisionRule.LAND:
        return -(-entitled * 2 // 3)
    return present // 2 + 1


def vote_outcome(
    *, body: str, entitled: int, present: int, in_favour: int, rule: str = DecisionRule.SIMPLE
) -> tuple[bool, bool]:
    """(quorum met, carried) for a 村事 vote under the category's rule: carried only with a quorum."""
    quorum = present >= quorum_needed(body, entitled)
    return quorum, quorum and in_favour >= majority_needed(present, rule=rule, entitled=entitled)


def body_refusal(rule: str, body: str, *, authorised: bool) -> Refused | None:
    """Why `body` may not decide a matter under `rule` (None: it may). A compact is the
    villagers' meeting's alone; an Art. 24 matter too, unless the villagers' meeting has
    authorised the representatives' meeting (`authorised`)."""
    if body in VILLAGERS_MEETINGS:
        return None
    if rule == DecisionRule.COMPACT:
        message = _("A village compact is decided by the villagers' meeting only (村民委员会组织法 Art. 27).")
        return Refused(message, code="compact_needs_villagers_meeting", field="body")
    if rule == DecisionRule.MEMBERS_MEETING and not authorised:
        message = _(
            "This matter is decided by the villagers' meeting: it has not authorised the representatives' "
            "meeting to decide it (Art. 24)."
        )
        return Refused(message, code="representatives_not_authorised", field="body")
    return None


def notice_errors(
    *, body: str, held_on: datetime.date, announced_on: datetime.date | None, urgent: bool, urgent_reason: str
) -> dict:
    """What is wrong with a 村民会议's notice (announced ten days ahead, Art. 21, or sooner when
    urgent, with the reason), by field; a representatives' meeting needs none."""
    if body not in VILLAGERS_MEETINGS:
        return {}
    if announced_on is None:
        return {"announced_on": _("When was the villagers' meeting announced?")}
    if announced_on > held_on:
        return {"announced_on": _("The meeting was announced after it was held?")}
    if urgent and not (urgent_reason or "").strip():
        return {"urgent_reason": _("Say why the meeting could not wait ten days.")}
    return {}


def short_notice(*, body: str, held_on: datetime.date, announced_on: datetime.date, urgent: bool) -> Refused | None:
    """A 村民会议 announced fewer than ten days ahead and not marked urgent: refused."""
    if body not in VILLAGERS_MEETINGS or urgent or (held_on - announced_on).days >= NOTICE_DAYS:
        return None
    message = _(
        "A villagers' meeting is announced at least %(days)d days ahead (Art. 21); mark it urgent, with the "
        "reason, if it could not wait."
    ) % {"days": NOTICE_DAYS}
    return Refused(message, code="short_notice", field="announced_on")


def attendance_errors(counts: dict) -> dict:
    """What does not add up in the party members' meeting's attendance (step 4), by field."""
    total, present = counts.get("entitled"), counts.get("present")
    if total is None or total < 1:
        return {"entitled": _("How many party members does the branch have?")}
    if present is None:
        return {"present": _("How many party members attended?")}
    if present > total:
        return {"present": _("More present than party members.")}
    return {}
