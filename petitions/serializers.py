"""API serializers for matters (事项).

Output serializers show what the caller may see: the submitter's phone in full only to those
who act on the matter (its classifiers, its owner, its handler), the tracking code (the
submitter's key to the public page) only to the staff member who recorded the matter and to
the village's classifiers. Lists are rendered by hand, as in grids.serializers; the declared
fields still describe the schema.

Input serializers check the shape of a request; the services in petitions.services check
the rest and write. The public serializers show a matter's progress with no personal data:
no names, no phone numbers, no minutes.
"""

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from governance.api_input import InputSerializer
from governance.limits import HEAD_COUNT_MAX
from governance.models import Department
from governance.scoping import scope_for
from governance.serializers import PhotoSerializer as PhotoSerializer  # the matters API names it here
from governance.serializers import choice_labels, person_name, render_date, render_datetime
from grids.idnumbers import validate_phone
from grids.models import Grid, Household, Resident, Village
from grids.selectors import households_visible_to, residents_visible_to
from grids.serializers import VisibleGridField
from petitions import deadlines, procedure, workflow
from petitions.models import (
    STAFF_SOURCES,
    Approval,
    CalendarDay,
    ClockLimit,
    DecisionRule,
    Deliberation,
    EvaluationMethod,
    Kind,
    Matter,
    MatterCategory,
    MatterEvent,
    Rating,
    Source,
    State,
    TimeLimit,
)
from petitions.procedure import VILLAGE_STEPS
from petitions.selectors import handler_candidates, matters_visible_to


def _labels(context: dict) -> dict[str, dict[str, str]]:
    return choice_labels(
        context,
        "_matter_labels",
        {
            "state": State,
            "kind": Kind,
            "source": Source,
            "rating": Rating,
            "deliberation": Deliberation.Kind,
            "body": Deliberation.Body,
        },
    )


class MatterCategorySerializer(serializers.ModelSerializer):
    default_kind_label = serializers.CharField(source="get_default_kind_display", read_only=True)

    class Meta:
        model = MatterCategory
        fields = ["id", "code", "name", "default_kind", "default_kind_label", "decision_rule", "order", "is_active"]
        read_only_fields = fields


class MatterCategoryInputSerializer(InputSerializer):
    """A category as the superuser creates or changes it (petitions.catalogue_services)."""

    code = serializers.SlugField(max_length=40)
    name = serializers.CharField(max_length=60)
    default_kind = serializers.ChoiceField(choices=Kind.choices)
    decision_rule = serializers.ChoiceField(choices=DecisionRule.choices, required=False)
    order = serializers.IntegerField(min_value=0, max_value=9999, required=False)
    is_active = serializers.BooleanField(required=False, help_text=_("False: deactivated, no longer offered."))

    def to_representation(self, instance):
        return MatterCategorySerializer(instance).data


class TimeLimitSerializer(serializers.ModelSerializer):
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = TimeLimit
        fields = ["id", "stage", "stage_label", "kind", "kind_label", "category", "working_days"]
        read_only_fields = fields


class TimeLimitInputSerializer(InputSerializer):
    """A time limit: the working days of a stage for a kind, and one category or (null) every
    category without its own. The service checks the range (1 to 365) and duplicates."""

    stage = serializers.ChoiceField(choices=TimeLimit.Stage.choices, required=False)
    kind = serializers.ChoiceField(choices=Kind.choices)
    category = serializers.PrimaryKeyRelatedField(
        queryset=MatterCategory.objects.all(), allow_null=True, required=False
    )
    working_days = serializers.IntegerField()

    def to_representation(self, instance):
        return TimeLimitSerializer(instance).data


class ClockLimitSerializer(serializers.Serializer):
    clock = serializers.ChoiceField(choices=ClockLimit.Clock.choices)
    label = serializers.CharField()
    working_days = serializers.IntegerField()
    is_default = serializers.BooleanField(help_text=_("True: the built-in limit, none is set."))


class CalendarDaySerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarDay
        fields = ["id", "date", "is_workday", "name"]
        read_only_fields = fields


class CalendarDayInputSerializer(InputSerializer):
    """A holiday (is_workday false) or a make-up working day (true) on one date."""

    date = serializers.DateField()
    is_workday = serializers.BooleanField()
    name = serializers.CharField(max_length=60, required=False, allow_blank=True)

    def to_representation(self, instance):
        return CalendarDaySerializer(instance).data


class _CategoryBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class MatterSerializer(serializers.Serializer):
    """A matter in a list: what it is, where, in which step, and how late."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=State.choices)
    state_label = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices, allow_blank=True, help_text=_("Empty until classified."))
    kind_label = serializers.CharField()
    category = _CategoryBriefSerializer(allow_null=True)
    township = serializers.IntegerField()
    village = serializers.IntegerField()
    village_name = serializers.CharField()
    grid = serializers.IntegerField(allow_null=True)
    grid_name = serializers.CharField(allow_null=True)
    household = serializers.IntegerField(allow_null=True)
    household_number = serializers.CharField(allow_null=True)
    source = serializers.ChoiceField(choices=Source.choices)
    handler = serializers.IntegerField(allow_null=True)
    handler_name = serializers.CharField(allow_null=True)
    department = serializers.IntegerField(allow_null=True)
    department_name = serializers.CharField(allow_null=True)
    deadline = serializers.DateTimeField(allow_null=True)
    is_overdue = serializers.BooleanField()
    escalation_level = serializers.IntegerField()
    reopen_count = serializers.IntegerField()
    rating = serializers.ChoiceField(choices=Rating.choices, allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, obj):
        # By hand: a page is 50 rows, and the choice labels are translated once per page. A
        # list reads its rows as MATTER_LIST_VALUES (no model instances: seven per row with
        # their joins); one matter (the detail) is turned into the same row first.
        row = obj if isinstance(obj, dict) else matter_list_row(obj)
        labels = _labels(self.context)
        category = row["category_id"]
        handler = row["handler_id"]
        return {
            "id": row["id"],
            "title": row["title"],
            "state": row["state"],
            "state_label": labels["state"].get(row["state"], ""),
            "kind": row["kind"],
            "kind_label": labels["kind"].get(row["kind"], ""),
            "category": {"id": category, "code": row["category__code"], "name": row["category__name"]}
            if category
            else None,
            "township": row["township_id"],
            "village": row["village_id"],
            "village_name": row["village__name"],
            "grid": row["grid_id"],
            "grid_name": row["grid__name"] if row["grid_id"] else None,
            "household": row["household_id"],
            "household_number": row["household__number"] if row["household_id"] else None,
            "source": row["source"],
            "handler": handler,
            "handler_name": (
                f"{row['handler__first_name']} {row['handler__last_name']}".strip() or row["handler__username"]
            )
            if handler
            else None,
            "department": row["department_id"],
            "department_name": row["department__name"] if row["department_id"] else None,
            "deadline": render_datetime(row["deadline"]),
            "is_overdue": row["is_overdue"],
            "escalation_level": row["escalation_level"],
            "reopen_count": row["reopen_count"],
            "rating": row["rating"],
            "created_at": render_datetime(row["created_at"]),
            "updated_at": render_datetime(row["updated_at"]),
            "closed_at": render_datetime(row["closed_at"]),
        }


# What a matter in a list reads (queryset.values(*MATTER_LIST_VALUES)); the handler's name as
# governance.serializers.person_name gives it (User.get_full_name, else the username).
MATTER_LIST_VALUES = (
    *("id", "title", "state", "kind", "source", "township_id", "village_id", "grid_id", "household_id"),
    *("category_id", "category__code", "category__name", "village__name", "grid__name", "household__number"),
    *("handler_id", "handler__first_name", "handler__last_name", "handler__username"),
    *("department_id", "department__name", "deadline", "is_overdue", "escalation_level", "reopen_count"),
    *("rating", "created_at", "updated_at", "closed_at"),
)


def matter_list_row(matter: Matter) -> dict:
    """A loaded matter as the row MATTER_LIST_VALUES reads (its relations already joined)."""
    row = {}
    for name in MATTER_LIST_VALUES:
        value = matter
        for part in name.split("__"):
            value = getattr(value, part, None) if value is not None else None
        row[name] = value
    return row


class DeliberationSerializer(serializers.Serializer):
    """A deliberation record. Quorum and result are computed by the app from the counts."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Deliberation.Kind.choices)
    kind_label = serializers.CharField()
    held_on = serializers.DateField()
    summary = serializers.CharField()
    attendees = serializers.ListField(child=serializers.CharField())
    participants = serializers.ListField(child=serializers.DictField(), help_text=_("Residents: id and name."))
    parties = serializers.ListField(child=serializers.CharField())
    facts = serializers.CharField()
    agreed_terms = serializers.CharField()
    signed_by = serializers.ListField(child=serializers.CharField())
    step = serializers.IntegerField(allow_null=True)
    step_label = serializers.CharField(allow_null=True)
    body = serializers.ChoiceField(choices=Deliberation.Body.choices, allow_blank=True)
    body_label = serializers.CharField()
    entitled = serializers.IntegerField(allow_null=True)
    present = serializers.IntegerField(allow_null=True)
    in_favour = serializers.IntegerField(allow_null=True)
    against = serializers.IntegerField(allow_null=True)
    abstain = serializers.IntegerField(allow_null=True)
    announced_on = serializers.DateField(allow_null=True, help_text=_("A villagers' meeting: when it was announced."))
    urgent = serializers.BooleanField()
    urgent_reason = serializers.CharField()
    decision_rule = serializers.ChoiceField(
        choices=DecisionRule.choices, allow_blank=True, help_text=_("Step 5: the rule the vote was counted under.")
    )
    quorum_met = serializers.BooleanField(allow_null=True)
    carried = serializers.BooleanField(allow_null=True)
    recorded_by = serializers.IntegerField()
    recorded_by_name = serializers.CharField()
    created_at = serializers.DateTimeField()

    def to_representation(self, obj):
        labels = _labels(self.context)
        return {
            "id": obj.pk,
            "kind": obj.kind,
            "kind_label": labels["deliberation"].get(obj.kind, ""),
            "held_on": render_date(obj.held_on),
            "summary": obj.summary,
            "attendees": obj.attendees,
            "participants": [{"id": r.pk, "name": r.name} for r in obj.participants.all()],
            "parties": obj.parties,
            "facts": obj.facts,
            "agreed_terms": obj.agreed_terms,
            "signed_by": obj.signed_by,
            "step": obj.step,
            "step_label": str(VILLAGE_STEPS[obj.step]) if obj.step else None,
            "body": obj.body,
            "body_label": labels["body"].get(obj.body, ""),
            "entitled": obj.entitled,
            "present": obj.present,
            "in_favour": obj.in_favour,
            "against": obj.against,
            "abstain": obj.abstain,
            "announced_on": render_date(obj.announced_on),
            "urgent": obj.urgent,
            "urgent_reason": obj.urgent_reason,
            "decision_rule": obj.decision_rule,
            "quorum_met": obj.quorum_met,
            "carried": obj.carried,
            "recorded_by": obj.recorded_by_id,
            "recorded_by_name": person_name(obj.recorded_by),
            "created_at": render_datetime(obj.created_at),
        }


