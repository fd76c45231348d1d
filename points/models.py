"""The points bank (积分银行): passbook accounts, the append-only ledger, rules, the shop, 红黑榜.

The ledger (`Entry`) holds only posted lines: each has the balance after it, and the
account's balance always equals the sum of its entries (check_points_ledger proves it).
A proposal (`Award`) lives outside the ledger until a village cadre approves it; approval
posts exactly one entry (a unique key on the award). Nothing in the ledger is edited or
deleted: a mistake is corrected by a reversing entry (a unique key on the reversed entry).
Every write goes through points.services, under a row lock on the account.

A village's rules, shop items and points settings are its own, kept by its cadres (the shop
also by its clerk), never by the township (docs/administration.md).
"""

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from governance import roles
from governance.masking import mask_phone
from governance.models import random_photo_name
from grids.models import Household, Resident, Township, Village, scope_indexes


class Category(models.TextChoices):
    PATRIOTISM = "patriotism", _("love of country and home (家国情怀)")
    CIVILITY = "civility", _("civilised customs (文明习俗)")
    LAW = "law", _("law and the village compact (遵纪守法)")
    PUBLIC_GOOD = "public_good", _("public good (公益行动)")


class CapPeriod(models.TextChoices):
    NONE = "none", _("no cap")
    MONTH = "month", _("per month")
    QUARTER = "quarter", _("per quarter")
    YEAR = "year", _("per year")


# Who may propose an entry of a rule, unless the rule says otherwise.
DEFAULT_PROPOSER_ROLES = [role.value for role in roles.DEFAULT_PROPOSER_ROLES]
PROPOSER_ROLE_CHOICES = frozenset(role.value for role in roles.PROPOSER_ROLES)


def default_proposer_roles() -> list[str]:
    return list(DEFAULT_PROPOSER_ROLES)


class VillagePointsSettings(models.Model):
    """One village's points bank. A village without a row uses the field defaults."""

    village = models.OneToOneField(Village, on_delete=models.PROTECT, related_name="points_settings")
    starting_balance = models.PositiveIntegerField(
        _("starting balance"), default=100, help_text=_("The opening entry of every new passbook.")
    )
    redeem_threshold = models.IntegerField(
        _("redeemable threshold"),
        default=100,
        help_text=_("Only points above this balance can be spent in the points shop."),
    )
    benefit_floor = models.IntegerField(
        _("benefit floor"),
        default=60,
        help_text=_(
            "Below this balance a household loses what the village itself grants (see the consequence below) "
            "until it recovers; never a statutory benefit."
        ),
    )
    floor_consequence = models.CharField(
        _("consequence of falling below the floor"),
        max_length=200,
        blank=True,
        help_text=_(
            "Only what the village itself grants (e.g. 积分超市兑换, 评优评先, rewards the collective runs itself); "
            "never collective dividends, land-contract rights or statutory benefits."
        ),
    )
    objection_days = models.PositiveSmallIntegerField(
        _("objection window (days)"),
        default=3,
        help_text=_("How long a proposed entry is shown publicly (公示) before it may be approved."),
    )
    publish_black_list = models.BooleanField(
        _("publish the black list"),
        default=False,
        help_text=_("The black list is internal unless this is on: naming people publicly needs care."),
    )
    black_list_consequence = models.CharField(
        _("consequence of the black list"),
        max_length=200,
        blank=True,
        help_text=_(
            "Written on each black list line when the board is compiled (e.g. 取消当年评先评优资格). Never collective "
            "dividends, land-contract rights or statutory benefits."
        ),
    )
    black_list_threshold = models.IntegerField(
        _("black list threshold"),
        default=-10,
        help_text=_(
            "A household goes on a quarter's black list only when its deductions that stand in the quarter add up "
            "to this or less (e.g. −10)."
        ),
    )
    red_list_size = models.PositiveSmallIntegerField(_("red list size"), default=10)

    class Meta:
        verbose_name = _("village points settings")
        verbose_name_plural = _("village points settings")
        constraints = [
            models.CheckConstraint(condition=Q(black_list_threshold__lt=0), name="points_black_list_threshold_negative")
        ]

    def __str__(self):
        return str(self.village)

    def clean(self):
        from django.core.exceptions import ValidationError

        from governance.law import refusal

        errors = {}
        for name in ("black_list_consequence", "floor_consequence"):
            reason = refusal(getattr(self, name))
            if reason is not None:
                errors[name] = ValidationError(reason, code="unlawful_consequence")
        if self.black_list_threshold is not None and self.black_list_threshold >= 0:
            errors["black_list_threshold"] = _("The threshold is a total of deductions: below zero, e.g. −10.")
        if errors:
            raise ValidationError(errors)


