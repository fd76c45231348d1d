from django.contrib import admin

from governance.messaging.models import Contact, Delivery, Preference, TownshipChannel


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "kind", "masked_address", "status", "attempts", "not_before", "sent_at"]
    list_filter = ["channel", "kind", "status", "urgent"]
    # The phone number stays masked here: it is personal data (see governance.history).
    exclude = ["address"]
    readonly_fields = [
        "channel",
        "kind",
        "user",
        "notification",
        "masked_address",
        "template_key",
        "params",
        "subject",
        "body",
        "urgent",
        "paced",
        "status",
        "attempts",
        "not_before",
        "claimed_at",
        "provider",
        "provider_message_id",
        "provider_answer",
        "dedupe_key",
        "created_at",
        "sent_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(TownshipChannel)
class TownshipChannelAdmin(admin.ModelAdmin):
    list_display = ["township", "kind", "channel", "allowed"]
    list_filter = ["kind", "channel", "allowed"]


admin.site.register(Preference)
admin.site.register(Contact)