# One rule each for the page and the API (petitions.workflow).
may_see_contact = workflow.may_see_contact
may_see_tracking_code = workflow.may_see_tracking_code


class MatterDetailSerializer(MatterSerializer):
    """One matter in full, with its deliberation records and the caller's possible actions."""

    description = serializers.CharField()
    source_label = serializers.CharField()
    submitter_name = serializers.CharField()
    submitter_phone = serializers.CharField(
        help_text=_("In full to the matter's classifiers, owner and handler; masked for everyone else.")
    )
    on_behalf = serializers.BooleanField()
    created_by = serializers.IntegerField(allow_null=True)
    created_by_name = serializers.CharField(allow_null=True)
    tracking_code = serializers.CharField(
        allow_null=True, help_text=_("Only to the staff member who recorded it and the village's classifiers.")
    )
    assigned_by = serializers.IntegerField(allow_null=True)
    result = serializers.CharField()
    reported_by = serializers.IntegerField(allow_null=True)
    rating_label = serializers.CharField()
    evaluation_comment = serializers.CharField()
    evaluation_method = serializers.ChoiceField(choices=EvaluationMethod.choices, allow_blank=True)
    verified_by = serializers.IntegerField(allow_null=True)
    review_requested_at = serializers.DateTimeField(allow_null=True, help_text=_("复查 asked for (once)."))
    review_upheld = serializers.BooleanField(allow_null=True)
    pending_extension = serializers.DictField(
        allow_null=True, help_text=_("The extension request waiting for a decision: kind, deadline, reason, by.")
    )
    duplicate_of = serializers.IntegerField(allow_null=True)
    reject_reason = serializers.CharField()
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(workflow.OFFERED)),
        help_text=_("The actions the caller may take now (POST /api/v1/matters/{id}/{action}/)."),
    )
    deliberations = DeliberationSerializer(many=True)
    accept_by = serializers.DateTimeField(allow_null=True, help_text=_("While acceptance (受理) is pending."))
    sign_by = serializers.DateTimeField(allow_null=True, help_text=_("A department signs for it (签收) by then."))
    signed_at = serializers.DateTimeField(allow_null=True)
    decision_rule = serializers.ChoiceField(
        choices=DecisionRule.choices, help_text=_("How the matter is decided (its category's rule; simple if none).")
    )
    township_approval = serializers.ChoiceField(
        choices=Approval.choices, allow_blank=True, help_text=_("A land contract adjustment: the township's decision.")
    )
    township_approval_reason = serializers.CharField()
    filed_on = serializers.DateField(allow_null=True, help_text=_("A village compact: filed with the township (备案)."))
    filing_note = serializers.CharField()
    filing_returned_at = serializers.DateTimeField(
        allow_null=True, help_text=_("A village compact returned by the township: it waits for a new vote.")
    )

    def to_representation(self, obj):
        user = self.context["request"].user
        labels = _labels(self.context)
        data = super().to_representation(obj)
        data.update(
            {
                "description": obj.description,
                "source_label": labels["source"].get(obj.source, ""),
                "submitter_name": obj.submitter_name,
                "submitter_phone": obj.submitter_phone if may_see_contact(user, obj) else obj.submitter_phone_masked,
                "on_behalf": obj.on_behalf,
                "created_by": obj.created_by_id,
                "created_by_name": person_name(obj.created_by) if obj.created_by_id else None,
                "tracking_code": obj.tracking_code if may_see_tracking_code(user, obj) else None,
                "assigned_by": obj.assigned_by_id,
                "result": obj.result,
                "reported_by": obj.reported_by_id,
                "rating_label": labels["rating"].get(obj.rating, ""),
                "evaluation_comment": obj.evaluation_comment,
                "evaluation_method": obj.evaluation_method,
                "verified_by": obj.verified_by_id,
                "review_requested_at": render_datetime(obj.review_requested_at),
                "review_upheld": obj.review_upheld,
                "pending_extension": _extension(obj.pending_extension) if obj.pending_extension_id else None,
                "duplicate_of": obj.duplicate_of_id,
                "reject_reason": obj.reject_reason,
                "actions": workflow.available_actions(user, obj),
                "deliberations": DeliberationSerializer(obj.deliberations.all(), many=True, context=self.context).data,
                "decision_rule": procedure.decision_rule(obj),
                "township_approval": obj.township_approval,
                "township_approval_reason": obj.township_approval_reason,
                "filed_on": render_date(obj.filed_on),
                "filing_note": obj.filing_note,
                "filing_returned_at": render_datetime(obj.filing_returned_at),
                "time_limit_days": obj.time_limit_days,
                "time_left_hours": _hours(deadlines.time_left(obj)),
                "escalation_level": obj.escalation_level,
                "paused_at": render_datetime(obj.paused_at),
                "accept_by": render_datetime(obj.accept_by),
                "sign_by": render_datetime(obj.sign_by),
                "signed_at": render_datetime(obj.signed_at),
                "pause_reason": obj.pause_reason,
                "photos": [
                    {"id": p.pk, "url": f"/matter-photos/{p.pk}/", "width": p.width, "height": p.height}
                    for p in obj.photos.all()
                ],
            }
        )
        return data


