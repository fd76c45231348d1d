"""REST API of campaigns (专项排查): /api/v1/campaigns/, /api/v1/campaign-tasks/,
/api/v1/campaign-photos/ and /api/v1/campaign-templates/.

Reads go through the selectors, so a campaign or task out of scope is a 404. Each action is
checked in the contract's order: the caller's role (403, the view's policy, then the service
under the row lock), the state (409), the input (400). Answers are keyed by the phone's
client UUID: a replay is a 200 with the stored task, the UUID reused for another answer a 409;
`batch` takes the phone's whole queue, each answer succeeding or failing on its own.
"""

from functools import partial

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from governance.api_common import IdCursorPagination, idempotent
from governance.api_input import AwareDateTimeField, InputSerializer, VisibleField
from governance.assigning import places_in_sight
from governance.errors import DomainError
from governance.permissions import ActionPolicy, Policy
from governance.roles import CAMPAIGN_ANSWERERS, CAMPAIGN_ORGANISERS, CAMPAIGN_READERS
from governance.serializers import PhotoSerializer
from governance.xlsx import XLSX, xlsx_response
from grids.campaigns import services
from grids.campaigns.exports import answers_xlsx
from grids.campaigns.library import TEMPLATES, template_input
from grids.campaigns.models import Campaign, Task
from grids.campaigns.selectors import campaigns_visible_to, open_tasks_for, progress, summary, tasks_visible_to
from grids.campaigns.xlsform import read_xlsform
from grids.models import Courtyard, Grid, Tag, Township, Village
from petitions.models import Matter

NOT_AN_ORGANISER = _("Campaigns are made by the township and the village cadres.")
NOT_AN_ANSWERER = _("Your role does not visit households.")


def _places(model):
    """A field over the places of `model` the caller sees by name (any other: "does not exist")."""
    return lambda **kwargs: VisibleField(
        partial(places_in_sight, place_type=model.__name__.lower()), queryset=model.objects.none(), **kwargs
    )


VillageField, GridField, CourtyardField = _places(Village), _places(Grid), _places(Courtyard)


# ---------------------------------------------------------------- output


class CampaignSerializer(serializers.ModelSerializer):
    township_name = serializers.CharField(source="township.name", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True, allow_null=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "township",
            "township_name",
            "village",
            "village_name",
            "title",
            "purpose",
            "starts_on",
            "due_on",
            "state",
            "villages",
            "grids",
            "courtyards",
            "tags",
            "form",
            "form_source",
            "retention_days",
            "task_count",
            "started_at",
            "closed_at",
            "answers_deleted_at",
        ]
        read_only_fields = fields


class TaskSerializer(serializers.ModelSerializer):
    campaign_title = serializers.CharField(source="campaign.title", read_only=True)
    household_number = serializers.CharField(source="household.number", read_only=True)
    head_name = serializers.CharField(source="household.head_name", read_only=True)
    address = serializers.CharField(source="household.address", read_only=True)
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    matters = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "campaign",
            "campaign_title",
            "household",
            "household_number",
            "head_name",
            "address",
            "grid",
            "grid_name",
            "follows",
            "due_on",
            "state",
            "answered_at",
            "answers",
            "visit",
            "matters",
            "photos",
        ]
        read_only_fields = fields

    def get_photos(self, task) -> list[dict]:
        """The photo answers (the answers name them by their upload token), each with its
        question and the address that serves it; none before the task is answered (the to-do's
        open tasks cost no query)."""
        if task.state != Task.State.DONE:
            return []
        questions = {token: name for name, token in (task.answers or {}).items() if isinstance(token, str)}
        return [
            {
                "id": p.pk,
                "question": questions.get(p.token, ""),
                "url": reverse("campaigns:campaign-answer-photo", args=[p.pk]),
                "width": p.width,
                "height": p.height,
            }
            for p in task.photos.all()
        ]


class TemplateSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    purpose = serializers.CharField()
    form = serializers.JSONField()


# ---------------------------------------------------------------- input


