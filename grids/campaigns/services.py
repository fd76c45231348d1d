"""Campaigns (专项排查): who may do what, and every write.

    draft ──start──▶ started ──close──▶ closed
      │ edit, set the form (only while a draft: a started campaign's form never changes)

Each service locks its row and checks in the contract's order: the caller's role (403), the
state (409), the input (400). Starting writes every task in one INSERT … SELECT (13 000
households of a township in 2–3 s on the bench's busy 2-core machine, a third of it writing the
rows and their indexes, the rest checking their foreign keys at commit: docs/campaigns.md, At
scale); answering
is keyed by the phone's UUID, like a visit: the same answer sent again returns the stored task,
another answer under the same UUID is a conflict.

An answer may call for findings (questionnaire.Finding): a matter of a category, raised with
the answers as its description and routed as any other, and a follow-up task some days later.
"""

import datetime
import hashlib
import json
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.errors import Conflict, Forbidden
from governance.roles import CAMPAIGN_ANSWERERS, CAMPAIGN_ORGANISERS
from governance.scoping import reaches_village, scope_for, villages_for
from grids.campaigns.models import AnswerPhoto, Campaign, Task
from grids.campaigns.questionnaire import Form
from grids.models import Household, Resident, Township, Village

MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 30, 3650


class CampaignPermissionError(Forbidden):
    """The caller's role may not do this to this campaign or task (403)."""


class CampaignStateError(Conflict):
    """Not possible in the campaign's or the task's state (409)."""


# ---------------------------------------------------------------- who may do what


def may_organise(user, *, township_id: int, village_id: int | None) -> bool:
    """A township official for the township's campaigns (its own or one village's), a village
    cadre for their village's."""
    return reaches_village(user, CAMPAIGN_ORGANISERS, township_id=township_id, village_id=village_id)


def _check_organiser(user, campaign: Campaign) -> None:
    if not may_organise(user, township_id=campaign.township_id, village_id=campaign.village_id):
        raise CampaignPermissionError(_("Only the township or the village's cadres who own the campaign may do this."))


def _check_state(campaign: Campaign, *states: str) -> None:
    if campaign.state not in states:
        raise CampaignStateError(
            _("Not possible while the campaign is “%(state)s”.") % {"state": campaign.get_state_display()},
            code=f"campaign_not_{'_or_'.join(states)}",
        )


# ---------------------------------------------------------------- making a campaign


def _content(*, township, village, title, purpose, starts_on, due_on, retention_days) -> dict:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the campaign a title.")})
    if len(title) > 100:
        raise ValidationError({"title": _("At most 100 characters.")})
    if village is not None and village.township_id != township.pk:
        raise ValidationError({"village": _("This village is not in the campaign's township.")})
    if due_on < starts_on:
        raise ValidationError({"due_on": _("The deadline comes on or after the first day.")})
    if not MIN_RETENTION_DAYS <= retention_days <= MAX_RETENTION_DAYS:
        raise ValidationError(
            {
                "retention_days": _("Keep the answers from %(min)d to %(max)d days.")
                % {"min": MIN_RETENTION_DAYS, "max": MAX_RETENTION_DAYS}
            }
        )
    return {
        "title": title,
        "purpose": (purpose or "").strip()[:2000],
        "starts_on": starts_on,
        "due_on": due_on,
        "retention_days": retention_days,
    }


def _check_places(campaign: Campaign, *, villages, grids, courtyards) -> None:
    """Every chosen place lies inside the campaign's township (and village, for a village's)."""

    def inside(place) -> bool:
        village_id = place.pk if isinstance(place, Village) else place.village_id
        return place.township_id == campaign.township_id and campaign.village_id in (None, village_id)

    for field, places in (("villages", villages), ("grids", grids), ("courtyards", courtyards)):
        outside = [place for place in places if not inside(place)]
        if outside:
            raise ValidationError(
                {field: _("“%(place)s” is not within the campaign's places.") % {"place": outside[0]}}
            )
        if any(getattr(place, "retired_on", None) for place in places):
            raise ValidationError({field: _("A merged place has no households of its own; choose the one it joined.")})


def _set_coverage(campaign: Campaign, *, villages, grids, courtyards, tags) -> None:
    villages, grids, courtyards, tags = list(villages), list(grids), list(courtyards), list(tags)
    _check_places(campaign, villages=villages, grids=grids, courtyards=courtyards)
    campaign.villages.set(villages)
    campaign.grids.set(grids)
    campaign.courtyards.set(courtyards)
    campaign.tags.set(tags)