def _extension(request) -> dict:
    return {
        "id": request.pk,
        "kind": request.kind,
        "deadline": render_datetime(request.deadline),
        "reason": request.reason,
        "requested_by": request.requested_by_id,
        "requested_at": render_datetime(request.requested_at),
    }


def _hours(delta) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 3600, 1)


class PauseSerializer(InputSerializer):
    reason = serializers.CharField(max_length=200, help_text=_("What the clock waits for (materials, a site visit)."))


class ResumeSerializer(InputSerializer):
    pass


class FiguresSerializer(serializers.Serializer):
    on_time = serializers.ListField(child=serializers.DictField())
    time_per_step = serializers.ListField(child=serializers.DictField())
    returns = serializers.ListField(
        child=serializers.DictField(),
        help_text=_("Matters sent back (退回) per department: [{id, name, returns}], a misrouting figure."),
    )


class PossibleDuplicateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=State.choices)
    created_at = serializers.DateTimeField()
    similarity = serializers.FloatField(
        allow_null=True, help_text=_("How alike the texts are, 0 to 1 (null where it is not measured).")
    )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data["similarity"] is not None:
            data["similarity"] = round(data["similarity"], 2)
        return data


class MatterCreatedSerializer(MatterDetailSerializer):
    possible_duplicates = PossibleDuplicateSerializer(
        many=True,
        help_text=_(
            "Open matters of the same village, seen by the caller, whose title and description resemble "
            "the new one's: a suggestion, most alike first, at most five."
        ),
    )


class MatterEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    actor = serializers.IntegerField(allow_null=True)
    actor_name = serializers.CharField(help_text=_('The staff member, or "submitter" or "system".'))
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    from_state_label = serializers.CharField()
    to_state_label = serializers.CharField()
    payload = serializers.DictField()
    created_at = serializers.DateTimeField()

    def to_representation(self, obj):
        states = _labels(self.context)["state"]
        return {
            "id": obj.pk,
            "action": obj.action,
            "actor": obj.actor_id,
            "actor_name": person_name(obj.actor) if obj.actor_id else (obj.actor_label or "system"),
            "from_state": obj.from_state,
            "to_state": obj.to_state,
            "from_state_label": states.get(obj.from_state, ""),
            "to_state_label": states.get(obj.to_state, ""),
            "payload": obj.payload,
            "created_at": render_datetime(obj.created_at),
        }


# ---------------------------------------------------------------- input


def category_lookup(value: str) -> dict:
    """A category's id (digits) or code, as a lookup; an id too long for the column matches nothing."""
    if value.isascii() and value.isdigit():
        return {"pk": int(value)} if len(value) <= 18 else {"pk__in": []}
    return {"code": value}


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "The category's id or code."})
class CategoryField(serializers.RelatedField):
    """A category by id or by code."""

    default_error_messages = {
        "does_not_exist": _("No category “{value}”."),
        "incorrect_type": _("Give the category's id or code."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", MatterCategory.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type")
        value = str(data).strip()
        try:
            return self.get_queryset().get(**category_lookup(value))
        except MatterCategory.DoesNotExist:
            self.fail("does_not_exist", value=value)

    def to_representation(self, value):
        return value.pk


class _VisibleHouseholdField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return households_visible_to(self.context["request"].user)


class MatterTargetSerializer(InputSerializer):
    """Where a staff-recorded matter belongs: checked first, against the caller's scope."""

    grid = VisibleGridField(queryset=Grid.objects.all(), label=_("grid"))
    household = _VisibleHouseholdField(queryset=Household.objects.none(), required=False, allow_null=True)


# Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"], as is DELIBERATION_KINDS.
DELIBERATION_KINDS = Deliberation.Kind.choices


class _SubmitterPhoneMixin:
    def validate_submitter_phone(self, value):
        return validate_phone(value)


class MatterCreateSerializer(_SubmitterPhoneMixin, MatterTargetSerializer):
    title = serializers.CharField(max_length=120, label=_("title"))
    description = serializers.CharField(label=_("description"))
    category = CategoryField(required=False, allow_null=True)
    source = serializers.ChoiceField(choices=STAFF_SOURCES, label=_("source"))
    submitter_name = serializers.CharField(max_length=50, label=_("submitter's name"))
    submitter_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    on_behalf = serializers.BooleanField(
        required=False, default=False, help_text=_("Recorded for the resident (代办).")
    )


class ClassifySerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    category = CategoryField(help_text=_("The category's id or code."))


class ReclassifySerializer(ClassifySerializer):
    reason = serializers.CharField()


class _VisibleMatterField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return matters_visible_to(self.context["request"].user)


class RejectSerializer(InputSerializer):
    reason = serializers.CharField()
    duplicate_of = _VisibleMatterField(
        queryset=Matter.objects.none(), required=False, allow_null=True, help_text=_("The matter this one repeats.")
    )


class WithdrawSerializer(InputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class _VisibleResidentField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return residents_visible_to(self.context["request"].user)


def _names(**kwargs):
    return serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list, **kwargs)


def _count(**kwargs):
    return serializers.IntegerField(
        min_value=0, max_value=HEAD_COUNT_MAX, required=False, allow_null=True, default=None, **kwargs
    )


COMPUTED_VOTE_FIELDS = ("quorum_met", "carried", "quorum", "result")


class DeliberateSerializer(InputSerializer):
    """A deliberation record. For a 村事 vote (step 5) send the counts; quorum and result are
    computed by the app and refused if sent."""

    kind = serializers.ChoiceField(choices=Deliberation.Kind.choices)
    held_on = serializers.DateField()
    summary = serializers.CharField(help_text=_("The minutes."))
    attendees = _names(help_text=_("Names of those present."))
    participants = _VisibleResidentField(
        queryset=Resident.objects.none(),
        many=True,
        required=False,
        default=list,
        help_text=_("Residents who took part (ids of residents the caller sees)."),
    )
    parties = _names(help_text=_("Mediation: the parties."))
    facts = serializers.CharField(required=False, allow_blank=True, default="")
    agreed_terms = serializers.CharField(required=False, allow_blank=True, default="")
    signed_by = _names(help_text=_("Mediation: who signed the agreement."))
    step = serializers.IntegerField(
        min_value=1, max_value=6, required=False, allow_null=True, default=None, help_text=_("村事: step 1 to 6.")
    )
    body = serializers.ChoiceField(
        choices=Deliberation.Body.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Step 5: who votes."),
    )
    entitled = _count(help_text=_("Step 5: entitled to attend; step 4: the branch's party members."))
    present = _count(help_text=_("Steps 4 and 5: how many attended."))
    in_favour = _count()
    against = _count()
    abstain = _count()
    announced_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Step 5, a villagers' meeting: when it was announced (at least 10 days ahead unless urgent)."),
    )
    urgent = serializers.BooleanField(
        required=False, default=False, help_text=_("Step 5: announced at shorter notice because it was urgent.")
    )
    urgent_reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text=_("Why it could not wait.")
    )
    confirm_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "Minutes identical to a record the matter already has are refused (409 duplicate_deliberation) "
            "unless this is true: another meeting that ended the same way."
        ),
    )

    def validate(self, attrs):
        sent = [field for field in COMPUTED_VOTE_FIELDS if field in self.initial_data]
        if sent:
            raise serializers.ValidationError(
                {field: [_("Computed by the app from the counts; do not send it.")] for field in sent}
            )
        return attrs


