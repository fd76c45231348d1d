"""API serializers for the points bank.

Output serializers render lists by hand (as grids.serializers and petitions.serializers
do: a page is 50 rows and the choice labels are translated once per page); the declared
fields still describe the schema. Input serializers check the shape of a request and that
every id names a row the caller sees (else a 400 on that field, or on that position of a
list); points.services checks the rest and writes.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from governance.api_input import InputSerializer, VisibleField
from governance.serializers import choice_labels, person_name, render_date, render_datetime
from grids.models import Resident, Village
from grids.selectors import residents_visible_to, villages_visible_to
from petitions.models import Deliberation
from petitions.selectors import matters_visible_to
from points.models import (
    Account,
    Award,
    AwardStatus,
    BoardSide,
    BoardStatus,
    CapPeriod,
    Category,
    EntryKind,
    Item,
    Rule,
)
from points.selectors import (
    accounts_visible_to,
    awards_visible_to,
    items_visible_to,
    passbook_members_visible_to,
    rules_visible_to,
    settings_of,
    standing,
)
from points.services import MAX_QUANTITY


def _labels(context: dict) -> dict[str, dict[str, str]]:
    return choice_labels(
        context,
        "_points_labels",
        {
            "kind": EntryKind,
            "status": AwardStatus,
            "category": Category,
            "cap_period": CapPeriod,
            "board": BoardStatus,
            "side": BoardSide,
        },
    )


def _household(account: Account) -> dict:
    household = account.household
    return {
        "household": household.pk,
        "household_number": household.number,
        "head_name": household.head_name,
        "grid": household.grid_id,
        "grid_name": household.grid.name,
    }


def _member(row) -> dict:
    """The member of the household a row names, if any."""
    return {"member": row.member_id, "member_name": row.member.name if row.member_id else None}


def _posted(entry) -> dict:
    """The ledger entry a proposal or a redemption posted (None before approval), and the
    entry that reversed it."""
    reversal = getattr(entry, "reversed_by", None) if entry else None
    return {
        "entry": entry.pk if entry else None,
        "balance_after": entry.balance_after if entry else None,
        "reversed_by": reversal.pk if reversal else None,
    }


# ---------------------------------------------------------------- output


class AccountSerializer(serializers.Serializer):
    """A passbook: its balance, what can be spent, and whether the household is below the
    benefit floor (no 惠民待遇 or 评优评先 until it recovers)."""

    id = serializers.IntegerField()
    household = serializers.IntegerField()
    household_number = serializers.CharField()
    head_name = serializers.CharField()
    grid = serializers.IntegerField()
    grid_name = serializers.CharField()
    village = serializers.IntegerField()
    village_name = serializers.CharField()
    balance = serializers.IntegerField()
    spendable = serializers.IntegerField(help_text=_("Points above the redeemable threshold."))
    redeem_threshold = serializers.IntegerField()
    benefit_floor = serializers.IntegerField()
    below_floor = serializers.BooleanField(help_text=_("Below the floor the household loses benefits."))
    opened_at = serializers.DateTimeField()

    def to_representation(self, obj):
        allowed = standing(obj, settings_of(obj))
        return {
            "id": obj.pk,
            **_household(obj),
            "village": obj.village_id,
            "village_name": obj.village.name,
            "balance": obj.balance,
            "spendable": allowed.spendable,
            "redeem_threshold": allowed.redeem_threshold,
            "benefit_floor": allowed.benefit_floor,
            "below_floor": allowed.below_floor,
            "opened_at": render_datetime(obj.opened_at),
        }


class LedgerEntrySerializer(serializers.Serializer):
    """One line of a passbook, with the balance after it."""

    id = serializers.IntegerField()
    account = serializers.IntegerField()
    kind = serializers.CharField(help_text="opening, earn, deduct, redeem or reversal")
    kind_label = serializers.CharField()
    points = serializers.IntegerField()
    balance_after = serializers.IntegerField()
    occurred_on = serializers.DateField()
    rule = serializers.IntegerField(allow_null=True)
    rule_name = serializers.CharField(allow_null=True)
    member = serializers.IntegerField(allow_null=True)
    member_name = serializers.CharField(allow_null=True)
    note = serializers.CharField()
    reason = serializers.CharField()
    award = serializers.IntegerField(allow_null=True, help_text=_("The proposed entry this posts."))
    redemption = serializers.IntegerField(allow_null=True)
    reverses = serializers.IntegerField(allow_null=True)
    reversed_by = serializers.IntegerField(allow_null=True)
    created_by_name = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()

    def to_representation(self, obj):
        labels = _labels(self.context)
        reversal = getattr(obj, "reversed_by", None)
        return {
            "id": obj.pk,
            "account": obj.account_id,
            "kind": obj.kind,
            "kind_label": labels["kind"].get(obj.kind, ""),
            "points": obj.points,
            "balance_after": obj.balance_after,
            "occurred_on": render_date(obj.occurred_on),
            "rule": obj.rule_id,
            "rule_name": obj.rule.name if obj.rule_id else None,
            **_member(obj),
            "note": obj.note,
            "reason": obj.reason,
            "award": obj.award_id,
            "redemption": obj.redemption_id,
            "reverses": obj.reverses_id,
            "reversed_by": reversal.pk if reversal else None,
            "created_by_name": person_name(obj.created_by),
            "created_at": render_datetime(obj.created_at),
        }


# A row about one passbook (a proposal, a redemption): its id, then the household the passbook
# belongs to, in the same fields wherever it appears. (A comment, not a docstring: the schema
# would take it as the description of every serializer below that has none of its own.)
class _HouseholdRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.IntegerField()
    household = serializers.IntegerField()
    household_number = serializers.CharField()
    head_name = serializers.CharField()
    grid = serializers.IntegerField()
    grid_name = serializers.CharField()

    def _row(self, obj) -> dict:
        return {"id": obj.pk, "account": obj.account_id, **_household(obj.account)}


class AwardSerializer(_HouseholdRowSerializer):
    """A proposed earn or deduct entry and its decision."""

    village = serializers.IntegerField()
    rule = serializers.IntegerField()
    rule_name = serializers.CharField()
    category = serializers.CharField()
    category_label = serializers.CharField()
    points = serializers.IntegerField()
    member = serializers.IntegerField(allow_null=True)
    member_name = serializers.CharField(allow_null=True)
    occurred_on = serializers.DateField()
    note = serializers.CharField()
    has_evidence = serializers.BooleanField()
    batch = serializers.IntegerField(allow_null=True)
    status = serializers.CharField(help_text="pending, approved or rejected")
    status_label = serializers.CharField()
    proposed_by = serializers.IntegerField()
    proposed_by_name = serializers.CharField()
    proposed_at = serializers.DateTimeField()
    objection_until = serializers.DateTimeField(help_text=_("Approval is possible from this moment (公示 over)."))
    public_code = serializers.CharField(help_text=_("The reference shown on the public 公示 line."))
    decided_by = serializers.IntegerField(allow_null=True)
    decided_by_name = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()
    entry = serializers.IntegerField(allow_null=True, help_text=_("The ledger entry posted on approval."))
    balance_after = serializers.IntegerField(allow_null=True)
    reversed_by = serializers.IntegerField(allow_null=True, help_text=_("The reversing ledger entry, if any."))

    def to_representation(self, obj):
        labels = _labels(self.context)
        return {
            **self._row(obj),
            "village": obj.village_id,
            "rule": obj.rule_id,
            "rule_name": obj.rule.name,
            "category": obj.rule.category,
            "category_label": labels["category"].get(obj.rule.category, ""),
            "points": obj.points,
            **_member(obj),
            "occurred_on": render_date(obj.occurred_on),
            "note": obj.note,
            "has_evidence": bool(obj.evidence),
            "batch": obj.batch_id,
            "status": obj.status,
            "status_label": labels["status"].get(obj.status, ""),
            "proposed_by": obj.proposed_by_id,
            "proposed_by_name": person_name(obj.proposed_by),
            "proposed_at": render_datetime(obj.proposed_at),
            "objection_until": render_datetime(obj.objection_until),
            "public_code": obj.public_code,
            "decided_by": obj.decided_by_id,
            "decided_by_name": person_name(obj.decided_by),
            "decided_at": render_datetime(obj.decided_at),
            "decision_note": obj.decision_note,
            **_posted(getattr(obj, "entry", None)),
        }


class BatchResultSerializer(serializers.Serializer):
    batch = serializers.IntegerField()
    rule = serializers.IntegerField()
    occurred_on = serializers.DateField()
    entries = AwardSerializer(many=True)


class RuleSerializer(serializers.ModelSerializer):
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    cap_period_label = serializers.CharField(source="get_cap_period_display", read_only=True)
    kind = serializers.SerializerMethodField(help_text="earn or deduct")
    proposer_roles = serializers.ListField(child=serializers.CharField(), read_only=True)
    adopted_by_title = serializers.CharField(
        source="adopted_by.title",
        read_only=True,
        default=None,
        allow_null=True,
        help_text=_("The resolution's matter."),
    )

    class Meta:
        model = Rule
        fields = [
            "id",
            "village",
            "category",
            "category_label",
            "name",
            "description",
            "points",
            "kind",
            "requires_evidence",
            "cap_count",
            "cap_period",
            "cap_period_label",
            "proposer_roles",
            "order",
            "is_active",
            "adopted_by",
            "adopted_by_title",
        ]
        read_only_fields = fields

    def get_kind(self, obj) -> str:
        return "earn" if obj.points > 0 else "deduct"


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    village = serializers.IntegerField()
    name = serializers.CharField()
    unit = serializers.CharField()
    price = serializers.IntegerField()
    stock = serializers.IntegerField()
    has_photo = serializers.BooleanField()
    order = serializers.IntegerField()
    is_active = serializers.BooleanField()

    def to_representation(self, obj):
        return {
            "id": obj.pk,
            "village": obj.village_id,
            "name": obj.name,
            "unit": obj.unit,
            "price": obj.price,
            "stock": obj.stock,
            "has_photo": bool(obj.photo),
            "order": obj.order,
            "is_active": obj.is_active,
        }


class RedemptionSerializer(_HouseholdRowSerializer):
    item = serializers.IntegerField()
    item_name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.IntegerField()
    points = serializers.IntegerField()
    member = serializers.IntegerField(allow_null=True)
    member_name = serializers.CharField(allow_null=True)
    clerk = serializers.IntegerField()
    clerk_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    entry = serializers.IntegerField()
    balance_after = serializers.IntegerField()
    reversed_by = serializers.IntegerField(allow_null=True)

    def to_representation(self, obj):
        return {
            **self._row(obj),
            "item": obj.item_id,
            "item_name": obj.item.name,
            "quantity": obj.quantity,
            "unit_price": obj.unit_price,
            "points": obj.points,
            **_member(obj),
            "clerk": obj.clerk_id,
            "clerk_name": person_name(obj.clerk),
            "created_at": render_datetime(obj.created_at),
            **_posted(obj.entry),
        }


class BoardLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    side = serializers.CharField(help_text="red or black")
    side_label = serializers.CharField()
    account = serializers.IntegerField()
    household = serializers.IntegerField()
    household_number = serializers.CharField()
    head_name = serializers.CharField()
    grid = serializers.IntegerField()
    grid_name = serializers.CharField()
    points = serializers.IntegerField()
    reason = serializers.CharField()
    consequence = serializers.CharField()
    struck = serializers.BooleanField()

    def to_representation(self, obj):
        labels = _labels(self.context)
        return {
            "id": obj.pk,
            "side": obj.side,
            "side_label": labels["side"].get(obj.side, ""),
            "account": obj.account_id,
            **_household(obj.account),
            "points": obj.points,
            "reason": obj.reason,
            "consequence": obj.consequence,
            "struck": obj.struck,
        }


class BoardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    village = serializers.IntegerField()
    village_name = serializers.CharField()
    year = serializers.IntegerField()
    quarter = serializers.IntegerField()
    status = serializers.CharField(help_text="draft, decided or published")
    status_label = serializers.CharField()
    compiled_by_name = serializers.CharField()
    compiled_at = serializers.DateTimeField()
    meeting_date = serializers.DateField(allow_null=True)
    decision = serializers.CharField()
    decided_by_name = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, obj):
        labels = _labels(self.context)
        return {
            "id": obj.pk,
            "village": obj.village_id,
            "village_name": obj.village.name,
            "year": obj.year,
            "quarter": obj.quarter,
            "status": obj.status,
            "status_label": labels["board"].get(obj.status, ""),
            "compiled_by_name": person_name(obj.compiled_by),
            "compiled_at": render_datetime(obj.compiled_at),
            "meeting_date": render_date(obj.meeting_date),
            "decision": obj.decision,
            "decided_by_name": person_name(obj.decided_by),
            "decided_at": render_datetime(obj.decided_at),
            "published_at": render_datetime(obj.published_at),
        }


class BoardDetailSerializer(BoardSerializer):
    lines = BoardLineSerializer(many=True)

    def to_representation(self, obj):
        line = BoardLineSerializer(context=self.context)
        return {**super().to_representation(obj), "lines": [line.to_representation(x) for x in obj.lines.all()]}


class PublicLineSerializer(serializers.Serializer):
    initials = serializers.CharField(help_text=_("The head of household's initials, never a name."))
    grid = serializers.CharField(allow_null=True, help_text=_("Null for a grid of fewer than 30 households."))
    points = serializers.IntegerField()
    reason = serializers.CharField()
    consequence = serializers.CharField(required=False)


class PublicBoardSerializer(serializers.Serializer):
    village = serializers.CharField()
    year = serializers.IntegerField()
    quarter = serializers.IntegerField()
    meeting_date = serializers.DateField(allow_null=True)
    published_at = serializers.DateTimeField()
    red = PublicLineSerializer(many=True, help_text=_("Only the households that agreed to be named."))
    red_unnamed = serializers.IntegerField(help_text=_("Households on the red list not named (no consent)."))
    black = PublicLineSerializer(many=True, allow_null=True, help_text=_("Null unless the village publishes it."))


class OpenedSerializer(serializers.Serializer):
    opened = serializers.IntegerField()


# ---------------------------------------------------------------- input


def _deliberations_visible_to(user):
    return Deliberation.objects.select_related("matter").filter(matter__in=matters_visible_to(user).values("pk"))


class AwardTargetSerializer(InputSerializer):
    """Which household and which rule: checked first, against the caller's scope."""

    account = VisibleField(accounts_visible_to, queryset=Account.objects.none())
    rule = VisibleField(rules_visible_to, queryset=Rule.objects.none())


