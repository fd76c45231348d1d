from django.contrib import admin

from governance.admin import ReadOnlyAdmin
from grids.visits.models import Reminder, Visit


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["visited_at", "author", "grid", "household", "method", "result", "received_at"]
    list_filter = ["method", "result", "village"]
    list_select_related = ["author", "grid__village", "household"]
    date_hierarchy = "visited_on"


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["cycle", "kind", "user", "sent_at"]
    list_filter = ["kind", "cycle"]
    list_select_related = ["user"]
