"""Matters (事项): 三事分流 and 提分议办督评.

A matter's state only changes through petitions.workflow.matter_transition, one
transaction per action, each writing an immutable MatterEvent. Deliberation records (meetings, mediations, the 村事
seven steps and their vote, the township's review) are rows of their own.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from governance.models import Department, StoredPhoto
from grids.idnumbers import mask_phone
from grids.models import Grid, Household, Resident, Township, Village


class Kind(models.TextChoices):
    CIVIL = "civil", _("civil matter (民事)")
    VILLAGE = "village", _("village matter (村事)")
    GOVERNMENT = "government", _("government matter (政事)")


class State(models.TextChoices):
    SUBMITTED = "submitted", _("submitted (提)")
    CLASSIFIED = "classified", _("classified (分)")
    DELIBERATING = "deliberating", _("deliberating (议)")
    HANDLING = "handling", _("handling (办)")
    VERIFYING = "verifying", _("verifying (督)")
    EVALUATING = "evaluating", _("awaiting evaluation (评)")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


OPEN_STATES = frozenset(
    {State.SUBMITTED, State.CLASSIFIED, State.DELIBERATING, State.HANDLING, State.VERIFYING, State.EVALUATING}
)
TERMINAL_STATES = frozenset({State.CLOSED, State.REJECTED, State.WITHDRAWN})
# The states in which the time limit runs (petitions.deadlines).
CLOCK_STATES = [State.CLASSIFIED, State.DELIBERATING, State.HANDLING]


class Source(models.TextChoices):
    VISIT = "visit", _("found on a visit")
    WALK_IN = "walk_in", _("walk-in")
    PHONE = "phone", _("phone call")
    PUBLIC_FORM = "public_form", _("public form")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


class MatterCategory(models.Model):
    """A configurable category with the kind it usually is (the classifier may choose another)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    default_kind = models.CharField(_("default kind"), max_length=20, choices=Kind.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("matter category")
        verbose_name_plural = _("matter categories")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


# Capitals and digits without the look-alikes 0/O, 1/I/L: residents read codes aloud and
# copy them by hand. (Codes made before this change are url-safe base64; they still work.)
TRACKING_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_tracking_code() -> str:
    # 16 characters of 31: 79 bits, unguessable (the look-up is throttled too).
    return "".join(secrets.choice(TRACKING_CODE_ALPHABET) for _ in range(16))


class Matter(models.Model):
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="matters")
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, null=True, blank=True, related_name="matters")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, null=True, blank=True, related_name="matters")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))
    category = models.ForeignKey(
        MatterCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="matters"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.SUBMITTED)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    submitter_name = models.CharField(_("submitter's name"), max_length=50)
    submitter_phone = models.CharField(_("submitter's phone"), max_length=20, blank=True)
    on_behalf = models.BooleanField(_("recorded on the resident's behalf (代办)"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    tracking_code = models.CharField(max_length=24, unique=True, default=new_tracking_code, editable=False)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="matters")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    result = models.TextField(_("result"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    duplicate_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reject_reason = models.TextField(_("reason for rejection"), blank=True)
    # Time (see petitions.deadlines): the clock starts at classification, with the time limit
    # of the kind and category, in working days; warn_at is 80 % of the way. Overdue is a flag,
    # not a state. escalation_level counts the supervisors added above the owner (0 to 2).
    clock_started_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    time_limit_days = models.PositiveSmallIntegerField(_("time limit (working days)"), null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    overdue_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    paused_at = models.DateTimeField(_("clock paused at"), null=True, blank=True)
    pause_reason = models.CharField(_("why the clock is paused"), max_length=200, blank=True)
    evaluation_opened_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    rating = models.CharField(_("rating"), max_length=30, choices=Rating.choices, blank=True)
    evaluation_comment = models.TextField(_("evaluation comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        ordering = ["-id"]
        permissions = [("handle_matter", "Can report the result of an assigned matter")]
        indexes = [
            # The sweep's questions, each answered from a small partial index.
            models.Index(
                fields=["warn_at"], condition=Q(warned_at__isnull=True, is_overdue=False), name="matter_to_warn"
            ),
            models.Index(fields=["deadline"], condition=Q(is_overdue=False), name="matter_to_mark_overdue"),
            models.Index(
                fields=["deadline"], condition=Q(is_overdue=True, escalation_level__lt=2), name="matter_to_escalate"
            ),
            models.Index(fields=["evaluation_opened_at"], condition=Q(state="evaluating"), name="matter_to_close"),
            models.Index(fields=["township", "state"]),
            models.Index(fields=["village", "state"]),
            models.Index(fields=["grid", "state"]),
            models.Index(fields=["department", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="handling") | Q(handler__isnull=False) | Q(department__isnull=False),
                name="matter_handling_has_handler",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def courtyard_id(self):
        return self.household.courtyard_id if self.household_id else None

    @property
    def submitter_phone_masked(self) -> str:
        return mask_phone(self.submitter_phone)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class MatterEvent(models.Model):
    """One change of a matter: who, when, from which state to which, and what they sent."""

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # For actions without an account: "submitter" (by tracking code) or "system".
    actor_label = models.CharField(max_length=40, blank=True)
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("matter event")
        verbose_name_plural = _("matter events")
        ordering = ["created_at", "id"]


class Deliberation(models.Model):
    """议: a consultation meeting, a mediation, a 村事 step, or the township's review."""

    class Kind(models.TextChoices):
        MEETING = "meeting", _("consultation meeting (院坝会)")
        MEDIATION = "mediation", _("mediation (调解)")
        STEP = "step", _("village procedure step (七步走)")
        REVIEW = "review", _("township review")

    class Body(models.TextChoices):
        VILLAGERS_MEETING = "villagers_meeting", _("villagers' meeting (村民会议)")
        HOUSEHOLDS_MEETING = "households_meeting", _("villagers' meeting of household representatives (户代表)")
        REPRESENTATIVES_MEETING = "representatives_meeting", _("villagers' representatives meeting (村民代表会议)")

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="deliberations")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    held_on = models.DateField(_("held on"))
    summary = models.TextField(_("minutes"))
    attendees = models.JSONField(_("attendees"), default=list, blank=True)
    participants = models.ManyToManyField(Resident, blank=True, related_name="+", verbose_name=_("participants"))
    parties = models.JSONField(_("parties"), default=list, blank=True)
    facts = models.TextField(_("facts"), blank=True)
    agreed_terms = models.TextField(_("agreed terms"), blank=True)
    signed_by = models.JSONField(_("signed by"), default=list, blank=True)
    step = models.PositiveSmallIntegerField(_("step"), null=True, blank=True)
    body = models.CharField(_("voting body"), max_length=30, choices=Body.choices, blank=True)
    entitled = models.PositiveIntegerField(_("entitled to attend"), null=True, blank=True)
    present = models.PositiveIntegerField(_("present"), null=True, blank=True)
    in_favour = models.PositiveIntegerField(_("in favour"), null=True, blank=True)
    against = models.PositiveIntegerField(_("against"), null=True, blank=True)
    abstain = models.PositiveIntegerField(_("abstaining"), null=True, blank=True)
    quorum_met = models.BooleanField(null=True, blank=True)
    carried = models.BooleanField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("deliberation record")
        verbose_name_plural = _("deliberation records")
        ordering = ["held_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(step__isnull=True) | Q(step__gte=1, step__lte=6), name="deliberation_step_range"
            ),
        ]


class MatterUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK guardian grant of a permission on one matter to one person (a lawyer, a supervisor)."""

    content_object = models.ForeignKey(Matter, on_delete=models.CASCADE)


class MatterGroupObjectPermission(GroupObjectPermissionBase):
    """Direct-FK guardian grant on one matter to a group (a department)."""

    content_object = models.ForeignKey(Matter, on_delete=models.CASCADE)


def photo_path(photo, filename: str) -> str:
    # Random names: the path reveals nothing, and MEDIA is never served as public files.
    return f"matters/{photo.matter_id}/{secrets.token_hex(12)}.jpg"


class MatterPhoto(StoredPhoto):
    """Evidence photo. Re-encoded on upload (EXIF and location stripped), served only
    through a scoped view."""

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="photos")
    image = models.FileField(upload_to=photo_path)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta(StoredPhoto.Meta):
        verbose_name = _("photo")
        verbose_name_plural = _("photos")


class CalendarDay(models.Model):
    """An override of the public calendar: a holiday or a make-up working day (调休) for a
    year the chinese-calendar package does not know yet, or a local correction."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"


class TimeLimit(models.Model):
    """The time limit, in working days, for handling a kind of matter (optionally one category)."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    category = models.ForeignKey(
        MatterCategory, on_delete=models.CASCADE, null=True, blank=True, related_name="time_limits"
    )
    working_days = models.PositiveSmallIntegerField(_("working days"))

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ["kind", "category_id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "category"], name="time_limit_unique"),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(category__isnull=True), name="time_limit_default_unique_per_kind"
            ),
            models.CheckConstraint(condition=Q(working_days__gte=1), name="time_limit_positive"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.category or ''} {self.working_days}"


class VillageAffairsVerifiers(models.TextChoices):
    """Who verifies a 村事 (督) in a village (governance.roles.VILLAGE_AFFAIRS_VERIFIERS)."""

    TOWNSHIP = "township", _("the township only")
    SUPERVISORS_AND_TOWNSHIP = (
        "supervisors_and_township",
        _("the supervision committee (村务监督委员会) or the township"),
    )
    SUPERVISORS = "supervisors", _("the supervision committee (村务监督委员会) only")


class VillageMatterSettings(models.Model):
    """A village's settings for its matters. A village without a row has the defaults."""

    village = models.OneToOneField(Village, on_delete=models.CASCADE, related_name="matter_settings")
    village_affairs_verifiers = models.CharField(
        _("who verifies village matters (村事)"),
        max_length=30,
        choices=VillageAffairsVerifiers.choices,
        default=VillageAffairsVerifiers.SUPERVISORS_AND_TOWNSHIP,
    )

    class Meta:
        verbose_name = _("village's matter settings")
        verbose_name_plural = _("villages' matter settings")

    def __str__(self):
        return str(self.village)


def village_affairs_verifiers(matter: Matter) -> str:
    """Who verifies `matter`'s village's 村事 (VillageAffairsVerifiers; the default when the
    village has no settings row). No query when the matter came with
    `select_related("village__matter_settings")` (petitions.selectors.matters_visible_to),
    one otherwise."""
    if Matter.village.is_cached(matter) and Village.matter_settings.is_cached(matter.village):
        settings_row = getattr(matter.village, "matter_settings", None)
    else:
        settings_row = VillageMatterSettings.objects.filter(village_id=matter.village_id).first()
    if settings_row is None:
        return VillageAffairsVerifiers.SUPERVISORS_AND_TOWNSHIP
    return settings_row.village_affairs_verifiers