class Rule(models.Model):
    """An item of the village's catalogue (积分细则): fixed points, earned or deducted."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="points_rules")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    points = models.IntegerField(_("points"), help_text=_("Positive to earn, negative to deduct."))
    requires_evidence = models.BooleanField(_("evidence required"), default=False)
    cap_count = models.PositiveSmallIntegerField(
        _("at most"), null=True, blank=True, help_text=_("Entries per household in one period.")
    )
    cap_period = models.CharField(_("cap period"), max_length=10, choices=CapPeriod.choices, default=CapPeriod.NONE)
    proposer_roles = models.JSONField(
        _("who may propose"),
        default=default_proposer_roles,
        help_text=_("Roles: grid_worker, grid_leader, courtyard_helper, village_cadre."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    # The 村事 whose 七步走 vote adopted the rule (or its last change): points.services checks it carried.
    adopted_by = models.ForeignKey(
        "petitions.Matter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("adopted by the resolution of"),
    )
    # The article of the village compact (村规民约) the rule enforces: the version in force when
    # it was cited (the rule's page says when a newer version has replaced it).
    compact_article = models.ForeignKey(
        "petitions.CompactArticle",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_rules",
        verbose_name=_("article of the village compact it enforces"),
    )

    class Meta:
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")
        ordering = ["village_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["village", "name"], name="points_rule_name_unique_in_village"),
            models.CheckConstraint(condition=~Q(points=0), name="points_rule_points_not_zero"),
            models.CheckConstraint(
                condition=(Q(cap_period="none") & Q(cap_count__isnull=True))
                | (~Q(cap_period="none") & Q(cap_count__gte=1)),
                name="points_rule_cap_complete",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.points:+d})"

    @property
    def is_earn(self) -> bool:
        return self.points > 0

    def clean(self):
        from django.core.exceptions import ValidationError

        roles = self.proposer_roles
        if not isinstance(roles, list) or not roles or not set(roles) <= PROPOSER_ROLE_CHOICES:
            message = _("Give a list of roles: grid_worker, grid_leader, courtyard_helper, village_cadre.")
            raise ValidationError({"proposer_roles": message})


class RuleChange(models.Model):
    """One change of a village's catalogue made in the pages: who, when, what, and the
    resolution (a 村事 whose vote carried) that decided it. Append-only."""

    class Action(models.TextChoices):
        CREATE = "create", _("adopted")
        UPDATE = "update", _("changed")
        RETIRE = "retire", _("retired")
        RESTORE = "restore", _("brought back")

    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="changes")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("change"), max_length=10, choices=Action.choices)
    # {field: [before, after]} (before is None for a new rule)
    changes = models.JSONField(_("what changed"), default=dict)
    resolution = models.ForeignKey(
        "petitions.Matter", on_delete=models.PROTECT, related_name="+", verbose_name=_("resolution")
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("change of a points rule")
        verbose_name_plural = _("changes of points rules")
        ordering = ["-id"]
        indexes = [models.Index(fields=["rule", "id"])]


def period_bounds(period: str, day: datetime.date) -> tuple[datetime.date, datetime.date] | None:
    """[start, end) of the cap period holding `day`, or None for no period."""
    if period == CapPeriod.MONTH:
        start = day.replace(day=1)
        end = (start + datetime.timedelta(days=32)).replace(day=1)
    elif period == CapPeriod.QUARTER:
        start, end = quarter_bounds(day.year, (day.month - 1) // 3 + 1)
    elif period == CapPeriod.YEAR:
        start, end = datetime.date(day.year, 1, 1), datetime.date(day.year + 1, 1, 1)
    else:
        return None
    return start, end


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    start = datetime.date(year, 3 * (quarter - 1) + 1, 1)
    end = datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, 3 * quarter + 1, 1)
    return start, end


class Account(models.Model):
    """A household's passbook (积分存折). The balance changes only under a row lock, in the
    same transaction as the entry that explains it."""

    household = models.OneToOneField(Household, on_delete=models.PROTECT, related_name="points_account")
    # A household never changes village, so these copies never go stale; the grid and the
    # courtyard (which can change) are read through the household.
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    balance = models.IntegerField(_("balance"), default=0)
    # The household agreed to be named on the published red list (PIPL: consent to publication).
    red_list_consent_on = models.DateField(_("agreed to be named on the red list on"), null=True, blank=True)
    red_list_consent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("passbook account")
        verbose_name_plural = _("passbook accounts")
        ordering = ["id"]
        indexes = scope_indexes("village", "township")

    def __str__(self):
        return f"{self.household} · {self.balance}"


def evidence_path(award, filename: str) -> str:
    return random_photo_name("points/evidence")


def item_photo_path(item, filename: str) -> str:
    return random_photo_name("points/items")


# Unambiguous letters and digits for a code read aloud or typed on a phone.
PUBLIC_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_public_code() -> str:
    """The short public reference of a proposal on the 公示 (e.g. "K7QF-2MXR")."""
    letters = "".join(secrets.choice(PUBLIC_CODE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


class AwardStatus(models.TextChoices):
    PENDING = "pending", _("pending (公示)")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", pgettext_lazy("points proposal", "rejected")


class AwardBatch(models.Model):
    """One rule for all participants of one event (a clean-up day, a meeting), proposed in one step."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="batches")
    occurred_on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    # The meeting record the participants came from, when awarded from a matter's deliberation.
    deliberation = models.ForeignKey(
        "petitions.Deliberation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("batch of proposed entries")
        verbose_name_plural = _("batches of proposed entries")
        ordering = ["-id"]
        constraints = [
            # A meeting's participants are awarded a rule once.
            models.UniqueConstraint(
                fields=["deliberation", "rule"],
                condition=Q(deliberation__isnull=False),
                name="points_batch_once_per_deliberation_and_rule",
            ),
        ]


class Award(models.Model):
    """A proposed earn or deduct entry (积分申报): shown publicly (公示) for the objection
    window, then approved (which posts one ledger entry) or rejected by a village cadre
    other than its proposer."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="awards")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="awards")
    # The rule's points when proposed: a later change to the catalogue does not rewrite it.
    points = models.IntegerField(_("points"))
    member = models.ForeignKey(
        Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("member")
    )
    occurred_on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    evidence = models.FileField(_("evidence"), upload_to=evidence_path, blank=True)
    batch = models.ForeignKey(AwardBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="awards")
    status = models.CharField(_("status"), max_length=10, choices=AwardStatus.choices, default=AwardStatus.PENDING)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"))
    objection_until = models.DateTimeField(_("objection window ends"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("reason or note of the decision"), blank=True)
    # The reference shown on the public 公示 line: what a resident quotes to object.
    public_code = models.CharField(_("public reference"), max_length=9, unique=True, default=new_public_code)

    class Meta:
        verbose_name = _("proposed entry")
        verbose_name_plural = _("proposed entries")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="points_award_points_not_zero"),
            models.CheckConstraint(
                condition=(Q(status="pending") & Q(decided_by__isnull=True) & Q(decided_at__isnull=True))
                | (~Q(status="pending") & Q(decided_by__isnull=False) & Q(decided_at__isnull=False)),
                name="points_award_decision_complete",
            ),
            # Maker-checker, as the last line of defence: nobody decides their own proposal.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="points_award_maker_checker",
            ),
        ]
        indexes = [
            models.Index(fields=["village", "status", "id"]),
            models.Index(fields=["account", "rule", "occurred_on"]),
        ]

    def __str__(self):
        return f"{self.rule.name} {self.points:+d} · {self.account.household}"

    @property
    def is_pending(self) -> bool:
        return self.status == AwardStatus.PENDING


class ObjectionRuling(models.TextChoices):
    PENDING = "pending", _("waiting for a ruling")
    UPHELD = "upheld", _("upheld: the entry is rejected")
    DISMISSED = "dismissed", _("dismissed")


class Objection(models.Model):
    """An objection to a proposed entry during its 公示, raised online by anyone (by the line's
    public reference) or by staff on a resident's behalf. While pending it holds the entry:
    no approval until a village cadre (not the objector, not the proposer) rules on it."""

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="objections")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    raised_online = models.BooleanField(_("raised online"), default=False)
    # Internal: to call the objector back. Pages show them masked; never public.
    contact_name = models.CharField(_("name"), max_length=50, blank=True)
    contact_phone = models.CharField(_("mobile number"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("raised at"))
    ruling = models.CharField(
        _("ruling"), max_length=10, choices=ObjectionRuling.choices, default=ObjectionRuling.PENDING
    )
    ruled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ruled_at = models.DateTimeField(_("ruled at"), null=True, blank=True)
    ruling_note = models.TextField(_("reasons of the ruling"), blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(ruling="pending") & Q(ruled_by__isnull=True) & Q(ruled_at__isnull=True))
                | (~Q(ruling="pending") & Q(ruled_by__isnull=False) & Q(ruled_at__isnull=False)),
                name="points_objection_ruling_complete",
            ),
            models.CheckConstraint(
                condition=Q(ruled_by__isnull=True) | Q(raised_by__isnull=True) | ~Q(ruled_by=F("raised_by")),
                name="points_objection_not_ruled_by_objector",
            ),
        ]
        indexes = [models.Index(fields=["village", "ruling", "id"]), models.Index(fields=["award", "ruling"])]

    def __str__(self):
        return f"{self.award.public_code} · {self.get_ruling_display()}"

    @property
    def masked_name(self) -> str:
        name = self.contact_name.strip()
        return f"{name[0]}*" if name else ""

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.contact_phone) if self.contact_phone else ""


class Item(models.Model):
    """A good of the points shop (积分超市) with its points price and stock."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="points_items")
    name = models.CharField(_("name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    price = models.PositiveIntegerField(_("price in points"))
    stock = models.IntegerField(_("stock"), default=0)
    photo = models.FileField(_("photo"), upload_to=item_photo_path, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("shop item")
        verbose_name_plural = _("shop items")
        ordering = ["village_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["village", "name"], name="points_item_name_unique_in_village"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="points_item_stock_not_negative"),
            models.CheckConstraint(condition=Q(price__gte=1), name="points_item_price_positive"),
        ]

    def __str__(self):
        return self.name


class Redemption(models.Model):
    """Goods handed out for points: the account and the stock are debited in one transaction."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="redemptions")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="redemptions")
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.PositiveIntegerField(_("price in points"))
    points = models.PositiveIntegerField(_("points"))
    member = models.ForeignKey(
        Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("who came")
    )
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="points_redemption_quantity_positive"),
            models.CheckConstraint(
                condition=Q(points=F("quantity") * F("unit_price")), name="points_redemption_points_add_up"
            ),
        ]
        indexes = scope_indexes("village")


class EntryKind(models.TextChoices):
    OPENING = "opening", _("opening")
    EARN = "earn", _("earned")
    DEDUCT = "deduct", _("deducted")
    REDEEM = "redeem", _("redeemed")
    REVERSAL = "reversal", _("reversal")


class Entry(models.Model):
    """One posted line of a passbook. Append-only: never edited, never deleted."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    points = models.IntegerField(_("points"))
    balance_after = models.IntegerField(_("balance after"))
    occurred_on = models.DateField(_("date"))
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    member = models.ForeignKey(Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.TextField(_("note"), blank=True)
    # The source of the entry: unique, so that a replay can never post it twice.
    award = models.OneToOneField(Award, on_delete=models.PROTECT, null=True, blank=True, related_name="entry")
    redemption = models.OneToOneField(Redemption, on_delete=models.PROTECT, null=True, blank=True, related_name="entry")
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["account_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account"], condition=Q(kind="opening"), name="points_one_opening"),
            models.CheckConstraint(
                condition=(
                    (
                        Q(kind="opening")
                        & Q(points__gte=0)
                        & Q(award__isnull=True, redemption__isnull=True, reverses__isnull=True)
                    )
                    | (Q(kind="earn") & Q(points__gt=0) & Q(award__isnull=False))
                    | (Q(kind="deduct") & Q(points__lt=0) & Q(award__isnull=False))
                    | (Q(kind="redeem") & Q(points__lt=0) & Q(redemption__isnull=False))
                    | (Q(kind="reversal") & ~Q(points=0) & Q(reverses__isnull=False))
                ),
                name="points_entry_kind_matches_source",
            ),
        ]
        indexes = [models.Index(fields=["village", "occurred_on"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.points:+d} → {self.balance_after}"


class BoardStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    DECIDED = "decided", _("decided by the 道德评议会")
    PUBLISHED = "published", _("published")


class Board(models.Model):
    """A quarter's 道德红黑榜: compiled from the ledger, decided by the 道德评议会, published."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="points_boards")
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    status = models.CharField(_("status"), max_length=10, choices=BoardStatus.choices, default=BoardStatus.DRAFT)
    compiled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    compiled_at = models.DateTimeField(_("compiled at"))
    meeting_date = models.DateField(_("date of the 道德评议会"), null=True, blank=True)
    decision = models.TextField(_("decision of the 道德评议会"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("red and black board")
        verbose_name_plural = _("red and black boards")
        ordering = ["-year", "-quarter", "village_id"]
        constraints = [
            models.UniqueConstraint(fields=["village", "year", "quarter"], name="points_board_once_per_quarter"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="points_board_quarter_range"),
        ]

    def __str__(self):
        return f"{self.village} {self.year}Q{self.quarter}"

    @property
    def bounds(self) -> tuple[datetime.date, datetime.date]:
        return quarter_bounds(self.year, self.quarter)


class BoardSide(models.TextChoices):
    RED = "red", _("red list")
    BLACK = "black", _("black list")


class BoardLine(models.Model):
    """A household on the red list (its points and honours) or the black list (its
    violations and their consequence). The 道德评议会 may strike a line."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="lines")
    side = models.CharField(_("list"), max_length=10, choices=BoardSide.choices)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    points = models.IntegerField(_("points"))
    reason = models.TextField(_("honours or violations"))
    consequence = models.CharField(_("consequence"), max_length=200, blank=True)
    struck = models.BooleanField(_("struck by the 道德评议会"), default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("board line")
        verbose_name_plural = _("board lines")
        ordering = ["board_id", "side", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["board", "side", "account"], name="points_board_line_once"),
        ]