class _HandlerField(serializers.PrimaryKeyRelatedField):
    """The people who may handle the matter (petitions.selectors.handler_candidates)."""

    def get_queryset(self):
        return handler_candidates(self.context["matter"])


class _DepartmentField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        scope = scope_for(self.context["request"].user)
        if scope.is_superuser:
            return Department.objects.all()
        return Department.objects.filter(township_id__in=sorted(scope.township_ids))


class HandleSerializer(InputSerializer):
    handler = _HandlerField(
        queryset=get_user_model().objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("A person (user id) of the matter's township; or give department."),
    )
    department = _DepartmentField(
        queryset=Department.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("A township department (政事 only)."),
    )
    deadline = serializers.DateTimeField(required=False, allow_null=True, default=None)


class TownshipApprovalSerializer(InputSerializer):
    approve = serializers.BooleanField(help_text=_("true: approved; false: refused."))
    reason = serializers.CharField(help_text=_("The reason for the decision."))


class RecordFilingSerializer(InputSerializer):
    filed = serializers.BooleanField(help_text=_("true: the township files the compact (备案); false: it returns it."))
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Why it is returned (required then); for a filing, a note (the receipt's number)."),
    )
    filed_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The day it was filed (today if not given; never in the future)."),
    )


class ReportSerializer(InputSerializer):
    result = serializers.CharField()


