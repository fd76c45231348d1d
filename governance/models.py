"""Responsibility (三级多方), notifications, idempotent request records and the stored photo's columns."""

import functools
import operator
import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.limits import outside_records
from grids.models import Area, Courtyard, Grid, Resident, Township, Village


def exactly_one(*fields: str) -> Q:
    """A CheckConstraint's condition: exactly one of `fields` (nullable foreign keys) is set."""
    return functools.reduce(
        operator.or_, (Q(**{f"{other}__isnull": other != field for other in fields}) for field in fields)
    )


class Role(models.TextChoices):
    TOWNSHIP_LEADER = "township_leader", _("township leader (主要领导)")
    TOWNSHIP_OFFICIAL = "township_official", _("township official (分管领导/驻村工作组)")
    DEPARTMENT_HANDLER = "department_handler", _("department handler (职能部门)")
    VILLAGE_CADRE = "village_cadre", _("village cadre (村两委)")
    SHOP_CLERK = "shop_clerk", _("points shop clerk (积分超市)")
    VILLAGE_SUPERVISOR = "village_supervisor", _("village affairs supervision committee member (村务监督委员会成员)")
    GRID_LEADER = "grid_leader", _("grid leader (网格长)")
    GRID_WORKER = "grid_worker", _("grid worker (网格员)")
    COURTYARD_HELPER = "courtyard_helper", _("courtyard helper (包院落)")
    TOWNSHIP_ADMIN = "township_admin", _("township administrator (镇街管理员)")
    # A township official sent down to answer for a village (包村, 驻村工作组), and a township
    # leader answering for a 片区 (包片): their own roles, each held at one level like every
    # other, and given only to people who hold a township role in the same township.
    VILLAGE_LIAISON = "village_liaison", _("township official for a village (包村干部)")
    AREA_LEADER = "area_leader", _("township leader for an area (包片领导)")


# Which place each role is assigned to; enforced by a CheckConstraint below.
ROLE_LEVEL = {
    Role.TOWNSHIP_LEADER: "township",
    Role.TOWNSHIP_OFFICIAL: "township",
    Role.DEPARTMENT_HANDLER: "department",
    Role.VILLAGE_CADRE: "village",
    Role.SHOP_CLERK: "village",
    Role.VILLAGE_SUPERVISOR: "village",
    Role.GRID_LEADER: "grid",
    Role.GRID_WORKER: "grid",
    Role.COURTYARD_HELPER: "courtyard",
    Role.TOWNSHIP_ADMIN: "township",
    Role.VILLAGE_LIAISON: "village",
    Role.AREA_LEADER: "area",
}

# The level of the ids a role's scope holds: the assigned place's, except an area's, which
# reaches its villages (governance.scoping expands it when it reads the assignments).
SCOPE_LEVEL = {**ROLE_LEVEL, Role.AREA_LEADER: "village"}


class Department(models.Model):
    """A township 职能部门 (司法所, 派出所 ...). Its auth Group carries per-object grants."""

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="departments")
    name = models.CharField(_("name"), max_length=100)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="department", editable=False)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["township_id", "name"]
        constraints = [models.UniqueConstraint(fields=["township", "name"], name="department_name_unique_in_township")]

    def __str__(self):
        return f"{self.township.name} {self.name}"


def _level_check(level: str) -> Q:
    """The assignment points at exactly the place its role's level needs."""
    filled = {
        "township": set(),
        "village": {"village"},
        "grid": {"village", "grid"},
        "courtyard": {"village", "grid", "courtyard"},
        "department": {"department"},
        "area": {"area"},
    }[level]
    return Q(
        **{f"{name}__isnull": name not in filled for name in ("village", "grid", "courtyard", "department", "area")}
    )


def _place_matches_role() -> Q:
    """Every role's assignment points at the place of its level in ROLE_LEVEL, the one list of
    which role sits where (levels in the order ROLE_LEVEL first names them)."""
    roles_at: dict[str, list[str]] = {}
    for role, level in ROLE_LEVEL.items():
        roles_at.setdefault(level, []).append(role.value)
    condition = Q()
    for level, roles in roles_at.items():
        role_is = Q(role=roles[0]) if len(roles) == 1 else Q(role__in=roles)
        condition |= role_is & _level_check(level)
    return condition


