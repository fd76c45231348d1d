"""Query-string filters for the matters API (django-filter)."""

import datetime

from django.db.models import DateTimeField, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from petitions.models import Kind, Matter, MatterCategory, State
from petitions.selectors import matters_waiting_for
from petitions.serializers import category_lookup


def _id_filter(field_name: str):
    # Bounded: an id past the 64-bit column is a 400, not an overflow in the database driver.
    return filters.NumberFilter(field_name=field_name, min_value=1, max_value=2**63 - 1, decimal_places=0)


class MatterFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=State.choices, label=_("State (repeat for several)"))
    kind = filters.ChoiceFilter(choices=Kind.choices)
    category = filters.CharFilter(method="filter_category", label=_("Category id or code"))
    grid = _id_filter("grid_id")
    household = _id_filter("household_id")
    village = _id_filter("village_id")
    waiting = filters.BooleanFilter(
        method="filter_waiting",
        label=_("Only matters where the caller acts next: overdue first, then by deadline, then oldest"),
    )
    search = filters.CharFilter(field_name="title", lookup_expr="icontains", label=_("Words in the title"))

    class Meta:
        model = Matter
        fields = ["state", "kind", "category", "grid", "household", "village", "waiting", "search"]

    def filter_category(self, queryset, name, value):
        return queryset.filter(category__in=MatterCategory.objects.filter(**category_lookup(value.strip())))

    def filter_waiting(self, queryset, name, value):
        if not value:
            return queryset
        # The queue's order (petitions.selectors.QUEUE_ORDER) in a form the cursor paginator
        # can order by: no deadline sorts last on every database.
        return queryset.filter(pk__in=matters_waiting_for(self.request.user).values("pk")).annotate(
            queue_deadline=Coalesce("deadline", Value(NO_DEADLINE, output_field=DateTimeField()))
        )


NO_DEADLINE = datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC)
QUEUE_ORDERING = ("-is_overdue", "queue_deadline", "created_at", "id")
