"""REST API of the points bank, under /api/v1/points/.

Every queryset goes through the caller's scope (points.selectors), so a row out of scope
is a 404 exactly like one that does not exist; an id in a payload that the caller does
not see is a 400 on that field. An action is checked in the contract's order before its
payload is read: the caller's role (403), the object's state (409), then the payload
(400); the service checks all of it again under the row locks and writes in one
transaction, so a refusal leaves nothing behind. Every POST honours Idempotency-Key.

`awards` are the proposed earn and deduct entries (积分申报: propose, approve, reject,
reverse); the posted lines of a passbook are `accounts/{id}/ledger/`. `entries` is the same
resource under its old name, kept working for one release and marked deprecated in the
schema.

Who may call an action at all is each viewset's `policies` (governance.permissions); the
refusals of points.policy and the services are DomainErrors, which the project's exception
handler turns into bodies (governance.api_common).
"""

from functools import partial

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.api_common import IdCursorPagination, idempotent, refusals
from governance.files import jpeg_response
from governance.permissions import ActionPolicy, Policy
from governance.roles import BOARD_ROLES, PROPOSER_ROLES, REDEEMER_ROLES, SHOP_KEEPER_ROLES
from points import policy, services
from points.filters import AccountFilter, AwardFilter, BoardFilter, ItemFilter, RedemptionFilter, RuleFilter
from points.models import Account, Award, Board, Item, Objection, Redemption, Rule
from points.selectors import (
    accounts_visible_to,
    awards_visible_to,
    board_detail_queryset,
    board_public,
    boards_visible_to,
    items_visible_to,
    ledger_of,
    objections_visible_to,
    redemptions_visible_to,
    rules_visible_to,
)
from points.serializers import (
    AccountSerializer,
    ApproveSerializer,
    AwardBatchSerializer,
    AwardCreateSerializer,
    AwardSerializer,
    AwardTargetSerializer,
    BatchResultSerializer,
    BoardCreateSerializer,
    BoardDecideSerializer,
    BoardDetailSerializer,
    BoardSerializer,
    ItemCreateSerializer,
    ItemSerializer,
    ItemTargetSerializer,
    ItemUpdateSerializer,
    LedgerEntrySerializer,
    ObjectionCreateSerializer,
    ObjectionSerializer,
    ObjectionTargetSerializer,
    OpenedSerializer,
    PublicBoardSerializer,
    ReasonSerializer,
    RedemptionCreateSerializer,
    RedemptionPayloadSerializer,
    RedemptionSerializer,
    RedemptionTargetSerializer,
    RestockSerializer,
    RuleSerializer,
    RulingSerializer,
    VillageTargetSerializer,
)

REFUSALS = refusals(
    forbidden="Your role may not do this here (code permission_denied, own_proposal).",
    not_found="No such object, or not one the caller sees.",
    conflict="Not possible in the current state (already_decided, objection_window_open, objection_pending, "
    "objection_window_closed, already_ruled, cap_reached, "
    "not_approved, already_reversed, not_reversible, board_not_draft, board_not_decided, ...).",
)
REFUSED_400 = OpenApiResponse(
    description="Invalid input: field errors. A refusal with a code (insufficient_points, insufficient_stock, "
    "cap_reached) also carries `code` and `detail`."
)


class _PointsViewSet(viewsets.GenericViewSet):
    permission_classes = [ActionPolicy]

    def _render(self, serializer_class, obj, status_code=status.HTTP_200_OK, **extra):
        data = serializer_class(obj, context=self.get_serializer_context()).data
        return Response({**data, **extra}, status=status_code)

    def _write(self, request, *, check, input_class, service, render, target_class=None):
        """One write in the contract's order, once per Idempotency-Key: the ids that say where
        (`target_class`: in the caller's scope, else 400), the caller's role there and the
        object's state (`check`: 403, 409), the payload (`input_class`: 400), then the
        service with what was read, and `render` of what it returns."""

        def perform():
            context = self.get_serializer_context()
            data = {}
            if target_class is None:
                check()
            else:
                target = target_class(data=request.data, context=context)
                target.is_valid(raise_exception=True)
                data = target.validated_data
                check(**data)
            if input_class is not None:
                serializer = input_class(data=request.data, context=context)
                serializer.is_valid(raise_exception=True)
                data = {**data, **serializer.validated_data}
            return render(service(actor=request.user, **data))

        return idempotent(request, perform)

    def _act(self, request, check, input_class, service):
        """An action on one object, in the contract's order: the object in the caller's scope
        (404), `check(obj)` for the role and the state (403, 409), the payload (400), then the
        service given the object under its model's name (`award=`, `board=`), and the object's
        detail again."""
        obj = self.get_object()
        return self._write(
            request,
            check=lambda: check(obj),
            input_class=input_class,
            service=partial(service, **{self.queryset.model._meta.model_name: obj}),
            render=lambda _done: self._detail(obj.pk),
        )