class Assignment(models.Model):
    """A user's responsibility for a place (or a department), from a date and until a date.

    Rows are kept when people change, so that past compliance is never rewritten. Every
    assignment carries its township id (and village, grid as deep as its level), so the
    scope filter is built from plain id lists.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    courtyard = models.ForeignKey(Courtyard, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="assignments"
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, null=True, blank=True, related_name="assignments")
    title = models.CharField(_("title"), max_length=100, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["user_id", "valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="assignment_valid_range",
            ),
            models.CheckConstraint(condition=_place_matches_role(), name="assignment_place_matches_role"),
        ]
        indexes = [models.Index(fields=["user", "valid_from", "valid_to"])]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.place_name}"

    @property
    def place_name(self) -> str:
        place = self.courtyard or self.grid or self.village or self.department or self.area or self.township
        return str(place)

    @property
    def has_ended(self) -> bool:
        """Over: its last day is behind us (an assignment ending later today or in the future
        still holds, and may still be ended earlier)."""
        return self.valid_to is not None and self.valid_to < timezone.localdate()


class StaffAccount(models.Model):
    """What the township administrator (镇街管理员) keeps about a staff account beside Django's
    user (governance.accounts): whose township keeps it, who opened it, whether its password is
    still one the administrator issued (then it must be changed at the next login), and, for a
    deactivated account, when, by whom and why. An account opened before Cunzhi kept these has
    no row until an administrator first resets or deactivates it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_account")
    township = models.ForeignKey(
        Township,
        verbose_name=_("township"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The township whose administrator keeps the account."),
    )
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("kept since"), default=timezone.now)
    must_change_password = models.BooleanField(_("must change the password at the next login"), default=False)
    # When an administrator last issued a password (opening the account, or a reset): each
    # issue is a change on record even when the password had not been changed since.
    password_issued_at = models.DateTimeField(_("password issued at"), null=True, blank=True)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deactivated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    deactivation_reason = models.CharField(_("why it was deactivated"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(deactivated_at__isnull=True, deactivated_by__isnull=True, deactivation_reason="")
                | Q(deactivated_at__isnull=False),
                name="staff_account_deactivation_complete",
            ),
        ]

    def __str__(self):
        return self.user.get_full_name() or self.user.username


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Its e-mail, SMS and 企业微信 messages are governance.messaging's Delivery rows.

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.title


class IdempotencyRecord(models.Model):
    """The first response to a request carrying an Idempotency-Key header.

    A signed-in caller's keys are theirs: unique per (user, key). An anonymous caller (the
    public form) has no user, so its record is unique per (key, path) and carries a hash of
    the request body: only a request with the very same body gets the stored response back,
    which may hold a tracking code (see governance.api_common.idempotent).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    fingerprint = models.CharField(max_length=64, blank=True)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user"),
            models.UniqueConstraint(
                fields=["key", "path"], condition=Q(user__isnull=True), name="idempotency_key_unique_anonymous"
            ),
        ]


def random_photo_name(folder: str) -> str:
    """Where a stored photo goes under MEDIA: a random name in `folder`, so that the path reveals
    nothing (and MEDIA is never served as public files)."""
    return f"{folder}/{secrets.token_hex(12)}.jpg"


class StoredPhoto(models.Model):
    """A photo as governance.photos.reencode_photo stored it (a JPEG without metadata), served
    only through governance.files.private_photo_view. A concrete photo adds its parent and its
    `image` field (each with its own upload path)."""

    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]


class MonthlyReport(models.Model):
    """A month's report (月报) of a township (village empty) or of one of its villages, as
    governance.reports.monthly_report computed it when it was prepared. One per place and
    month: the beat task claims the row first, so a rerun prepares nothing twice."""

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+", verbose_name=_("township"))
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("village")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    data = models.JSONField(_("figures"), default=dict, blank=True)
    prepared_at = models.DateTimeField(_("prepared at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month", "township_id", "village_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "month"], condition=Q(village__isnull=True), name="monthly_report_township_once"
            ),
            models.UniqueConstraint(
                fields=["village", "month"], condition=Q(village__isnull=False), name="monthly_report_village_once"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="monthly_report_first_of_month"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.village_id or self.township_id}"


class Tally(models.Model):
    """The township and district dashboards' figures of one village, as governance.tallies
    counted them at its last run: the dashboards add these rows up instead of counting a
    district's matters and residents on every request.

    Rows per department (or none) and month (or none: the figures of now). A month row counts
    the matters by when each thing happened: received (created), closed and rated
    (closed_at), decided and on time (deadline). The rows of now count what is true at the
    run: held (open 政事), overdue, escalated, supervised (督办), signed for in time, the
    matters a department sent back (退回, in the returning department's row), and on the
    village's own row (no department, no month) its grids, households and residents."""

    township = models.ForeignKey(Township, on_delete=models.CASCADE, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    month = models.DateField(null=True, blank=True)
    received = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    decided = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    supervised = models.PositiveIntegerField(default=0)
    signed_on_time = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    grids = models.PositiveIntegerField(default=0)
    households = models.PositiveIntegerField(default=0)
    residents = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["township", "month"])]

    def __str__(self):
        return f"{self.village_id} {self.department_id} {self.month}"


