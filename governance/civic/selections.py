"""最美 selections (最美家庭, 最美网格, 最美院落): who may do what, the reads, and every write.

    open ──▶ nominating ──decide (the 道德评议会's vote)──▶ decided ──publish──▶ published
              │ nominate / withdraw (staff, for residents)                    │ (a family selection
                                                                              ▼  with a points rule)
                                                         ONE points batch, proposed through the
                                                         maker-checker (公示, another cadre approves)

Checked in the contract's order: the caller's role (403), the selection's status (409), the
input (400). The vote's quorum and who is selected are computed here, never sent: the council
sits with more than half of its members present, and a nominee is selected with the votes of
more than half of those present.

On the public board a family is its head's initials and 家 (Z.S.家), as the points 公示 and the
红黑榜 show households: being honoured is not consent to be named (PIPL), and the register's
names in the reasons are masked like every other text of the board (张某). A grid too small to
name (fewer than 30 households) is 某网格, as elsewhere on the board.
"""

import datetime
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.civic.access import check_reach, reaches, visible
from governance.civic.models import (
    CouncilKind,
    Meeting,
    MeetingStatus,
    Nomination,
    Selection,
    SelectionKind,
    SelectionStatus,
)
from governance.errors import Conflict, Forbidden
from governance.models import Role
from governance.roles import CIVIC_READERS, COUNCIL_RUNNERS, GRID_ROLES, NOMINATOR_ROLES
from governance.scoping import reaches_village, scope_for
from governance.steps import allowed, steps_allowed
from grids.models import Courtyard, Grid, Household, Village
from points.models import Account, Rule
from points.selectors import public_initials
from points.services import award_propose_batch

# action -> (the statuses it leaves, the status it reaches)
TRANSITIONS = {
    "nominate": (frozenset({SelectionStatus.NOMINATING}), SelectionStatus.NOMINATING),
    "withdraw": (frozenset({SelectionStatus.NOMINATING}), SelectionStatus.NOMINATING),
    "decide": (frozenset({SelectionStatus.NOMINATING}), SelectionStatus.DECIDED),
    "publish": (frozenset({SelectionStatus.DECIDED}), SelectionStatus.PUBLISHED),
}
NOMINEE_FIELD = {SelectionKind.FAMILY: "household", SelectionKind.GRID: "grid", SelectionKind.COURTYARD: "courtyard"}
PUBLIC_SHOWN = 10


class SelectionPermissionError(Forbidden):
    """The caller's role may not take this step on this selection (403)."""


class SelectionStateError(Conflict):
    """Not possible in the selection's current status (409)."""


# ---------------------------------------------------------------- who may do what


def check(user, action: str, selection: Selection) -> None:
    """The step's role (403), then the selection's status (409). The input is the service's."""
    if action == "nominate":
        roles, message = NOMINATOR_ROLES, _("Only the village's cadres and grid staff nominate.")
    else:
        roles, message = COUNCIL_RUNNERS, _("Only a village cadre of this village runs its selections.")
    if action != "withdraw":
        check_reach(user, roles, selection, message)
    elif not reaches(user, NOMINATOR_ROLES, selection):
        raise SelectionPermissionError(message)
    leaves, _reaches_status = TRANSITIONS[action]
    if selection.status not in leaves:
        raise SelectionStateError(
            _("Not possible while the selection is “%(status)s”.") % {"status": selection.get_status_display()},
            code=f"not_{'_or_'.join(sorted(leaves))}",
        )


def next_actions(user, selection: Selection) -> list[str]:
    return steps_allowed(check, user, TRANSITIONS, selection)


def may_withdraw(user, nomination: Nomination) -> bool:
    """Whoever nominated, or a village cadre of the village, while nominations are taken."""
    selection = nomination.selection
    if not allowed(check, user, "withdraw", selection):
        return False
    return nomination.nominated_by_id == user.pk or reaches(user, COUNCIL_RUNNERS, selection)


# ---------------------------------------------------------------- reads