def _campaign_township(actor, township: Township | None, village: Village | None) -> Township:
    if village is not None:
        if township is not None and township.pk != village.township_id:
            raise ValidationError({"village": _("This village is not in the campaign's township.")})
        return village.township
    if township is not None:
        return township
    townships = sorted({v.township_id for v in villages_for(actor, CAMPAIGN_ORGANISERS).only("township_id")})
    if len(townships) != 1:
        raise ValidationError({"township": _("Choose the township.")})
    return Township.objects.get(pk=townships[0])


@transaction.atomic
def campaign_create(
    *,
    actor,
    township: Township | None = None,
    village: Village | None = None,
    title: str,
    purpose: str = "",
    starts_on: datetime.date,
    due_on: datetime.date,
    retention_days: int = 365,
    villages=(),
    grids=(),
    courtyards=(),
    tags=(),
    form: list | None = None,
    form_source: str = "",
) -> Campaign:
    """A draft campaign of the township (village None) or of one village; its form may come
    now or later (campaign_set_form). The township is the village's, or else the organiser's
    own (asked for when they organise in several)."""
    township = _campaign_township(actor, township, village)
    if not may_organise(actor, township_id=township.pk, village_id=village.pk if village else None):
        raise CampaignPermissionError(_("Only the township, or a village's cadres for their village, make campaigns."))
    content = _content(
        township=township,
        village=village,
        title=title,
        purpose=purpose,
        starts_on=starts_on,
        due_on=due_on,
        retention_days=retention_days,
    )
    checked_form = _checked_form(form) if form else []
    campaign = Campaign.objects.create(
        township=township,
        village=village,
        created_by=actor,
        form=checked_form,
        form_source=form_source[:100] if form else "",
        **content,
    )
    _set_coverage(campaign, villages=villages, grids=grids, courtyards=courtyards, tags=tags)
    return campaign


def _checked_form(form) -> list:
    """The form as it is kept, its problems a field error on `form`."""
    try:
        return Form.from_json(form).to_json()
    except ValidationError as error:
        raise ValidationError({"form": error.messages})


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


@transaction.atomic
def campaign_edit(*, campaign: Campaign, actor, villages=None, grids=None, courtyards=None, tags=None, **fields):
    """Change a draft's title, purpose, dates, retention or coverage (None: unchanged)."""
    campaign = _locked(campaign)
    _check_organiser(actor, campaign)
    _check_state(campaign, Campaign.State.DRAFT)
    current = {name: getattr(campaign, name) for name in ("title", "purpose", "starts_on", "due_on", "retention_days")}
    unknown = set(fields) - set(current)
    if unknown:
        raise TypeError(f"campaign_edit got {sorted(unknown)}")
    content = _content(township=campaign.township, village=campaign.village, **{**current, **fields})
    for name, value in content.items():
        setattr(campaign, name, value)
    campaign.save(update_fields=list(content))
    _set_coverage(
        campaign,
        villages=campaign.villages.all() if villages is None else villages,
        grids=campaign.grids.all() if grids is None else grids,
        courtyards=campaign.courtyards.all() if courtyards is None else courtyards,
        tags=campaign.tags.all() if tags is None else tags,
    )
    return campaign


def form_fingerprint(form: list) -> str:
    """Names one version of a form: the builder page sends the version it was looking at."""
    return _fingerprint({"form": form or []})


def check_may_set_form(*, campaign: Campaign, actor) -> None:
    """What campaign_set_form asks before the input: the organiser (403), a draft (409). The
    builder page asks it before showing its fields."""
    _check_organiser(actor, campaign)
    _check_state(campaign, Campaign.State.DRAFT)


@transaction.atomic
def campaign_set_form(*, campaign: Campaign, actor, form: list, source: str = "", based_on: str = "") -> Campaign:
    """Give a draft its form (built in the page, from the library, or read from an XLSForm).

    `based_on`: the fingerprint of the form the change was made to (the builder page); if the
    form has changed since (another organiser's save), nothing is saved (409), rather than
    one save silently undoing the other."""
    campaign = _locked(campaign)
    check_may_set_form(campaign=campaign, actor=actor)
    if based_on and based_on != form_fingerprint(campaign.form):
        raise CampaignStateError(
            _("Someone changed this form meanwhile; nothing was saved. Look at it again and redo your change."),
            code="form_changed",
        )
    campaign.form = _checked_form(form)
    campaign.form_source = source[:100]
    campaign.save(update_fields=["form", "form_source"])
    return campaign


