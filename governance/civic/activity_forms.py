"""The activities' forms (record, more photos, propose points). Services check everything again."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from governance.civic.activities import MAX_PHOTOS
from governance.civic.models import ActivityKind
from governance.forms import OnceForm, date_input, text_area
from governance.photo_fields import PhotosField
from grids.models import Grid, Resident
from points.models import Rule

TOO_MANY_PHOTOS = _("At most %(count)d photos per activity.")


class ParticipantsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, resident):
        return f"{resident.household.number} {resident.name}"


class ActivityForm(OnceForm):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None, empty_label=None)
    grid = forms.ModelChoiceField(
        label=_("Grid"), queryset=Grid.objects.none(), required=False, empty_label=_("The whole village")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200, help_text=_("E.g. 2026年邻里节."))
    held_on = forms.DateField(label=pgettext_lazy("activity", "Held on"), widget=date_input())
    place = forms.CharField(label=_("Where"), max_length=100, required=False)
    description = forms.CharField(
        label=pgettext_lazy("activity", "What was done"), max_length=4000, widget=text_area(3)
    )
    participants = ParticipantsField(
        label=_("Residents who took part"), queryset=Resident.objects.none(), required=False
    )
    photos = PhotosField(label=_("Photos (not public)"), limit=MAX_PHOTOS, too_many=TOO_MANY_PHOTOS)

    def __init__(self, *args, villages, grids, residents, whole_village=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["grid"].queryset = grids
        if not whole_village:
            # Grid staff record their grid's activities: no 全村 to choose (the service would
            # put the activity on their grid anyway).
            self.fields["grid"].empty_label = None
            self.fields["grid"].required = True
        self.fields["participants"].queryset = residents
        if not self.is_bound:
            self.initial.setdefault("held_on", timezone.localdate())


class PhotosForm(OnceForm):
    photos = PhotosField(label=_("Photos (not public)"), limit=MAX_PHOTOS, too_many=TOO_MANY_PHOTOS, required=True)


class PointsForm(OnceForm):
    rule = forms.ModelChoiceField(
        label=_("Rule"),
        queryset=Rule.objects.none(),
        empty_label=_("Choose a rule"),
        help_text=_(
            "One batch for the participants' households, shown publicly (公示) first; then a village cadre approves it."
        ),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=1000, widget=text_area(2))

    def __init__(self, *args, rules, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = rules