class LedgerPagination(IdCursorPagination):
    ordering = "-id"


# ---------------------------------------------------------------- accounts


@extend_schema_view(
    list=extend_schema(description="Passbooks the caller sees, with what each can spend."),
)
class AccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _PointsViewSet):
    """Passbooks (积分存折): one per household, opened with the village's starting balance."""

    queryset = Account.objects.none()
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    policies = {"open_missing": Policy(roles=BOARD_ROLES, message=_("Only a village cadre may open passbooks."))}

    def get_queryset(self):
        return accounts_visible_to(self.request.user)

    @extend_schema(responses=LedgerEntrySerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=LedgerPagination, filter_backends=[])
    def ledger(self, request, pk=None):
        """The passbook's lines, newest first, each with the balance after it."""
        account = self.get_object()
        page = self.paginate_queryset(ledger_of(account))
        data = LedgerEntrySerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(request=VillageTargetSerializer, responses={200: OpenedSerializer, 403: REFUSALS[403]})
    @action(detail=False, methods=["post"], url_path="open-missing", filter_backends=[])
    def open_missing(self, request):
        """Open a passbook for every household of the village that has none (after a register import)."""

        def check(village):
            message = _("Only a village cadre of this village may open its passbooks.")
            policy.check_run_village(request.user, village.pk, message)

        return self._write(
            request,
            target_class=VillageTargetSerializer,
            check=check,
            input_class=None,
            service=lambda actor, village: services.accounts_open_missing(village=village),
            render=lambda opened: Response({"opened": opened}),
        )


# ---------------------------------------------------------------- rules


@extend_schema_view(list=extend_schema(description="The catalogues (积分细则) of the villages the caller sees."))
class RuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _PointsViewSet):
    """积分细则: earn and deduct items with fixed points, each with `adopted_by`, the 村事 whose vote
    adopted it. Village cadres change them in the pages (/points/rules/), naming the resolution."""

    queryset = Rule.objects.none()
    serializer_class = RuleSerializer
    filterset_class = RuleFilter

    def get_queryset(self):
        return rules_visible_to(self.request.user)


# ---------------------------------------------------------------- proposals (awards)


