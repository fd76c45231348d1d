"""The visit list's filters (the API's, and the shape the log page's form mirrors)."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from grids.visits.models import Visit


class VisitFilter(filters.FilterSet):
    grid = filters.NumberFilter(field_name="grid_id")
    village = filters.NumberFilter(field_name="village_id")
    household = filters.NumberFilter(field_name="household_id")
    author = filters.NumberFilter(field_name="author_id", label=_("Visitor (user id)"))
    date_from = filters.DateFilter(field_name="visited_on", lookup_expr="gte", label=_("Visited on or after"))
    date_to = filters.DateFilter(field_name="visited_on", lookup_expr="lte", label=_("Visited on or before"))
    method = filters.ChoiceFilter(choices=Visit.Method.choices)
    current = filters.BooleanFilter(
        field_name="superseded_by", lookup_expr="isnull", label=_("Only visits nobody corrected")
    )

    class Meta:
        model = Visit
        fields = ["grid", "village", "household", "author", "date_from", "date_to", "method", "current"]
