"""Forms of the matter pages. They parse and check input; petitions.services writes.

Every action form on a matter's page carries the action's name as its prefix, so that the
page can hold several forms (classify, reject, withdraw ...) without two fields sharing an
id, and each form posts to /matters/<id>/<action>/.
"""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from governance.forms import OnceForm, QuickSelect, date_input, search_input, text_area
from governance.limits import HEAD_COUNT_MAX
from grids.forms import GridChoiceField
from grids.idnumbers import validate_phone
from grids.models import Grid, Household, Resident, Village
from petitions import procedure, workflow
from petitions.models import (
    OPEN_STATES,
    STAFF_SOURCES,
    DecisionRule,
    Deliberation,
    EvaluationMethod,
    Kind,
    Matter,
    MatterCategory,
    Rating,
    State,
)

NAME_SEPARATORS = re.compile(r"[\n\r,，、;；]+")

STAFF_METHODS = EvaluationMethod.choices


def split_names(value: str) -> list[str]:
    """ "张三、李四，王五" or one name a line -> ["张三", "李四", "王五"]."""
    return [name.strip() for name in NAME_SEPARATORS.split(value or "") if name.strip()]


def end_of_day(day: datetime.date) -> datetime.datetime:
    """A deadline given as a day means the end of that (local) working day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59)))


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, category):
        return category.name


class HouseholdChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, household):
        head = household.head_name or _("no head registered")
        return f"{household.grid.name} · {household.number} {head}"


class MatterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, matter):
        return f"#{matter.pk} {matter.title} ({matter.get_state_display()})"


def active_categories():
    return MatterCategory.objects.filter(is_active=True).order_by("order", "code")


# ---------------------------------------------------------------- the list


class MatterFilterForm(forms.Form):
    """The matter list's search box and filters (GET). Invalid values are ignored."""

    OPEN = "open"
    UNCLASSIFIED = "unclassified"

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=50,
        widget=search_input(),
        help_text=_("Words from the title, or the matter's number (#12)."),
    )
    # QuickSelect: a township's hundred grids were a third of the list's time in templates.
    state = forms.ChoiceField(label=_("State"), required=False, widget=QuickSelect)
    kind = forms.ChoiceField(label=_("Kind"), required=False, widget=QuickSelect)
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=MatterCategory.objects.none(),
        required=False,
        empty_label=_("All categories"),
        widget=QuickSelect,
    )
    grid = GridChoiceField(
        label=_("Grid"), queryset=Grid.objects.none(), required=False, empty_label=_("All grids"), widget=QuickSelect
    )
    overdue = forms.BooleanField(label=_("Only overdue matters"), required=False)

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("All states")), (self.OPEN, _("Open (not finished)")), *State.choices]
        self.fields["kind"].choices = [
            ("", _("All kinds")),
            (self.UNCLASSIFIED, _("Not classified yet")),
            *Kind.choices,
        ]
        self.fields["category"].queryset = MatterCategory.objects.order_by("order", "code")
        # A filter with a single choice is noise on a phone: a grid worker sees no grid filter.
        if grids.count() > 1:
            self.fields["grid"].queryset = grids
        else:
            del self.fields["grid"]

    def filters(self) -> dict:
        """The valid filters only: a stale id in a bookmark must not break the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields if name not in self.errors}

    def api_query(self, filters: dict) -> dict:
        """The filters the API's FilterSet (petitions.filters.MatterFilter) applies, as its
        query: "open" is every open state; "not classified yet" is left to the page."""
        query = {}
        state = filters.get("state")
        if state:
            query["state"] = sorted(OPEN_STATES) if state == self.OPEN else [state]
        if filters.get("kind") and filters["kind"] != self.UNCLASSIFIED:
            query["kind"] = filters["kind"]
        for name in ("category", "grid"):
            if filters.get(name) is not None:
                query[name] = str(filters[name].pk)
        return query


# ---------------------------------------------------------------- 提: intake


class MatterCreateForm(OnceForm):
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        help_text=_("A few words, e.g. “the drain by the courtyard is blocked”."),
    )
    description = forms.CharField(
        label=_("What is the matter?"),
        widget=text_area(5),
        help_text=_("What happened, where, since when, who is affected, what the resident asks for."),
    )
    grid = GridChoiceField(label=_("Grid"), queryset=Grid.objects.none(), empty_label=_("Choose a grid"))
    household = HouseholdChoiceField(
        label=_("Household"),
        queryset=Household.objects.none(),
        required=False,
        empty_label=_("No particular household"),
    )
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=MatterCategory.objects.none(),
        required=False,
        empty_label=_("Not sure: the village classifies it"),
        help_text=_(
            "Similar open matters of the village are suggested as you type the title; the same category counts too."
        ),
    )
    source = forms.ChoiceField(label=_("How it came in"), choices=STAFF_SOURCES, widget=forms.RadioSelect)
    submitter_name = forms.CharField(label=_("Raised by (name)"), max_length=50)
    submitter_phone = forms.CharField(
        label=_("Their mobile phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("So that the village can call back. Shown masked to most people."),
    )
    on_behalf = forms.BooleanField(
        label=_("I am recording it on the resident's behalf (代办)"),
        required=False,
    )

    def __init__(self, *args, grids, households, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids
        self.fields["category"].queryset = active_categories()
        self.fixed_household = household
        if household is not None:
            # Raised from a household's page: the place is that household's.
            self.fields["household"].queryset = households.filter(pk=household.pk)
            self.fields["household"].empty_label = None
            self.fields["grid"].queryset = grids.filter(pk=household.grid_id)
            self.fields["grid"].empty_label = None
        elif households is None:
            del self.fields["household"]
        else:
            self.fields["household"].queryset = households
        self.fields["grid"].widget.attrs["data-grid-select"] = ""
        self.fields["category"].widget.attrs["data-category-select"] = ""

    def clean_title(self):
        return self.cleaned_data["title"].strip()

    def clean_submitter_phone(self):
        return validate_phone(self.cleaned_data["submitter_phone"])

    def clean(self):
        data = super().clean()
        household, grid = data.get("household"), data.get("grid")
        if household is not None and grid is not None and household.grid_id != grid.pk:
            self.add_error("household", _("This household is not in the chosen grid."))
        return data


# ---------------------------------------------------------------- the actions on a matter


class ActionForm(OnceForm):
    """One action on one matter. `matter` and `user` are given to every form."""

    action = ""

    def __init__(self, *args, matter: Matter, user, **kwargs):
        kwargs.setdefault("prefix", self.action)
        self.matter = matter
        self.user = user
        super().__init__(*args, **kwargs)

    def payload(self) -> dict:
        """The service's keyword arguments: the action's input fields (its serializer's, in
        petitions.workflow) that this form carries."""
        return {name: self.cleaned_data.get(name) for name in workflow.input_fields(self.action) if name in self.fields}


def _is_yes(value: str) -> bool:
    return value == "yes"


def decision_field(label, yes, no) -> forms.TypedChoiceField:
    """A yes-or-no decision of an action (approve, file, pass, uphold) as two radio buttons:
    the service is given a bool under the field's name (ActionForm.payload)."""
    return forms.TypedChoiceField(
        label=label, choices=[("yes", yes), ("no", no)], coerce=_is_yes, widget=forms.RadioSelect
    )


