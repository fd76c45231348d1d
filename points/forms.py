"""Forms of the points bank's pages. They parse and check the shape of the input;
points.services checks the rest (the rule's cap, the objection window, spendable points,
stock) and writes. Field names match the services' error keys, so that a refusal is shown
next to the field it is about.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.forms import OnceForm, date_input, offer_or_drop, search_input, text_area
from points import policy
from points.models import Account, Award, BoardLine, Item, Rule
from points.services import MAX_QUANTITY

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"


class RuleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, rule):
        return f"{rule.name} ({rule.points:+d})"


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, member):
        return f"{member.name} · {member.get_relation_to_head_display()}"


class AccountChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, account):
        household = account.household
        return f"{household.number} {household.head_name}".strip()


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, item):
        return item.name


class AccountSearchForm(forms.Form):
    """The search box of the passbooks and of the shop counter (GET)."""

    q = forms.CharField(
        label=_("Find a household"),
        required=False,
        max_length=50,
        widget=search_input(autocapitalize="off"),
        help_text=_("Head's or a member's name, pinyin initials (zs for 张三), or the household number."),
    )
    below_floor = forms.BooleanField(label=_("Only households below the benefit floor"), required=False)

    def query(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"q": (data.get("q") or "").strip(), "below_floor": bool(data.get("below_floor"))}


# ---------------------------------------------------------------- proposals


class _DatedForm(OnceForm):
    """A proposal's `occurred_on`: today unless changed, and a day the bank accepts
    (policy.check_occurred_on)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("occurred_on", timezone.localdate())

    def clean_occurred_on(self):
        day = self.cleaned_data["occurred_on"]
        policy.check_occurred_on(day)
        return day