# ---------------------------------------------------------------- starting: the tasks


def covered_households(campaign: Campaign):
    """The households the campaign covers: those of its chosen places (none chosen: all of its
    township or village), narrowed to those with one of its tags, on the household or on a
    member living there."""
    households = Household.objects.filter(township_id=campaign.township_id)
    if campaign.village_id:
        households = households.filter(village_id=campaign.village_id)
    places = Q(pk__in=[])
    for field, ids in (
        ("village_id__in", list(campaign.villages.values_list("pk", flat=True))),
        ("grid_id__in", list(campaign.grids.values_list("pk", flat=True))),
        ("courtyard_id__in", list(campaign.courtyards.values_list("pk", flat=True))),
    ):
        if ids:
            places |= Q(**{field: ids})
    if places != Q(pk__in=[]):
        households = households.filter(places)
    tag_ids = list(campaign.tags.values_list("pk", flat=True))
    if tag_ids:
        members = Resident.objects.filter(
            tags__in=tag_ids, status__in=[Resident.Status.RESIDENT, Resident.Status.AWAY]
        ).values("household_id")
        households = households.filter(
            Q(pk__in=Household.tags.through.objects.filter(tag_id__in=tag_ids).values("household_id"))
            | Q(pk__in=members)
        )
    return households


def _categories(form: Form) -> None:
    from petitions.models import MatterCategory

    codes = form.category_codes()
    active = set(MatterCategory.objects.filter(code__in=codes, is_active=True).values_list("code", flat=True))
    missing = sorted(codes - active)
    if missing:
        raise ValidationError(
            {"form": _("The form raises matters of category “%(code)s”, which is not an active category.")
             % {"code": missing[0]}}
        )  # fmt: skip


def _write_tasks(campaign: Campaign) -> int:
    """One open task per covered household, in one statement (ON CONFLICT: a household that
    already has its task keeps it)."""
    inner, params = (
        covered_households(campaign)
        .order_by()
        .values_list("pk", "township_id", "village_id", "grid_id")
        .query.sql_with_params()
    )
    table = Task._meta.db_table
    columns = "household_id, township_id, village_id, grid_id, campaign_id, due_on, state, fingerprint"
    # Our own table and columns, and the ORM's SQL with its parameters kept apart.
    select = f"SELECT covered.*, %s, %s, %s, '' FROM ({inner}) AS covered WHERE 1 = 1"  # nosec B608
    sql = f"INSERT INTO {table} ({columns}) {select} ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, campaign.due_on, Task.State.OPEN, *params])
        return cursor.rowcount


@transaction.atomic
def campaign_start(*, campaign: Campaign, actor, now: datetime.datetime | None = None) -> Campaign:
    """Review done: freeze the form and send the campaign down, one task per covered household."""
    now = now or timezone.now()
    campaign = _locked(campaign)
    _check_organiser(actor, campaign)
    _check_state(campaign, Campaign.State.DRAFT)
    if not campaign.form:
        raise ValidationError({"form": _("Give the campaign its form before starting it.")})
    form = Form.from_json(campaign.form)
    _categories(form)
    if campaign.due_on < timezone.localdate(now):
        raise ValidationError({"due_on": _("The deadline has passed; set a later one before starting.")})
    count = _write_tasks(campaign)
    if count == 0:
        raise ValidationError({"coverage": _("No household matches the chosen places and tags.")})
    campaign.state, campaign.started_by, campaign.started_at = Campaign.State.STARTED, actor, now
    campaign.task_count = count
    campaign.save(update_fields=["state", "started_by", "started_at", "task_count"])
    return campaign


@transaction.atomic
def campaign_close(*, campaign: Campaign, actor, now: datetime.datetime | None = None) -> Campaign:
    """End a campaign: its open tasks leave the to-do lists; what was answered stays."""
    campaign = _locked(campaign)
    _check_organiser(actor, campaign)
    _check_state(campaign, Campaign.State.STARTED)
    campaign.state, campaign.closed_at = Campaign.State.CLOSED, now or timezone.now()
    campaign.save(update_fields=["state", "closed_at"])
    return campaign


# ---------------------------------------------------------------- answering


