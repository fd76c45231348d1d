"""Forms of the points bank's pages. They parse and check the shape of the input;
points.services checks the rest (the rule's cap, the objection window, spendable points,
stock) and writes. Field names match the services' error keys, so that a refusal is shown
next to the field it is about.
"""

import unicodedata

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from governance import law
from governance.forms import OnceForm, date_input, offer_or_drop, search_input, text_area
from petitions.models import Matter
from petitions.public_forms import code_input
from points import policy
from points.models import (
    DEFAULT_PROPOSER_ROLES,
    Account,
    Award,
    BoardLine,
    CapPeriod,
    Category,
    Item,
    Rule,
    VillagePointsSettings,
)
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
        label=pgettext_lazy("shop", "Item"),
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


# ---------------------------------------------------------------- settings, rules, objections, consent


SETTINGS_FORM_FIELDS = (
    "starting_balance",
    "redeem_threshold",
    "benefit_floor",
    "floor_consequence",
    "objection_days",
    "black_list_threshold",
    "black_list_consequence",
    "publish_black_list",
    "red_list_size",
)


def _lawful(value: str) -> str:
    reason = law.refusal(value)
    if reason is not None:
        raise forms.ValidationError(reason, code="unlawful_consequence")
    return value


class SettingsForm(OnceForm):
    """The village's points bank, set by its cadres (points.services.settings_update)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SETTINGS_FORM_FIELDS:
            self.fields[name] = VillagePointsSettings._meta.get_field(name).formfield()

    def clean_black_list_consequence(self):
        return _lawful(self.cleaned_data["black_list_consequence"])

    def clean_floor_consequence(self):
        return _lawful(self.cleaned_data["floor_consequence"])

    def clean_black_list_threshold(self):
        value = self.cleaned_data["black_list_threshold"]
        if value is not None and value >= 0:
            raise forms.ValidationError(_("The threshold is a total of deductions: below zero, e.g. −10."))
        return value


class ResolutionChoiceField(forms.ModelChoiceField):
    """A 村事 whose vote carried, labelled with its vote (`votes`: {matter id: vote record})."""

    votes: dict = {}

    def label_from_instance(self, matter):
        vote = self.votes.get(matter.pk)
        held = vote.held_on.isoformat() if vote is not None else ""
        return f"{matter.title} · {vote.get_body_display() if vote is not None else ''} {held}".strip()


RULE_ROLE_CHOICES = [
    ("grid_worker", _("grid workers")),
    ("grid_leader", _("grid leaders")),
    ("courtyard_helper", _("courtyard helpers")),
    ("village_cadre", _("village cadres")),
]


def _article_label(article) -> str:
    label = gettext("Article %(n)s") % {"n": article.number}
    return f"{label} · {article.title}" if article.title else label


class RuleForm(OnceForm):
    """A rule of the catalogue (积分细则), adopted, changed or retired by a resolution."""

    adopted_by = ResolutionChoiceField(
        label=_("Adopted by the resolution of"),
        queryset=None,
        empty_label=_("Choose the village matter (村事) whose vote decided this"),
        help_text=_("Only village matters (村事) of this village whose vote (村民会议 or 代表会议) carried."),
        error_messages={
            "required": _("Name the resolution that decided this change."),
            "invalid_choice": _("Choose a village matter of this village whose vote carried."),
        },
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    name = forms.CharField(label=pgettext_lazy("rule", "Name"), max_length=100)
    points = forms.IntegerField(
        label=_("Points"), min_value=-1000, max_value=1000, help_text=_("Positive to earn, negative to deduct.")
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=1000, widget=text_area(2))
    requires_evidence = forms.BooleanField(label=_("A photo is required"), required=False)
    cap_count = forms.IntegerField(
        label=_("At most"), required=False, min_value=1, max_value=100, help_text=_("Entries per household.")
    )
    cap_period = forms.ChoiceField(label=_("Per"), choices=CapPeriod.choices, initial=CapPeriod.NONE)
    proposer_roles = forms.MultipleChoiceField(
        label=_("Who may propose"),
        choices=RULE_ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=list(DEFAULT_PROPOSER_ROLES),
        error_messages={"required": _("Choose at least one role.")},
    )
    compact_article = forms.ModelChoiceField(
        label=_("The compact's article it enforces"),
        queryset=None,
        required=False,
        empty_label=_("None"),
        help_text=_("An article of the village compact (村规民约) in force."),
    )
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=10000, initial=100)
    is_active = forms.BooleanField(
        label=_("In use"), required=False, initial=True, help_text=_("Untick to retire the rule.")
    )

    def __init__(self, *args, resolutions: dict, articles=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if articles is None or not articles.exists():
            del self.fields["compact_article"]
        else:
            self.fields["compact_article"].queryset = articles
            self.fields["compact_article"].label_from_instance = _article_label
        field = self.fields["adopted_by"]
        field.queryset = Matter.objects.filter(pk__in=list(resolutions)).order_by("-id")
        field.votes = {pk: vote for pk, (_matter, vote) in resolutions.items()}
        if not editing:
            del self.fields["is_active"]

    def clean(self):
        data = super().clean()
        period, count = data.get("cap_period"), data.get("cap_count")
        if period and (period == CapPeriod.NONE) != (count is None):
            self.add_error("cap_count", _("Give both a number and a period for a cap, or neither."))
        if data.get("points") == 0:
            self.add_error("points", _("Give the points: positive to earn, negative to deduct."))
        return data


class ObjectionForm(OnceForm):
    """An objection to a proposed entry during its 公示, recorded by staff for a resident."""

    reason = forms.CharField(
        label=_("What is wrong with this entry"),
        max_length=1000,
        widget=text_area(3),
        error_messages={"required": _("Say what is wrong with this entry.")},
    )
    contact_name = forms.CharField(
        label=_("Name of the person objecting"),
        required=False,
        max_length=50,
        help_text=_("Kept internal; pages show it masked."),
    )
    contact_phone = forms.CharField(
        label=_("Mobile number of the person objecting"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"}),
        help_text=_("To tell them the ruling. Never shown publicly."),
    )


class RulingForm(OnceForm):
    """A cadre's ruling on an objection, with the reasons on the record."""

    ruling = forms.TypedChoiceField(
        label=_("Ruling"),
        choices=[("upheld", _("Uphold: reject the entry")), ("dismissed", _("Dismiss: the entry stands"))],
        coerce=lambda value: value == "upheld",
        widget=forms.RadioSelect,
        error_messages={"required": _("Uphold or dismiss the objection.")},
    )
    note = forms.CharField(
        label=_("Reasons"),
        max_length=1000,
        widget=text_area(2),
        error_messages={"required": _("Give the reasons of the ruling: they stay on the record.")},
    )


