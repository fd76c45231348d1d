"""People's mediation (人民调解) under the 人民调解法: who records it, the reads, and every write.

    open ──agree──▶ agreed ──revisit (回访, within a month)──▶ (revisited)
      └───fail───▶ failed (the parties guided to a lawsuit, arbitration, 信访 ...)

Mediators are current members of a mediation team reachable for the village (its own or its
township's). Mediations are recorded by MEDIATION_RECORDERS reaching the village (grid staff
their grid's village). The agreement starts two clocks: the 30 days in which the parties may
ask the court to confirm it (司法确认, Art. 33) and the return visit within a month; the daily
task (governance.civic.tasks) reminds each once.

A mediation may name a matter of its village. When it names a civil (民事) matter that is
still being deliberated and the recorder owns it, the agreement is also recorded on the
matter as its mediation record (petitions.services.matter_deliberate), so the matter's
timeline shows it; otherwise nothing is written on the matter and the page says why.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.civic.access import check_reach, visible
from governance.civic.models import (
    RETURN_VISIT_DAYS,
    DisputeKind,
    GuidedTo,
    Mediation,
    MediationStatus,
    Performance,
    Team,
    TeamMember,
)
from governance.civic.teams import mediation_teams_for
from governance.errors import Conflict, Forbidden
from governance.limits import too_early
from governance.masking import mask_phone
from governance.roles import MEDIATION_RECORDERS
from governance.scoping import reaches_village
from governance.steps import steps_allowed
from grids.idnumbers import validate_phone
from grids.models import Grid, Village
from petitions import workflow
from petitions.models import Deliberation, Kind, Matter, State

NOT_A_RECORDER = gettext_lazy("Only the village's cadres, its grid staff or the township record mediations.")
SIDES = ("applicant", "respondent")
# A dispute among more parties is a group dispute (群体性纠纷), not one agreement to sign.
MAX_PARTIES = 20

# action -> the statuses it leaves
TRANSITIONS = {
    "agree": frozenset({MediationStatus.OPEN}),
    "fail": frozenset({MediationStatus.OPEN}),
    "revisit": frozenset({MediationStatus.AGREED}),
}


class MediationStateError(Conflict):
    """Not possible in the mediation's current status (409)."""


# ---------------------------------------------------------------- who may


def may_record(user, *, township_id: int, village_id: int) -> bool:
    return reaches_village(user, MEDIATION_RECORDERS, township_id=township_id, village_id=village_id)


def check(user, action: str, mediation: Mediation) -> None:
    """The role (403), then the status (409); the input is the service's."""
    check_reach(user, MEDIATION_RECORDERS, mediation, NOT_A_RECORDER)
    if mediation.status not in TRANSITIONS[action]:
        raise MediationStateError(
            _("Not possible while the mediation is “%(status)s”.") % {"status": mediation.get_status_display()},
            code=f"not_{'_or_'.join(sorted(TRANSITIONS[action]))}",
        )
    if action == "revisit" and mediation.revisited_on is not None:
        raise MediationStateError(_("The return visit is recorded already."), code="revisited_already")


def next_actions(user, mediation: Mediation) -> list[str]:
    """The steps the reader may take now."""
    return steps_allowed(check, user, TRANSITIONS, mediation)


def next_step(mediation: Mediation, today: datetime.date | None = None) -> str:
    """What the mediation waits for: "agree_or_fail", "revisit_due", "revisit", or ""."""
    today = today or timezone.localdate()
    if mediation.status == MediationStatus.OPEN:
        return "agree_or_fail"
    if mediation.status == MediationStatus.AGREED and mediation.revisited_on is None:
        return "revisit_due" if mediation.return_visit_due and mediation.return_visit_due <= today else "revisit"
    return ""


# ---------------------------------------------------------------- reads


def mediations_visible_to(user):
    """The mediations of the villages the user's civic roles reach, newest first, with their
    team and mediators."""
    queryset = Mediation.objects.select_related("village", "grid", "team", "recorded_by", "matter").prefetch_related(
        Prefetch("mediators", queryset=TeamMember.objects.select_related("team").order_by("team_id", "role", "id"))
    )
    return visible(queryset, user)


def parties_shown(mediation: Mediation) -> list[dict]:
    """The parties with their phones masked, as the app shows phones."""
    return [{**party, "phone": mask_phone(party.get("phone", ""))} for party in mediation.parties]


def matter_link(mediation: Mediation) -> str:
    """What the agreement did on the linked matter: "recorded" (its mediation record is on
    the matter's timeline), "not_civil", "not_deliberating", "not_owner", or "" (no matter,
    or no agreement yet)."""
    if mediation.matter_id is None or mediation.status != MediationStatus.AGREED:
        return ""
    matter = mediation.matter
    if Deliberation.objects.filter(
        matter=matter, kind=Deliberation.Kind.MEDIATION, agreed_terms=mediation.terms
    ).exists():
        return "recorded"
    if matter.kind != Kind.CIVIL:
        return "not_civil"
    if matter.state not in (State.CLASSIFIED, State.DELIBERATING):
        return "not_deliberating"
    return "not_owner"