def _fingerprint(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _stored(client_uuid, task_id: int, fingerprint: str) -> Task | None:
    stored = Task.objects.filter(client_uuid=client_uuid).first()
    if stored is not None and (stored.pk != task_id or stored.fingerprint != fingerprint):
        raise CampaignStateError(
            _("A different answer was already sent with this client UUID."), code="answer_uuid_reused"
        )
    return stored


def _check_answered_at(answered_at: datetime.datetime, campaign: Campaign, now: datetime.datetime) -> None:
    if timezone.is_naive(answered_at):
        raise ValidationError({"answered_at": _("Give the time with its time zone.")})
    if answered_at > now + datetime.timedelta(minutes=settings.VISIT_FUTURE_TOLERANCE_MINUTES):
        raise ValidationError(
            {"answered_at": _("The time is in the future. Check the date and the clock of your phone.")}
        )
    if campaign.started_at and answered_at < campaign.started_at - datetime.timedelta(days=1):
        raise ValidationError({"answered_at": _("The time is before the campaign started.")})


def _attach_photos(task: Task, form: Form, answers: dict, actor) -> None:
    tokens = [answers[q.name] for q in form.questions if q.kind == "photo" and q.name in answers]
    if not tokens:
        return
    photos = AnswerPhoto.objects.select_for_update().filter(token__in=tokens, uploaded_by=actor)
    found = {photo.token: photo for photo in photos if photo.task_id in (None, task.pk)}
    for question in form.questions:
        if question.kind == "photo" and answers.get(question.name) not in (None, *found):
            raise ValidationError({question.name: _("The photo did not arrive; take it again.")})
    AnswerPhoto.objects.filter(pk__in=[photo.pk for photo in found.values()]).update(task=task)


def _description(campaign: Campaign, form: Form, answers: dict) -> str:
    lines = [_("Campaign “%(title)s”:") % {"title": campaign.title}]
    for question in form.questions:
        if question.name in answers and question.kind != "photo":
            lines.append(f"{question.label}：{form.display(question, answers[question.name])}")
    return "\n".join(lines)


def _findings(task: Task, form: Form, answers: dict, actor, day: datetime.date) -> None:
    """Raise the matters and write the follow-up tasks the answers call for."""
    from petitions.models import MatterCategory, Source
    from petitions.services import matter_submit

    description = _description(task.campaign, form, answers)
    household = task.household
    for question, finding in form.findings_in(answers):
        if finding.category:
            matter = matter_submit(
                actor=actor,
                title=f"{task.campaign.title}：{question.label}"[:60],
                description=description,
                grid=household.grid,
                household=household,
                category=MatterCategory.objects.get(code=finding.category),
                source=Source.VISIT,
                submitter_name=household.head_name or actor.get_full_name() or actor.username,
                on_behalf=True,
            )
            task.matters.add(matter)
        if finding.follow_up_days:
            Task.objects.create(
                campaign=task.campaign,
                household=household,
                township_id=household.township_id,
                village_id=household.village_id,
                grid_id=household.grid_id,
                follows=task,
                due_on=day + datetime.timedelta(days=finding.follow_up_days),
            )


def task_answer(
    *,
    actor,
    task: Task,
    client_uuid,
    answers: dict,
    answered_at: datetime.datetime | None = None,
    visit=None,
    now: datetime.datetime | None = None,
) -> tuple[Task, bool]:
    """Answer a household's task (on a visit, or on its own). Returns (task, created): a resend
    of the same answer under the same UUID returns the stored task and writes nothing."""
    now = now or timezone.now()
    # What the phone sent, not the time the server filled in: a resend must match its first send.
    body = {
        "task": task.pk,
        "answers": answers,
        "answered_at": answered_at.isoformat() if answered_at else None,
        "visit": getattr(visit, "pk", None),
    }
    answered_at = answered_at or now
    fingerprint = _fingerprint(body)
    stored = _stored(client_uuid, task.pk, fingerprint)
    if stored is not None:
        return stored, False
    try:
        with transaction.atomic():
            return _answer(actor, task, client_uuid, fingerprint, answers, answered_at, visit, now), True
    except (IntegrityError, CampaignStateError):
        # Two sends of one answer raced: the loser (which waited for the winner's row lock and
        # found the task done, or hit the unique UUID) returns what the winner stored.
        stored = _stored(client_uuid, task.pk, fingerprint)
        if stored is None:
            raise
        return stored, False


def _answer(actor, task, client_uuid, fingerprint, answers, answered_at, visit, now) -> Task:
    task = Task.objects.select_for_update().select_related("campaign", "household").get(pk=task.pk)
    if not scope_for(actor).covers(task.household, CAMPAIGN_ANSWERERS):
        raise CampaignPermissionError(_("This household is not in your grids."))
    if task.campaign.state != Campaign.State.STARTED:
        raise CampaignStateError(_("The campaign is not under way."), code="campaign_not_started")
    if task.state != Task.State.OPEN:
        raise CampaignStateError(_("This household was already answered for this campaign."), code="task_done")
    _check_answered_at(answered_at, task.campaign, now)
    if visit is not None and (visit.author_id != actor.pk or visit.household_id != task.household_id):
        raise ValidationError({"visit": _("Link your own visit to this household.")})
    if visit is not None and visit.visited_at < task.campaign.started_at - datetime.timedelta(days=1):
        # The answers were given on a visit of the campaign, not on one from before it.
        raise ValidationError({"visit": _("This visit was made before the campaign started.")})
    form = Form.from_json(task.campaign.form)
    cleaned = form.clean(answers)
    _attach_photos(task, form, cleaned, actor)
    task.state, task.answered_by, task.answered_at = Task.State.DONE, actor, answered_at
    task.client_uuid, task.fingerprint, task.answers, task.visit = client_uuid, fingerprint, cleaned, visit
    task.save(update_fields=["state", "answered_by", "answered_at", "client_uuid", "fingerprint", "answers", "visit"])
    _findings(task, form, cleaned, actor, timezone.localdate(answered_at))
    return task


# ---------------------------------------------------------------- photos and keeping answers


@transaction.atomic
def answer_photo_upload(*, actor, upload) -> AnswerPhoto:
    """Keep a photo for a photo question before the answer names it (the phone uploads it as soon
    as it has a signal and writes the returned token into the answer). Re-encoded without EXIF.
    Only staff who answer tasks upload; a photo no answer claims is deleted with the day's sweep."""
    from governance.photos import reencode_photo

    if not scope_for(actor).has_any_role(CAMPAIGN_ANSWERERS):
        raise CampaignPermissionError(_("Only the staff who visit households take campaign photos."))
    data, width, height = reencode_photo(upload)
    photo = AnswerPhoto(token=secrets.token_hex(12), uploaded_by=actor, width=width, height=height, size=len(data))
    photo.image.save("photo.jpg", ContentFile(data), save=False)
    photo.save()
    return photo


UNCLAIMED_PHOTO_DAYS = 7


def _delete_photos(photos) -> int:
    count = 0
    for photo in photos.iterator(chunk_size=500):
        photo.image.delete(save=False)
        photo.delete()
        count += 1
    return count


def campaigns_delete_expired_answers(*, now: datetime.datetime | None = None) -> dict:
    """Delete the answers (and photos) of campaigns past their deadline plus their retention
    days, keeping the counts (selectors.summary) on the campaign; and the photos no answer
    claimed within a week. Each campaign in its own transaction, claimed by setting
    answers_deleted_at, so a rerun (or a second beat) deletes nothing twice."""
    from grids.campaigns.selectors import progress, summary

    now = now or timezone.now()
    today = timezone.localdate(now)
    done = 0
    for campaign in Campaign.objects.filter(answers_deleted_at__isnull=True).exclude(state=Campaign.State.DRAFT):
        if campaign.due_on + datetime.timedelta(days=campaign.retention_days) >= today:
            continue
        with transaction.atomic():
            locked = Campaign.objects.select_for_update(skip_locked=True).filter(
                pk=campaign.pk, answers_deleted_at__isnull=True
            )
            campaign = locked.first()
            if campaign is None:
                continue
            kept = summary(campaign)
            kept["progress"] = {by: progress(campaign, by=by, today=today) for by in ("village", "grid")}
            _delete_photos(AnswerPhoto.objects.filter(task__campaign=campaign))
            Task.objects.filter(campaign=campaign).update(answers=None)
            campaign.summary, campaign.answers_deleted_at = kept, now
            campaign.save(update_fields=["summary", "answers_deleted_at"])
            done += 1
    stale = AnswerPhoto.objects.filter(
        task__isnull=True, created_at__lt=now - datetime.timedelta(days=UNCLAIMED_PHOTO_DAYS)
    )
    return {"campaigns": done, "unclaimed_photos": _delete_photos(stale)}