class ConsentForm(OnceForm):
    """Record or withdraw a household's consent to be named on the published red list."""

    consent = forms.TypedChoiceField(
        choices=[("yes", "yes"), ("no", "no")], coerce=lambda value: value == "yes", widget=forms.HiddenInput
    )


def normalize_ref(value: str) -> str:
    """A 公示 reference as typed or read off paper: full-width letters folded, spaces and
    dashes dropped, upper case, the dash put back ("7um9 9ksv" → "7UM9-9KSV")."""
    letters = "".join(ch for ch in unicodedata.normalize("NFKC", value or "") if ch.isalnum()).upper()
    return f"{letters[:4]}-{letters[4:]}" if len(letters) == 8 else letters


class ObjectionRefForm(forms.Form):
    """The reference of the 公示 line to object to, typed in (from a printed notice)."""

    ref = forms.CharField(
        label=_("Reference of the entry"),
        max_length=20,
        widget=code_input("characters"),
        help_text=_("Printed on each line of the 公示, for example K7QF-2MXR."),
        error_messages={"required": _("Type in the entry's reference.")},
    )

    def clean_ref(self):
        return normalize_ref(self.cleaned_data["ref"])


class PublicObjectionForm(OnceForm):
    """An objection on the public 公示, without an account: the one-time token makes a double
    tap one objection."""

    reason = forms.CharField(
        label=_("What is wrong with this entry?"),
        max_length=1000,
        widget=text_area(4),
        help_text=_("E.g. it did not happen, it was someone else, the date is wrong."),
        error_messages={"required": _("Say what is wrong with this entry.")},
    )
    contact_name = forms.CharField(
        label=_("Your name"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_phone = forms.CharField(
        label=_("Your mobile number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"}),
        help_text=_("Only the village cadres see your name and number, to tell you the ruling. Never shown publicly."),
    )