class SignSerializer(InputSerializer):
    pass


class SendBackSerializer(InputSerializer):
    reason = serializers.CharField(help_text=_("Why the matter is not the department's."))


class VerifySerializer(InputSerializer):
    passed = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text=_("Required when failed."))


_METHOD_HELP = _(
    "How the answer reached the record (phone, visit, in_person, online): staff must say; by tracking code, online."
)


class EvaluateSerializer(InputSerializer):
    rating = serializers.ChoiceField(choices=Rating.choices)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Required when unsatisfied.")
    )
    method = serializers.ChoiceField(
        choices=EvaluationMethod.choices, required=False, allow_blank=True, default="", help_text=_METHOD_HELP
    )


class RequestReviewSerializer(InputSerializer):
    reason = serializers.CharField(help_text=_("What is still not right."))
    method = serializers.ChoiceField(
        choices=EvaluationMethod.choices, required=False, allow_blank=True, default="", help_text=_METHOD_HELP
    )


class DecideReviewSerializer(InputSerializer):
    upheld = serializers.BooleanField(
        help_text=_("True: the result stands and the matter closes; false: handled again.")
    )
    reason = serializers.CharField()


class RequestExtensionSerializer(InputSerializer):
    deadline = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text=_("The later deadline asked for; or send pause.")
    )
    pause = serializers.BooleanField(required=False, default=False, help_text=_("Ask for the clock to be paused."))
    reason = serializers.CharField()


class DecideExtensionSerializer(InputSerializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField()


class SuperviseSerializer(InputSerializer):
    note = serializers.CharField()


class GrantSerializer(InputSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True))
    permission = serializers.ChoiceField(
        choices=[("view_matter", _("see the matter")), ("handle_matter", _("report its result"))],
        required=False,
        default="view_matter",
    )


# ---------------------------------------------------------------- public


class PublicMatterCreateSerializer(_SubmitterPhoneMixin, InputSerializer):
    title = serializers.CharField(max_length=120, label=_("title"))
    description = serializers.CharField(label=_("description"))
    village = serializers.PrimaryKeyRelatedField(queryset=Village.objects.all(), label=_("village"))
    grid = serializers.PrimaryKeyRelatedField(queryset=Grid.objects.all(), required=False, allow_null=True)
    submitter_name = serializers.CharField(max_length=50, label=_("your name"))
    submitter_phone = serializers.CharField(max_length=20, label=_("your mobile number"))
    sms_updates = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "The resident ticked “Tell me by SMS how my matter progresses” (off by default); the wording "
            "recorded as their consent is the public form's, in the request's language."
        ),
    )