class CampaignInputSerializer(InputSerializer):
    township = serializers.PrimaryKeyRelatedField(queryset=Township.objects.all(), required=False)
    village = VillageField(required=False, allow_null=True)
    title = serializers.CharField(max_length=100)
    purpose = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    starts_on = serializers.DateField()
    due_on = serializers.DateField()
    retention_days = serializers.IntegerField(required=False, default=365)
    villages = VillageField(many=True, required=False, default=list)
    grids = GridField(many=True, required=False, default=list)
    courtyards = CourtyardField(many=True, required=False, default=list)
    tags = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), many=True, required=False, default=list)
    form = serializers.JSONField(required=False, help_text="The questions (see campaign-templates for the shape).")
    template = serializers.ChoiceField(
        choices=sorted(TEMPLATES), required=False, help_text="Take the form of a template."
    )

    def validate(self, data):
        # The township (the village's, or the organiser's own) is the service's to settle.
        code = data.pop("template", None)
        if code and "form" not in data:
            given = template_input(code)
            data["form"], data["form_source"] = given["form"], given["form_source"]
        elif "form" in data:
            data["form_source"] = "api"
        return data


class CampaignEditSerializer(InputSerializer):
    title = serializers.CharField(max_length=100, required=False)
    purpose = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    starts_on = serializers.DateField(required=False)
    due_on = serializers.DateField(required=False)
    retention_days = serializers.IntegerField(required=False)
    villages = VillageField(many=True, required=False)
    grids = GridField(many=True, required=False)
    courtyards = CourtyardField(many=True, required=False)
    tags = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), many=True, required=False)


class FormInputSerializer(InputSerializer):
    form = serializers.JSONField(required=False)
    template = serializers.ChoiceField(choices=sorted(TEMPLATES), required=False)
    xlsform = serializers.FileField(required=False, help_text="An XLSForm (.xlsx with survey and choices sheets).")

    def validate(self, data):
        given = [name for name in ("form", "template", "xlsform") if name in data]
        if len(given) != 1:
            raise serializers.ValidationError({"form": _("Send one of: the questions, a template, or an XLSForm.")})
        return data


class AnswerInputSerializer(InputSerializer):
    client_uuid = serializers.UUIDField()
    answers = serializers.DictField(child=serializers.JSONField(), allow_empty=True)
    answered_at = AwareDateTimeField(required=False)
    visit = serializers.IntegerField(required=False, allow_null=True)


class BatchItemSerializer(AnswerInputSerializer):
    task = serializers.IntegerField()


class BatchSerializer(InputSerializer):
    answers = serializers.ListField(child=serializers.DictField(), max_length=200)


# ---------------------------------------------------------------- views


