"""The forms of the assignment pages (governance.assignment_views): a role given at a place, an
assignment ended, a 片区 kept. Their choices are what governance.assigning allows the caller."""

from functools import partial

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.assigning import PLACE_TYPE_LABELS, check_assignment_day
from governance.forms import OnceForm, date_input
from governance.models import ROLE_LEVEL, Role

# A place in a form: "grid:12".
PLACE_SEPARATOR = ":"


def place_value(place_type: str, place) -> str:
    return f"{place_type}{PLACE_SEPARATOR}{place.pk}"


def parse_place(value: str) -> tuple[str, int] | None:
    """("grid", 12) from "grid:12"; None for anything else."""
    place_type, _sep, pk = (value or "").partition(PLACE_SEPARATOR)
    if place_type not in PLACE_TYPE_LABELS or not pk.isdigit() or len(pk) > 10:
        return None
    return place_type, int(pk)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        name = user.get_full_name()
        return f"{name}（{user.username}）" if name else user.username


class AssignmentForm(OnceForm):
    place = forms.ChoiceField(label=_("Place of the post"))
    role = forms.ChoiceField(label=_("Role"))
    user = PersonChoiceField(label=_("Person"), queryset=None, empty_label=_("Choose a person"))
    title = forms.CharField(
        label=_("Post title"),
        max_length=100,
        required=False,
        help_text=_("As people call the post, e.g. 村支书, 网格长."),
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=date_input(), validators=[check_assignment_day])
    valid_to = forms.DateField(
        label=_("Valid until"),
        widget=date_input(),
        required=False,
        validators=[partial(check_assignment_day, ending=True)],
        help_text=_("Leave empty until the post is handed over."),
    )

    def __init__(self, *args, places, roles, users, fixed_place=None, **kwargs):
        """`places`: [(group label, [(value, label)])]; `roles`: [role]; `fixed_place`: the value
        of the one place this form gives a role at (then not offered as a choice)."""
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = places
        if fixed_place is not None:
            self.fields["place"].widget = forms.HiddenInput()
            self.initial["place"] = fixed_place
        if len(roles) <= 4:
            self.fields["role"].widget = forms.RadioSelect()
        self.fields["role"].choices = [(role, Role(role).label) for role in roles]
        if len(roles) == 1:
            self.initial["role"] = roles[0]
        self.fields["user"].queryset = users
        self.initial.setdefault("valid_from", timezone.localdate())

    def clean_place(self) -> tuple[str, int]:
        parsed = parse_place(self.cleaned_data["place"])
        if parsed is None:
            raise forms.ValidationError(_("Choose a place."))
        return parsed

    def clean(self):
        data = super().clean()
        place, role = data.get("place"), data.get("role")
        if place and role and ROLE_LEVEL[role] != place[0]:
            level = ROLE_LEVEL[role]
            self.add_error(
                "role",
                # Not "is assigned to", which read in Chinese as "has already been assigned".
                _("%(role)s is a post at %(place)s: choose another role, or %(place)s as the place of the post.")
                % {"role": Role(role).label, "place": PLACE_TYPE_LABELS[level]},
            )
        return data


class AssignmentEndForm(OnceForm):
    valid_to = forms.DateField(
        label=_("Last day"),
        widget=date_input(),
        validators=[partial(check_assignment_day, ending=True)],
        help_text=_("The person holds the post until the end of this day."),
    )


class AreaForm(OnceForm):
    township = forms.ModelChoiceField(label=_("Township"), queryset=None, empty_label=None)
    name = forms.CharField(label=_("Area name"), max_length=100, help_text=_("e.g. 北片, 沿江片区."))
    villages = forms.ModelMultipleChoiceField(
        label=_("Villages"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one village.")},
    )

    def __init__(self, *args, townships, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = townships
        if townships is None:
            del self.fields["township"]
        elif len(townships) == 1:
            self.fields["township"].widget = forms.HiddenInput()
            self.initial.setdefault("township", townships[0].pk)
        self.fields["villages"].queryset = villages
