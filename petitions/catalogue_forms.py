"""The forms of the matters' catalogues and a village's matter settings (petitions.catalogue_views).

They check the shape and say what is wrong next to the field, in plain words; the services
(petitions.catalogue_services) check again, with the database, and their refusals land next
to the same fields (governance.forms.save_form)."""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from governance.forms import OnceForm, date_input
from petitions.models import (
    MAX_LIMIT_DAYS,
    DecisionRule,
    Kind,
    MatterCategory,
    TimeLimit,
    VillageAffairsVerifiers,
)


def _days_message() -> str:
    return gettext("Give a number of working days from 1 to %(max)d.") % {"max": MAX_LIMIT_DAYS}


# The services' own words (petitions.catalogue_services), in the language of the request.
DAYS_MESSAGE = lazy(_days_message, str)()


def working_days_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Working days"),
        min_value=1,
        max_value=MAX_LIMIT_DAYS,
        error_messages={
            "required": DAYS_MESSAGE,
            "invalid": DAYS_MESSAGE,
            "min_value": DAYS_MESSAGE,
            "max_value": DAYS_MESSAGE,
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        **kwargs,
    )


class CategoryForm(OnceForm):
    name = forms.CharField(
        label=_("Category name"), max_length=60, error_messages={"required": _("Give the category a name.")}
    )
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Letters, digits, - and _ only, e.g. neighbour_dispute. The API and exports name it so."),
        error_messages={
            "required": _("Give the category a code."),
            "invalid": _("Use only letters, digits, - and _ in the code."),
        },
    )
    default_kind = forms.ChoiceField(
        label=_("Usually a"),
        choices=Kind.choices,
        widget=forms.RadioSelect,
        help_text=_("Offered first when a matter of this category is classified; the classifier may choose another."),
        error_messages={"required": _("Choose the kind of matter it usually is.")},
    )
    decision_rule = forms.ChoiceField(
        label=_("Decision rule (for a village matter, 村事)"),
        choices=DecisionRule.choices,
        widget=forms.RadioSelect,
        initial=DecisionRule.SIMPLE,
        error_messages={"required": _("Choose how a village matter of this category is decided.")},
    )
    order = forms.IntegerField(
        label=_("Place in the lists"),
        min_value=0,
        max_value=9999,
        initial=100,
        help_text=_("Smaller numbers come first."),
        error_messages={
            "required": _("Give a number from 0 to 9999."),
            "invalid": _("Give a number from 0 to 9999."),
            "min_value": _("Give a number from 0 to 9999."),
            "max_value": _("Give a number from 0 to 9999."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    is_active = forms.BooleanField(
        label=_("Offered for new matters"),
        required=False,
        initial=True,
        help_text=_("Untick to deactivate it: no longer offered, while the matters that name it keep it."),
    )


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, category):
        if category.is_active:
            return category.name
        return gettext("%(name)s (deactivated)") % {"name": category.name}


class TimeLimitForm(OnceForm):
    stage = forms.ChoiceField(
        label=_("Stage"), choices=TimeLimit.Stage.choices, widget=forms.RadioSelect, initial=TimeLimit.Stage.HANDLING
    )
    kind = forms.ChoiceField(
        label=_("Kind of matter"),
        choices=Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the kind of matter.")},
    )
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=MatterCategory.objects.none(),
        required=False,
        empty_label=_("Every category without its own limit"),
        help_text=_("Leave empty to set the kind's limit, used by every category that has none of its own."),
    )
    working_days = working_days_field()

    def __init__(self, *args, category=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The active categories, and the limit's own even when it has since been deactivated.
        offered = MatterCategory.objects.filter(is_active=True)
        if category is not None:
            offered = MatterCategory.objects.filter(pk=category.pk) | offered
        self.fields["category"].queryset = offered.order_by("order", "code")


class ClockLimitForm(OnceForm):
    working_days = working_days_field()


WORKDAY_CHOICES = [
    ("holiday", _("A holiday: no work that day (休)")),
    ("workday", _("A make-up working day (调休, 班)")),
]


class CalendarDayForm(OnceForm):
    date = forms.DateField(
        label=_("Day"),
        widget=date_input(),
        error_messages={"required": _("Give the day."), "invalid": _("Give the day as 2026-10-08.")},
    )
    status = forms.ChoiceField(
        label=_("That day is"),
        choices=WORKDAY_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether it is a holiday or a working day.")},
    )
    name = forms.CharField(
        label=_("Name of the day"),
        max_length=60,
        required=False,
        help_text=_("e.g. 国庆节, or 国庆节调休."),
    )


class MatterSettingsForm(OnceForm):
    village_affairs_verifiers = forms.ChoiceField(
        label=_("Who verifies the village's matters (村事, 督)"),
        choices=VillageAffairsVerifiers.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose who verifies the village's matters.")},
    )
