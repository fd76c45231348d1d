from django.contrib import admin

from governance.admin import ReadOnlyAdmin, ReadOnlyInline
from grids.models import (
    Courtyard,
    Grid,
    Household,
    HouseholdMove,
    IdNumberRefusal,
    IdNumberReveal,
    Resident,
    Tag,
    Township,
    Village,
)
from grids.selectors import tag_households
from grids.signals import visit_targets_changed


@admin.register(Township)
class TownshipAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "district"]
    search_fields = ["name", "code"]


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "township", "is_community"]
    list_filter = ["township"]
    search_fields = ["name", "code"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["name", "number", "village", "township", "retired_on"]
    list_filter = ["township", "village"]
    list_select_related = ["village", "township"]
    # Merged through the places' pages (grids.places), which move the households on the record.
    readonly_fields = ["retired_on", "merged_into"]


@admin.register(Courtyard)
class CourtyardAdmin(admin.ModelAdmin):
    list_display = ["name", "grid", "village", "retired_on"]
    list_select_related = ["grid__village", "village"]
    readonly_fields = ["retired_on", "merged_into"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_key_group", "visit_every_days"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "visit_every_days" in form.changed_data:
            visit_targets_changed.send(sender=Tag, household_ids=tag_households(obj))


class ResidentInline(ReadOnlyInline):
    model = Resident
    fields = ["name", "relation_to_head", "gender", "birth_date", "id_number_masked", "status"]
    show_change_link = True


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["number", "head_name", "village", "grid", "address"]
    list_filter = ["township", "village"]
    search_fields = ["number", "head_name", "head_name_pinyin", "head_name_initials"]
    list_select_related = ["village", "grid__village"]
    raw_id_fields = ["grid", "courtyard"]
    readonly_fields = ["township", "village"]
    inlines = [ResidentInline]


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    list_display = ["name", "household", "relation_to_head", "gender", "id_number_masked", "status"]
    list_filter = ["status", "gender", "village"]
    search_fields = ["name", "name_pinyin", "name_initials"]
    list_select_related = ["household"]
    readonly_fields = ["township", "village", "grid", "household", "id_number_masked"]
    exclude = ["id_number_encrypted", "id_number_hash"]


@admin.register(HouseholdMove)
class HouseholdMoveAdmin(admin.ModelAdmin):
    list_display = ["household", "from_grid", "to_grid", "moved_by", "moved_at"]
    readonly_fields = [f.name for f in HouseholdMove._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(IdNumberReveal)
class IdNumberRevealAdmin(admin.ModelAdmin):
    list_display = ["user", "resident", "revealed_at", "channel"]
    readonly_fields = ["user", "resident", "revealed_at", "channel"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IdNumberRefusal)
class IdNumberRefusalAdmin(ReadOnlyAdmin):
    list_display = ["refused_at", "user", "channel", "holder_township"]
    list_filter = ["channel", "holder_township"]
    list_select_related = ["user", "holder_township"]
    date_hierarchy = "refused_at"
