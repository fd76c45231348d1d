"""Query-string filters for the points API (django-filter)."""

from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from points.models import Account, Award, AwardStatus, Board, BoardStatus, Category, Item, Redemption, Rule
from points.models import VillagePointsSettings as Settings
from points.selectors import awards_waiting_for


def _id_filter(field_name: str):
    # Bounded: an id past the 64-bit column is a 400, not an overflow in the database driver.
    return filters.NumberFilter(field_name=field_name, min_value=1, max_value=2**63 - 1, decimal_places=0)


class AccountFilter(filters.FilterSet):
    village = _id_filter("village_id")
    grid = _id_filter("household__grid_id")
    household = _id_filter("household_id")
    below_floor = filters.BooleanFilter(method="filter_below_floor", label=_("Below the benefit floor"))
    search = filters.CharFilter(method="filter_search", label=_("Household number or head's name"))

    class Meta:
        model = Account
        fields = ["village", "grid", "household", "below_floor", "search"]

    def filter_below_floor(self, queryset, name, value):
        default = Settings._meta.get_field("benefit_floor").default
        floor = Coalesce(F("village__points_settings__benefit_floor"), Value(default))
        below = Q(balance__lt=floor)
        return queryset.filter(below) if value else queryset.exclude(below)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(household__number__icontains=value) | Q(household__head_name__contains=value))


class AwardFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=AwardStatus.choices)
    account = _id_filter("account_id")
    village = _id_filter("village_id")
    rule = _id_filter("rule_id")
    batch = _id_filter("batch_id")
    waiting = filters.BooleanFilter(
        method="filter_waiting", label=_("Only pending entries the caller may decide (not their own proposals)")
    )

    class Meta:
        model = Award
        fields = ["status", "account", "village", "rule", "batch", "waiting"]

    def filter_waiting(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=awards_waiting_for(self.request.user).values("pk"))


class RuleFilter(filters.FilterSet):
    village = _id_filter("village_id")
    category = filters.ChoiceFilter(choices=Category.choices)
    kind = filters.ChoiceFilter(
        choices=[("earn", _("earn")), ("deduct", _("deduct"))], method="filter_kind", label=_("Earn or deduct")
    )
    is_active = filters.BooleanFilter()

    class Meta:
        model = Rule
        fields = ["village", "category", "kind", "is_active"]

    def filter_kind(self, queryset, name, value):
        return queryset.filter(points__gt=0) if value == "earn" else queryset.filter(points__lt=0)


class ItemFilter(filters.FilterSet):
    village = _id_filter("village_id")
    is_active = filters.BooleanFilter()

    class Meta:
        model = Item
        fields = ["village", "is_active"]


class RedemptionFilter(filters.FilterSet):
    account = _id_filter("account_id")
    item = _id_filter("item_id")
    village = _id_filter("village_id")

    class Meta:
        model = Redemption
        fields = ["account", "item", "village"]


class BoardFilter(filters.FilterSet):
    village = _id_filter("village_id")
    year = filters.NumberFilter(min_value=2000, max_value=2100, decimal_places=0)
    quarter = filters.NumberFilter(min_value=1, max_value=4, decimal_places=0)
    status = filters.ChoiceFilter(choices=BoardStatus.choices)

    class Meta:
        model = Board
        fields = ["village", "year", "quarter", "status"]
