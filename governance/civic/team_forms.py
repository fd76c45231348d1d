"""The team pages' forms (a new team, a member joins, a member leaves). Services check again."""

from django import forms
from django.utils.translation import gettext_lazy as _

from governance.civic.models import TeamKind, TeamRole
from governance.forms import OnceForm, date_input, text_area


class TeamForm(OnceForm):
    kind = forms.ChoiceField(label=_("Kind of team"), choices=TeamKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("E.g. 李湾村老兵说法营."))
    description = forms.CharField(label=_("What it does"), max_length=4000, required=False, widget=text_area(3))
    village = forms.ModelChoiceField(
        label=_("Village"),
        queryset=None,
        required=False,
        help_text=_("Leave empty for a township team (e.g. the 公益律师团)."),
    )
    grid = forms.ModelChoiceField(label=_("Grid (协商议事团 only)"), queryset=None, required=False)
    township = forms.ModelChoiceField(label=_("Township (a township team)"), queryset=None, required=False)

    def __init__(self, *args, villages, grids, townships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["grid"].queryset = grids
        self.fields["grid"].label_from_instance = lambda g: f"{g.village.name} {g.name}"
        if townships.exists():
            self.fields["township"].queryset = townships
        else:
            del self.fields["township"]


class MemberForm(OnceForm):
    name = forms.CharField(label=_("Name"), max_length=50)
    role = forms.ChoiceField(label=_("Role on the team"), choices=TeamRole.choices, initial=TeamRole.MEMBER)
    title = forms.CharField(
        label=_("Who they are"), max_length=100, required=False, help_text=_("E.g. 退役军人、党员、律师.")
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    joined_on = forms.DateField(
        label=_("Joined on"), required=False, widget=date_input(), help_text=_("Today if empty.")
    )


class LeaveForm(OnceForm):
    left_on = forms.DateField(label=_("Left on"), required=False, widget=date_input(), help_text=_("Today if empty."))


class ConsultationMembersForm(OnceForm):
    members = forms.ModelMultipleChoiceField(
        label=_("Team members who took part"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The grid's consultation group (协商议事团) and the mediation teams of the village."),
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = candidates
        self.fields["members"].label_from_instance = lambda m: f"{m.name} · {m.get_role_display()} · {m.team.name}"
