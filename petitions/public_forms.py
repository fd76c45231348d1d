"""Forms of the public board: plain HTML that works without JavaScript on a cheap phone."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from governance.forms import OnceForm, offer_or_drop
from governance.limits import BoundedTextForm
from grids.idnumbers import validate_phone
from grids.models import Grid
from petitions.models import Rating
from petitions.resident_sms import CONSENT_HELP, CONSENT_LABEL


class GridChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class PublicMatterForm(OnceForm):
    """A resident's matter for one village; the form token makes a double tap one matter."""

    title = forms.CharField(
        label=_("What is it about?"),
        max_length=120,
        help_text=_("A few words, for example: the street lamp by the bridge is out."),
        error_messages={"required": _("Write a few words about what the matter is.")},
    )
    description = forms.CharField(
        label=_("Tell us more"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Where it is, since when, who is affected."),
        error_messages={"required": _("Describe the matter, so that the village knows what to do.")},
    )
    grid = GridChoiceField(
        label=_("Your grid"),
        queryset=Grid.objects.none(),
        required=False,
        empty_label=_("I don't know"),
        help_text=_("If you don't know, leave it: the village will find out."),
    )
    submitter_name = forms.CharField(
        label=_("Your name"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Tell us your name.")},
    )
    submitter_phone = forms.CharField(
        label=_("Your mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"}),
        help_text=_(
            "Only the village staff see your name and number, to call you back. They are never shown publicly."
        ),
        error_messages={"required": _("Leave a mobile number so the village can reach you.")},
    )

    # Off unless the resident ticks it: no SMS without consent (petitions.resident_sms).
    sms_updates = forms.BooleanField(label=CONSENT_LABEL, help_text=CONSENT_HELP, required=False, initial=False)

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        offer_or_drop(self, "grid", grids)

    def clean_submitter_phone(self):
        try:
            return validate_phone(self.cleaned_data["submitter_phone"])
        except ValidationError:
            raise ValidationError(_("A mobile number has 11 digits and starts with 1, for example 15800001234."))


class EvaluateForm(BoundedTextForm):
    """评: the resident's answer about the result."""

    rating = forms.ChoiceField(
        label=_("Are you satisfied with the result?"),
        choices=Rating.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the three answers.")},
    )
    comment = forms.CharField(
        label=_("Anything to add?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "If you are not satisfied, say what is still not right: the level above reviews the matter (复查), once."
        ),
    )
    # A comment is required when the resident is not satisfied: the service says so, next to
    # the field (petitions.services._evaluate).


class ReviewForm(BoundedTextForm):
    """复查: a dissatisfied resident asks for a review one level up, once."""

    reason = forms.CharField(
        label=_("What is still not right?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Tell us what is still not right.")},
    )


class WithdrawForm(BoundedTextForm):
    reason = forms.CharField(
        label=_("Why do you withdraw it?"),
        required=False,
        max_length=200,
        widget=forms.TextInput,
        help_text=_("For example: it has been sorted out already."),
    )


def code_input(capitalize: str = "none") -> forms.TextInput:
    """The box for a code a resident types in off paper or a message (a tracking code, a 公示
    line's reference): no autocorrection, completion or spell-check; `capitalize`: how the
    phone's keyboard starts ("characters" for a code of capitals)."""
    return forms.TextInput(
        attrs={"autocapitalize": capitalize, "autocorrect": "off", "autocomplete": "off", "spellcheck": "false"}
    )


def normalize_code(value: str) -> str:
    """A tracking code as typed or pasted: spaces and line breaks dropped."""
    return re.sub(r"\s+", "", value or "")


class TrackingCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=40,
        widget=code_input(),
        help_text=_("The code you were given when you sent the matter."),
        error_messages={"required": _("Type in your tracking code.")},
    )

    def clean_code(self):
        return normalize_code(self.cleaned_data["code"])