class AwardCreateSerializer(AwardTargetSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    member = VisibleField(
        residents_visible_to,
        queryset=Resident.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("The member concerned."),
    )
    occurred_on = serializers.DateField(required=False, allow_null=True, help_text=_("Today if left out."))
    evidence = serializers.ImageField(
        required=False, allow_null=True, help_text=_("A photo (multipart); required by some rules.")
    )


class AwardBatchSerializer(InputSerializer):
    """One rule for all participants of one event: households (`accounts`), people
    (`residents`), or the participants of a matter's meeting record (`deliberation`)."""

    rule = VisibleField(rules_visible_to, queryset=Rule.objects.none())
    accounts = serializers.ListField(
        child=VisibleField(accounts_visible_to, queryset=Account.objects.none()), required=False, max_length=500
    )
    residents = serializers.ListField(
        child=VisibleField(residents_visible_to, queryset=Resident.objects.none()), required=False, max_length=500
    )
    deliberation = VisibleField(
        _deliberations_visible_to,
        queryset=Deliberation.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("A matter's meeting record: its participants are proposed, on the day it was held."),
    )
    occurred_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate(self, attrs):
        given = [name for name in ("accounts", "residents", "deliberation") if attrs.get(name)]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"accounts": [_("Give exactly one of: accounts, residents, or a deliberation.")]}
            )
        return attrs