class _KindCategoryMixin(forms.Form):
    kind = forms.ChoiceField(label=_("Kind (三事分流)"), choices=Kind.choices, widget=forms.RadioSelect)
    category = CategoryChoiceField(
        label=_("Category"), queryset=MatterCategory.objects.none(), empty_label=_("Choose a category")
    )

    def _set_categories(self):
        categories = active_categories()
        self.fields["category"].queryset = categories
        # The page preselects the category's usual kind when the category changes (matters.js).
        self.fields["category"].widget.attrs["data-default-kinds"] = ";".join(
            f"{c.pk}:{c.default_kind}" for c in categories
        )
        self.fields["category"].widget.attrs["data-kind-for"] = self.add_prefix("kind")
        # A form sent back with its errors keeps the kind the classifier chose: the script
        # leaves a chosen kind alone when the category changes.
        if self.is_bound and self.data.get(self.add_prefix("kind")):
            self.fields["category"].widget.attrs["data-kind-chosen"] = ""


class ClassifyForm(_KindCategoryMixin, ActionForm):
    action = "classify"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_categories()
        self.fields["kind"].help_text = _(
            "民事: settled in the grid by consultation or mediation. 村事: decided by the village through "
            "the seven steps. 政事: reported up to the township."
        )
        category = self.matter.category
        if category is not None and category.is_active:
            self.initial.setdefault("category", category.pk)
            self.initial.setdefault("kind", category.default_kind)