# ---------------------------------------------------------------- writes


def _locked(mediation: Mediation) -> Mediation:
    return Mediation.objects.select_for_update(of=("self",)).select_related("matter").get(pk=mediation.pk)


def _parties(parties) -> list[dict]:
    """[{"name", "side", "phone", "address"}]: at least two named parties, phones checked."""
    parties = list(parties or [])
    if len(parties) > MAX_PARTIES:
        raise ValidationError({"parties": _("At most %(count)d parties.") % {"count": MAX_PARTIES}})
    cleaned = []
    for index, party in enumerate(parties):
        if not isinstance(party, dict):
            raise ValidationError({"parties": _("Each party has a name.")})
        name = str(party.get("name") or "").strip()
        if not name:
            continue
        try:
            phone = validate_phone(str(party.get("phone") or ""))
        except ValidationError as error:
            raise ValidationError(
                {"parties": _("Party %(n)d: %(error)s") % {"n": index + 1, "error": error.messages[0]}}
            ) from error
        side = party.get("side") or (SIDES[0] if not cleaned else SIDES[1])
        if side not in SIDES:
            raise ValidationError({"parties": _("A party is the applicant or the respondent.")})
        cleaned.append(
            {"name": name[:50], "side": side, "phone": phone, "address": str(party.get("address") or "").strip()[:100]}
        )
    if len(cleaned) < 2:
        raise ValidationError({"parties": _("A mediation has at least two parties, each with a name.")})
    return cleaned


def _number(village: Village, year: int) -> str:
    """李湾调〔2026〕1号: the village's mediations of the year, in order. The caller holds the
    village's row lock, so two recorders never draw the same number."""
    short = village.name[:-1] if village.name.endswith("村") and len(village.name) > 1 else village.name
    count = Mediation.objects.filter(village=village, held_on__year=year).count()
    return f"{short}调〔{year}〕{count + 1}号"


def _place_errors(village: Village, grid: Grid | None, matter: Matter | None) -> dict:
    """The grid and the matter are of the village, and the matter of the grid given."""
    errors = {}
    if grid is not None and grid.village_id != village.pk:
        errors["grid"] = _("The grid is not in this village.")
    if matter is not None and matter.village_id != village.pk:
        errors["matter"] = _("The matter is not of this village.")
    elif grid is not None and matter is not None and matter.grid_id and matter.grid_id != grid.pk:
        errors["grid"] = _("The matter it settles is of another grid.")
    return errors


@transaction.atomic
def mediation_open(
    *,
    actor,
    village: Village,
    mediators: list[TeamMember],
    dispute_kind: str,
    parties: list[dict],
    facts: str,
    held_on: datetime.date,
    team: Team | None = None,
    place: str = "",
    grid: Grid | None = None,
    matter: Matter | None = None,
) -> Mediation:
    """Record a mediation being held: its mediators (current members of a mediation team
    reachable for the village; the team defaults to the first mediator's), at least two
    parties, the facts. Numbered per village and year."""
    if not may_record(actor, township_id=village.township_id, village_id=village.pk):
        raise Forbidden(NOT_A_RECORDER)
    # The number's sequence: one recorder of the village at a time.
    village = Village.objects.select_for_update().get(pk=village.pk)
    today = timezone.localdate()
    errors = {}
    if dispute_kind not in DisputeKind.values:
        errors["dispute_kind"] = _("Choose the kind of dispute.")
    if held_on > today:
        errors["held_on"] = _("A mediation cannot be held in the future.")
    elif early := too_early(held_on, today):
        errors["held_on"] = early
    facts = (facts or "").strip()
    if not facts:
        errors["facts"] = _("Write the facts and what each party asks.")
    teams = mediation_teams_for(village)
    mediators = list(mediators or [])
    if not mediators:
        errors["mediators"] = _("Choose at least one mediator.")
    # Read again from the database: the caller's instances may predate a member's leaving.
    serving = set(
        TeamMember.objects.filter(
            pk__in=[member.pk for member in mediators], team__in=teams, joined_on__lte=held_on, left_on__isnull=True
        ).values_list("pk", flat=True)
    )
    for member in mediators:
        if member.pk not in serving:
            errors["mediators"] = _("%(name)s is not a current member of a mediation team of this village.") % {
                "name": member.name
            }
    if team is None and mediators:
        team = mediators[0].team
    if team is not None and not teams.filter(pk=team.pk).exists():
        errors["team"] = _("Choose a mediation team of this village or its township.")
    errors.update(_place_errors(village, grid, matter))
    try:
        parties = _parties(parties)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    mediation = Mediation.objects.create(
        township_id=village.township_id,
        village=village,
        grid=grid or (matter.grid if matter is not None and matter.grid_id else None),
        matter=matter,
        number=_number(village, held_on.year),
        team=team,
        dispute_kind=dispute_kind,
        parties=parties,
        facts=facts,
        held_on=held_on,
        place=(place or "").strip(),
        recorded_by=actor,
    )
    mediation.mediators.set(mediators)
    return mediation