def selections_visible_to(user):
    """The selections of the villages the user's civic reader roles reach, newest first, with
    the number of nominations (`nominated`)."""
    return (
        visible(Selection.objects.all(), user, CIVIC_READERS)
        .select_related("village", "award_batch")
        .annotate(nominated=Count("nominations"))
        .order_by("-year", "-id")
    )


def selection_detail_queryset(user):
    nominations = Nomination.objects.select_related("household", "grid", "courtyard", "nominated_by")
    return (
        selections_visible_to(user)
        .select_related("rule", "meeting")
        .prefetch_related(Prefetch("nominations", queryset=nominations))
    )


def nominee(nomination: Nomination):
    return nomination.household or nomination.grid or nomination.courtyard


def nominee_label(nomination: Nomination) -> str:
    """What staff read: the household's number and head, the grid's or courtyard's name."""
    if nomination.household_id:
        household = nomination.household
        return _("%(head)s's family (%(number)s)") % {"head": household.head_name or "—", "number": household.number}
    return nominee(nomination).name


def nominee_choices(user, selection: Selection):
    """What the user may nominate for the selection: the village's households, grids or
    courtyards for its cadres, only those of their own grid for grid staff."""
    model = {SelectionKind.FAMILY: Household, SelectionKind.GRID: Grid, SelectionKind.COURTYARD: Courtyard}
    queryset = model[selection.kind].objects.filter(village_id=selection.village_id)
    if selection.kind != SelectionKind.FAMILY:
        queryset = queryset.active()  # a grid or courtyard merged into another is nominated no more
    if not reaches(user, COUNCIL_RUNNERS, selection):
        grids = sorted(scope_for(user).ids_for(GRID_ROLES))
        queryset = (
            queryset.filter(pk__in=grids)
            if selection.kind == SelectionKind.GRID
            else queryset.filter(grid_id__in=grids)
        )
    if selection.kind == SelectionKind.FAMILY:
        return queryset.select_related("grid").order_by("grid__number", "number", "pk")
    return queryset.order_by("name", "pk")


def selection_rules(village_id: int):
    """The points rules a published family selection may award: active, earning, no evidence, and
    proposed by a village cadre (who publishes it)."""
    rules = Rule.objects.filter(village_id=village_id, is_active=True, points__gt=0, requires_evidence=False)
    # proposer_roles is a JSON list: read in Python (a village's catalogue is a few dozen rules),
    # as SQLite, the embedded default, has no JSON containment.
    cadres = [rule.pk for rule in rules.only("pk", "proposer_roles") if Role.VILLAGE_CADRE in rule.proposer_roles]
    return rules.filter(pk__in=cadres).order_by("order", "pk")


def council_meetings(village_id: int):
    """The village's held 道德评议会 meetings a decision may name."""
    return Meeting.objects.filter(village_id=village_id, kind=CouncilKind.MORAL, status=MeetingStatus.HELD).order_by(
        "-held_on", "-pk"
    )


def selections_public(village: Village, clean, private_grids=frozenset()) -> list[dict]:
    """The village's published selections as the public board shows them: the selected
    nominees only (a family as its head's initials and 家), the reasons masked by `clean`.
    Two queries, however many selections and nominees."""
    selected = Nomination.objects.filter(selected=True).select_related("household", "grid", "courtyard")
    rows = (
        Selection.objects.filter(village=village, status=SelectionStatus.PUBLISHED)
        .only("id", "village_id", "kind", "title", "year", "description", "published_at")
        .prefetch_related(Prefetch("nominations", queryset=selected.order_by("id"), to_attr="winners"))
        .order_by("-published_at", "-id")[:PUBLIC_SHOWN]
    )
    return [
        {
            "title": clean(selection.title),
            "kind": selection.get_kind_display(),
            "year": selection.year,
            "description": clean(selection.description),
            "published_on": timezone.localdate(selection.published_at) if selection.published_at else None,
            "winners": [
                {"name": _public_name(n, clean, private_grids), "reason": clean(n.reason)} for n in selection.winners
            ],
        }
        for selection in rows
    ]


def _public_name(nomination: Nomination, clean, private_grids) -> str:
    if nomination.household_id:
        return _("%(initials)s family") % {"initials": public_initials(nomination.household)}
    if nomination.grid_id:
        grid = nomination.grid
        return _("a grid (某网格)") if grid.name in private_grids else clean(grid.name)
    return clean(nomination.courtyard.name)


