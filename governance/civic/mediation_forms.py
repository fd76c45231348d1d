"""The mediation pages' forms (record a mediation, the agreement, the failure, the return
visit). Services check everything again."""

from django import forms
from django.utils.translation import gettext_lazy as _

from governance.civic.models import DisputeKind, GuidedTo, Performance
from governance.forms import OnceForm, date_input, text_area
from grids.idnumbers import validate_phone

PARTY_ROWS = 4


class MediationForm(OnceForm):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None, empty_label=None)
    mediators = forms.ModelMultipleChoiceField(
        label=_("Mediators"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Current members of a mediation team of the village or its township."),
    )
    dispute_kind = forms.ChoiceField(label=_("Kind of dispute"), choices=DisputeKind.choices)
    held_on = forms.DateField(label=_("Mediated on"), widget=date_input())
    place = forms.CharField(label=_("Where"), max_length=100, required=False)
    facts = forms.CharField(label=_("Facts and what each party asks"), max_length=8000, widget=text_area(5))
    matter = forms.ModelChoiceField(
        label=_("Matter it settles"),
        queryset=None,
        required=False,
        help_text=_("A civil matter being deliberated gets the agreement as its mediation record."),
    )

    def __init__(self, *args, villages, mediators, matters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["mediators"].queryset = mediators
        self.fields["mediators"].label_from_instance = lambda m: f"{m.name} · {m.get_role_display()} · {m.team.name}"
        self.fields["matter"].queryset = matters
        self.fields["matter"].label_from_instance = lambda x: f"{x.title} ({x.get_state_display()})"
        for index in range(PARTY_ROWS):
            number = index + 1
            self.fields[f"party{number}_name"] = forms.CharField(
                label=_("Party %(n)d: name") % {"n": number}, max_length=50, required=index < 2
            )
            self.fields[f"party{number}_phone"] = forms.CharField(
                label=_("Party %(n)d: mobile number") % {"n": number},
                max_length=20,
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            )

    def clean(self):
        data = super().clean()
        for index in range(PARTY_ROWS):
            field = f"party{index + 1}_phone"
            try:
                data[field] = validate_phone(data.get(field, ""))
            except forms.ValidationError as error:
                self.add_error(field, error)
        return data

    def parties(self) -> list[dict]:
        data = self.cleaned_data
        rows = []
        for index in range(PARTY_ROWS):
            name = data.get(f"party{index + 1}_name", "")
            if name:
                rows.append({"name": name, "phone": data.get(f"party{index + 1}_phone", "")})
        return rows

    def party_fields(self):
        return [(self[f"party{i + 1}_name"], self[f"party{i + 1}_phone"]) for i in range(PARTY_ROWS)]


class AgreeForm(OnceForm):
    terms = forms.CharField(label=_("Agreed terms"), max_length=8000, widget=text_area(5))
    agreed_on = forms.DateField(label=_("Agreement signed on"), widget=date_input())
    perform_by = forms.DateField(label=_("To be carried out by"), widget=date_input())


class FailForm(OnceForm):
    failed_on = forms.DateField(label=_("Ended without agreement on"), widget=date_input())
    guided_to = forms.ChoiceField(label=_("Parties guided to"), choices=GuidedTo.choices)
    note = forms.CharField(
        label=_("Why it failed and what the parties were told"), max_length=4000, widget=text_area(3)
    )


class RevisitForm(OnceForm):
    revisited_on = forms.DateField(label=_("Return visit on"), widget=date_input())
    performance = forms.ChoiceField(label=_("Carried out?"), choices=Performance.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("What the return visit found"), max_length=4000, required=False, widget=text_area(3))