class ReclassifyForm(_KindCategoryMixin, ActionForm):
    action = "reclassify"
    reason = forms.CharField(
        label=_("Why is it re-routed?"),
        widget=text_area(2),
        help_text=_("For example: the township returns it as a matter for the village."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_categories()
        self.fields["kind"].label = _("New kind")
        self.fields["category"].label = _("New category")
        if self.matter.category_id:
            self.initial.setdefault("category", self.matter.category_id)


class RejectForm(ActionForm):
    action = "reject"
    reason = forms.CharField(label=_("Why is it rejected?"), widget=text_area(2))
    duplicate_of = MatterChoiceField(
        label=_("It is a duplicate of"),
        queryset=Matter.objects.none(),
        required=False,
        empty_label=_("Not a duplicate"),
    )

    def __init__(self, *args, duplicates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if duplicates is None:
            del self.fields["duplicate_of"]
        else:
            self.fields["duplicate_of"].queryset = duplicates


class WithdrawForm(ActionForm):
    action = "withdraw"
    reason = forms.CharField(label=_("Why is it withdrawn?"), widget=text_area(2), required=False)


class DeliberateForm(ActionForm):
    """One deliberation record. `record` decides the fields: a 院坝会 (meeting), a mediation,
    a 七步走 step (`step`; with the vote's counts at step 5) or the township's review.
    Quorum and result are never asked: the app computes them from the counts."""

    action = "deliberate"

    held_on = forms.DateField(label=_("Held on"), widget=date_input())
    parties = forms.CharField(
        label=_("The parties"),
        widget=text_area(2),
        help_text=_("At least two names, one a line or separated by 、"),
    )
    facts = forms.CharField(label=_("The facts"), widget=text_area(3), required=False)
    agreed_terms = forms.CharField(label=_("What the parties agreed"), widget=text_area(3))
    signed_by = forms.CharField(
        label=_("Signed by"),
        widget=text_area(2),
        required=False,
        help_text=_("Who signed the agreement, one a line or separated by 、"),
    )
    body = forms.ChoiceField(label=_("Who voted"), choices=Deliberation.Body.choices, widget=forms.RadioSelect)
    entitled = forms.IntegerField(label=_("Entitled to attend"), min_value=1, max_value=HEAD_COUNT_MAX)
    present = forms.IntegerField(label=_("Present"), min_value=0, max_value=HEAD_COUNT_MAX)
    in_favour = forms.IntegerField(label=_("In favour"), min_value=0, max_value=HEAD_COUNT_MAX)
    against = forms.IntegerField(label=_("Against"), min_value=0, max_value=HEAD_COUNT_MAX)
    abstain = forms.IntegerField(label=_("Abstaining"), min_value=0, max_value=HEAD_COUNT_MAX)
    announced_on = forms.DateField(
        label=_("Announced on"),
        widget=date_input(),
        required=False,
        help_text=_("A villagers' meeting is announced at least 10 days ahead (村民委员会组织法 Art. 21)."),
    )
    urgent = forms.BooleanField(label=_("Urgent: announced at shorter notice"), required=False)
    urgent_reason = forms.CharField(
        label=_("Why it could not wait"),
        max_length=200,
        required=False,
        help_text=_("Required when the meeting was announced fewer than 10 days ahead."),
    )
    summary = forms.CharField(label=_("Minutes"), widget=text_area(5))
    attendees = forms.CharField(
        label=_("Who attended"),
        widget=text_area(2),
        required=False,
        help_text=_("Names, one a line or separated by 、"),
    )
    participants = forms.ModelMultipleChoiceField(
        label=_("Residents of the household who took part"),
        queryset=Resident.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # Asked only when the minutes repeat a record's word for word (ask_to_confirm_duplicate).
    confirm_duplicate = forms.BooleanField(
        label=_("Save it all the same: this is another meeting"),
        required=False,
        widget=forms.HiddenInput,
        help_text=_("Leave it unticked if the form was sent twice by mistake: nothing more is saved."),
    )

    VOTE_FIELDS = ("body", "entitled", "present", "in_favour", "against", "abstain")
    NOTICE_FIELDS = ("announced_on", "urgent", "urgent_reason")
    ATTENDANCE_FIELDS = ("entitled", "present")
    MEDIATION_FIELDS = ("parties", "facts", "agreed_terms", "signed_by")

    def __init__(self, *args, record: str, step: int | None = None, members=None, **kwargs):
        kwargs.setdefault("prefix", f"{record}{step or ''}")
        super().__init__(*args, **kwargs)
        self.record, self.step = record, step
        self.initial.setdefault("held_on", timezone.localdate())
        for name in self.fields["entitled"], self.fields["present"]:
            name.widget.attrs["inputmode"] = "numeric"
        for name in ("in_favour", "against", "abstain"):
            self.fields[name].widget.attrs["inputmode"] = "numeric"
        drop = []
        if record != Deliberation.Kind.MEDIATION:
            drop += self.MEDIATION_FIELDS
        if not (record == Deliberation.Kind.STEP and step == procedure.VOTE_STEP):
            drop += self.NOTICE_FIELDS
            keep = self.ATTENDANCE_FIELDS if record == Deliberation.Kind.STEP and step == procedure.PARTY_STEP else ()
            drop += [name for name in self.VOTE_FIELDS if name not in keep]
        if record == Deliberation.Kind.REVIEW:
            drop += ["attendees"]
            self.fields["summary"].label = _("Review opinion")
            self.fields["summary"].help_text = _(
                "Accepted as a government matter, and which department should handle it."
            )
            self.fields["held_on"].label = _("Reviewed on")
        if record == Deliberation.Kind.MEDIATION:
            self.fields["summary"].label = _("How the mediation went")
        if record == Deliberation.Kind.STEP and step == 5:
            self.fields["summary"].label = _("Minutes of the vote")
            if procedure.decision_rule(self.matter) == DecisionRule.COMPACT:
                # The villagers' meeting alone adopts a compact (procedure.body_refusal): offer only it.
                choices = self.fields["body"].choices
                self.fields["body"].choices = [(v, label) for v, label in choices if v in procedure.VILLAGERS_MEETINGS]
        if record == Deliberation.Kind.STEP and step == procedure.PARTY_STEP:
            self.fields["entitled"].label = _("Party members of the branch")
            self.fields["present"].label = _("Party members present")
        if members is None or record == Deliberation.Kind.REVIEW:
            drop.append("participants")
        else:
            self.fields["participants"].queryset = members
        for name in drop:
            del self.fields[name]
        self.duplicate_record = None

    def ask_to_confirm_duplicate(self, record) -> None:
        """The minutes repeat `record`'s: show the form again, every value kept, with the box
        that records them all the same."""
        self.duplicate_record = record
        self.fields["confirm_duplicate"].widget = forms.CheckboxInput()

    COUNT_FIELDS = ("entitled", "present", "in_favour", "against", "abstain")

    def field_groups(self) -> tuple[list, list, list]:
        """(fields before the vote's counts, the counts, fields after): the page sets the five
        short numbers side by side."""
        before, counts, after = [], [], []
        for field in self.visible_fields():
            if field.name in self.COUNT_FIELDS:
                counts.append(field)
            else:
                (after if counts else before).append(field)
        return before, counts, after

    def clean_held_on(self):
        held_on = self.cleaned_data["held_on"]
        if held_on > timezone.localdate():
            raise ValidationError(_("A meeting cannot be held in the future."))
        return held_on

    def clean(self):
        data = super().clean()
        if self.step == procedure.PARTY_STEP and "present" in self.fields:
            for field, message in procedure.attendance_errors(data).items():
                if field not in self.errors:
                    self.add_error(field, message)
        elif "present" in self.fields:
            for field, message in procedure.vote_count_errors(data).items():
                self.add_error(field, message)
        return data

    def payload(self) -> dict:
        """The keyword arguments of services.matter_deliberate."""
        data = self.cleaned_data
        payload = {
            "kind": self.record,
            "held_on": data["held_on"],
            "summary": data["summary"],
            "attendees": split_names(data.get("attendees", "")),
            "participants": list(data.get("participants") or []),
            "confirm_duplicate": bool(data.get("confirm_duplicate")),
        }
        if self.record == Deliberation.Kind.MEDIATION:
            payload.update(
                parties=split_names(data["parties"]),
                facts=data.get("facts", ""),
                agreed_terms=data["agreed_terms"],
                signed_by=split_names(data.get("signed_by", "")),
            )
        if self.record == Deliberation.Kind.STEP:
            payload["step"] = self.step
            if self.step == procedure.PARTY_STEP:
                payload.update({name: data[name] for name in self.ATTENDANCE_FIELDS})
            if self.step == procedure.VOTE_STEP:
                payload.update({name: data[name] for name in self.VOTE_FIELDS})
                payload.update({name: data.get(name) for name in self.NOTICE_FIELDS})
                payload["urgent_reason"] = payload["urgent_reason"] or ""
        return payload


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, department):
        return department.name


class HandleForm(ActionForm):
    action = "handle"
    handler = UserChoiceField(label=_("Who handles it"), queryset=None, empty_label=_("Choose a person"))
    department = DepartmentChoiceField(
        label=_("Department of the township"), queryset=None, empty_label=_("Choose a department")
    )
    deadline = forms.DateField(
        label=_("Deadline"),
        required=False,
        widget=date_input(),
        help_text=_("Leave empty to use the time limit for this kind of matter."),
    )

    def __init__(self, *args, handlers=None, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is not None:
            del self.fields["handler"]
            self.fields["department"].queryset = departments
        else:
            del self.fields["department"]
            self.fields["handler"].queryset = handlers
            if handlers.filter(pk=self.user.pk).exists():
                self.fields["handler"].help_text = _("You may assign it to yourself.")

    def clean_deadline(self):
        day = self.cleaned_data["deadline"]
        if day is not None and day < timezone.localdate():
            raise ValidationError(_("The deadline must be in the future."))
        return day

    def payload(self) -> dict:
        data = self.cleaned_data
        return {
            "handler": data.get("handler"),
            "department": data.get("department"),
            "deadline": end_of_day(data["deadline"]) if data.get("deadline") else None,
        }


class TownshipApprovalForm(ActionForm):
    action = "township_approval"
    approve = decision_field(
        _("The township's decision"),
        _("Approved: the village may carry it out"),
        _("Refused: back to the village"),
    )
    reason = forms.CharField(label=_("Reason"), widget=text_area(2))


class RecordFilingForm(ActionForm):
    action = "record_filing"
    filed = decision_field(
        _("Filed (备案) or returned"),
        _("Filed (备案): the compact comes into force"),
        _("Returned: the village amends it and votes again"),
    )
    filed_on = forms.DateField(label=_("Filed on"), widget=date_input(), required=False)
    reason = forms.CharField(
        label=_("Reason or note"),
        widget=text_area(2),
        required=False,
        help_text=_("Required when the compact is returned: what the village must change."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("filed_on", timezone.localdate())

    def clean(self):
        data = super().clean()
        if data.get("filed") is False and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the compact is returned: the village amends it."))
        return data


class ReportForm(ActionForm):
    action = "report"
    result = forms.CharField(
        label=_("What was done"),
        widget=text_area(5),
        help_text=_("The result as it will be shown to the resident and checked by the verifier."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.matter.kind == Kind.VILLAGE:
            self.fields["result"].label = _("Result of the implementation (step 7: 实施结果公开)")


class SignForm(ActionForm):
    action = "sign"


class SendBackForm(ActionForm):
    action = "send_back"
    reason = forms.CharField(
        label=_("Why is it not your department's?"),
        widget=text_area(3),
        help_text=_("Whoever assigned it is told, and assigns it again."),
    )


class VerifyForm(ActionForm):
    action = "verify"
    passed = decision_field(
        _("Is the result accepted?"),
        _("Passed: the result is accepted"),
        _("Not passed: back to the handler"),
    )
    note = forms.CharField(
        label=pgettext_lazy("verification", "Note"),
        widget=text_area(2),
        required=False,
        help_text=_("What you checked; if not passed, what is still wrong."),
    )


class EvaluateForm(ActionForm):
    action = "evaluate"
    rating = forms.ChoiceField(label=_("The resident's answer"), choices=Rating.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("What the resident said"),
        widget=text_area(2),
        required=False,
        help_text=_(
            "Required when the resident is not satisfied: the level above reviews the matter (复查), once; "
            "after a review it is closed on the record."
        ),
    )
    method = forms.ChoiceField(
        label=_("How the answer reached you"),
        choices=STAFF_METHODS,
        widget=forms.RadioSelect,
    )
    # A comment is required when the resident is not satisfied: the service says so, next to
    # the field (petitions.services._evaluate), for this form, the public one and the API.


class RequestReviewForm(ActionForm):
    action = "request_review"
    reason = forms.CharField(
        label=_("What the resident still finds wrong"),
        widget=text_area(2),
        help_text=_("The resident's request for a review one level up (复查), once per matter."),
    )
    method = forms.ChoiceField(label=_("How the answer reached you"), choices=STAFF_METHODS, widget=forms.RadioSelect)


class DecideReviewForm(ActionForm):
    action = "decide_review"
    upheld = decision_field(
        _("Does the result stand?"),
        _("Upheld: the result stands and the matter closes"),
        _("Not upheld: it is handled again"),
    )
    reason = forms.CharField(label=_("Reasons"), widget=text_area(3), help_text=_("The resident is told them."))


class RequestExtensionForm(ActionForm):
    action = "request_extension"
    deadline = forms.DateField(
        label=_("Later deadline"),
        required=False,
        widget=date_input(),
        help_text=_("Or tick the pause below instead."),
    )
    pause = forms.BooleanField(
        label=_("Pause the clock instead (waiting for the resident or a third party)"), required=False
    )
    reason = forms.CharField(label=_("Why more time is needed"), widget=text_area(2))

    def payload(self) -> dict:
        data = self.cleaned_data
        day = data.get("deadline")
        return {
            "deadline": end_of_day(day) if day else None,
            "pause": bool(data.get("pause")),
            "reason": data["reason"],
        }


class DecideExtensionForm(ActionForm):
    action = "decide_extension"
    approve = decision_field(_("Your decision"), _("Approve"), _("Refuse"))
    reason = forms.CharField(label=_("Reasons"), widget=text_area(2))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.matter.pending_extension if self.matter.pending_extension_id else None
        if request is not None:
            if request.deadline:
                asked = _("Asked for: a deadline of %(day)s.") % {
                    "day": f"{timezone.localtime(request.deadline):%Y-%m-%d}"
                }
            else:
                asked = _("Asked for: a pause of the clock.")
            self.fields["approve"].help_text = f"{asked} {request.reason}"


class SuperviseForm(ActionForm):
    action = "supervise"
    note = forms.CharField(
        label=_("Supervision note (督办)"),
        widget=text_area(2),
        help_text=_("The next actor is told. The matter's state does not change."),
    )


class PhotoForm(OnceForm):
    image = forms.FileField(
        label=_("Photo"),
        help_text=_("JPEG, PNG or WebP, at most 8 MB. Location and camera details are removed."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )


class PauseForm(OnceForm):
    reason = forms.CharField(label=_("What are you waiting for?"), max_length=200)


class ResumeForm(OnceForm):
    pass


# ---------------------------------------------------------------- the village compact (村规民约)


class CompactDraftForm(OnceForm):
    """Start the next version of a village's compact (the village among the cadre's)."""

    village = forms.ModelChoiceField(label=_("Village"), queryset=Village.objects.none(), widget=forms.HiddenInput)

    def __init__(self, *args, villages, **kwargs):
        kwargs.setdefault("prefix", "draft")
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class CompactVersionForm(OnceForm):
    """A draft's title and preamble."""

    title = forms.CharField(label=_("Title"), max_length=200)
    preamble = forms.CharField(
        label=_("Preamble"),
        widget=text_area(3),
        required=False,
        help_text=_("Why the village adopts these rules, and for whom they hold."),
    )


class CompactArticleForm(OnceForm):
    """An article's heading and text."""

    title = forms.CharField(
        label=_("Heading"), max_length=100, required=False, help_text=_("A few words, e.g. 环境卫生.")
    )
    text = forms.CharField(label=_("Text of the article"), widget=text_area(4))


class CompactStepForm(OnceForm):
    """A button that changes a draft once (remove or move an article)."""


class CompactProposeForm(OnceForm):
    """Put the version to the village: a new 村事, or an open one of a compact category."""

    matter = MatterChoiceField(
        label=_("The village matter (村事) that decides it"),
        queryset=Matter.objects.none(),
        required=False,
        empty_label=_("Record a new village matter for it"),
        help_text=_("Or choose an open matter of the compact's category that has not been voted on yet."),
    )

    def __init__(self, *args, matters, **kwargs):
        kwargs.setdefault("prefix", "propose")
        super().__init__(*args, **kwargs)
        self.fields["matter"].queryset = matters
