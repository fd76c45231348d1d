"""Campaigns (专项排查): a form of their own, sent down to the grids as one task per household.

A campaign belongs to a township (made by its officials) and, when a village cadre makes it,
to that village. Its form is JSON (grids.campaigns.questionnaire) and is frozen when the
campaign starts: answers are only ever read against the form they were given under.

Starting a campaign writes one task per covered household, due by the campaign's deadline,
carrying the household's places so that the grid's staff find it in their to-do and every
progress figure is one indexed count. An answer is stored on its task, keyed by the phone's
UUID like a visit, so a resend after a dropped connection finds it instead of answering twice.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from governance.models import StoredPhoto
from grids.models import Courtyard, Grid, Household, Tag, Township, Village, scope_indexes


class Campaign(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        STARTED = "started", _("under way")
        CLOSED = "closed", _("closed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+", verbose_name=_("township"))
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("village"),
        help_text=_("Empty: a campaign of the township."),
    )
    title = models.CharField(_("title"), max_length=100)
    purpose = models.TextField(_("purpose"), blank=True)
    starts_on = models.DateField(_("starts on"))
    due_on = models.DateField(_("deadline"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    # Who it covers: the households of these places (none chosen: every household of the
    # campaign's township or village), narrowed to those with one of these tags (a tag of the
    # household or of a member living there) when tags are chosen.
    villages = models.ManyToManyField(Village, blank=True, related_name="+", verbose_name=_("villages"))
    grids = models.ManyToManyField(Grid, blank=True, related_name="+", verbose_name=_("grids"))
    courtyards = models.ManyToManyField(Courtyard, blank=True, related_name="+", verbose_name=_("courtyards"))
    tags = models.ManyToManyField(Tag, blank=True, related_name="+", verbose_name=_("tags"))
    form = models.JSONField(_("form"), default=list, blank=True)
    form_source = models.CharField(_("form from"), max_length=100, blank=True)
    retention_days = models.PositiveIntegerField(
        _("keep answers for (days after the deadline)"),
        default=365,
        help_text=_("Then the answers are deleted; the counts stay."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    task_count = models.PositiveIntegerField(default=0, editable=False)
    # Kept when the answers are deleted: {question name: {choice: count}} and the totals.
    summary = models.JSONField(default=dict, blank=True, editable=False)
    answers_deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(due_on__gte=models.F("starts_on")), name="campaign_due_after_start"),
        ]
        indexes = [*scope_indexes("township", "village"), models.Index(fields=["state", "due_on"])]

    def __str__(self):
        return self.title


class Task(models.Model):
    """One household to answer for one campaign (or a follow-up an answer asked for)."""

    class State(models.TextChoices):
        OPEN = "open", _("to do")
        DONE = "done", _("done")

    # Starting a district's campaigns writes 390 000 rows, each into every index of the table:
    # no index on a foreign key that an index below already leads with (campaign, township,
    # village, grid), and those of the columns empty until an answer (follows, answered_by,
    # visit) only over the rows that have one. The place columns are copies of the household's
    # (written from it, in the same statement) for the scoped lists: they keep PROTECT in the
    # ORM but no constraint in the database, whose check at commit, three per row, was more
    # than half of a start (docs/campaigns.md, "At scale").
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tasks", db_index=False)
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="campaign_tasks")
    follows = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="follow_ups",
        editable=False,
        db_index=False,
    )
    due_on = models.DateField(_("due"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    client_uuid = models.UUIDField(null=True, blank=True, editable=False)
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    answers = models.JSONField(null=True, blank=True, editable=False)
    visit = models.ForeignKey(
        "visits.Visit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaign_tasks",
        db_index=False,
    )
    matters = models.ManyToManyField("petitions.Matter", blank=True, related_name="+", editable=False)

    class Meta:
        verbose_name = _("campaign task")
        verbose_name_plural = _("campaign tasks")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "household"], condition=Q(follows__isnull=True), name="task_once_per_household"
            ),
            models.UniqueConstraint(
                fields=["client_uuid"], condition=Q(client_uuid__isnull=False), name="task_answer_uuid_unique"
            ),
            models.CheckConstraint(
                condition=Q(state="open", answered_at__isnull=True) | Q(state="done", answered_at__isnull=False),
                name="task_done_when_answered",
            ),
        ]
        indexes = [
            *scope_indexes("township", "village", "grid"),
            models.Index(fields=["campaign", "grid", "state"]),
            models.Index(fields=["grid", "due_on"], condition=Q(state="open"), name="task_open_by_grid"),
            # The done first tasks of a campaign: the list's done counts, the summary, the export.
            models.Index(
                fields=["campaign"], condition=Q(state="done", follows__isnull=True), name="task_done_by_campaign"
            ),
            *(
                models.Index(fields=[column], condition=Q(**{f"{column}__isnull": False}), name=f"task_{column}")
                for column in ("follows", "answered_by", "visit")
            ),
        ]

    def __str__(self):
        return f"{self.campaign} · {self.household}"


def answer_photo_path(photo, filename: str) -> str:
    # Random names, as for visit photos: MEDIA is never served as public files.
    return f"campaigns/{photo.token[:2]}/{photo.token}.jpg"


class AnswerPhoto(StoredPhoto):
    """A photo taken for a photo question: uploaded first (the phone may be offline when the
    answer is written, so the answer names the photo by the token the upload returned),
    re-encoded without EXIF, served only through a scoped view."""

    token = models.CharField(max_length=24, unique=True, editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, null=True, blank=True, related_name="photos")
    image = models.FileField(upload_to=answer_photo_path)

    class Meta(StoredPhoto.Meta):
        verbose_name = _("answer photo")
        verbose_name_plural = _("answer photos")