# ---------------------------------------------------------------- writes


def _locked(selection: Selection) -> Selection:
    return Selection.objects.select_for_update(of=("self",)).get(pk=selection.pk)


def _required(field: str, value: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


@transaction.atomic
def selection_open(
    *,
    actor,
    village: Village,
    kind: str,
    title: str,
    year: int,
    description: str = "",
    now: datetime.datetime | None = None,
) -> Selection:
    """A village cadre opens a selection: nominations are taken until the council decides."""
    now = now or timezone.now()
    if not reaches_village(actor, COUNCIL_RUNNERS, township_id=village.township_id, village_id=village.pk):
        raise SelectionPermissionError(_("Only a village cadre of this village opens a selection."))
    if kind not in SelectionKind.values:
        raise ValidationError({"kind": _("Choose the kind of selection.")})
    this_year = timezone.localdate(now).year
    if not this_year - 1 <= int(year) <= this_year + 1:
        raise ValidationError({"year": _("The year must be last year, this year or next year.")})
    return Selection.objects.create(
        township_id=village.township_id,
        village=village,
        kind=kind,
        title=_required("title", title, _("Give the selection a title, e.g. 2026年度最美家庭.")),
        year=year,
        description=(description or "").strip(),
        created_by=actor,
    )


def _place(obj) -> SimpleNamespace:
    """The place ids Scope.covers reads, for a household, a grid or a courtyard."""
    if isinstance(obj, Grid):
        return SimpleNamespace(
            township_id=obj.township_id, village_id=obj.village_id, grid_id=obj.pk, courtyard_id=None
        )
    return obj


@transaction.atomic
def nomination_add(
    *,
    selection: Selection,
    actor,
    reason: str,
    household: Household | None = None,
    grid: Grid | None = None,
    courtyard: Courtyard | None = None,
) -> Nomination:
    """A member of staff puts a household, a grid or a courtyard forward, with why. Grid staff
    nominate only within their own grid; the nominee matches the selection's kind, lives in its
    village and is nominated once."""
    selection = _locked(selection)
    check(actor, "nominate", selection)
    field = NOMINEE_FIELD[selection.kind]
    given = {"household": household, "grid": grid, "courtyard": courtyard}
    target = given[field]
    if target is None or any(value is not None for name, value in given.items() if name != field):
        message = _("Name exactly one nominee of the kind a “%(kind)s” takes.")
        raise ValidationError({field: message % {"kind": selection.get_kind_display()}})
    if target.village_id != selection.village_id:
        raise ValidationError({field: _("Not in this selection's village.")})
    if not scope_for(actor).covers(_place(target), NOMINATOR_ROLES):
        raise SelectionPermissionError(_("Grid staff nominate only within their own grid."), code="not_your_grid")
    if Nomination.objects.filter(selection=selection, **{field: target}).exists():
        raise ValidationError({field: _("Already nominated for this selection.")})
    return Nomination.objects.create(
        selection=selection,
        reason=_required("reason", reason, _("Say why they are nominated.")),
        nominated_by=actor,
        **{field: target},
    )


@transaction.atomic
def nomination_withdraw(*, nomination: Nomination, actor) -> None:
    """Take a nomination back while nominations are taken: whoever made it, or a village cadre."""
    selection = _locked(nomination.selection)
    nomination = Nomination.objects.select_related("selection").get(pk=nomination.pk)
    check(actor, "withdraw", selection)
    if not may_withdraw(actor, nomination):
        raise SelectionPermissionError(_("Only whoever nominated, or a village cadre, takes a nomination back."))
    nomination.delete()


def _vote_errors(*, entitled, present, votes, nominations) -> dict:
    errors = {}
    if entitled is None or entitled < 1:
        errors["entitled"] = _("How many members does the council have?")
    elif present is None or present < 0 or present > entitled:
        errors["present"] = _("Between none and all of the council's members.")
    elif present * 2 <= entitled:
        errors["present"] = _(
            "No quorum: more than half of the council's %(entitled)d members must be present to decide."
        ) % {"entitled": entitled}
    if errors:
        return errors
    ids = {n.pk for n in nominations}
    unknown = set(votes) - ids
    missing = ids - set(votes)
    if unknown or missing:
        errors["votes"] = _("Give the votes for each nomination of this selection, and only those.")
    elif any(v is None or v < 0 or v > present for v in votes.values()):
        errors["votes"] = _("Each nominee's votes are between none and the members present (%(present)d).") % {
            "present": present
        }
    elif not any(v * 2 > present for v in votes.values()):
        errors["votes"] = _(
            "Nobody is selected: a nominee needs the votes of more than half of the %(present)d members present. "
            "Record the vote once the council has chosen."
        ) % {"present": present}
    return errors


@transaction.atomic
def selection_decide(
    *,
    selection: Selection,
    actor,
    entitled: int,
    present: int,
    votes: dict[int, int],
    meeting: Meeting | None = None,
    now: datetime.datetime | None = None,
) -> Selection:
    """The 道德评议会's vote, recorded by a village cadre: the votes for each nomination (by id).
    The council decides with more than half of its members present; a nominee with the votes
    of more than half of those present is selected. At least one must be."""
    now = now or timezone.now()
    selection = _locked(selection)
    check(actor, "decide", selection)
    nominations = list(selection.nominations.select_for_update().order_by("pk"))
    if not nominations:
        raise SelectionStateError(_("Nobody is nominated yet."), code="no_nominations")
    if meeting is not None and not council_meetings(selection.village_id).filter(pk=meeting.pk).exists():
        raise ValidationError({"meeting": _("Name a 道德评议会 meeting of this village that was held.")})
    votes = {int(k): (None if v is None else int(v)) for k, v in (votes or {}).items()}
    if errors := _vote_errors(entitled=entitled, present=present, votes=votes, nominations=nominations):
        raise ValidationError(errors)
    for nomination in nominations:
        nomination.votes_for = votes[nomination.pk]
        nomination.selected = nomination.votes_for * 2 > present
    Nomination.objects.bulk_update(nominations, ["votes_for", "selected"])
    selection.status = SelectionStatus.DECIDED
    selection.entitled, selection.present, selection.meeting = entitled, present, meeting
    selection.decided_by, selection.decided_at = actor, now
    selection.save(update_fields=["status", "entitled", "present", "meeting", "decided_by", "decided_at"])
    return selection


@transaction.atomic
def selection_publish(
    *, selection: Selection, actor, rule: Rule | None = None, now: datetime.datetime | None = None
) -> Selection:
    """Publish the decision on the village's public board. For a family selection with a points
    rule (active, earning, of the village, needing no evidence: a batch carries none), the
    selected households' passbooks are proposed ONE batch, which waits for its 公示 and another
    cadre's approval (maker-checker) before it reaches the ledger."""
    now = now or timezone.now()
    selection = _locked(selection)
    check(actor, "publish", selection)
    if rule is not None:
        if selection.kind != SelectionKind.FAMILY:
            raise ValidationError({"rule": _("Only a family selection awards points to passbooks.")})
        if not selection_rules(selection.village_id).filter(pk=rule.pk).exists():
            raise ValidationError(
                {
                    "rule": _(
                        "Choose an active earning rule of this village, proposed by a cadre, that needs no evidence."
                    )
                }
            )
        households = Nomination.objects.filter(selection=selection, selected=True).values("household_id")
        accounts = list(Account.objects.filter(household_id__in=households).order_by("pk"))
        if len(accounts) != households.count():
            raise ValidationError({"rule": _("A selected household has no passbook yet: open it first.")})
        selection.award_batch = award_propose_batch(
            actor=actor,
            rule=rule,
            accounts=accounts,
            occurred_on=timezone.localdate(selection.decided_at or now),
            note=selection.title,
            now=now,
        )
        selection.rule = rule
    selection.status = SelectionStatus.PUBLISHED
    selection.published_by, selection.published_at = actor, now
    selection.save(update_fields=["status", "published_by", "published_at", "rule", "award_batch"])
    return selection