class ObjectionSerializer(serializers.Serializer):
    """An objection during the 公示. The contact stays internal: masked here as in the pages."""

    id = serializers.IntegerField()
    award = serializers.IntegerField(source="award_id")
    reason = serializers.CharField()
    raised_online = serializers.BooleanField()
    raised_by = serializers.IntegerField(source="raised_by_id", allow_null=True)
    contact_name = serializers.CharField(source="masked_name")
    contact_phone = serializers.CharField(source="masked_phone")
    created_at = serializers.DateTimeField()
    ruling = serializers.CharField(help_text=_("pending, upheld or dismissed"))
    ruled_by = serializers.IntegerField(source="ruled_by_id", allow_null=True)
    ruled_at = serializers.DateTimeField(allow_null=True)
    ruling_note = serializers.CharField()


class ObjectionTargetSerializer(InputSerializer):
    award = VisibleField(awards_visible_to, queryset=Award.objects.none())


class ObjectionCreateSerializer(ObjectionTargetSerializer):
    reason = serializers.CharField(max_length=1000)
    contact_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=50)
    contact_phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)


class RulingSerializer(InputSerializer):
    upheld = serializers.BooleanField(help_text=_("True: the entry is rejected; false: the objection is dismissed."))
    note = serializers.CharField(max_length=1000, help_text=_("The reasons of the ruling, on the record."))


