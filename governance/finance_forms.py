"""The forms of the accounts' pages (财务公开, governance.finance_views)."""

import decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.forms import OnceForm, date_input
from governance.models import FinanceLine, FinancePeriod


class StatementForm(OnceForm):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None, empty_label=None)
    period = forms.ChoiceField(label=_("Posted every"), choices=FinancePeriod.choices)
    day = forms.DateField(
        label=_("A day of the period"),
        widget=date_input(),
        help_text=_("Any day of the month or quarter: the statement covers all of it."),
    )
    opening_balance = forms.DecimalField(
        label=_("Opening balance (yuan)"),
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text=_(
            "Only for the village's first statement here, from its paper accounts; after it, each statement "
            "opens on the closing balance of the one before."
        ),
    )

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        if not self.is_bound:
            self.initial.setdefault("day", timezone.localdate().replace(day=1) - timezone.timedelta(days=1))


class LineForm(OnceForm):
    direction = forms.ChoiceField(label=_("Income or expense"), choices=FinanceLine.Direction.choices)
    occurred_on = forms.DateField(label=_("Date"), widget=date_input())
    item = forms.CharField(label=_("Item"), max_length=100)
    category = forms.CharField(label=_("Category"), max_length=40, required=False)
    amount = forms.DecimalField(
        label=_("Amount (yuan)"), min_value=decimal.Decimal("0.01"), max_digits=12, decimal_places=2
    )
    voucher = forms.CharField(label=_("Voucher number"), max_length=30, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ImportForm(OnceForm):
    file = forms.FileField(label=_("Spreadsheet (.xlsx)"))


class SettingsForm(OnceForm):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None, empty_label=None)
    period = forms.ChoiceField(
        label=_("Posted every"),
        choices=FinancePeriod.choices,
        help_text=_("At least every quarter; every month where the villagers' meeting has decided so."),
    )
    posting_since = forms.DateField(
        label=_("Posted in Cunzhi since"),
        widget=date_input(),
        help_text=_("Periods that start before this day are on paper: not asked for here, and not opened."),
    )

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
