"""Forms of the household register. They parse and check input; grids.services writes."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from governance.forms import OnceForm, QuickSelect, offer_or_drop, search_input
from governance.uploads import UploadRefused, check_xlsx
from grids.idnumbers import validate_id_number, validate_phone
from grids.models import MAX_VISIT_EVERY_DAYS, Courtyard, Grid, Resident, Tag, Village
from grids.validators import birth_date_bounds, validate_birth_date


class GridChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, grid):
        return f"{grid.village.name} · {grid.name}"


class CourtyardChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, courtyard):
        return f"{courtyard.grid.name} · {courtyard.name}"


def _drop_empty_tags(form) -> None:
    """No tags defined yet (the administrator adds them): no empty box of checkboxes."""
    if not Tag.objects.exists():
        del form.fields["tags"]


def _tag_field(label):
    return forms.ModelMultipleChoiceField(
        label=label,
        queryset=Tag.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class HouseholdFilterForm(forms.Form):
    """The household list's search box and filters (GET). Invalid values are ignored."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=50,
        widget=search_input(autocapitalize="off"),
        help_text=_("Name, pinyin or initials (zs for 张三), household number, address, or a full ID number."),
    )
    # QuickSelect: a township's villages, grids and tags through the option templates were a
    # third of the list's time.
    village = forms.ModelChoiceField(
        label=_("Village"),
        queryset=Village.objects.none(),
        required=False,
        empty_label=_("All villages"),
        widget=QuickSelect,
    )
    grid = GridChoiceField(
        label=_("Grid"), queryset=Grid.objects.none(), required=False, empty_label=_("All grids"), widget=QuickSelect
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"),
        queryset=Tag.objects.order_by("code"),
        required=False,
        empty_label=_("All tags"),
        widget=QuickSelect,
    )

    def __init__(self, *args, grids, villages, **kwargs):
        super().__init__(*args, **kwargs)
        # A filter with a single choice is noise on a phone: a grid worker sees no grid filter.
        for name, queryset in (("village", villages), ("grid", grids)):
            if queryset.count() > 1:
                self.fields[name].queryset = queryset
            else:
                del self.fields[name]
        if not self.fields["tag"].queryset.exists():
            del self.fields["tag"]

    def filters(self) -> dict:
        """The valid filters only: a stale grid id in a bookmark must not break the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields if name not in self.errors}


class HouseholdForm(OnceForm):
    grid = GridChoiceField(label=_("Grid"), queryset=Grid.objects.none(), empty_label=_("Choose a grid"))
    number = forms.CharField(
        label=_("Household number"),
        max_length=30,
        help_text=_("The number used in the village's register, e.g. 3-015."),
    )
    courtyard = CourtyardChoiceField(
        label=_("Courtyard"),
        queryset=Courtyard.objects.none(),
        required=False,
        empty_label=_("No courtyard"),
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    phone = forms.CharField(
        label=_("Household phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    tags = _tag_field(_("Household tags"))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, grids, courtyards, with_grid=True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_grid:
            self.fields["grid"].queryset = grids
        else:
            del self.fields["grid"]
        offer_or_drop(self, "courtyard", courtyards)
        _drop_empty_tags(self)

    def clean_number(self):
        return self.cleaned_data["number"].strip()

    def clean_phone(self):
        return validate_phone(self.cleaned_data["phone"])


class HouseholdMoveForm(OnceForm):
    to_grid = GridChoiceField(label=_("Move to grid"), queryset=Grid.objects.none(), empty_label=_("Choose a grid"))
    to_courtyard = CourtyardChoiceField(
        label=_("Courtyard in the new grid"),
        queryset=Courtyard.objects.none(),
        required=False,
        empty_label=_("No courtyard"),
    )
    reason = forms.CharField(
        label=_("Reason for the move"),
        max_length=200,
        help_text=_("For example: the grids were redrawn, or the family moved house."),
    )

    def __init__(self, *args, grids, courtyards, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_grid"].queryset = grids
        offer_or_drop(self, "to_courtyard", courtyards)


class ResidentForm(OnceForm):
    name = forms.CharField(label=_("Name"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    relation_to_head = forms.ChoiceField(label=_("Relation to the head of household"), choices=Resident.Relation)
    gender = forms.ChoiceField(label=_("Gender"), choices=Resident.Gender, widget=forms.RadioSelect)
    id_number = forms.CharField(
        label=_("ID number (身份证号)"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
        help_text=_("18 characters. It is stored encrypted and shown masked."),
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        validators=[validate_birth_date],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Taken from the ID number when left empty."),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    ethnicity = forms.CharField(label=_("Ethnicity"), max_length=20, required=False, initial="汉族")
    status = forms.ChoiceField(label=_("Status"), choices=Resident.Status, initial=Resident.Status.RESIDENT)
    tags = _tag_field(_("Resident tags"))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, resident=None, **kwargs):
        super().__init__(*args, **kwargs)
        _drop_empty_tags(self)
        earliest, latest = birth_date_bounds()  # the phone's date picker offers only accepted days
        self.fields["birth_date"].widget.attrs.update(min=earliest.isoformat(), max=latest.isoformat())
        if resident is not None and resident.id_number_masked:
            self.fields["id_number"].help_text = _(
                "Now %(masked)s. Leave empty to keep it; type a new number to replace it."
            ) % {"masked": resident.id_number_masked}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Please enter the name."), code="required")
        return name

    def clean_id_number(self):
        value = self.cleaned_data["id_number"].strip()
        return validate_id_number(value) if value else ""

    def clean_phone(self):
        return validate_phone(self.cleaned_data["phone"])


class RegisterImportForm(OnceForm):
    """The household register as an .xlsx file; grids.register checks what is inside."""

    file = forms.FileField(
        label=_("The register file (.xlsx)"),
        validators=[FileExtensionValidator(["xlsx"], message=_("Choose an Excel .xlsx file (not .xls or .csv)."))],
        widget=forms.FileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
        help_text=_("Excel .xlsx in the template's columns, at most 20 MB."),
        error_messages={"required": _("Choose the file to import."), "empty": _("The file is empty.")},
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        try:
            check_xlsx(file)
        except UploadRefused as refused:
            raise ValidationError(refused.message, code=refused.code) from None
        return file


def _target_message() -> str:
    return gettext("Give a number of days from 1 to %(max)d, or leave it empty for the default target.") % {
        "max": MAX_VISIT_EVERY_DAYS
    }


# The service's own words (grids.services._check_tag), in the language of the request.
TARGET_MESSAGE = lazy(_target_message, str)()


class TagForm(OnceForm):
    """A tag of the district's catalogue and the visit target it sets (grids.services.tag_create)."""

    name = forms.CharField(label=_("Tag name"), max_length=40, error_messages={"required": _("Give the tag a name.")})
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_(
            "Letters, digits, - and _ only, e.g. elderly_alone. The register's spreadsheet and the API use it."
        ),
        error_messages={
            "required": _("Give the tag a code."),
            "invalid": _("Use only letters, digits, - and _ in the code."),
        },
    )
    is_key_group = forms.BooleanField(
        label=_("A key group (重点人群)"),
        required=False,
        help_text=_("Shown with a ★ on the register and the visit lists."),
    )
    visit_every_days = forms.IntegerField(
        label=_("Visit at least every (days)"),
        required=False,
        min_value=1,
        max_value=MAX_VISIT_EVERY_DAYS,
        error_messages={"invalid": TARGET_MESSAGE, "min_value": TARGET_MESSAGE, "max_value": TARGET_MESSAGE},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visit_every_days"].help_text = _(
            "How often a household with this tag (on itself or on a member) is visited; the shortest of "
            "its tags wins. Empty: the default target, every %(days)d days."
        ) % {"days": settings.VISIT_DEFAULT_EVERY_DAYS}