@extend_schema_view(
    list=extend_schema(description="Proposed entries the caller sees, newest first; ?waiting=1: theirs to decide."),
    create=extend_schema(
        request={"application/json": AwardCreateSerializer, "multipart/form-data": AwardCreateSerializer},
        responses={201: AwardSerializer, 400: REFUSED_400, 403: REFUSALS[403]},
        description=(
            "Propose an earn or deduct entry for a household: {account, rule, note} (member, occurred_on and "
            "evidence optional; evidence required by some rules). It is shown publicly (公示) until "
            "objection_until, then a village cadre other than the proposer approves or rejects it."
        ),
    ),
)
class AwardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _PointsViewSet):
    """Proposed earn and deduct entries (积分申报) and their decisions (maker-checker)."""

    queryset = Award.objects.none()
    serializer_class = AwardSerializer
    filterset_class = AwardFilter
    pagination_class = LedgerPagination
    policies = {
        "create": Policy(roles=PROPOSER_ROLES, message=_("Your role may not propose points entries.")),
        "batch": Policy(roles=PROPOSER_ROLES, message=_("Your role may not propose points entries.")),
    }

    def get_queryset(self):
        return awards_visible_to(self.request.user)

    def _detail(self, pk, status_code=status.HTTP_200_OK):
        return self._render(AwardSerializer, awards_visible_to(self.request.user).get(pk=pk), status_code)

    def create(self, request, *args, **kwargs):
        return self._write(
            request,
            target_class=AwardTargetSerializer,
            check=lambda account, rule: policy.check_propose(request.user, account, rule),
            input_class=AwardCreateSerializer,
            service=services.award_propose,
            render=lambda award: self._detail(award.pk, status.HTTP_201_CREATED),
        )

    @extend_schema(
        request=AwardBatchSerializer,
        responses={201: BatchResultSerializer, 400: REFUSED_400, 403: REFUSALS[403], 409: REFUSALS[409]},
    )
    @action(detail=False, methods=["post"], filter_backends=[])
    def batch(self, request):
        """One rule for all participants of one event, in one step: {rule, accounts | residents |
        deliberation, occurred_on, note}. All or nothing; errors name each bad position of the list."""

        def perform():
            serializer = AwardBatchSerializer(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            if data.get("deliberation"):
                batch = services.award_propose_for_deliberation(
                    actor=request.user, deliberation=data["deliberation"], rule=data["rule"], note=data["note"]
                )
            else:
                batch = services.award_propose_batch(
                    actor=request.user,
                    rule=data["rule"],
                    accounts=data.get("accounts") or (),
                    residents=data.get("residents") or (),
                    occurred_on=data.get("occurred_on"),
                    note=data["note"],
                )
            awards = awards_visible_to(request.user).filter(batch=batch).order_by("pk")
            entries = AwardSerializer(awards, many=True, context=self.get_serializer_context()).data
            body = {
                "batch": batch.pk,
                "rule": batch.rule_id,
                "occurred_on": batch.occurred_on.isoformat(),
                "entries": entries,
            }
            return Response(body, status=status.HTTP_201_CREATED)

        return idempotent(request, perform)

    @extend_schema(request=ApproveSerializer, responses={200: AwardSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None):
        """Approve once the objection window has closed (else 409 objection_window_open): one ledger
        entry is posted. Not by the proposer (403 own_proposal); decided once (409 already_decided)."""
        return self._act(
            request,
            lambda award: policy.check_decide(request.user, award, "approve"),
            ApproveSerializer,
            services.award_approve,
        )

    @extend_schema(request=ReasonSerializer, responses={200: AwardSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request, pk=None):
        """Reject with a reason (at any time while pending: an objection upheld during 公示)."""
        return self._act(
            request,
            lambda award: policy.check_decide(request.user, award, "reject"),
            ReasonSerializer,
            services.award_reject,
        )

    @extend_schema(request=ReasonSerializer, responses={200: AwardSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def reverse(self, request, pk=None):
        """Correct an approved entry with a reversing ledger entry and a reason (once: 409 already_reversed)."""
        return self._act(
            request,
            lambda award: policy.check_reverse_award(request.user, award),
            ReasonSerializer,
            services.award_reverse,
        )

    @extend_schema(responses={(200, "image/jpeg"): OpenApiResponse(description="The evidence photo.")}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def evidence(self, request, pk=None):
        """The evidence photo (to those who see the entry; never a public file)."""
        award = self.get_object()
        if not award.evidence:
            raise Http404
        return jpeg_response(award.evidence)


AWARD_ACTIONS = ("list", "retrieve", "create", "batch", "approve", "reject", "reverse", "evidence")


@extend_schema_view(**{name: extend_schema(deprecated=True) for name in AWARD_ACTIONS})
class EntryViewSet(AwardViewSet):
    # The awards under their old name, `entries/`: kept for one release, deprecated in the
    # schema (use `awards/`). No docstring of its own: the schema's descriptions stay the awards'.
    pass


# ---------------------------------------------------------------- objections during the 公示


@extend_schema_view(
    list=extend_schema(description="Objections to the proposed entries the caller sees, newest first."),
    create=extend_schema(
        request=ObjectionCreateSerializer,
        responses={201: ObjectionSerializer, 400: REFUSED_400, 403: REFUSALS[403], 409: REFUSALS[409]},
        description=(
            "Record a resident's objection to a proposed entry during its 公示: {award, reason} (+ contact_name, "
            "contact_phone: kept internal). 409 objection_window_closed after the window. The entry is held "
            "(approve answers 409 objection_pending) until a village cadre rules on it. Honours Idempotency-Key."
        ),
    ),
)
class ObjectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _PointsViewSet):
    """Objections during the 公示 and their rulings, on the record."""

    queryset = Objection.objects.none()
    serializer_class = ObjectionSerializer
    pagination_class = LedgerPagination
    filter_backends = []

    def get_queryset(self):
        return objections_visible_to(self.request.user)

    def _detail(self, pk, status_code=status.HTTP_200_OK):
        return self._render(ObjectionSerializer, objections_visible_to(self.request.user).get(pk=pk), status_code)

    def create(self, request, *args, **kwargs):
        return self._write(
            request,
            target_class=ObjectionTargetSerializer,
            check=lambda award: policy.check_object(request.user, award),
            input_class=ObjectionCreateSerializer,
            service=services.objection_raise,
            render=lambda objection: self._detail(objection.pk, status.HTTP_201_CREATED),
        )

    @extend_schema(request=RulingSerializer, responses={200: ObjectionSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], url_path="rule")
    def rule(self, request, pk=None):
        """Rule on an objection, on the record: {upheld, note}. Upheld: the entry is rejected with the note;
        dismissed: it may be approved once its window has closed. A village cadre of the village, not the one
        who recorded the objection nor the proposer (403); once (409 already_ruled)."""
        return self._act(
            request,
            lambda objection: policy.check_rule_objection(request.user, objection),
            RulingSerializer,
            services.objection_rule,
        )


# ---------------------------------------------------------------- the shop


@extend_schema_view(
    create=extend_schema(
        request={"application/json": ItemCreateSerializer, "multipart/form-data": ItemCreateSerializer},
        responses={201: ItemSerializer, 403: REFUSALS[403]},
    ),
    partial_update=extend_schema(
        request={"application/json": ItemUpdateSerializer, "multipart/form-data": ItemUpdateSerializer},
        responses={200: ItemSerializer, **REFUSALS},
    ),
)
class ItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _PointsViewSet):
    """The points shop's goods (积分超市): price in points, stock, photo."""

    queryset = Item.objects.none()
    serializer_class = ItemSerializer
    filterset_class = ItemFilter
    policies = {
        "create": Policy(
            roles=SHOP_KEEPER_ROLES, message=_("Only the shop clerk or a village cadre may manage the shop.")
        )
    }

    def get_queryset(self):
        return items_visible_to(self.request.user)

    def create(self, request, *args, **kwargs):
        return self._write(
            request,
            target_class=ItemTargetSerializer,
            check=lambda village: policy.check_keep_shop(request.user, village.pk),
            input_class=ItemCreateSerializer,
            service=services.item_create,
            render=lambda item: self._render(ItemSerializer, item, status.HTTP_201_CREATED),
        )

    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()

        def perform():
            policy.check_keep_shop(request.user, item.village_id)
            serializer = ItemUpdateSerializer(data=request.data, context=self.get_serializer_context(), partial=True)
            serializer.is_valid(raise_exception=True)
            changes = {k: v for k, v in serializer.validated_data.items() if not (k == "photo" and v is None)}
            return self._render(ItemSerializer, services.item_update(item=item, actor=request.user, **changes))

        return idempotent(request, perform)

    @extend_schema(request=RestockSerializer, responses={200: ItemSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def restock(self, request, pk=None):
        """Add goods to the stock: {quantity}."""
        item = self.get_object()
        return self._write(
            request,
            check=lambda: policy.check_keep_shop(request.user, item.village_id),
            input_class=RestockSerializer,
            service=partial(services.item_restock, item=item),
            render=lambda restocked: self._render(ItemSerializer, restocked),
        )

    @extend_schema(responses={(200, "image/jpeg"): OpenApiResponse(description="The item's photo.")}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def photo(self, request, pk=None):
        item = self.get_object()
        if not item.photo:
            raise Http404
        return jpeg_response(item.photo)


@extend_schema_view(
    create=extend_schema(
        request=RedemptionCreateSerializer,
        responses={201: RedemptionSerializer, 400: REFUSED_400, 403: REFUSALS[403]},
        description=(
            "Redeem goods for a household: {account, item, quantity} (+ member: who came). Debits the account and "
            "the stock together; 400 insufficient_points when the points above the village's threshold do not "
            "cover it, 400 insufficient_stock when the stock is too small. A replay with the same Idempotency-Key "
            "redeems once."
        ),
    ),
)
class RedemptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _PointsViewSet):
    """Redemptions at the points shop."""

    queryset = Redemption.objects.none()
    serializer_class = RedemptionSerializer
    filterset_class = RedemptionFilter
    pagination_class = LedgerPagination
    policies = {"create": Policy(roles=REDEEMER_ROLES, message=_("Only the shop clerk or a village cadre may redeem."))}

    def get_queryset(self):
        return redemptions_visible_to(self.request.user)

    def _detail(self, pk, status_code=status.HTTP_200_OK):
        return self._render(RedemptionSerializer, redemptions_visible_to(self.request.user).get(pk=pk), status_code)

    def create(self, request, *args, **kwargs):
        return self._write(
            request,
            target_class=RedemptionTargetSerializer,
            check=lambda account, item: policy.check_redeem(request.user, account),
            # The account and the item were read with the target; the service returns the
            # redemption with every row its answer shows (no read after the write).
            input_class=RedemptionPayloadSerializer,
            service=services.points_redeem,
            render=lambda redemption: self._render(RedemptionSerializer, redemption, status.HTTP_201_CREATED),
        )

    @extend_schema(request=ReasonSerializer, responses={200: RedemptionSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def reverse(self, request, pk=None):
        """Undo a redemption (recorded by mistake, goods returned): the points come back with a reversing
        entry and the goods go back into stock. Village cadres only; once (409 already_reversed)."""
        return self._act(
            request,
            lambda redemption: policy.check_reverse_redemption(request.user, redemption),
            ReasonSerializer,
            services.redemption_reverse,
        )


# ---------------------------------------------------------------- 道德红黑榜


@extend_schema_view(
    list=extend_schema(description="Boards of the villages the caller works in (internal until published)."),
    retrieve=extend_schema(responses=BoardDetailSerializer),
    create=extend_schema(
        request=BoardCreateSerializer,
        responses={201: BoardDetailSerializer, 403: REFUSALS[403], 409: REFUSALS[409]},
        description="Compile the quarter's board from the ledger (again, while it is a draft).",
    ),
)
class BoardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _PointsViewSet):
    """道德红黑榜: compiled from the ledger each quarter, decided by the 道德评议会, then published."""

    queryset = Board.objects.none()
    serializer_class = BoardSerializer
    filterset_class = BoardFilter
    policies = {"create": Policy(roles=BOARD_ROLES, message=_("Only a village cadre may compile a board."))}

    def get_queryset(self):
        if self.action == "list":
            return boards_visible_to(self.request.user)
        return board_detail_queryset(self.request.user)

    def get_serializer_class(self):
        return BoardSerializer if self.action == "list" else BoardDetailSerializer

    def _detail(self, pk, status_code=status.HTTP_200_OK):
        return self._render(BoardDetailSerializer, board_detail_queryset(self.request.user).get(pk=pk), status_code)

    def create(self, request, *args, **kwargs):
        def check(village):
            message = _("Only a village cadre of this village may compile its board.")
            policy.check_run_village(request.user, village.pk, message)

        return self._write(
            request,
            target_class=VillageTargetSerializer,
            check=check,
            input_class=BoardCreateSerializer,
            service=services.board_compile,
            render=lambda board: self._detail(board.pk, status.HTTP_201_CREATED),
        )

    def _board_act(self, request, name, input_class, service):
        return self._act(request, lambda board: policy.check_board(request.user, board, name), input_class, service)

    @extend_schema(request=None, responses={200: BoardDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def compile(self, request, pk=None):
        """Compile a draft board again from the ledger (409 board_not_draft once decided)."""

        def again(*, board, actor):
            return services.board_compile(actor=actor, village=board.village, year=board.year, quarter=board.quarter)

        return self._board_act(request, "compile", None, again)

    @extend_schema(request=BoardDecideSerializer, responses={200: BoardDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def decide(self, request, pk=None):
        """Record the 道德评议会's decision: {decision, meeting_date, struck_lines}."""
        return self._board_act(request, "decide", BoardDecideSerializer, services.board_decide)

    @extend_schema(request=None, responses={200: BoardDetailSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def publish(self, request, pk=None):
        """Publish a decided board (409 board_not_decided otherwise)."""
        return self._board_act(request, "publish", None, services.board_publish)

    @extend_schema(responses={200: PublicBoardSerializer, 404: REFUSALS[404]}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def public(self, request, pk=None):
        """What the public sees of a published board: initials only, the black list only if the village
        publishes it (404 until published)."""
        data = board_public(self.get_object())
        if data is None:
            raise Http404
        return Response(PublicBoardSerializer(data).data)