class TallyRun(models.Model):
    """When the tallies were last counted (one row): the dashboards say so, and count them
    themselves when they are older than settings.TALLY_MAX_AGE (beat not running)."""

    counted_at = models.DateTimeField(null=True, blank=True)
    took_ms = models.PositiveIntegerField(default=0)
    matters = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.counted_at}"


class FinancePeriod(models.TextChoices):
    MONTH = "month", _("monthly")
    QUARTER = "quarter", _("quarterly")


class VillageFinanceSettings(models.Model):
    """How often a village posts its accounts (财务公开): at least quarterly, monthly where the
    village has decided so. A village without a row posts quarterly."""

    village = models.OneToOneField(Village, on_delete=models.PROTECT, related_name="finance_settings")
    period = models.CharField(_("posted"), max_length=10, choices=FinancePeriod.choices, default=FinancePeriod.QUARTER)
    # Periods starting before this day are neither asked for nor opened (the accounts before
    # Cunzhi are on paper): a statement there would start the village's balance afresh.
    posting_since = models.DateField(_("posted in Cunzhi since"))
    # Who set the village's posting last, and when (governance.finance.finance_settings_set).
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("village finance settings")
        verbose_name_plural = _("village finance settings")

    def __str__(self):
        return str(self.village)

    def clean(self):
        if self.posting_since and (error := outside_records(self.posting_since, timezone.localdate())):
            raise ValidationError({"posting_since": error})


class FinanceStatement(models.Model):
    """A period's income and expense (财务公开) of a village: a draft its cadres fill in, line by
    line or from a spreadsheet, then posted: from then on it is public and never changes (a
    correction is a line of a later period, saying what it corrects)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        POSTED = "posted", _("posted")

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="finance_statements")
    period = models.CharField(_("period"), max_length=10, choices=FinancePeriod.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    opening_balance = models.DecimalField(_("opening balance (yuan)"), max_digits=14, decimal_places=2, default=0)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("financial statement")
        verbose_name_plural = _("financial statements")
        ordering = ["village_id", "-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["village", "period_start", "period"], name="finance_statement_once"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="finance_period_ordered"),
            models.CheckConstraint(
                condition=(Q(status="draft") & Q(posted_at__isnull=True) & Q(posted_by__isnull=True))
                | (Q(status="posted") & Q(posted_at__isnull=False) & Q(posted_by__isnull=False)),
                name="finance_posting_complete",
            ),
        ]
        indexes = [models.Index(fields=["village", "status", "period_start"])]

    def __str__(self):
        return f"{self.village_id} {self.period_start:%Y-%m} {self.period}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class FinanceLine(models.Model):
    """One income or expense of a statement: its day, what it was, its amount (always positive;
    the direction says which way), the voucher number (凭证号) where there is one."""

    class Direction(models.TextChoices):
        INCOME = "income", _("income")
        EXPENSE = "expense", _("expense")

    statement = models.ForeignKey(FinanceStatement, on_delete=models.PROTECT, related_name="lines")
    direction = models.CharField(_("income or expense"), max_length=10, choices=Direction.choices)
    occurred_on = models.DateField(_("date"))
    item = models.CharField(_("item"), max_length=100)
    category = models.CharField(_("category"), max_length=40, blank=True)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    voucher = models.CharField(_("voucher number"), max_length=30, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("financial line")
        verbose_name_plural = _("financial lines")
        ordering = ["statement_id", "occurred_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="finance_line_amount_positive")]

    def __str__(self):
        return f"{self.item} {self.amount}"


# ---------------------------------------------------------------- pledges (提诺·亮诺·践诺·评诺)


class PledgeStatus(models.TextChoices):
    SUBMITTED = "submitted", _("proposed, waiting for review (提诺)")
    RETURNED = "returned", _("returned for changes")
    PUBLISHED = "published", _("published, being carried out (亮诺·践诺)")
    DONE = "done", _("done, waiting for rating (评诺)")
    CLOSED = "closed", _("rated and closed")


class Pledge(models.Model):
    """A public commitment (承诺) of a village cadre or a party member for a period.

    The pledger is a staff user (who proposes their own) or a resident of the village (a
    party member without an account, recorded by a village cadre): exactly one of the two.
    Its cycle is governance.pledges' transition table; overdue is a flag, not a state. The
    public board shows `pledger_title` and `pledger_initials` (kept when it was proposed),
    never a name.
    """

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+", verbose_name=_("township"))
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("village"))
    pledger_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges",
        verbose_name=_("pledger (staff)"),
    )
    pledger_resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pledger (resident)"),
    )
    pledger_title = models.CharField(_("pledger's title"), max_length=50)
    pledger_initials = models.CharField(max_length=20, blank=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what will be done"))
    period_label = models.CharField(_("period"), max_length=50)
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=20, choices=PledgeStatus.choices, default=PledgeStatus.SUBMITTED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_overdue = models.BooleanField(_("overdue"), default=False)
    overdue_at = models.DateTimeField(null=True, blank=True)
    # 评诺: the 成效评议会's figures, recorded by a village cadre or the township.
    rated_on = models.DateField(_("rating meeting held on"), null=True, blank=True)
    raters = models.PositiveIntegerField(_("raters"), null=True, blank=True)
    satisfied = models.PositiveIntegerField(_("satisfied"), null=True, blank=True)
    basically_satisfied = models.PositiveIntegerField(_("basically satisfied"), null=True, blank=True)
    unsatisfied = models.PositiveIntegerField(_("unsatisfied"), null=True, blank=True)
    rating_note = models.TextField(_("rating note"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=exactly_one("pledger_user", "pledger_resident"), name="pledge_one_pledger"
            ),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="pledge_period_range"),
        ]
        indexes = [
            models.Index(fields=["village", "status"]),
            models.Index(fields=["township", "status"]),
            models.Index(fields=["status", "due_on"], condition=Q(is_overdue=False), name="pledge_overdue_candidates"),
        ]

    def __str__(self):
        return self.title

    @property
    def satisfaction_rate(self) -> int | None:
        """满意率: satisfied and basically satisfied among the raters, in whole percent."""
        if not self.raters:
            return None
        return round(100 * ((self.satisfied or 0) + (self.basically_satisfied or 0)) / self.raters)


class PledgeEvent(models.Model):
    """One step of a pledge's cycle, immutable: who, when, from which status to which."""

    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.pledge_id} {self.action}"