class PublicStepSerializer(serializers.Serializer):
    step = serializers.CharField(help_text=_("The action: submit, classify, deliberate, handle, report ..."))
    label = serializers.CharField()
    detail = serializers.CharField(help_text=_("The result, or the reason for a rejection; else empty."))
    date = serializers.DateField()


def _public_step(event: MatterEvent, matter: Matter, labels: dict) -> dict | None:
    """What the public page says about one event (the table's `public_step`): no names, no
    minutes, no notes. Grants, the clock and the sweep's warnings are not shown."""
    step = workflow.public_step(event.action)
    if step is None:
        return None
    label, detail = step(event.payload or {}, matter, labels) if callable(step) else (step, "")
    return {
        "step": event.action,
        "label": str(label),
        "detail": detail,
        "date": timezone.localdate(event.created_at).isoformat(),
    }


class PublicAcceptanceSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["village", "township"])
    by = serializers.CharField(help_text=_("The place and the role that accepted it (受理), never a name."))
    date = serializers.DateField()
    deadline = serializers.DateTimeField(allow_null=True, help_text=_("When it is expected to be done."))


class PublicMatterSerializer(serializers.Serializer):
    """A matter's progress for the person holding its tracking code: no personal data."""

    title = serializers.CharField()
    state = serializers.ChoiceField(choices=State.choices)
    state_label = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices, allow_blank=True)
    kind_label = serializers.CharField()
    category = serializers.CharField(allow_null=True, help_text=_("The category's name."))
    village_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    result = serializers.CharField(help_text=_("What was done, once reported."))
    rating = serializers.ChoiceField(choices=Rating.choices, allow_blank=True)
    rating_label = serializers.CharField()
    can_evaluate = serializers.BooleanField()
    can_withdraw = serializers.BooleanField()
    can_request_review = serializers.BooleanField(help_text=_("复查 may be asked for now (once)."))
    where_else = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("Closed with the resident still dissatisfied after the review: where else to turn."),
    )
    steps = PublicStepSerializer(many=True)
    accepted = PublicAcceptanceSerializer(many=True, help_text=_("受理告知: who accepted it and by when."))
    accept_by = serializers.DateTimeField(allow_null=True, help_text=_("While acceptance is pending: its deadline."))

    def to_representation(self, obj):
        labels = _labels(self.context)
        events = list(obj.events.order_by("created_at", "id"))
        steps = [_public_step(event, obj, labels) for event in events]
        return {
            "title": obj.title,
            "state": obj.state,
            "state_label": labels["state"].get(obj.state, ""),
            "kind": obj.kind,
            "kind_label": labels["kind"].get(obj.kind, ""),
            "category": obj.category.name if obj.category_id else None,
            "village_name": obj.village.name,
            "created_at": render_datetime(obj.created_at),
            "closed_at": render_datetime(obj.closed_at),
            "result": obj.result,
            "rating": obj.rating,
            "rating_label": labels["rating"].get(obj.rating, ""),
            "can_evaluate": obj.state in workflow.TRANSITIONS["evaluate"].sources,
            "can_withdraw": obj.state in workflow.TRANSITIONS["withdraw"].sources,
            "can_request_review": workflow.TRANSITIONS["request_review"].possible(obj),
            "where_else": [str(line) for line in workflow.WHERE_ELSE] if obj.closed_dissatisfied else [],
            "steps": [step for step in steps if step is not None],
            "accepted": workflow.acceptances(events),
            "accept_by": render_datetime(obj.accept_by),
        }


class PublicMatterCreatedSerializer(PublicMatterSerializer):
    code = serializers.CharField(help_text=_("The tracking code: keep it to follow and evaluate the matter."))
