"""The campaign pages' forms: making a campaign (its form from the library or an XLSForm), and
the rows of a campaign's questions as the answer page and the visit form show them."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from governance.forms import OnceForm, date_input, text_area
from grids.campaigns.library import TEMPLATES, template_input
from grids.campaigns.questionnaire import CHOICE_KINDS, Form
from grids.campaigns.services import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS
from grids.campaigns.xlsform import read_xlsform
from grids.models import Tag, Village

# What the page's form hands to services.campaign_create (the rest: the form token, the
# template or upload it was read from).
CREATE_FIELDS = (
    "village", "title", "purpose", "starts_on", "due_on", "retention_days", "villages", "tags", "form", "form_source",
)  # fmt: skip


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
            given = template_input(code)
            data["form"], data["form_source"] = given["form"], given["form_source"]
            data["title"] = data.get("title") or given["title"]
            data["purpose"] = data.get("purpose") or given["purpose"]
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
