from django.contrib import admin
from django.utils import timezone

from governance.models import (
    Assignment,
    Department,
    FinanceLine,
    FinanceStatement,
    IdempotencyRecord,
    MonthlyReport,
    Notification,
    Pledge,
    PledgeEvent,
    VillageFinanceSettings,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that change only through their services (a workflow, a ledger, an audit trail):
    shown here, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """The rows under a read-only record (its events, entries or lines): every field shown, none
    added, changed or deleted here."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "township", "group"]
    list_filter = ["township"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "township", "village", "grid", "courtyard", "department", "valid_from", "valid_to"]
    list_filter = ["role", "township"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    raw_id_fields = ["user", "village", "grid", "courtyard"]
    list_select_related = ["user", "township", "village", "grid", "courtyard", "department"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "title", "created_at", "read_at"]
    list_filter = ["read_at"]
    raw_id_fields = ["user"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["user", "key", "method", "path", "status_code", "created_at"]
    readonly_fields = ["user", "key", "method", "path", "status_code", "body", "created_at"]


@admin.register(MonthlyReport)
class MonthlyReportAdmin(ReadOnlyAdmin):
    """The prepared 月报, as they were computed (read only). Deleting one lets the next run of
    `prepare_monthly_reports --month YYYY-MM` prepare it again, after a correction."""

    list_display = ("month", "township", "village", "prepared_at")
    list_filter = ("township", "month")
    date_hierarchy = "month"
    list_select_related = ("township", "village")
    readonly_fields = ("township", "village", "month", "data", "prepared_at", "created_at")

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class FinanceLineInline(ReadOnlyInline):
    model = FinanceLine
    fields = ["direction", "occurred_on", "item", "category", "amount", "voucher", "note"]


@admin.register(FinanceStatement)
class FinanceStatementAdmin(ReadOnlyAdmin):
    list_display = ["village", "period", "period_start", "period_end", "status", "posted_at"]
    list_filter = ["status", "period", "township"]
    inlines = [FinanceLineInline]


@admin.register(VillageFinanceSettings)
class VillageFinanceSettingsAdmin(admin.ModelAdmin):
    """Bounded like the accounts' page (the model's clean) and, like it, records who changed it."""

    list_display = ["village", "period", "posting_since", "changed_by", "changed_at"]
    list_select_related = ["village", "changed_by"]
    readonly_fields = ["changed_by", "changed_at"]

    def save_model(self, request, obj, form, change):
        obj.changed_by, obj.changed_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)


class PledgeEventInline(ReadOnlyInline):
    model = PledgeEvent
    fields = ["action", "from_status", "to_status", "actor", "note", "created_at"]


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    """Pledges change only through their cycle (governance.pledges): read here, never edited."""

    list_display = ["title", "village", "pledger_title", "status", "due_on", "is_overdue"]
    list_filter = ["status", "is_overdue", "township"]
    inlines = [PledgeEventInline]