class ApproveSerializer(InputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReasonSerializer(InputSerializer):
    reason = serializers.CharField(max_length=2000)


class RedemptionTargetSerializer(InputSerializer):
    account = VisibleField(accounts_visible_to, queryset=Account.objects.none())
    item = VisibleField(items_visible_to, queryset=Item.objects.none())


class RedemptionPayloadSerializer(InputSerializer):
    """What a redemption asks besides its target: read after the target's checks, without
    reading the account and the item again."""

    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)
    member = VisibleField(
        passbook_members_visible_to,
        queryset=Resident.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("Which member came."),
    )


class RedemptionCreateSerializer(RedemptionTargetSerializer, RedemptionPayloadSerializer):
    """The whole request (the schema's): the target, then the payload."""


class ItemTargetSerializer(InputSerializer):
    village = VisibleField(villages_visible_to, queryset=Village.objects.none())


class ItemCreateSerializer(ItemTargetSerializer):
    name = serializers.CharField(max_length=100)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    price = serializers.IntegerField(min_value=1, max_value=1_000_000)
    stock = serializers.IntegerField(min_value=0, max_value=1_000_000, default=0)
    order = serializers.IntegerField(min_value=0, max_value=32767, default=100)
    photo = serializers.ImageField(required=False, allow_null=True)


class ItemUpdateSerializer(InputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    price = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    order = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    is_active = serializers.BooleanField(required=False)
    photo = serializers.ImageField(required=False, allow_null=True)


class RestockSerializer(InputSerializer):
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)


class VillageTargetSerializer(InputSerializer):
    village = VisibleField(villages_visible_to, queryset=Village.objects.none())


class BoardCreateSerializer(VillageTargetSerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    quarter = serializers.IntegerField(min_value=1, max_value=4)


class BoardDecideSerializer(InputSerializer):
    decision = serializers.CharField(max_length=5000, help_text=_("What the 道德评议会 decided."))
    meeting_date = serializers.DateField()
    struck_lines = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=500
    )
