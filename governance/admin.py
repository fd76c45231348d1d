from django.contrib import admin

from governance.models import Assignment, Department, IdempotencyRecord, Notification


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
    list_display = ["user", "title", "created_at", "read_at", "emailed_at"]
    list_filter = ["read_at"]
    raw_id_fields = ["user"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["user", "key", "method", "path", "status_code", "created_at"]
    readonly_fields = ["user", "key", "method", "path", "status_code", "body", "created_at"]
