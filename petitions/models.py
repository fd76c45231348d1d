"""Matters (事项): 三事分流 and 提分议办督评.

A matter's state only changes through petitions.workflow.matter_transition, one
transaction per action, each writing an immutable MatterEvent. Deliberation records (meetings, mediations, the 村事
seven steps and their vote, the township's review) are rows of their own.

The catalogues (MatterCategory with its DecisionRule, TimeLimit, ClockLimit, CalendarDay) are one
for the whole district, edited in pages by the superuser and read by all staff; a village's
VillageMatterSettings are set by its township (petitions.catalogue_services,
docs/administration.md).
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from governance.masking import mask_phone
from governance.models import Department, StoredPhoto, random_photo_name
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
    REVIEWING = "reviewing", _("under review one level up (复查)")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


OPEN_STATES = frozenset(
    {
        State.SUBMITTED,
        State.CLASSIFIED,
        State.DELIBERATING,
        State.HANDLING,
        State.VERIFYING,
        State.EVALUATING,
        State.REVIEWING,
    }
)
TERMINAL_STATES = frozenset({State.CLOSED, State.REJECTED, State.WITHDRAWN})
# The states in which the time limit runs (petitions.deadlines): handling's clock, then the
# review's own (复查, TimeLimit.Stage.REVIEW).
CLOCK_STATES = [State.CLASSIFIED, State.DELIBERATING, State.HANDLING, State.REVIEWING]
# The places a matter's readers see it through (governance.scoping.PERSON_FIELDS, and the
# department it is assigned to).
MATTER_PLACES = ("township", "village", "grid", "department")
# The states whose clock is the handling's: where an extension may be asked for.
HANDLING_CLOCK_STATES = [State.CLASSIFIED, State.DELIBERATING, State.HANDLING]


class Source(models.TextChoices):
    VISIT = "visit", _("found on a visit")
    WALK_IN = "walk_in", _("walk-in")
    PHONE = "phone", _("phone call")
    PUBLIC_FORM = "public_form", _("public form")
    # The village's cadres put it to the village themselves: a new compact version (petitions.compact).
    PROPOSAL = "proposal", _("proposed by the village's cadres (两委提议)")
    # Raised at a 民情恳谈会 and recorded by the meeting's page (governance.civic).
    MEETING = "meeting", _("raised at a residents' concerns meeting (民情恳谈会)")


# How staff record a matter as having come in (page and API): not through the public form,
# and not as the compact's own proposal.
STAFF_SOURCES = [
    (v, label) for v, label in Source.choices if v not in (Source.PUBLIC_FORM, Source.PROPOSAL, Source.MEETING)
]


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


class EvaluationMethod(models.TextChoices):
    """How the resident's rating reached the record (回访)."""

    PHONE = "phone", _("by phone")
    VISIT = "visit", _("on a home visit")
    IN_PERSON = "in_person", _("in person at the office")
    ONLINE = "online", _("online, by the resident")


class DecisionRule(models.TextChoices):
    """How a 村事 of a category is decided (村民委员会组织法 Art. 21–27, 农村土地承包法 Art. 28);
    the rules themselves are petitions.procedure's."""

    SIMPLE = "simple", _("simple: over half of those present, with a quorum")
    LAND = "land", _("land contract adjustment: two thirds of all members, then the township's approval")
    COMPACT = "compact", _("village compact: the villagers' meeting only, then filed with the township")
    MEMBERS_MEETING = (
        "members_meeting",
        _("Art. 24 matter: the villagers' meeting, unless it authorised the representatives' meeting"),
    )


