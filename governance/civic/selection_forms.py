"""The 最美 selections' forms (open, nominate, withdraw, decide, publish). Services check everything again."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.civic.models import Meeting, Nomination, SelectionKind
from governance.forms import OnceForm, text_area
from grids.models import Courtyard, Grid, Household
from points.models import Rule


class SelectionOpenForm(OnceForm):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None, empty_label=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=SelectionKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200, help_text=_("E.g. 2026年度最美家庭."))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    description = forms.CharField(label=_("What is looked for"), required=False, max_length=4000, widget=text_area(3))

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        if not self.is_bound:
            self.initial.setdefault("year", timezone.localdate().year)


class NominateForm(OnceForm):
    """The nominee field that matches the selection's kind, and why."""

    household = forms.ModelChoiceField(label=_("Family"), queryset=Household.objects.none(), required=False)
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Grid.objects.none(), required=False)
    courtyard = forms.ModelChoiceField(label=_("Courtyard"), queryset=Courtyard.objects.none(), required=False)
    reason = forms.CharField(label=_("Why"), max_length=2000, widget=text_area(3))

    def __init__(self, *args, field: str, choices, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("household", "grid", "courtyard"):
            if name != field:
                del self.fields[name]
        self.fields[field].queryset = choices
        self.fields[field].required = True
        self.fields[field].empty_label = _("Choose")
        self.order_fields([field, "reason"])


class WithdrawForm(OnceForm):
    nomination = forms.ModelChoiceField(queryset=Nomination.objects.none(), widget=forms.HiddenInput)

    def __init__(self, *args, nominations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nomination"].queryset = nominations


class DecideForm(OnceForm):
    """The 道德评议会's vote: its members, who was there, the votes for each nominee."""

    meeting = forms.ModelChoiceField(
        label=_("The 道德评议会 meeting"),
        queryset=Meeting.objects.none(),
        required=False,
        empty_label=_("Not recorded"),
    )
    entitled = forms.IntegerField(label=_("Members of the council"), min_value=1, max_value=500)
    present = forms.IntegerField(label=_("Members present"), min_value=0, max_value=500)

    def __init__(self, *args, nominations, meetings, labels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings
        self.nomination_ids = []
        for nomination in nominations:
            name = f"votes_{nomination.pk}"
            self.fields[name] = forms.IntegerField(
                label=_("Votes for %(nominee)s") % {"nominee": labels[nomination.pk]}, min_value=0, max_value=500
            )
            self.nomination_ids.append(nomination.pk)

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "meeting": data.get("meeting"),
            "entitled": data["entitled"],
            "present": data["present"],
            "votes": {pk: data[f"votes_{pk}"] for pk in self.nomination_ids},
        }


class PublishForm(OnceForm):
    rule = forms.ModelChoiceField(
        label=_("Points for each selected family"),
        queryset=Rule.objects.none(),
        required=False,
        empty_label=_("No points"),
        help_text=_("One batch, shown publicly (公示) first; then another village cadre approves it."),
    )

    def __init__(self, *args, rules=None, **kwargs):
        super().__init__(*args, **kwargs)
        if rules is None:
            del self.fields["rule"]
        else:
            self.fields["rule"].queryset = rules
