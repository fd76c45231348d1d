"""The staff account pages' forms (governance.accounts checks everything again)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from governance.forms import OnceForm, search_input, text_area

STATUSES = [
    ("", _("All")),
    ("active", _("Active")),
    ("must_change", _("Must change the password")),
    ("deactivated", _("Deactivated")),
]


def password_input() -> forms.TextInput:
    """An issued password is typed in clear: the administrator passes it on and must read it."""
    return forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})


class StaffFilterForm(forms.Form):
    q = forms.CharField(label=_("Name, username or phone"), max_length=100, required=False, widget=search_input())
    status = forms.ChoiceField(label=_("Account status"), choices=STATUSES, required=False)


class _TownshipForm(OnceForm):
    township = forms.ModelChoiceField(label=_("Township"), queryset=None, empty_label=None)

    def __init__(self, *args, townships, **kwargs):
        super().__init__(*args, **kwargs)
        self.townships = list(townships)
        if len(self.townships) == 1:
            # An administrator of one township: the account is that township's.
            del self.fields["township"]
        else:
            self.fields["township"].queryset = townships

    def chosen_township(self):
        return self.cleaned_data["township"] if "township" in self.fields else self.townships[0]


class StaffCreateForm(_TownshipForm):
    name = forms.CharField(label=_("Name"), max_length=150)
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("What the person logs in with: letters, digits and @ . + - _, e.g. qixing_wang."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        help_text=_("Notifications are emailed there too."),
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off"}),
    )
    password = forms.CharField(
        label=_("Initial password"),
        max_length=128,
        required=False,
        strip=False,
        help_text=_(
            "Leave empty to have a readable one generated. Either way it is shown to you once, and the person "
            "must change it at the first login."
        ),
        widget=password_input(),
    )

    field_order = ["township", "name", "username", "phone", "email", "password"]


class StaffImportForm(_TownshipForm):
    file = forms.FileField(
        label=_("The list (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )


class PasswordResetForm(OnceForm):
    password = forms.CharField(
        label=_("New password"),
        max_length=128,
        required=False,
        strip=False,
        help_text=_("Leave empty to have a readable one generated; it is shown to you once."),
        widget=password_input(),
    )


class DeactivateForm(OnceForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("E.g. left the post, moved to another township. Kept in the account's history."),
        widget=text_area(2),
    )


class ReactivateForm(OnceForm):
    pass