class MatterCategory(models.Model):
    """A configurable category with the kind it usually is (the classifier may choose another)
    and, for a 村事, the rule it is decided by."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    default_kind = models.CharField(_("default kind"), max_length=20, choices=Kind.choices)
    decision_rule = models.CharField(
        _("decision rule"), max_length=20, choices=DecisionRule.choices, default=DecisionRule.SIMPLE
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("matter category")
        verbose_name_plural = _("matter categories")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class Approval(models.TextChoices):
    APPROVED = "approved", _("approved by the township")
    REFUSED = "refused", _("refused by the township")


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
    # The first report's time (its `report` event's): the on-time rate asks it of every matter
    # with a deadline (petitions.figures.decided), so it is kept here, not looked up each time.
    first_reported_at = models.DateTimeField(_("first reported at"), null=True, blank=True)
    # Who last checked the result (督): neither they, the handler nor the reporter record the
    # resident's rating (回访).
    verified_by = models.ForeignKey(
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
    # Acceptance (受理, petitions.deadlines): a submitted matter is classified or rejected by
    # accept_by (village clock); a 政事 is reviewed by the township by accept_by (township
    # clock). None once accepted. Each sweep action has its own timestamp: it acts once per clock.
    accept_by = models.DateTimeField(_("accept by"), null=True, blank=True)
    accept_warn_at = models.DateTimeField(null=True, blank=True)
    accept_warned_at = models.DateTimeField(null=True, blank=True)
    accept_overdue_at = models.DateTimeField(null=True, blank=True)
    accept_escalated_at = models.DateTimeField(null=True, blank=True)
    # Sign-off (签收): a matter assigned to a department is signed for by one of its handlers by sign_by.
    sign_by = models.DateTimeField(_("sign for by"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed for at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sign_overdue_at = models.DateTimeField(null=True, blank=True)
    evaluation_opened_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # The township's approval of a land contract adjustment (土地承包调整), and the filing
    # (备案) of a village compact: each for the latest vote that carried (a new vote clears them).
    township_approval = models.CharField(_("township's approval"), max_length=20, choices=Approval.choices, blank=True)
    township_approval_reason = models.TextField(_("reason of the township's decision"), blank=True)
    township_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    township_approved_at = models.DateTimeField(null=True, blank=True)
    filed_on = models.DateField(_("filed with the township on (备案)"), null=True, blank=True)
    filing_note = models.TextField(_("filing note"), blank=True)
    # The township returned the compact instead of filing it (the reason is the filing note):
    # it waits for a new vote, which clears this as it clears the filing.
    filing_returned_at = models.DateTimeField(_("returned by the township at"), null=True, blank=True)
    rating = models.CharField(_("rating"), max_length=30, choices=Rating.choices, blank=True)
    evaluation_comment = models.TextField(_("evaluation comment"), blank=True)
    evaluation_method = models.CharField(
        _("how the rating was recorded"), max_length=20, choices=EvaluationMethod.choices, blank=True
    )
    # 复查: asked once by a dissatisfied resident; decided one level up (upheld or not).
    review_requested_at = models.DateTimeField(_("review requested at"), null=True, blank=True)
    review_upheld = models.BooleanField(_("result upheld on review"), null=True, blank=True)
    # The extension request waiting for a decision (at most one, petitions.extensions).
    pending_extension = models.ForeignKey(
        "ExtensionRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        ordering = ["-id"]
        permissions = [("handle_matter", "Can report the result of an assigned matter")]
        indexes = [
            # The sweep's questions, each answered from a small partial index: of the matters
            # whose clock runs (a closed matter that was never late would otherwise stay in
            # them for good, and each batch of the sweep walk past a year of them).
            models.Index(
                fields=["warn_at"],
                condition=Q(warned_at__isnull=True, is_overdue=False, state__in=CLOCK_STATES),
                name="matter_to_warn",
            ),
            models.Index(
                fields=["deadline"],
                condition=Q(is_overdue=False, state__in=CLOCK_STATES),
                name="matter_to_mark_overdue",
            ),
            models.Index(
                fields=["deadline"],
                condition=Q(is_overdue=True, escalation_level__lt=2, state__in=CLOCK_STATES),
                name="matter_to_escalate",
            ),
            models.Index(fields=["evaluation_opened_at"], condition=Q(state="evaluating"), name="matter_to_close"),
            models.Index(fields=["accept_by"], condition=Q(accept_by__isnull=False), name="matter_to_accept"),
            models.Index(
                fields=["sign_by"],
                condition=Q(signed_at__isnull=True, sign_overdue_at__isnull=True),
                name="matter_to_sign",
            ),
            models.Index(fields=["township", "state"]),
            models.Index(fields=["village", "state"]),
            models.Index(fields=["grid", "state"]),
            models.Index(fields=["department", "state"]),
            # A list of the matters of one's places, newest first: the API's by id (its cursor),
            # the page's by the time received. Each reads its first page off the place's end of
            # the index instead of walking the whole table backwards (petitions.selectors.
            # matters_visible_to keeps the places' condition free of ORs for this).
            *(models.Index(fields=[place, "id"], name=f"matter_{place}_newest") for place in MATTER_PLACES),
            *(
                models.Index(fields=[place, "created_at", "id"], name=f"matter_{place}_received")
                for place in MATTER_PLACES
            ),
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

    @property
    def closed_dissatisfied(self) -> bool:
        """Closed with the resident still dissatisfied after the review one level up: the
        resident is told where else to turn (petitions.workflow.WHERE_ELSE)."""
        return self.state == State.CLOSED and self.review_requested_at is not None and self.rating == Rating.UNSATISFIED


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
        indexes = [
            # The dashboards' and the list's questions of the events: a matter's first report
            # (the on-time rate), and the matters with a given action (督办, 退回).
            models.Index(fields=["matter", "created_at"], condition=Q(action="report"), name="matterevent_report"),
            models.Index(fields=["action", "matter"], name="matterevent_action_matter"),
        ]


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
    # A 村民会议 is announced ten days ahead (Art. 21), or sooner when urgent, with the reason.
    announced_on = models.DateField(_("announced on"), null=True, blank=True)
    urgent = models.BooleanField(_("urgent (shorter notice)"), default=False)
    urgent_reason = models.CharField(_("why it was urgent"), max_length=200, blank=True)
    # The category's rule the vote was counted under (petitions.procedure), kept with the vote.
    decision_rule = models.CharField(_("decision rule"), max_length=20, choices=DecisionRule.choices, blank=True)
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
                condition=Q(step__isnull=True) | Q(step__gte=1, step__lte=7), name="deliberation_step_range_7"
            ),
        ]


class RepresentativesAuthorisation(models.Model):
    """A 村民会议's resolution authorising the 村民代表会议 to decide matters of Art. 24 (集体收益
    使用, 土地承包方案, 宅基地, 征地补偿 ...) in its stead: per village, from a date, for the
    categories it names."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("village"))
    resolved_on = models.DateField(_("resolved on"))
    categories = models.ManyToManyField(MatterCategory, related_name="+", verbose_name=_("scope (categories)"))
    summary = models.TextField(_("the resolution"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("authorisation of the representatives' meeting")
        verbose_name_plural = _("authorisations of the representatives' meeting")
        ordering = ["village", "-resolved_on"]

    def __str__(self):
        return f"{self.village} {self.resolved_on}"


class MatterUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK guardian grant of a permission on one matter to one person (a lawyer, a supervisor)."""

    content_object = models.ForeignKey(Matter, on_delete=models.CASCADE)


class MatterGroupObjectPermission(GroupObjectPermissionBase):
    """Direct-FK guardian grant on one matter to a group (a department)."""

    content_object = models.ForeignKey(Matter, on_delete=models.CASCADE)


def photo_path(photo, filename: str) -> str:
    return random_photo_name(f"matters/{photo.matter_id}")


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


# The longest time limit a clock may have, in working days (about a year and a half of
# calendar days): a typo such as 3000 answers 400 and never sets a deadline years away.
MAX_LIMIT_DAYS = 365


class TimeLimit(models.Model):
    """The time limit, in working days, for handling a kind of matter (optionally one
    category), or for its review one level up (复查)."""

    class Stage(models.TextChoices):
        HANDLING = "handling", _("handling")
        REVIEW = "review", _("review one level up (复查)")

    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.HANDLING)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    category = models.ForeignKey(
        MatterCategory, on_delete=models.CASCADE, null=True, blank=True, related_name="time_limits"
    )
    working_days = models.PositiveSmallIntegerField(_("working days"))

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ["stage", "kind", "category_id"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "kind", "category"], name="time_limit_unique"),
            models.UniqueConstraint(
                fields=["stage", "kind"],
                condition=Q(category__isnull=True),
                name="time_limit_default_unique_per_kind",
            ),
            models.CheckConstraint(condition=Q(working_days__gte=1), name="time_limit_positive"),
            models.CheckConstraint(condition=Q(working_days__lte=MAX_LIMIT_DAYS), name="time_limit_at_most_a_year"),
        ]

    def __str__(self):
        return f"{self.get_stage_display()} {self.get_kind_display()} {self.category or ''} {self.working_days}"


class ClockLimit(models.Model):
    """The working days of a clock other than handling's (TimeLimit): acceptance (受理) at the
    village and at the township, and a department's sign-off (签收)."""

    class Clock(models.TextChoices):
        VILLAGE_ACCEPTANCE = "village_acceptance", _("acceptance by the village (受理)")
        TOWNSHIP_ACCEPTANCE = "township_acceptance", _("review and acceptance of a 政事 by the township")
        SIGN_OFF = "sign_off", _("sign-off by the department (签收)")

    clock = models.CharField(_("clock"), max_length=30, choices=Clock.choices, unique=True)
    working_days = models.PositiveSmallIntegerField(_("working days"))

    class Meta:
        verbose_name = _("clock limit")
        verbose_name_plural = _("clock limits")
        ordering = ["clock"]
        constraints = [
            models.CheckConstraint(condition=Q(working_days__gte=1), name="clock_limit_positive"),
            models.CheckConstraint(condition=Q(working_days__lte=MAX_LIMIT_DAYS), name="clock_limit_at_most_a_year"),
        ]

    def __str__(self):
        return f"{self.get_clock_display()} {self.working_days}"


class ExtensionRequest(models.Model):
    """A request for more time on a matter (a new deadline, or a pause of the clock), asked
    by its handler or owner and decided by the level above. Only approved time moves the
    deadline or stops the clock; at most one request per matter waits at a time."""

    class Kind(models.TextChoices):
        DEADLINE = "deadline", _("a later deadline")
        PAUSE = "pause", _("a pause of the clock")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for a decision")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="extension_requests")
    kind = models.CharField(_("what is asked"), max_length=20, choices=Kind.choices)
    deadline = models.DateTimeField(_("requested deadline"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["matter"], condition=Q(status="pending"), name="extension_one_pending_per_matter"
            ),
            models.CheckConstraint(
                condition=~Q(kind="deadline") | Q(deadline__isnull=False), name="extension_deadline_given"
            ),
        ]

    def __str__(self):
        return f"{self.matter_id} {self.get_kind_display()} {self.get_status_display()}"


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


class CompactStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PROPOSED = "proposed", _("proposed for adoption (七步走)")
    AWAITING_FILING = "awaiting_filing", _("adopted, awaiting filing with the township (备案)")
    IN_FORCE = "in_force", _("in force")
    RETURNED = "returned", _("returned by the township")
    SUPERSEDED = "superseded", _("superseded")


class CompactVersion(models.Model):
    """A version of a village's compact (村规民约 / 村民公约), numbered 1, 2, ... per village.

    Statuses, in the order a version lives them:
    - draft: a village cadre writes it (a copy of the articles in force, or empty for the
      first); its articles are edited in pages;
    - proposed: put to the village through its 村事 `matter` (a category decided by the
      compact rule: the villagers' meeting only); its articles are frozen;
    - awaiting_filing: the villagers' meeting's vote carried and the resolution was published
      (step 6): `adopted_on` is the vote's day; the township files it or returns it (备案);
    - in_force: filed (`filed_on`, `filed_by`); in force from `in_force_from`; at most one
      version of a village is in force;
    - returned: the township returned it with `return_reason`; the village amends its
      articles and votes again on the same matter (a new vote proposes it again);
    - superseded: it was in force until a later version was filed (`superseded_on`).
    A proposed version whose matter was rejected or withdrawn may be edited and proposed
    again (with a new matter). Versions are never deleted; the articles of a version in
    force or superseded never change: a change is a new version.
    """

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="compact_versions")
    number = models.PositiveSmallIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    preamble = models.TextField(_("preamble"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=CompactStatus.choices, default=CompactStatus.DRAFT)
    matter = models.OneToOneField(
        Matter, on_delete=models.PROTECT, null=True, blank=True, related_name="compact_version"
    )
    adopted_on = models.DateField(_("adopted by the villagers' meeting on"), null=True, blank=True)
    filed_on = models.DateField(_("filed with the township on (备案)"), null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    return_reason = models.TextField(_("why the township returned it"), blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    in_force_from = models.DateField(_("in force from"), null=True, blank=True)
    superseded_on = models.DateField(_("superseded on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("compact version")
        verbose_name_plural = _("compact versions")
        ordering = ["village", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["village", "number"], name="compact_version_number_per_village"),
            models.UniqueConstraint(
                fields=["village"], condition=Q(status="in_force"), name="one_compact_in_force_per_village"
            ),
        ]

    def __str__(self):
        return f"{self.title} (v{self.number})"

    @property
    def is_editable(self) -> bool:
        """Its articles may change: a draft, a returned version, or a proposed one whose
        matter ended without a vote that counts (rejected or withdrawn)."""
        if self.status in (CompactStatus.DRAFT, CompactStatus.RETURNED):
            return True
        return (
            self.status == CompactStatus.PROPOSED
            and self.matter is not None
            and self.matter.state
            in (
                State.REJECTED,
                State.WITHDRAWN,
            )
        )

    @property
    def is_public(self) -> bool:
        return self.status in (CompactStatus.IN_FORCE, CompactStatus.SUPERSEDED)


class CompactArticle(models.Model):
    """An article (条) of a compact version, in the order of its number."""

    version = models.ForeignKey(CompactVersion, on_delete=models.CASCADE, related_name="articles")
    number = models.PositiveSmallIntegerField(_("article"))
    title = models.CharField(_("heading"), max_length=100, blank=True)
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("compact article")
        verbose_name_plural = _("compact articles")
        ordering = ["version", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="compact_article_number_per_version"),
        ]

    def __str__(self):
        return f"{self.version} §{self.number}"


def new_unsubscribe_token() -> str:
    return secrets.token_urlsafe(32)


class SmsSubscription(models.Model):
    """A resident's consent, given on the public form, to SMS about their matter: the number
    they gave, the wording they agreed to exactly as shown (and its language), when; and
    when they withdrew it (the link in the SMS, or a reply of TD). Without a row, or once
    withdrawn, nothing is sent (petitions.resident_sms)."""

    class Via(models.TextChoices):
        LINK = "link", _("the unsubscribe link")
        REPLY = "reply", _("a reply of TD")

    matter = models.OneToOneField(Matter, on_delete=models.CASCADE, related_name="sms_subscription")
    phone = models.CharField(_("mobile number"), max_length=20)
    consent_text = models.TextField(_("consent as shown"))
    consent_language = models.CharField(_("language shown"), max_length=10)
    consented_at = models.DateTimeField(_("consented at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_via = models.CharField(_("withdrawn by"), max_length=10, choices=Via.choices, blank=True)
    # The key of the unsubscribe link: 256 random bits, never derived from the matter.
    token = models.CharField(max_length=64, unique=True, default=new_unsubscribe_token, editable=False)

    class Meta:
        verbose_name = _("SMS updates to a resident")
        verbose_name_plural = _("SMS updates to residents")
        indexes = [models.Index(fields=["phone"], condition=Q(withdrawn_at=None), name="sms_subscription_active")]

    def __str__(self):
        return f"{self.masked_phone} · {self.matter_id}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None
