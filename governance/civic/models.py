"""三治 in practice: the teams that do the work, the four councils (四会), people's mediation
(人民调解), the 最美 selections and the village's activities.

Every row carries its township and village ids (a township team has no village), so scoping
a list is one indexed filter, as everywhere else. People outside the register (a lawyer of
the 公益律师团, a veteran from the next village) are members by name; a member who is a
resident or a staff user is linked as well.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from governance.models import Pledge, StoredPhoto, exactly_one, random_photo_name
from grids.models import Courtyard, Grid, Household, Resident, Township, Village
from petitions.models import Matter
from points.models import AwardBatch, Board, Rule

# ---------------------------------------------------------------- teams


class TeamKind(models.TextChoices):
    COMMITTEE = "committee", _("governance committee (治委会)")
    CONSULTATION = "consultation", _("consultation group (协商议事团)")
    VETERANS = "veterans", _("veterans' law camp (老兵说法营)")
    PARTY_MEDIATORS = "party_mediators", _("party members' mediation team (党员调解队)")
    RESIDENT_MEDIATORS = "resident_mediators", _("residents' mediation team (居民调解队)")
    LAWYERS = "lawyers", _("pro bono lawyers (公益律师团)")


# The teams whose members may mediate under the 人民调解法 (the "3+X" of 李湾村).
MEDIATION_TEAM_KINDS = frozenset(
    {TeamKind.VETERANS, TeamKind.PARTY_MEDIATORS, TeamKind.RESIDENT_MEDIATORS, TeamKind.LAWYERS}
)


class Team(models.Model):
    """A village's 治委会 (one), a grid's 协商议事团 (one per grid), or a mediation team of a
    village or of the township."""

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+", verbose_name=_("township"))
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("village")
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("grid")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TeamKind.choices)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("what it does"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["township_id", "village_id", "kind", "name", "id"]
        constraints = [
            # 治委会: a village's; 协商议事团: a grid's; a mediation team: a village's or the township's.
            models.CheckConstraint(
                condition=(
                    (Q(kind="committee") & Q(village__isnull=False, grid__isnull=True))
                    | (Q(kind="consultation") & Q(village__isnull=False, grid__isnull=False))
                    | (~Q(kind__in=["committee", "consultation"]) & Q(grid__isnull=True))
                ),
                name="civic_team_place_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["village"], condition=Q(kind="committee", is_active=True), name="civic_one_committee"
            ),
            models.UniqueConstraint(
                fields=["grid"], condition=Q(kind="consultation", is_active=True), name="civic_one_consultation"
            ),
        ]
        indexes = [models.Index(fields=["village", "kind"])]

    def __str__(self):
        return self.name

    @property
    def mediates(self) -> bool:
        return self.kind in MEDIATION_TEAM_KINDS


class TeamRole(models.TextChoices):
    LEADER = "leader", pgettext_lazy("team role", "leader")
    DEPUTY = "deputy", pgettext_lazy("team role", "deputy leader")
    SECRETARY = "secretary", pgettext_lazy("team role", "secretary")
    MEMBER = "member", pgettext_lazy("team role", "member")


class TeamMember(models.Model):
    """One person on a team, from a day until a day (history is kept: a past mediation still
    names who mediated it)."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="members")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    name = models.CharField(_("name"), max_length=50)
    role = models.CharField(_("role"), max_length=20, choices=TeamRole.choices, default=TeamRole.MEMBER)
    title = models.CharField(_("who they are"), max_length=100, blank=True, help_text=_("e.g. 退役军人、党员、律师"))
    phone = models.CharField(_("mobile number"), max_length=20, blank=True)
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("resident")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="civic_memberships",
        verbose_name=_("staff account"),
    )
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team_id", "left_on", "role", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="civic_member_leaves_after_joining",
            ),
        ]

    def __str__(self):
        return self.name

    def serves_on(self, day: datetime.date) -> bool:
        return self.joined_on <= day and (self.left_on is None or self.left_on >= day)


# ---------------------------------------------------------------- the four councils (四会)


