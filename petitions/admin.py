from django.contrib import admin

from governance.admin import ReadOnlyAdmin, ReadOnlyInline
from petitions.models import (
    CalendarDay,
    ClockLimit,
    Deliberation,
    Matter,
    MatterCategory,
    MatterEvent,
    MatterPhoto,
    RepresentativesAuthorisation,
    SmsSubscription,
    TimeLimit,
    VillageMatterSettings,
)


@admin.register(MatterCategory)
class MatterCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "default_kind", "decision_rule", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["default_kind", "decision_rule"]


@admin.register(RepresentativesAuthorisation)
class RepresentativesAuthorisationAdmin(admin.ModelAdmin):
    """A 村民会议's resolution authorising the 村民代表会议 on matters of Art. 24, by category."""

    list_display = ["village", "resolved_on", "recorded_by", "created_at"]
    list_filter = ["village__township"]
    filter_horizontal = ["categories"]
    readonly_fields = ["recorded_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(TimeLimit)
class TimeLimitAdmin(admin.ModelAdmin):
    list_display = ["stage", "kind", "category", "working_days"]
    list_filter = ["kind"]


@admin.register(ClockLimit)
class ClockLimitAdmin(admin.ModelAdmin):
    list_display = ["clock", "working_days"]


@admin.register(VillageMatterSettings)
class VillageMatterSettingsAdmin(admin.ModelAdmin):
    list_display = ["village", "village_affairs_verifiers"]
    list_filter = ["village_affairs_verifiers"]
    list_select_related = ["village"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


class EventInline(ReadOnlyInline):
    model = MatterEvent
    fields = ["created_at", "actor", "actor_label", "action", "from_state", "to_state", "payload"]


@admin.register(Matter)
class MatterAdmin(ReadOnlyAdmin):
    """Read-only: a matter changes only through its workflow (the pages and the API)."""

    list_display = ["title", "village", "grid", "kind", "state", "deadline", "is_overdue", "escalation_level"]
    list_filter = ["state", "kind", "is_overdue", "township"]
    search_fields = ["title", "tracking_code"]
    list_select_related = ["village", "grid"]
    inlines = [EventInline]


@admin.register(MatterEvent)
class MatterEventAdmin(ReadOnlyAdmin):
    list_display = ["matter", "action", "from_state", "to_state", "actor", "actor_label", "created_at"]
    list_filter = ["action"]


@admin.register(Deliberation)
class DeliberationAdmin(admin.ModelAdmin):
    list_display = ["matter", "kind", "step", "held_on", "quorum_met", "carried"]
    readonly_fields = [f.name for f in Deliberation._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(MatterPhoto)
class MatterPhotoAdmin(admin.ModelAdmin):
    list_display = ["matter", "width", "height", "size", "uploaded_by", "created_at"]
    readonly_fields = ["matter", "image", "width", "height", "size", "uploaded_by", "created_at"]


@admin.register(SmsSubscription)
class SmsSubscriptionAdmin(ReadOnlyAdmin):
    """A resident's consent to SMS updates: read-only (the public form gives it, the link or a
    reply of TD withdraws it); the number masked, the unsubscribe token not shown."""

    list_display = ["matter", "masked_phone", "consented_at", "withdrawn_at", "withdrawn_via"]
    list_filter = ["withdrawn_via"]
    list_select_related = ["matter"]
    fields = [
        "matter",
        "masked_phone",
        "consent_text",
        "consent_language",
        "consented_at",
        "withdrawn_at",
        "withdrawn_via",
    ]
    readonly_fields = fields
