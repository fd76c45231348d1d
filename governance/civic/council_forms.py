"""The council pages' forms (plan, record, cancel, a concern, a rating). Services check everything
again."""

from django import forms
from django.utils.translation import gettext_lazy as _

from governance.civic.models import CouncilKind, MeetingStatus
from governance.forms import OnceForm, date_input, text_area

NAMES_HELP = _("One name a line, or separated by 、")


class MeetingContentForm(OnceForm):
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("Leave empty to use the council's name.")
    )
    held_on = forms.DateField(label=_("Date"), widget=date_input())
    starts_at = forms.TimeField(label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    place = forms.CharField(
        label=_("Where it is held"),
        max_length=100,
        error_messages={"required": _("Say where the meeting is held.")},
    )
    agenda = forms.CharField(
        label=_("Agenda"),
        max_length=4000,
        widget=text_area(4),
        error_messages={"required": _("Write the agenda: what the meeting is about.")},
    )
    matter = forms.ModelChoiceField(
        label=_("Matter coordinated (事务协调会)"),
        queryset=None,
        required=False,
        empty_label=_("None"),
        help_text=_("Only for an affairs coordination meeting: an open matter of the village."),
    )
    parties = forms.CharField(
        label=_("Parties (事务协调会)"), max_length=2000, required=False, widget=text_area(2), help_text=NAMES_HELP
    )

    def __init__(self, *args, matters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["matter"].queryset = matters
        self.fields["matter"].label_from_instance = lambda m: f"#{m.pk} · {m.title}"


class MeetingPlanForm(MeetingContentForm):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None, empty_label=None)
    kind = forms.ChoiceField(label=_("Council"), choices=CouncilKind.choices)

    field_order = ["village", "kind", "title", "held_on", "starts_at", "place", "agenda", "matter", "parties"]

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class RecordForm(OnceForm):
    chaired_by = forms.CharField(
        label=_("Chaired by"), max_length=50, error_messages={"required": _("Who chaired the meeting?")}
    )
    attendees = forms.CharField(
        label=_("Attendees"),
        max_length=4000,
        widget=text_area(3),
        help_text=NAMES_HELP,
        error_messages={"required": _("Name who attended.")},
    )
    decisions = forms.CharField(label=_("Decisions"), max_length=4000, required=False, widget=text_area(3))
    minutes = forms.CharField(
        label=_("Minutes"),
        max_length=20000,
        widget=text_area(6),
        error_messages={"required": _("Write the minutes: what was said.")},
    )
    parties = forms.CharField(
        label=_("Parties present"), max_length=2000, required=False, widget=text_area(2), help_text=NAMES_HELP
    )
    boards = forms.ModelMultipleChoiceField(
        label=_("Red and black boards decided (红黑榜)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, meeting, boards, **kwargs):
        super().__init__(*args, **kwargs)
        if meeting.kind == CouncilKind.MORAL:
            self.fields["boards"].queryset = boards
            self.fields["boards"].label_from_instance = lambda b: (
                _("%(year)s, quarter %(quarter)s")
                % {
                    "year": b.year,
                    "quarter": b.quarter,
                }
            )
        else:
            del self.fields["boards"]
        if meeting.kind == CouncilKind.COORDINATION:
            self.initial.setdefault("parties", "\n".join(meeting.parties))
        else:
            del self.fields["parties"]


class CancelForm(OnceForm):
    reason = forms.CharField(
        label=_("Why it is cancelled"),
        max_length=200,
        widget=text_area(2),
        error_messages={"required": _("Say why the meeting is cancelled.")},
    )


class ConcernForm(OnceForm):
    raised_by = forms.CharField(
        label=_("Raised by"),
        max_length=50,
        help_text=_("The resident who raised it."),
        error_messages={"required": _("Who raised it?")},
    )
    submitter_phone = forms.CharField(label=_("Their mobile number"), max_length=20, required=False)
    title = forms.CharField(
        label=_("The concern in one line"),
        max_length=200,
        error_messages={"required": _("Give the matter a short title.")},
    )
    description = forms.CharField(
        label=_("What was said"),
        max_length=4000,
        widget=text_area(3),
        error_messages={"required": _("Describe the matter.")},
    )
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=None, empty_label=None)

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids


class RatingForm(OnceForm):
    subject = forms.ChoiceField(label=_("What is rated"))
    raters = forms.IntegerField(label=_("Raters present"), min_value=1, max_value=100000)
    satisfied = forms.IntegerField(label=_("Satisfied"), min_value=0, max_value=100000)
    basically_satisfied = forms.IntegerField(label=_("Basically satisfied"), min_value=0, max_value=100000)
    unsatisfied = forms.IntegerField(label=_("Unsatisfied"), min_value=0, max_value=100000)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=text_area(2))

    def __init__(self, *args, matters, pledges, **kwargs):
        super().__init__(*args, **kwargs)
        self.matters = {str(m.pk): m for m in matters}
        self.pledges = {str(p.pk): p for p in pledges}
        choices = [("", _("Choose a matter or a pledge"))]
        if self.matters:
            choices.append(
                (
                    _("Handled matters"),
                    [(f"matter-{pk}", f"#{m.pk} · {m.title}") for pk, m in self.matters.items()],
                )
            )
        if self.pledges:
            choices.append(
                (
                    _("Pledges waiting for their rating (评诺)"),
                    [(f"pledge-{pk}", f"{p.pledger_title} · {p.title}") for pk, p in self.pledges.items()],
                )
            )
        self.fields["subject"].choices = choices

    def clean_subject(self):
        kind, _sep, pk = self.cleaned_data["subject"].partition("-")
        found = (self.matters if kind == "matter" else self.pledges if kind == "pledge" else {}).get(pk)
        if found is None:
            raise forms.ValidationError(_("Choose a matter or a pledge from the list."))
        return {kind: found}


class MeetingFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Council"), required=False, choices=[("", _("All councils")), *CouncilKind.choices]
    )
    status = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All statuses")), *MeetingStatus.choices]
    )
    village = forms.ModelChoiceField(label=_("Village"), required=False, queryset=None, empty_label=_("All villages"))

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
