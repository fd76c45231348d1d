"""The rules of 议, once: which deliberation records a matter allows, the 七步走 done so far,
whether deliberation is complete, and a 村事 vote's quorum and result.

Plain functions over records already loaded (a matter's `deliberations.all()`, ordered by
the model as held_on, id), so that the services (under the row lock), the page, the forms
and the serializers all read the same answer without another query.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from petitions.models import Deliberation, Kind

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
VOTE_STEP = 5
LAST_RECORDED_STEP = 6


def deliberation_kinds(matter) -> tuple:
    """The kinds of deliberation record `matter` allows (none before it is classified)."""
    return DELIBERATION_KINDS.get(matter.kind, ())


def village_steps(records) -> dict:
    """The 七步走 as done so far: the latest record of each step, the votes, whether the vote
    carried, and the step that comes next (5 again after a failed vote; None when all are done)."""
    latest, votes = {}, []
    for record in records:
        if record.kind == Deliberation.Kind.STEP:
            latest[record.step] = record
            if record.step == VOTE_STEP:
                votes.append(record)
    carried = VOTE_STEP in latest and bool(latest[VOTE_STEP].carried)
    missing = [n for n in range(1, LAST_RECORDED_STEP + 1) if n not in latest]
    if VOTE_STEP in latest and not carried:
        next_step = VOTE_STEP  # a failed vote: vote again, or reject
    else:
        next_step = missing[0] if missing else None
    return {"latest": latest, "votes": votes, "carried": carried, "next": next_step}


def deliberation_complete(matter, records) -> bool:
    """Whether 议 is done for the matter's kind (so that it may be handled): a meeting or a
    mediation (民事), the township's review (政事), or steps 1 to 6 with a vote that carried (村事)."""
    kinds = {r.kind for r in records}
    if matter.kind == Kind.CIVIL:
        return bool(kinds & {Deliberation.Kind.MEETING, Deliberation.Kind.MEDIATION})
    if matter.kind == Kind.GOVERNMENT:
        return Deliberation.Kind.REVIEW in kinds
    if matter.kind == Kind.VILLAGE:
        steps = village_steps(records)
        return all(n in steps["latest"] for n in range(1, LAST_RECORDED_STEP + 1)) and steps["carried"]
    return False


def step_refusal(step, records) -> str | None:
    """Why 七步走 step `step` may not be recorded now (None: it may)."""
    if step not in VILLAGE_STEPS:
        return _("Choose a step from 1 to 6.")
    done = village_steps(records)["latest"]
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


def majority_needed(present: int) -> int:
    """Carried by more than half of those present."""
    return present // 2 + 1


def vote_outcome(*, body: str, entitled: int, present: int, in_favour: int) -> tuple[bool, bool]:
    """(quorum met, carried) for a 村事 vote: carried only with a quorum."""
    quorum = present >= quorum_needed(body, entitled)
    return quorum, quorum and in_favour >= majority_needed(present)