class PledgeProgress(models.Model):
    """A line of 践诺: what was done (the last one, `completes`, marks the pledge done)."""

    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="progress")
    note = models.TextField(_("what was done"))
    completes = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pledge progress")
        verbose_name_plural = _("pledge progress")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.pledge_id} {self.created_at:%Y-%m-%d}"


def pledge_photo_path(photo, filename: str) -> str:
    return random_photo_name(f"pledges/{photo.pledge_id}")


class PledgePhoto(StoredPhoto):
    """Evidence of a progress line: staff only, served through the scoped photo view."""

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="photos")
    progress = models.ForeignKey(PledgeProgress, on_delete=models.PROTECT, related_name="photos")
    image = models.FileField(upload_to=pledge_photo_path)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta(StoredPhoto.Meta):
        verbose_name = _("pledge photo")
        verbose_name_plural = _("pledge photos")


class JobState(models.TextChoices):
    QUEUED = "queued", _("waiting to start")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


def job_file_path(job, filename: str) -> str:
    # Random names: the path reveals nothing; the files are served only to the job's owner.
    suffix = filename.rsplit(".", 1)[-1][:8] if "." in filename else "bin"
    return f"jobs/{timezone.now():%Y/%m}/{secrets.token_hex(12)}.{suffix}"


class Job(models.Model):
    """Long work done in the background (governance.jobs): a register import, a district
    export, a monthly report file. The row and its input file are saved before the task is
    queued, so a Redis outage loses nothing; a worker claims the row (queued → running) before
    it starts, so it runs once; `done`/`total` is its progress, written as it goes."""

    kind = models.CharField(_("kind"), max_length=40)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    state = models.CharField(_("state"), max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    phase = models.CharField(max_length=20, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    input_file = models.FileField(upload_to=job_file_path, blank=True)
    input_name = models.CharField(max_length=200, blank=True)
    result = models.JSONField(default=dict, blank=True)
    result_file = models.FileField(upload_to=job_file_path, blank=True)
    result_name = models.CharField(max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    errors = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="job_owner_recent"),
            models.Index(fields=["state", "created_at"], name="job_state_age"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(done__lte=F("total")) | Q(total=0), name="job_done_within_total"),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def percent(self) -> int | None:
        return round(100 * self.done / self.total) if self.total else None
