"""Admin for the points bank. Settings, rules and the shop's catalogue are edited here (village
cadres change rules in the pages, naming the resolution: /points/rules/); the ledger,
proposals, objections, rule changes, redemptions and boards are read-only (they change only through
points.services, so that every balance keeps equal to the sum of its entries)."""

from django.contrib import admin

from governance.admin import ReadOnlyAdmin, ReadOnlyInline
from points.models import (
    Account,
    Award,
    AwardBatch,
    Board,
    BoardLine,
    Entry,
    Item,
    Objection,
    Redemption,
    Rule,
    RuleChange,
    VillagePointsSettings,
)


@admin.register(VillagePointsSettings)
class VillagePointsSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "village",
        "starting_balance",
        "redeem_threshold",
        "benefit_floor",
        "objection_days",
        "black_list_threshold",
        "publish_black_list",
    ]
    list_select_related = ["village"]


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "village",
        "category",
        "points",
        "requires_evidence",
        "cap_count",
        "cap_period",
        "is_active",
        "adopted_by",
    ]
    list_filter = ["category", "is_active", "village"]
    search_fields = ["name"]
    list_select_related = ["village", "adopted_by"]
    raw_id_fields = ["adopted_by"]


@admin.register(RuleChange)
class RuleChangeAdmin(ReadOnlyAdmin):
    list_display = ["id", "rule", "action", "resolution", "actor", "created_at"]
    list_filter = ["action", "village"]
    list_select_related = ["rule", "resolution", "actor"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    # The contact stays out of the lists: it is read on the objection only.
    list_display = ["id", "award", "raised_online", "ruling", "created_at", "ruled_by"]
    list_filter = ["ruling", "village"]
    list_select_related = ["award__rule", "award__account__household", "ruled_by"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    """The stock is changed by redemptions and restocking (the API), never by overwriting it here:
    an edit would lose a redemption made at the same moment."""

    list_display = ["name", "village", "unit", "price", "stock", "is_active"]
    list_filter = ["is_active", "village"]
    search_fields = ["name"]
    list_select_related = ["village"]

    def get_readonly_fields(self, request, obj=None):
        return ["stock"] if obj is not None else []


class EntryInline(ReadOnlyInline):
    model = Entry
    fk_name = "account"
    fields = ["id", "kind", "points", "balance_after", "occurred_on", "rule", "note", "reason", "created_at"]
    ordering = ["-id"]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["household", "village", "balance", "opened_at"]
    list_filter = ["village"]
    search_fields = ["household__number", "household__head_name"]
    list_select_related = ["household", "village"]
    inlines = [EntryInline]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "account", "kind", "points", "balance_after", "occurred_on", "rule", "created_by"]
    list_filter = ["kind", "village"]
    list_select_related = ["account__household", "rule", "created_by"]
    date_hierarchy = "occurred_on"


@admin.register(Award)
class AwardAdmin(ReadOnlyAdmin):
    list_display = ["id", "account", "rule", "points", "status", "proposed_by", "objection_until", "decided_by"]
    list_filter = ["status", "village"]
    list_select_related = ["account__household", "rule", "proposed_by", "decided_by"]


@admin.register(AwardBatch)
class AwardBatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "village", "rule", "occurred_on", "proposed_by", "deliberation"]
    list_select_related = ["village", "rule", "proposed_by"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["id", "account", "item", "quantity", "points", "clerk", "created_at"]
    list_filter = ["village"]
    list_select_related = ["account__household", "item", "clerk"]


class BoardLineInline(ReadOnlyInline):
    model = BoardLine
    fields = ["side", "account", "points", "reason", "consequence", "struck"]


@admin.register(Board)
class BoardAdmin(ReadOnlyAdmin):
    list_display = ["village", "year", "quarter", "status", "meeting_date", "published_at"]
    list_filter = ["status", "village"]
    inlines = [BoardLineInline]
