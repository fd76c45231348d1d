"""The pledge pages' forms (提诺, 审诺, 践诺, 评诺). Services check everything again."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from governance.forms import OnceForm, date_input, text_area
from governance.models import PledgeStatus
from governance.photo_fields import PhotosField
from governance.pledges import MAX_PHOTOS_PER_LINE


class PledgeContentForm(OnceForm):
    pledger_title = forms.CharField(
        label=_("Title of the pledger"),
        max_length=50,
        required=False,
        help_text=_("E.g. 村党支部书记, 网格员, 党员."),
    )
    title = forms.CharField(label=_("The pledge"), max_length=200, help_text=_("One line the public board shows."))
    description = forms.CharField(label=_("What you will do"), max_length=4000, widget=text_area(4))
    period_label = forms.CharField(label=_("Period"), max_length=50, help_text=_("E.g. 2026年度 or 2026年第一季度."))
    period_start = forms.DateField(label=_("Period starts"), widget=date_input())
    period_end = forms.DateField(label=_("Period ends"), widget=date_input())
    due_on = forms.DateField(label=_("Due on"), widget=date_input())


class PledgeCreateForm(PledgeContentForm):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None, empty_label=None)
    resident = forms.ModelChoiceField(
        label=_("For a resident (a party member without an account)"),
        queryset=None,
        required=False,
        help_text=_("Leave empty for your own pledge."),
    )

    field_order = ["village", "resident", "pledger_title", "title", "description", "period_label"]

    def __init__(self, *args, villages, residents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        if residents is None:
            del self.fields["resident"]
        else:
            self.fields["resident"].queryset = residents
            self.fields["resident"].label_from_instance = lambda r: f"{r.name} · {r.household.number}"


class ApproveForm(OnceForm):
    note = forms.CharField(label=_("Note on the review"), required=False, max_length=1000, widget=text_area(2))


class ReturnForm(OnceForm):
    reason = forms.CharField(
        label=_("Why it goes back"),
        max_length=1000,
        widget=text_area(2),
        error_messages={"required": _("Write the reason: the pledger reads it.")},
    )


class ProgressForm(OnceForm):
    note = forms.CharField(label=pgettext_lazy("pledge", "Progress made"), max_length=4000, widget=text_area(3))
    photos = PhotosField(
        label=_("Photos (staff only, never public)"),
        limit=MAX_PHOTOS_PER_LINE,
        too_many=_("At most %(count)d photos per line."),
    )


class CompleteForm(ProgressForm):
    note = forms.CharField(label=_("What was achieved, and the evidence"), max_length=4000, widget=text_area(3))


class RateForm(OnceForm):
    held_on = forms.DateField(label=_("Rating meeting (成效评议会) held on"), widget=date_input())
    raters = forms.IntegerField(label=_("Raters present"), min_value=1, max_value=100000)
    satisfied = forms.IntegerField(label=_("Satisfied"), min_value=0, max_value=100000)
    basically_satisfied = forms.IntegerField(label=_("Basically satisfied"), min_value=0, max_value=100000)
    unsatisfied = forms.IntegerField(label=_("Unsatisfied"), min_value=0, max_value=100000)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=text_area(2))


class PledgeFilterForm(forms.Form):
    # "State", not "Status": that msgid is the register's 居住状态 (a resident's residence).
    status = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All statuses")), *PledgeStatus.choices]
    )
    village = forms.ModelChoiceField(label=_("Village"), required=False, queryset=None, empty_label=_("All villages"))
    overdue = forms.BooleanField(label=_("Only overdue"), required=False)

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