class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Campaigns of the caller's places; the township and village cadres make, fill and start them."""

    queryset = Campaign.objects.none()
    serializer_class = CampaignSerializer
    pagination_class = IdCursorPagination
    permission_classes = [ActionPolicy]
    policies = {
        "list": Policy(
            roles=CAMPAIGN_READERS | CAMPAIGN_ANSWERERS, message=_("Campaigns are for the staff of places.")
        ),
        "create": Policy(roles=CAMPAIGN_ORGANISERS, message=NOT_AN_ORGANISER),
        "partial_update": Policy(roles=CAMPAIGN_ORGANISERS, message=NOT_AN_ORGANISER),
        "form": Policy(roles=CAMPAIGN_ORGANISERS, message=NOT_AN_ORGANISER),
        "start": Policy(roles=CAMPAIGN_ORGANISERS, message=NOT_AN_ORGANISER),
        "close": Policy(roles=CAMPAIGN_ORGANISERS, message=NOT_AN_ORGANISER),
    }
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            campaigns_visible_to(self.request.user)
            .select_related("township", "village")
            .prefetch_related("villages", "grids", "courtyards", "tags")
        )

    def _answer(self, campaign, code=status.HTTP_200_OK):
        campaign = self.get_queryset().get(pk=campaign.pk)
        return Response(CampaignSerializer(campaign).data, status=code)

    @extend_schema(request=CampaignInputSerializer, responses={201: CampaignSerializer})
    def create(self, request, *args, **kwargs):
        """A draft campaign; its form from a template, the questions, or later (`form`)."""

        def perform():
            serializer = CampaignInputSerializer(data=request.data, context={"request": request})
            serializer.is_valid(raise_exception=True)
            campaign = services.campaign_create(actor=request.user, **serializer.validated_data)
            return self._answer(campaign, status.HTTP_201_CREATED)

        return idempotent(request, perform)

    @extend_schema(request=CampaignEditSerializer, responses={200: CampaignSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Change a draft (a started campaign answers 409)."""
        campaign = self.get_object()
        serializer = CampaignEditSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        campaign = services.campaign_edit(campaign=campaign, actor=request.user, **serializer.validated_data)
        return self._answer(campaign)

    @extend_schema(request={"multipart/form-data": FormInputSerializer, "application/json": FormInputSerializer},
                   responses={200: CampaignSerializer})  # fmt: skip
    @action(detail=True, methods=["post"])
    def form(self, request, pk=None):
        """Give a draft its form: the questions as JSON, a template's code, or an XLSForm upload."""
        campaign = self.get_object()
        serializer = FormInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "xlsform" in data:
            try:
                form, _title = read_xlsform(data["xlsform"])
            except DjangoValidationError as error:
                raise serializers.ValidationError({"xlsform": error.messages})
            questions, source = form.to_json(), f"xlsform:{data['xlsform'].name}"
        elif "template" in data:
            given = template_input(data["template"])
            questions, source = given["form"], given["form_source"]
        else:
            questions, source = data["form"], "api"
        campaign = services.campaign_set_form(campaign=campaign, actor=request.user, form=questions, source=source)
        return self._answer(campaign)

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Freeze the form and send the campaign down: one task per covered household."""
        campaign = self.get_object()
        return idempotent(request, lambda: self._answer(services.campaign_start(campaign=campaign, actor=request.user)))

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        campaign = self.get_object()
        return self._answer(services.campaign_close(campaign=campaign, actor=request.user))

    @extend_schema(
        parameters=[OpenApiParameter("by", OpenApiTypes.STR, enum=["township", "village", "grid"])],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """Done, total and overdue per place, over the tasks the caller sees; and the summary
        of answers (counts per choice) over the same tasks."""
        campaign = self.get_object()
        by = request.query_params.get("by", "grid")
        if by not in ("township", "village", "grid"):
            raise serializers.ValidationError({"by": _("Choose township, village or grid.")})
        tasks = tasks_visible_to(request.user)
        return Response(
            {"by": by, "rows": progress(campaign, by=by, tasks=tasks), "summary": summary(campaign, tasks=tasks)}
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("village", OpenApiTypes.INT, description="only this village's households"),
            OpenApiParameter("grid", OpenApiTypes.INT, description="only this grid's households"),
        ],
        responses={(200, XLSX): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """The answers as .xlsx (one column per question, choices in the form's words), over the
        households the caller reads; at most 50 000 rows (narrow by village)."""
        campaign = self.get_object()
        tasks = tasks_visible_to(request.user)
        for field in ("village", "grid"):
            value = request.query_params.get(field, "")
            if value:
                if not value.isdecimal():
                    raise serializers.ValidationError({field: _("Give the id of a place.")})
                tasks = tasks.filter(**{f"{field}_id": int(value)})
        data = answers_xlsx(campaign, tasks)
        return xlsx_response(data, f"{campaign.title}-{timezone.localdate().isoformat()}.xlsx")


_MATTER_IDS = Prefetch("matters", queryset=Matter.objects.only("pk"))


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Campaign tasks: the list is the caller's to-do (open tasks of campaigns under way, soonest
    due first; `?campaign=` narrows it); one task, answered or not, is readable by whoever
    reads its household."""

    queryset = Task.objects.none()
    serializer_class = TaskSerializer
    pagination_class = IdCursorPagination
    permission_classes = [ActionPolicy]
    people_data = True
    policies = {
        # The to-do is for those who answer, as its page (a reader gets 403, not an empty list).
        "list": Policy(roles=CAMPAIGN_ANSWERERS, message=NOT_AN_ANSWERER),
        "answer": Policy(roles=CAMPAIGN_ANSWERERS, message=NOT_AN_ANSWERER),
        "batch": Policy(roles=CAMPAIGN_ANSWERERS, message=NOT_AN_ANSWERER),
    }

    def get_queryset(self):
        if self.action == "list":
            # The matters an answer raised, by id: one query for the page (was one per task).
            tasks = open_tasks_for(self.request.user).prefetch_related(_MATTER_IDS)
            campaign = self.request.query_params.get("campaign", "")
            return tasks.filter(campaign_id=campaign) if campaign.isdecimal() else tasks
        return tasks_visible_to(self.request.user).select_related("campaign", "household", "grid")

    @extend_schema(request=AnswerInputSerializer, responses={201: TaskSerializer, 200: TaskSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Answer the task (a resend of the same answer under its client_uuid returns it with 200)."""
        task = self.get_object()
        code, body = _answer(request, task, request.data)
        return Response(body, status=code)

    @extend_schema(request=BatchSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"])
    def batch(self, request):
        """Send the phone's queue of answers: each succeeds or fails on its own, with its status."""
        serializer = BatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visible = tasks_visible_to(request.user)
        results = []
        for index, item in enumerate(serializer.validated_data["answers"]):
            task_id = item.get("task")
            # JSON's true is no task id, though Python counts a bool as an int (true would be task 1).
            is_id = isinstance(task_id, int) and not isinstance(task_id, bool)
            task = visible.filter(pk=task_id).first() if is_id else None
            if task is None:
                code, body = status.HTTP_404_NOT_FOUND, {"detail": str(_("Not found.")), "code": "not_found"}
            else:
                code, body = _answer(request, task, item)
            row = {"index": index, "client_uuid": str(item.get("client_uuid", "")), "status": code}
            row["task" if code < 300 else "errors"] = body
            results.append(row)
        return Response({"results": results})


def _answer(request, task: Task, data) -> tuple[int, dict]:
    """Validate and store one answer: (status, body). 201 new, 200 a replay, 400 invalid, 403
    not the household's staff, 409 answered already or the UUID reused. A failure writes nothing."""
    serializer = AnswerInputSerializer(data=data)
    if not serializer.is_valid():
        return status.HTTP_400_BAD_REQUEST, serializer.errors
    values = dict(serializer.validated_data)
    visit_id = values.pop("visit", None)
    visit = None
    if visit_id is not None:
        from grids.visits.models import Visit

        visit = Visit.objects.filter(pk=visit_id, author=request.user).first()
        if visit is None:
            return status.HTTP_400_BAD_REQUEST, {"visit": [str(_("Link your own visit to this household."))]}
    try:
        stored, created = services.task_answer(actor=request.user, task=task, visit=visit, **values)
    except DjangoValidationError as exc:
        return status.HTTP_400_BAD_REQUEST, as_serializer_error(exc)
    except DomainError as exc:
        return exc.status, exc.as_body()
    stored = tasks_visible_to(request.user).select_related("campaign", "household", "grid").get(pk=stored.pk)
    return (status.HTTP_201_CREATED if created else status.HTTP_200_OK), TaskSerializer(stored).data


class PhotoTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Put it in the answer of the photo question.")


class AnswerPhotoViewSet(viewsets.GenericViewSet):
    """Photos for photo questions, uploaded before the answer that names them by token."""

    queryset = Task.objects.none()
    permission_classes = [ActionPolicy]
    parser_classes = [MultiPartParser]
    policies = {"create": Policy(roles=CAMPAIGN_ANSWERERS, message=NOT_AN_ANSWERER)}

    @extend_schema(request={"multipart/form-data": PhotoSerializer}, responses={201: PhotoTokenSerializer})
    def create(self, request):
        def perform():
            serializer = PhotoSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            photo = services.answer_photo_upload(actor=request.user, upload=serializer.validated_data["image"])
            return Response({"token": photo.token}, status=status.HTTP_201_CREATED)

        return idempotent(request, perform)


class TemplateViewSet(viewsets.GenericViewSet):
    """The library of campaign forms (燃气安全排查, 防汛隐患排查, …) to start from."""

    queryset = Campaign.objects.none()
    serializer_class = TemplateSerializer
    permission_classes = [ActionPolicy]
    pagination_class = None

    @extend_schema(responses={200: TemplateSerializer(many=True)})
    def list(self, request):
        rows = [vars(template) for template in TEMPLATES.values()]
        return Response(TemplateSerializer(rows, many=True).data)