class CouncilKind(models.TextChoices):
    CONCERNS = "concerns", _("residents' concerns meeting (民情恳谈会)")
    COORDINATION = "coordination", _("affairs coordination meeting (事务协调会)")
    MORAL = "moral", _("moral review council (道德评议会)")
    RESULTS = "results", _("results review council (成效评议会)")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    HELD = "held", _("held")
    CANCELLED = "cancelled", _("cancelled")


class Meeting(models.Model):
    """One meeting of one of the four councils, on the village's calendar: planned with its
    date, place and agenda, then held with its attendees, decisions and minutes (printable)."""

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("village"))
    kind = models.CharField(_("council"), max_length=20, choices=CouncilKind.choices)
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("date"))
    starts_at = models.TimeField(_("time"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=100)
    agenda = models.TextField(_("agenda"))
    status = models.CharField(_("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    chaired_by = models.CharField(_("chaired by"), max_length=50, blank=True)
    attendees = models.JSONField(_("attendees"), default=list, blank=True)
    participants = models.ManyToManyField(Resident, blank=True, related_name="+", verbose_name=_("residents present"))
    decisions = models.TextField(_("decisions"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    # 事务协调会: the matter whose parties it brought together.
    matter = models.ForeignKey(
        Matter,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("matter coordinated"),
    )
    parties = models.JSONField(_("parties"), default=list, blank=True)
    # 道德评议会: the 红黑榜 it decided.
    boards = models.ManyToManyField(Board, blank=True, related_name="+", verbose_name=_("red and black boards decided"))
    cancel_reason = models.CharField(_("why it was cancelled"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("council meeting")
        verbose_name_plural = _("council meetings")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["village", "held_on"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.held_on}"


class Concern(models.Model):
    """A concern raised at a 民情恳谈会, which becomes a matter (提) linked to the meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="concerns")
    matter = models.OneToOneField(Matter, on_delete=models.PROTECT, related_name="+", verbose_name=_("matter"))
    raised_by = models.CharField(_("raised by"), max_length=50)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("concern raised")
        verbose_name_plural = _("concerns raised")
        ordering = ["meeting_id", "order", "id"]


class Verdict(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


class ResultRating(models.Model):
    """What a 成效评议会 thought of a handled matter or a pledge: the council's own figures
    (a pledge's are also its 评诺, recorded on the pledge)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="ratings")
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    raters = models.PositiveIntegerField(_("raters"))
    satisfied = models.PositiveIntegerField(_("satisfied"))
    basically_satisfied = models.PositiveIntegerField(_("basically satisfied"))
    unsatisfied = models.PositiveIntegerField(_("unsatisfied"))
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("results rating")
        verbose_name_plural = _("results ratings")
        ordering = ["meeting_id", "id"]
        constraints = [
            models.CheckConstraint(condition=exactly_one("matter", "pledge"), name="civic_rating_one_subject"),
            models.UniqueConstraint(fields=["meeting", "matter"], name="civic_rating_matter_once"),
            models.UniqueConstraint(fields=["meeting", "pledge"], name="civic_rating_pledge_once"),
        ]


# ---------------------------------------------------------------- people's mediation (人民调解)


class DisputeKind(models.TextChoices):
    NEIGHBOURS = "neighbours", _("neighbours (邻里纠纷)")
    LAND = "land", _("land and boundaries (土地·宅基地)")
    FAMILY = "family", _("marriage and family (婚姻家庭)")
    DAMAGES = "damages", _("damage and compensation (损害赔偿)")
    CONTRACT = "contract", _("contract and debt (合同·债务)")
    OTHER = "other", _("other")


class MediationStatus(models.TextChoices):
    OPEN = "open", _("being mediated")
    AGREED = "agreed", _("agreement reached")
    FAILED = "failed", _("no agreement")


class GuidedTo(models.TextChoices):
    LITIGATION = "litigation", _("a lawsuit at the people's court (诉讼)")
    ARBITRATION = "arbitration", _("arbitration (仲裁)")
    PETITION = "petition", _("letters and visits (信访)")
    ADMINISTRATIVE = "administrative", _("the competent department (行政处理)")
    OTHER = "other", _("other")


class Performance(models.TextChoices):
    PERFORMED = "performed", _("carried out in full")
    PARTLY = "partly", _("partly carried out")
    NOT_PERFORMED = "not_performed", _("not carried out")


# The parties may ask the people's court to confirm the agreement within 30 days of it taking
# effect (人民调解法 Art. 33); the return visit is due within a month.
CONFIRMATION_WINDOW_DAYS = 30
RETURN_VISIT_DAYS = 30


class Mediation(models.Model):
    """A dispute mediated under the 人民调解法 by members of a registered mediation team: the
    parties, the facts, and either the agreement (人民调解协议书, with the day it is to be
    carried out, the 30-day window for 司法确认 and a return visit within a month) or the
    record of where the parties were guided when it failed."""

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("village"))
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("grid")
    )
    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("matter")
    )
    # Per village: two villages of one name (in two townships) each have their 1号.
    number = models.CharField(_("number"), max_length=40)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="mediations", verbose_name=_("team"))
    mediators = models.ManyToManyField(TeamMember, related_name="mediations", verbose_name=_("mediators"))
    dispute_kind = models.CharField(_("kind of dispute"), max_length=20, choices=DisputeKind.choices)
    # [{"name", "side": applicant|respondent, "phone", "address"}]
    parties = models.JSONField(_("parties"), default=list)
    facts = models.TextField(_("facts and what each party asks"))
    held_on = models.DateField(_("mediated on"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=MediationStatus.choices, default=MediationStatus.OPEN)
    terms = models.TextField(_("agreed terms"), blank=True)
    perform_by = models.DateField(_("to be carried out by"), null=True, blank=True)
    agreed_on = models.DateField(_("agreement signed on"), null=True, blank=True)
    return_visit_due = models.DateField(_("return visit due"), null=True, blank=True)
    revisited_on = models.DateField(_("return visit on"), null=True, blank=True)
    performance = models.CharField(_("carried out?"), max_length=20, choices=Performance.choices, blank=True)
    revisit_note = models.TextField(_("what the return visit found"), blank=True)
    revisited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    failed_on = models.DateField(_("ended without agreement on"), null=True, blank=True)
    guided_to = models.CharField(_("parties guided to"), max_length=20, choices=GuidedTo.choices, blank=True)
    failure_note = models.TextField(_("why it failed and what the parties were told"), blank=True)
    # The reminders sent (each once): the 司法确认 window closing, the return visit due.
    confirmation_reminded_at = models.DateTimeField(null=True, blank=True)
    revisit_reminded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mediation")
        verbose_name_plural = _("mediations")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["village", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["village", "number"], name="civic_mediation_number_once"),
            models.CheckConstraint(
                condition=~Q(status="agreed") | Q(agreed_on__isnull=False, perform_by__isnull=False),
                name="civic_agreement_has_dates",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | Q(failed_on__isnull=False) & ~Q(guided_to=""),
                name="civic_failure_says_where",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def confirmation_until(self) -> datetime.date | None:
        """The last day the parties may jointly ask the court to confirm the agreement."""
        if self.agreed_on is None:
            return None
        return self.agreed_on + datetime.timedelta(days=CONFIRMATION_WINDOW_DAYS)


# ---------------------------------------------------------------- 最美 selections


class SelectionKind(models.TextChoices):
    FAMILY = "family", _("most beautiful family (最美家庭)")
    GRID = "grid", _("most beautiful grid (最美网格)")
    COURTYARD = "courtyard", _("most beautiful courtyard (最美院落)")


class SelectionStatus(models.TextChoices):
    NOMINATING = "nominating", _("taking nominations")
    DECIDED = "decided", _("decided by the 道德评议会")
    PUBLISHED = "published", _("published")


class Selection(models.Model):
    """A 最美 selection of a village: nominations by staff, the 道德评议会's vote, publication on
    the public board and, for families, one points batch through the maker-checker."""

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("village"))
    kind = models.CharField(_("kind"), max_length=20, choices=SelectionKind.choices)
    title = models.CharField(_("title"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    description = models.TextField(_("what is looked for"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=SelectionStatus.choices, default=SelectionStatus.NOMINATING
    )
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="selections",
        verbose_name=_("the 道德评议会 that decided"),
    )
    entitled = models.PositiveIntegerField(_("council members"), null=True, blank=True)
    present = models.PositiveIntegerField(_("members present"), null=True, blank=True)
    rule = models.ForeignKey(
        Rule, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("points rule")
    )
    award_batch = models.OneToOneField(
        AwardBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("points")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("最美 selection")
        verbose_name_plural = _("最美 selections")
        ordering = ["-year", "-id"]

    def __str__(self):
        return self.title


class Nomination(models.Model):
    """A household, a grid or a courtyard put forward for a selection, with why; the council's
    votes for it and whether it was selected."""

    selection = models.ForeignKey(Selection, on_delete=models.PROTECT, related_name="nominations")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    courtyard = models.ForeignKey(Courtyard, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.TextField(_("why"))
    nominated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    nominated_at = models.DateTimeField(auto_now_add=True)
    votes_for = models.PositiveIntegerField(_("votes for"), null=True, blank=True)
    selected = models.BooleanField(_("selected"), default=False)

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        ordering = ["selection_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=exactly_one("household", "grid", "courtyard"), name="civic_nomination_one_nominee"
            ),
            models.UniqueConstraint(fields=["selection", "household"], name="civic_nominated_household_once"),
            models.UniqueConstraint(fields=["selection", "grid"], name="civic_nominated_grid_once"),
            models.UniqueConstraint(fields=["selection", "courtyard"], name="civic_nominated_courtyard_once"),
        ]


# ---------------------------------------------------------------- activities


class ActivityKind(models.TextChoices):
    NEIGHBOURS_FESTIVAL = "neighbours_festival", _("neighbours' festival (邻里节)")
    FILIAL_VISITS = "filial_visits", _("visits to the elderly (孝老爱亲走访)")
    THRIFT = "thrift", _("thrift and civility (俭以养德)")
    LAW_TALK = "law_talk", _("law talk (普法宣讲)")
    VOLUNTEERING = "volunteering", _("volunteer service (志愿服务)")
    OTHER = "other", _("other")


class Activity(models.Model):
    """An event of a village's campaigns (邻里节, 孝老爱亲走访 ...): its participants, photos and,
    where the village's rules allow, one points batch for the participants."""

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("village"))
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("grid")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(pgettext_lazy("activity", "held on"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    description = models.TextField(pgettext_lazy("activity", "what was done"))
    participants = models.ManyToManyField(Resident, blank=True, related_name="+", verbose_name=_("participants"))
    award_batch = models.OneToOneField(
        AwardBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("points")
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["village", "held_on"])]

    def __str__(self):
        return self.title


def activity_photo_path(photo, filename: str) -> str:
    return random_photo_name(f"activities/{photo.activity_id}")


class ActivityPhoto(StoredPhoto):
    """A photo of an activity: staff only, served through the scoped photo view."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="photos")
    image = models.FileField(upload_to=activity_photo_path)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta(StoredPhoto.Meta):
        verbose_name = _("activity photo")
        verbose_name_plural = _("activity photos")


# ---------------------------------------------------------------- a 民事 consultation's members


class ConsultationMembers(models.Model):
    """Which members of the grid's 协商议事团 (or of a mediation team) took part in a 民事
    consultation (a 院坝会 record of a matter). Kept here, beside the teams: the matter's
    record does not know the teams."""

    deliberation = models.OneToOneField(
        "petitions.Deliberation", on_delete=models.PROTECT, related_name="+", verbose_name=_("consultation")
    )
    members = models.ManyToManyField(TeamMember, related_name="+", verbose_name=_("members who took part"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("consultation members")
        verbose_name_plural = _("consultation members")
