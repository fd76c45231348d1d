"""The campaign pages' forms: making a campaign (its form from the library or an XLSForm), and
the rows of a campaign's questions as the answer page and the visit form show them."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from governance.forms import OnceForm, date_input, text_area
from grids.campaigns.builder import (
    FINDING_KINDS,
    NUMBER_KINDS,
    check_name,
    finding_when,
    length_check,
    parse_choices,
    picker_options,
    range_check,
    unused_name,
)
from grids.campaigns.library import TEMPLATES, template_input
from grids.campaigns.models import Task
from grids.campaigns.questionnaire import (
    CHOICE_KINDS,
    YES_NO,
    ExpressionError,
    Form,
    kind_labels,
    parse_expression,
    references,
)
from grids.campaigns.services import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS
from grids.campaigns.xlsform import read_xlsform
from grids.models import Tag, Village

# What the page's form hands to services.campaign_create (the rest: the form token, the
# template or upload it was read from).
CREATE_FIELDS = (
    "village", "title", "purpose", "starts_on", "due_on", "retention_days", "villages", "tags", "form", "form_source",
)  # fmt: skip

# The library's choice that starts a draft with no questions, for the builder page.
BUILD = "build"


class CampaignForm(OnceForm):
    """A draft campaign. On the page its coverage is whole villages and tags (the API also takes
    grids and courtyards); its form one of the library's, an uploaded XLSForm, or none yet (to
    be built question by question on the builder page)."""

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

    def __init__(self, *args, villages, for_township=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        if not for_township:
            # A village cadre makes their village's campaigns only: no "the township's" to pick
            # (it was the default, and refused on saving), their village chosen when it is one.
            field = self.fields["village"]
            field.required, field.empty_label = True, None
            field.help_text = _("A village's cadres make their village's campaigns.")
            if len(villages) == 1:
                self.initial.setdefault("village", villages[0].pk)
        self.fields["villages"].queryset = villages
        self.fields["template"].choices = [
            ("", _("— none: upload a form —")),
            (BUILD, _("— none: build it question by question —")),
        ] + [(code, template.title) for code, template in TEMPLATES.items()]

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
        elif code == BUILD:
            data["form"], data["form_source"] = None, ""
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


# ---------------------------------------------------------------- the form builder

FINDING_ROWS_MIN = 2


class FormStepForm(OnceForm):
    """A question moved or deleted on the builder page: the token (sent once) and the version of
    the form the organiser was looking at."""

    based_on = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)


class QuestionForm(FormStepForm):
    """One question of a draft's form, as the builder page edits it. The fields are checked
    here one by one (the errors next to them); the whole form is then judged by
    questionnaire.Form.from_json in services.campaign_set_form."""

    name = forms.CharField(
        label=_("name"),
        max_length=64,
        required=False,
        help_text=_(
            "Letters, digits and _ (a letter first): conditions and the export name the question by it. "
            "Left empty, one is made."
        ),
    )
    kind = forms.ChoiceField(label=_("kind of answer"))
    label = forms.CharField(label=_("wording"), max_length=500, widget=text_area(2))
    hint = forms.CharField(label=_("hint"), max_length=500, required=False)
    required = forms.BooleanField(label=_("must be answered"), required=False)
    choices = forms.CharField(
        label=_("choices"),
        required=False,
        widget=text_area(5),
        help_text=_(
            "For one choice or several choices: one per line, “value wording” (e.g. “pipe 管道天然气”), "
            "or just the wording (its value is then made)."
        ),
    )
    relevant_pick = forms.ChoiceField(label=_("shown only when"), required=False)
    relevant = forms.CharField(
        label=_("or only when this expression holds"),
        max_length=500,
        required=False,
        help_text=_("For the practised: XLSForm, e.g. ${uses_gas} = 'yes' and ${age} >= 70. Leave the picker empty."),
    )
    minimum = forms.DecimalField(label=_("smallest allowed"), required=False, max_digits=12, decimal_places=2)
    maximum = forms.DecimalField(label=_("largest allowed"), required=False, max_digits=12, decimal_places=2)
    max_length = forms.IntegerField(
        label=_("at most this many characters"), required=False, min_value=1, max_value=2000
    )
    constraint = forms.CharField(
        label=_("or any check as an expression"),
        max_length=500,
        required=False,
        help_text=_("“.” is the answer, e.g. . >= 0 and . <= 120. Leave the range and length empty."),
    )
    constraint_message = forms.CharField(label=_("message when the check fails"), max_length=200, required=False)

    def __init__(
        self, *args, earlier: list[dict], others: list[dict], categories, findings: int = 0, answers=(), **kwargs
    ):
        """`earlier`: the questions before this one (the picker's); `others`: every other
        question (names taken); `findings`: how many the stored question has; `answers`: its
        choices' wording, offered in the finding rows."""
        super().__init__(*args, **kwargs)
        self.earlier, self.others = earlier, others
        self.fields["kind"].choices = list(kind_labels().items())
        self.fields["relevant_pick"].choices = [("", _("— always shown —"))] + picker_options(earlier)
        category_choices = [("", _("— no matter —"))] + [(c.code, c.name) for c in categories]
        self.finding_rows = max(findings + 1, FINDING_ROWS_MIN)
        self.answers = answers
        for index in range(self.finding_rows):
            self.fields[f"finding_{index}_when"] = forms.CharField(
                label=_("when the answer is"),
                max_length=200,
                required=False,
                widget=forms.TextInput(attrs={"list": "finding-answers"} if answers else {}),
            )
            self.fields[f"finding_{index}_category"] = forms.ChoiceField(
                label=_("raise a matter of"), choices=category_choices, required=False
            )
            self.fields[f"finding_{index}_days"] = forms.IntegerField(
                label=_("and/or a follow-up after (days)"), min_value=1, max_value=365, required=False
            )

    def finding_fields(self) -> list[tuple]:
        """The finding rows, each (number, when, category, days) as bound fields."""
        return [
            (index + 1, self[f"finding_{index}_when"], self[f"finding_{index}_category"], self[f"finding_{index}_days"])
            for index in range(self.finding_rows)
        ]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if name:
            check_name(name, self.others)
        return name

    def clean_choices(self):
        return parse_choices(self.cleaned_data["choices"])

    def clean_relevant(self):
        return self._expression("relevant")

    def clean_constraint(self):
        return self._expression("constraint")

    def _expression(self, field: str) -> str:
        text = self.cleaned_data[field].strip()
        if not text:
            return ""
        try:
            tree = parse_expression(text)
        except ExpressionError as error:
            raise ValidationError(_("This cannot be read: %(error)s") % {"error": error})
        unknown = sorted(references(tree) - {question["name"] for question in self.earlier})
        if unknown:
            raise ValidationError(
                _("“%(name)s” is not an earlier question; a question can only read those before it.")
                % {"name": unknown[0]}
            )
        return text

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if not kind:
            return data
        if kind in CHOICE_KINDS and "choices" in data and not data["choices"]:
            self.add_error("choices", _("A choice question needs its choices."))
        if data.get("relevant_pick") and data.get("relevant"):
            self.add_error("relevant", _("Use the picker or the expression, not both."))
        self._clean_checks(kind, data)
        data["findings"] = self._clean_findings(kind, data)
        return data

    def _clean_checks(self, kind: str, data: dict) -> None:
        minimum, maximum, length = data.get("minimum"), data.get("maximum"), data.get("max_length")
        if kind not in NUMBER_KINDS:
            for field in ("minimum", "maximum"):
                if data.get(field) is not None:
                    self.add_error(field, _("Only a number question takes a range."))
        elif minimum is not None and maximum is not None and minimum > maximum:
            self.add_error("maximum", _("The largest allowed is below the smallest."))
        if kind != "text" and length is not None:
            self.add_error("max_length", _("Only a written answer takes a length."))
        simple = minimum is not None or maximum is not None or length is not None
        if data.get("constraint") and simple:
            self.add_error("constraint", _("Use the simple check or the expression, not both."))
        if data.get("constraint") and kind in ("note", "photo", "geopoint"):
            self.add_error("constraint", _("This kind of question takes no check."))

    def _clean_findings(self, kind: str, data: dict) -> list[dict]:
        choices = YES_NO if kind == "yes_no" else data.get("choices") or []
        findings = []
        for index in range(self.finding_rows):
            when = data.get(f"finding_{index}_when", "").strip()
            category = data.get(f"finding_{index}_category") or ""
            days = data.get(f"finding_{index}_days")
            if not (when or category or days):
                continue
            if kind not in FINDING_KINDS:
                self.add_error(
                    f"finding_{index}_when", _("Only a choice or yes/no question can raise a matter or a follow-up.")
                )
                continue
            value = finding_when(when, choices)
            if value is None:
                self.add_error(
                    f"finding_{index}_when", _("Write one of the question's choices (its value or wording).")
                )
                continue
            if not category and days is None:
                self.add_error(f"finding_{index}_category", _("Choose a matter's category, a follow-up, or both."))
                continue
            findings.append({"when": value, "category": category, "follow_up_days": days})
        return findings

    def question(self, form: list[dict]) -> dict:
        """The question as the form's JSON keeps it (`form`: the questions besides this one, for
        a name to be made)."""
        data = self.cleaned_data
        kind = data["kind"]
        question = {"name": data["name"] or unused_name(form), "kind": kind, "label": data["label"].strip()}
        if data["hint"].strip():
            question["hint"] = data["hint"].strip()
        if data["required"] and kind != "note":
            question["required"] = True
        if kind in CHOICE_KINDS:
            question["choices"] = data["choices"]
        relevant = data.get("relevant_pick") or data.get("relevant")
        if relevant:
            question["relevant"] = relevant
        constraint = data.get("constraint") or (
            range_check(data.get("minimum"), data.get("maximum"))
            if kind in NUMBER_KINDS
            else length_check(data.get("max_length"))
            if kind == "text"
            else ""
        )
        if constraint:
            question["constraint"] = constraint
            if data["constraint_message"].strip():
                question["constraint_message"] = data["constraint_message"].strip()
        if data["findings"]:
            question["findings"] = data["findings"]
        return question


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
