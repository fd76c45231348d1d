"""The campaign pages' forms: making a campaign (its form from the library or an XLSForm), and
the rows of a campaign's questions as the answer page and the visit form show them."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from governance.forms import OnceForm, date_input, text_area
from grids.campaigns.library import TEMPLATES
from grids.campaigns.models import Task
from grids.campaigns.questionnaire import CHOICE_KINDS, Form
from grids.campaigns.services import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS
from grids.campaigns.xlsform import read_xlsform
from grids.models import Tag, Village


class CampaignForm(OnceForm):
    """A draft campaign. On the page its coverage is whole villages and tags (the API also takes
    grids and courtyards); its form one of the library's or an uploaded XLSForm."""

    title = forms.CharField(label=_("title"), max_length=100, required=False)
    purpose = forms.CharField(label=_("purpose"), widget=text_area(), required=False, max_length=2000)
    village = forms.ModelChoiceField(
        label=_("Whose campaign"),
        queryset=Village.objects.none(),
        required=False,
        empty_label=_("the township's"),
    )
    starts_on = forms.DateField(label=_("starts on"), widget=date_input())
    due_on = forms.DateField(label=_("deadline"), widget=date_input())
    villages = forms.ModelMultipleChoiceField(
        label=_("villages"),
        queryset=Village.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every household of the campaign's township or village."),
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("only households with these tags"),
        queryset=Tag.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    template = forms.ChoiceField(label=_("form from the library"), required=False)
    xlsform = forms.FileField(
        label=_("or upload an XLSForm (.xlsx)"),
        required=False,
        help_text=_("The survey and choices sheets that ODK, KoboToolbox and CommCare read."),
    )
    retention_days = forms.IntegerField(
        label=_("keep answers for (days after the deadline)"),
        min_value=MIN_RETENTION_DAYS,
        max_value=MAX_RETENTION_DAYS,
        initial=365,
    )

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["villages"].queryset = villages
        self.fields["template"].choices = [("", _("— none: upload a form —"))] + [
            (code, template.title) for code, template in TEMPLATES.items()
        ]

    def clean(self):
        data = super().clean()
        upload, code = data.get("xlsform"), data.get("template")
        if bool(upload) == bool(code):
            raise ValidationError(_("Choose a form from the library, or upload an XLSForm (one of the two)."))
        if upload:
            try:
                form, title = read_xlsform(upload)
            except ValidationError as error:
                self.add_error("xlsform", error.messages)
                return data
            data["form"], data["form_source"] = form.to_json(), f"xlsform:{upload.name}"[:100]
            data["title"] = data.get("title") or title
        else:
            template = TEMPLATES[code]
            data["form"], data["form_source"] = template.form, f"template:{code}"
            data["title"] = data.get("title") or template.title
            data["purpose"] = data.get("purpose") or template.purpose
        return data


# The kinds the page asks as boxes to tick (the rest as a text, number, date or file input).
CHOICE_BOXES = (*CHOICE_KINDS, "yes_no")


def question_rows(form: Form, values: dict, errors: dict) -> list[dict]:
    """What campaigns/_questions.html shows of each question: its choices, the value given, its
    error and its condition (as the tree static/js/campaigns.js judges)."""
    rows = []
    for question in form.questions:
        value = values.get(question.name)
        rows.append(
            {
                "q": question,
                "choices": question.all_choices(),
                "multiple": question.kind == "select_multiple",
                "value": value,
                "chosen": value if isinstance(value, list) else [value] if value else [],
                "error": errors.get(question.name),
                "relevant": json.dumps(question.relevant_tree) if question.relevant_tree else "",
            }
        )
    return rows


class TaskFilterForm(forms.Form):
    """The filters of a campaign's task list (grids.campaigns.selectors.filter_tasks): a place
    among the grids `grids` (those with a task the reader sees), open or done, overdue, the
    follow-ups instead of the first tasks. A value that is not among the choices is an error on
    its field, and the list is then empty rather than wider than asked."""

    village = forms.TypedChoiceField(label=_("village"), required=False, coerce=int, empty_value=None)
    grid = forms.TypedChoiceField(label=_("grid"), required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(label=_("state"), required=False)
    overdue = forms.BooleanField(label=_("overdue only"), required=False)
    follow_up = forms.BooleanField(label=_("follow-ups instead of the first visits"), required=False)

    def __init__(self, data, *, grids):
        super().__init__(data)
        villages = {grid.village_id: grid.village.name for grid in grids}
        several = len(villages) > 1
        self.fields["village"].choices = [("", _("every village")), *villages.items()]
        self.fields["grid"].choices = [
            ("", _("every grid")),
            *((grid.pk, f"{grid.village.name} · {grid.name}" if several else grid.name) for grid in grids),
        ]
        self.fields["state"].choices = [("", _("open and done")), *Task.State.choices]
        self.several_villages = several
