"""Query-string filters for the register API (django-filter)."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from grids.idnumbers import hash_id_number, looks_like_id_number
from grids.models import Courtyard, Grid, Household, Resident, Village
from grids.selectors import search_households, search_residents


def _with_id_number(value: str):
    """Residents holding this full ID number (none when it is not shaped like one)."""
    value = (value or "").strip()
    if not looks_like_id_number(value):
        return Resident.objects.none()
    return Resident.objects.filter(id_number_hash=hash_id_number(value))


class HouseholdFilter(filters.FilterSet):
    search = filters.CharFilter(
        method="filter_search",
        label=_("Head or member name (characters, pinyin, initials), full ID number, household number or address"),
    )
    id_number = filters.CharFilter(method="filter_id_number", label=_("A member's full ID number"))
    tag = filters.CharFilter(field_name="tags__code", label=_("Tag code"))
    grid = filters.NumberFilter(field_name="grid_id")
    village = filters.NumberFilter(field_name="village_id")
    courtyard = filters.NumberFilter(field_name="courtyard_id")

    class Meta:
        model = Household
        fields = ["search", "id_number", "tag", "grid", "village", "courtyard"]

    def filter_search(self, queryset, name, value):
        return search_households(queryset, value)

    def filter_id_number(self, queryset, name, value):
        return queryset.filter(pk__in=_with_id_number(value).values("household_id"))


class ResidentFilter(filters.FilterSet):
    search = filters.CharFilter(
        method="filter_search", label=_("Name (characters, pinyin, initials) or full ID number")
    )
    id_number = filters.CharFilter(method="filter_id_number", label=_("Full ID number"))
    tag = filters.CharFilter(field_name="tags__code", label=_("Tag code"))
    household = filters.NumberFilter(field_name="household_id")
    grid = filters.NumberFilter(field_name="grid_id")
    village = filters.NumberFilter(field_name="village_id")
    courtyard = filters.NumberFilter(field_name="household__courtyard_id")
    status = filters.ChoiceFilter(choices=Resident.Status.choices)

    class Meta:
        model = Resident
        fields = ["search", "id_number", "tag", "household", "grid", "village", "courtyard", "status"]

    def filter_search(self, queryset, name, value):
        return search_residents(queryset, value)

    def filter_id_number(self, queryset, name, value):
        return queryset.filter(pk__in=_with_id_number(value).values("pk"))


def _retired(queryset, name, value):
    return queryset.filter(retired_on__isnull=not value)


def _within(model, *places: str, retired: bool = False) -> type[filters.FilterSet]:
    """The filters of a place list: the ids of the places its rows sit in (?village=3), and for
    places that can be merged into others whether to list those (?retired=true; the list shows
    the places in use when it is not asked, grids.api)."""
    declared = {place: filters.NumberFilter(field_name=f"{place}_id") for place in places}
    if retired:
        declared["retired"] = filters.BooleanFilter(
            method=_retired, label=_("true: those merged into others; false or absent: those in use")
        )
    meta = type("Meta", (), {"model": model, "fields": list(declared)})
    return type(f"{model.__name__}Filter", (filters.FilterSet,), {**declared, "Meta": meta, "__module__": __name__})


VillageFilter = _within(Village, "township")
GridFilter = _within(Grid, "township", "village", retired=True)
CourtyardFilter = _within(Courtyard, "village", "grid", retired=True)