class ProposeForm(_DatedForm):
    """One proposed earn or deduct entry for one household (积分申报)."""

    rule = RuleChoiceField(label=_("Rule"), queryset=Rule.objects.none(), empty_label=_("Choose a rule"))
    member = MemberChoiceField(
        label=_("Which member"),
        queryset=None,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("The person who did it, if it was one person."),
    )
    occurred_on = forms.DateField(label=_("Date"), widget=date_input(), help_text=_("The day it happened."))
    evidence = forms.FileField(
        label=_("Evidence photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
        help_text=_("A photo (JPEG, PNG or WebP, at most 8 MB). Location data is removed. Some rules need one."),
    )
    note = forms.CharField(
        label=_("What happened"),
        required=False,
        max_length=1000,
        widget=text_area(),
        help_text=_("What happened. A deduction needs a note; it is not shown publicly."),
    )

    def __init__(self, *args, rules, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = rules
        offer_or_drop(self, "member", members)


class BatchForm(_DatedForm):
    """One rule for many households of one event (a clean-up day, a meeting), in one step."""

    rule = RuleChoiceField(label=_("Rule"), queryset=Rule.objects.none(), empty_label=_("Choose a rule"))
    occurred_on = forms.DateField(label=_("Date of the event"), widget=date_input())
    note = forms.CharField(
        label=_("The event"),
        required=False,
        max_length=1000,
        widget=text_area(2),
        help_text=_("E.g. 一网格“清洁家园”大扫除."),
    )
    accounts = AccountChoiceField(
        label=_("Households that took part"),
        queryset=Account.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one household.")},
    )

    def __init__(self, *args, rules, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = rules
        self.fields["accounts"].queryset = accounts


class ApproveForm(OnceForm):
    note = forms.CharField(
        label=_("Note on the approval"),
        required=False,
        max_length=1000,
        widget=text_area(2),
        help_text=_("E.g. what you checked."),
    )


class ReasonForm(OnceForm):
    """Reject a proposal, or reverse a ledger line: always with a reason."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=text_area(2),
        error_messages={"required": _("Write the reason: it stays on the record.")},
    )


class QueueApproveForm(OnceForm):
    """Approve several proposals of the queue at once (those whose 公示 has ended)."""

    awards = forms.ModelMultipleChoiceField(
        label=_("Proposals to approve"),
        queryset=Award.objects.none(),
        error_messages={
            "required": _("Tick the entries to approve."),
            "invalid_choice": _("One of the ticked entries is no longer waiting for you. Look at the queue again."),
            "invalid_pk_value": _("One of the ticked entries is no longer waiting for you. Look at the queue again."),
        },
    )

    def __init__(self, *args, awards, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["awards"].queryset = awards


# ---------------------------------------------------------------- the shop


class RedeemForm(OnceForm):
    item = ItemChoiceField(
        label=_("Item"),
        queryset=Item.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Choose the item handed out.")},
    )
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_QUANTITY,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "max": MAX_QUANTITY}),
        error_messages={"required": _("How many?")},
    )
    member = MemberChoiceField(
        label=_("Who came"),
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Tick the member of the household who came.")},
    )

    def __init__(self, *args, items, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        offer_or_drop(self, "member", members)


class ItemForm(OnceForm):
    name = forms.CharField(label=_("Item name"), max_length=100)
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False, help_text=_("E.g. 袋, 瓶, 桶（5升）."))
    price = forms.IntegerField(
        label=_("Price in points"), min_value=1, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    stock = forms.IntegerField(
        label=_("Stock"), min_value=0, initial=0, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    photo = forms.FileField(
        label=_("Photo of the goods"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
        help_text=_("Photograph the goods only, never people: the photo is shown on the public page."),
    )


class RestockForm(OnceForm):
    quantity = forms.IntegerField(
        label=_("Quantity delivered"),
        min_value=1,
        max_value=100_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"required": _("How many came in?")},
    )


# ---------------------------------------------------------------- 道德红黑榜


def quarter_choices():
    return [(q, _("Quarter %(quarter)d") % {"quarter": q}) for q in (1, 2, 3, 4)]


class BoardCompileForm(OnceForm):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None, empty_label=_("Choose a village"))
    year = forms.IntegerField(
        label=_("Year"), min_value=2000, max_value=2100, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    quarter = forms.TypedChoiceField(label=_("Quarter"), choices=quarter_choices, coerce=int)

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        if not self.is_bound:
            today = timezone.localdate()
            quarter = (today.month - 1) // 3 + 1
            # The usual case: last quarter's board, compiled early in the next one.
            year, last = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
            self.initial.setdefault("year", year)
            self.initial.setdefault("quarter", last)
        if villages.count() == 1:
            self.fields["village"].initial = villages.first()
            self.fields["village"].widget = forms.HiddenInput()


class BoardLineChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, line):
        household = line.account.household
        side = _("red") if line.side == "red" else _("black")
        return f"{side} · {household.number} {household.head_name} ({line.points:+d})"


class BoardDecideForm(OnceForm):
    meeting_date = forms.DateField(label=_("Date of the 道德评议会"), widget=date_input())
    decision = forms.CharField(
        label=_("Decision of the 道德评议会"),
        max_length=4000,
        widget=text_area(4),
        error_messages={"required": _("Write down what the 道德评议会 decided.")},
    )
    struck_lines = BoardLineChoiceField(
        label=_("Lines the 道德评议会 struck out"),
        queryset=BoardLine.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Struck lines stay on the record but are not published."),
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["struck_lines"].queryset = lines
        if not self.is_bound:
            self.initial.setdefault("meeting_date", timezone.localdate())

    def clean_meeting_date(self):
        day = self.cleaned_data["meeting_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Give the date the 道德评议会 met (not in the future)."))
        return day


class StatementYearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)

    def year_or(self, default: int) -> int:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("year") or default


class MeetingAwardForm(OnceForm):
    """One rule for everyone a meeting record names as taking part."""

    rule = RuleChoiceField(label=_("Rule"), queryset=Rule.objects.none(), empty_label=_("Choose a rule"))
    note = forms.CharField(label=_("The event"), required=False, max_length=1000, widget=text_area(2))

    def __init__(self, *args, rules, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = rules