@transaction.atomic
def mediation_agree(
    *, mediation: Mediation, actor, terms: str, perform_by: datetime.date, agreed_on: datetime.date | None = None
) -> Mediation:
    """The parties agreed: the terms, the day they are to be carried out, the day it was signed
    (today by default). The return visit falls due a month later. On a linked civil matter
    still being deliberated, owned by the actor, the agreement is the matter's mediation record."""
    mediation = _locked(mediation)
    check(actor, "agree", mediation)
    today = timezone.localdate()
    agreed_on = agreed_on or today
    errors = {}
    terms = (terms or "").strip()
    if not terms:
        errors["terms"] = _("Write down what the parties agreed.")
    if agreed_on > today:
        errors["agreed_on"] = _("The agreement cannot be signed in the future.")
    elif agreed_on < mediation.held_on:
        errors["agreed_on"] = _("The agreement cannot be signed before the mediation.")
    if perform_by is None:
        errors["perform_by"] = _("Say by when the agreement is to be carried out.")
    elif perform_by < agreed_on:
        errors["perform_by"] = _("It cannot be carried out before it is signed.")
    if errors:
        raise ValidationError(errors)
    mediation.status = MediationStatus.AGREED
    mediation.terms, mediation.perform_by, mediation.agreed_on = terms, perform_by, agreed_on
    mediation.return_visit_due = agreed_on + datetime.timedelta(days=RETURN_VISIT_DAYS)
    mediation.save(update_fields=["status", "terms", "perform_by", "agreed_on", "return_visit_due", "updated_at"])
    _record_on_matter(mediation, actor)
    return mediation


def _record_on_matter(mediation: Mediation, actor) -> None:
    """The agreement as the civil matter's mediation record, when the matter is one being
    deliberated and the actor owns it (the matter's rules, not ours, say who records there)."""
    matter = mediation.matter
    if matter is None or matter.kind != Kind.CIVIL or matter.state not in (State.CLASSIFIED, State.DELIBERATING):
        return
    if not workflow.may(actor, "deliberate", matter):
        return
    from petitions.services import matter_deliberate

    names = [party["name"] for party in mediation.parties]
    mediators = [member.name for member in mediation.mediators.all()]
    matter_deliberate(
        matter=matter,
        actor=actor,
        kind=Deliberation.Kind.MEDIATION,
        held_on=mediation.agreed_on,
        summary=_("People's mediation %(number)s by %(team)s: agreement reached.")
        % {"number": mediation.number, "team": mediation.team.name},
        attendees=mediators,
        parties=names,
        facts=mediation.facts,
        agreed_terms=mediation.terms,
        signed_by=names,
        confirm_duplicate=True,
    )


@transaction.atomic
def mediation_fail(
    *, mediation: Mediation, actor, guided_to: str, note: str, failed_on: datetime.date | None = None
) -> Mediation:
    """No agreement: where the parties were guided (a lawsuit, arbitration, 信访 ...) and what
    they were told."""
    mediation = _locked(mediation)
    check(actor, "fail", mediation)
    today = timezone.localdate()
    failed_on = failed_on or today
    errors = {}
    if guided_to not in GuidedTo.values:
        errors["guided_to"] = _("Say where the parties were guided.")
    note = (note or "").strip()
    if not note:
        errors["note"] = _("Write why it failed and what the parties were told.")
    if failed_on > today:
        errors["failed_on"] = _("The day cannot be in the future.")
    elif failed_on < mediation.held_on:
        errors["failed_on"] = _("It cannot end before the mediation was held.")
    if errors:
        raise ValidationError(errors)
    mediation.status = MediationStatus.FAILED
    mediation.guided_to, mediation.failure_note, mediation.failed_on = guided_to, note, failed_on
    mediation.save(update_fields=["status", "guided_to", "failure_note", "failed_on", "updated_at"])
    return mediation


@transaction.atomic
def mediation_revisit(
    *, mediation: Mediation, actor, performance: str, note: str = "", revisited_on: datetime.date | None = None
) -> Mediation:
    """The return visit (回访): whether the agreement was carried out, and what was found."""
    mediation = _locked(mediation)
    check(actor, "revisit", mediation)
    today = timezone.localdate()
    revisited_on = revisited_on or today
    errors = {}
    if performance not in Performance.values:
        errors["performance"] = _("Say whether the agreement was carried out.")
    if revisited_on > today:
        errors["revisited_on"] = _("The day cannot be in the future.")
    elif revisited_on < mediation.agreed_on:
        errors["revisited_on"] = _("The return visit cannot come before the agreement.")
    if errors:
        raise ValidationError(errors)
    mediation.performance, mediation.revisit_note = performance, (note or "").strip()
    mediation.revisited_on, mediation.revisited_by = revisited_on, actor
    mediation.save(update_fields=["performance", "revisit_note", "revisited_on", "revisited_by", "updated_at"])
    return mediation


def detail_url(mediation: Mediation) -> str:
    return reverse("civic:mediation-detail", args=[mediation.pk])
