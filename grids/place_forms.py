"""Forms of the places' pages (grids.place_views): they parse and check input; grids.services
and grids.places write."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from governance.forms import OnceForm
from grids.models import Courtyard, Grid, Household

NUMBER_FIELD = {
    "label": _("Number"),
    "min_value": 1,
    "max_value": 9999,
    "widget": forms.NumberInput(attrs={"inputmode": "numeric"}),
}


class GridForm(OnceForm):
    """A new grid, or a grid renamed (and renumbered)."""

    name = forms.CharField(
        label=pgettext_lazy("place", "Name"), max_length=100, help_text=_("For example: 第三网格 or 河坝片.")
    )
    number = forms.IntegerField(
        required=False, help_text=_("Leave empty for the next free number of the village."), **NUMBER_FIELD
    )

    def __init__(self, *args, renaming=False, **kwargs):
        super().__init__(*args, **kwargs)
        if renaming:
            self.fields["number"].required = True
            self.fields["number"].help_text = _("A number no other grid of the village in use has.")


class CourtyardForm(OnceForm):
    """A new courtyard of the grid, or a courtyard renamed."""

    name = forms.CharField(
        label=pgettext_lazy("place", "Name"), max_length=100, help_text=_("For example: 方溪还房 or 老院子.")
    )


class PlaceChoiceField(forms.ModelChoiceField):
    """Offers the places of its queryset (those in use) but takes any of `accepts`: a place merged
    into another since the form was shown is refused by the service, which says so (409), rather
    than here as an unknown choice."""

    accepts = None

    def label_from_instance(self, place):
        return f"{place.number} · {place.name}" if isinstance(place, Grid) else place.name

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return (self.accepts if self.accepts is not None else self.queryset).get(pk=value)
        except (ValueError, TypeError, ValidationError, self.queryset.model.DoesNotExist):
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            ) from None


class MergeForm(OnceForm):
    """Merge the page's grid (or courtyard) into another of the same village (or grid)."""

    into = PlaceChoiceField(label=_("Merge into"), queryset=Grid.objects.none(), empty_label=_("Choose where"))

    def __init__(self, *args, places, accepts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = places
        self.fields["into"].accepts = accepts
        if places.model is Courtyard:
            self.fields["into"].help_text = _("Its households move to the courtyard chosen.")
        else:
            self.fields["into"].help_text = _("Its households and courtyards move to the grid chosen.")


class SplitForm(OnceForm):
    """A new grid taking some of the page's grid's households (the page lists them to choose)."""

    name = forms.CharField(label=_("Name of the new grid"), max_length=100)
    number = forms.IntegerField(
        required=False, help_text=_("Leave empty for the next free number of the village."), **NUMBER_FIELD
    )
    households = forms.ModelMultipleChoiceField(
        label=_("Households that go to the new grid"),
        queryset=Household.objects.none(),
        error_messages={"required": _("Choose the households that go to the new grid.")},
    )

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["households"].queryset = households

    def chosen_ids(self) -> set[int]:
        """The households ticked in the form as sent (to tick them again when it comes back)."""
        if not self.is_bound:
            return set()
        return {int(v) for v in self.data.getlist(self.add_prefix("households")) if str(v).isdecimal()}
