"""Pages of the points bank (积分银行) for staff, under /points/.

The approval queue and the proposals (maker-checker), proposing for one household or for
many of one event, the passbooks and their printable statements, the shop counter, the
shop's stock, the rules catalogue and the 道德红黑榜.

Every page finds its object through a scoped selector first (out of scope: 404, as if it
did not exist), then asks points.policy whether the viewer's role may act (403), then the
object's state (409, shown on the object's page as a message), then the form (errors next
to the fields), and then calls one service inside the one-time form token's transaction,
so a double tap or a resend never approves, redeems or reverses twice.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from governance.errors import Conflict, Forbidden, Refused
from governance.files import jpeg_response
from governance.forms import OnceForm, redirect_if_resent, save_form, step_page
from governance.roles import (
    ACCOUNT_READER_ROLES,
    BOARD_ROLES,
    DECIDER_ROLES,
    PROPOSER_ROLES,
    REDEEMER_ROLES,
    SHOP_KEEPER_ROLES,
)
from governance.scoping import require_any_role, scope_for
from governance.xlsx import xlsx_response
from grids.models import Household, Resident, Village
from grids.selectors import search_households
from points import exports, policy, services
from points import forms as f
from points.filters import AccountFilter, AwardFilter
from points.models import (
    DEFAULT_PROPOSER_ROLES,
    Award,
    AwardBatch,
    AwardStatus,
    BoardSide,
    BoardStatus,
    Category,
    Entry,
    EntryKind,
    Item,
    ObjectionRuling,
    Rule,
)
from points.policy import PointsInvalid, PointsRefused, PointsStateError
from points.selectors import (
    accounts_visible_to,
    awards_visible_to,
    awards_waiting_for,
    board_detail_queryset,
    boards_visible_to,
    carried_resolutions,
    citable_articles,
    entries_visible_to,
    items_visible_to,
    ledger_of,
    objections_visible_to,
    points_settings,
    public_initials,
    redemptions_visible_to,
    rule_changes_of,
    rules_visible_to,
    settings_of,
    standing,
    with_pending_objections,
)

PER_PAGE = 20
LEDGER_PER_PAGE = 50
QUEUE_LIMIT = 200
BATCH_LIMIT = 500
STATEMENT_LIMIT = 1000
GONE = [Resident.Status.MOVED_OUT, Resident.Status.DECEASED]


def is_partial(request) -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


# ---------------------------------------------------------------- who may do what


def menu(user) -> dict:
    """What the points pages offer the viewer (the tabs, the home page's buttons)."""
    scope = scope_for(user)
    return {
        "decides": scope.has_any_role(DECIDER_ROLES),
        "proposes": scope.has_any_role(PROPOSER_ROLES),
        "redeems": scope.has_any_role(REDEEMER_ROLES),
        "keeps_shop": scope.has_any_role(SHOP_KEEPER_ROLES),
        "runs_boards": scope.has_any_role(BOARD_ROLES),
    }


def may_use_points(user) -> bool:
    """Whoever sees passbooks: the village, its grids and courtyards, the township."""
    return scope_for(user).has_any_role(ACCOUNT_READER_ROLES)


def _require_points(user) -> None:
    if not may_use_points(user):
        raise PermissionDenied(_("The points bank is for village, grid and township staff."))


def _page(request, template, context, status=200):
    context.setdefault("menu", menu(request.user))
    return render(request, template, context, status=status)


def _forbidden(error):
    """save_form's `on_refused` where the page answers a refusal with the 403 page, as its
    role check before the form does."""
    raise PermissionDenied(str(error.message))


def _forbidden_or(request, page):
    """`on_refused`: a Forbidden is the 403 page; a Conflict shows `page()` again (409) with
    the message on top."""

    def on_refused(error):
        if isinstance(error, Forbidden):
            _forbidden(error)
        messages.error(request, str(error.message))
        return page()

    return on_refused


def _next_to(form, field):
    """`on_refused`: the refusal is said next to `field` and the form is shown again (400)."""
    return lambda error: form.add_error(field, str(error.message))


def _household_name(household) -> str:
    return f"{household.number} {household.head_name}".strip()


def _by_name(invalid: PointsInvalid, names: list[str], field="accounts") -> ValidationError:
    """A batch's errors by position in the list sent, as form errors that name each one:
    the list's own errors next to `field`, any other on top."""
    errors = {}
    for key, by_position in invalid.errors.items():
        target = field if key == field else NON_FIELD_ERRORS
        for position, messages_ in sorted(by_position.items(), key=lambda item: int(item[0])):
            name = names[int(position)] if int(position) < len(names) else ""
            errors.setdefault(target, []).extend(f"{name}: {error}" if name else str(error) for error in messages_)
    return ValidationError(errors)


# ---------------------------------------------------------------- home


@login_required
def home(request):
    """The points bank's start: what the viewer can do, with the counts that matter."""
    user = request.user
    _require_points(user)
    options = menu(user)
    scope = scope_for(user)
    now = timezone.now()
    context = {"menu": options}
    if options["decides"]:
        waiting = awards_waiting_for(user).order_by()
        ready = waiting.filter(objection_until__lte=now).exclude(objections__ruling=ObjectionRuling.PENDING)
        context["ready"] = ready.count()
        context["in_notice"] = waiting.filter(objection_until__gt=now).count()
    if options["proposes"]:
        context["my_pending"] = (
            awards_visible_to(user).filter(proposed_by=user, status=AwardStatus.PENDING).order_by().count()
        )
    villages = Village.objects.order_by("code")
    if not scope.is_superuser:
        villages = villages.filter(pk__in=sorted(scope.village_ids))
    context["villages"] = list(villages[:20])
    return _page(request, "points/home.html", context)


# ---------------------------------------------------------------- proposals: the queue


def _mark_awards(user, awards, waiting_ids=None, now=None) -> list:
    """Evaluate `awards` and give each its state for the viewer: `in_notice` (公示 still
    open), `yours` (the viewer may decide it now), `reversal` (its ledger line's reversal)."""
    rows = list(awards)
    now = now or timezone.now()
    if waiting_ids is None:
        ids = [a.pk for a in rows if a.status == AwardStatus.PENDING]
        waiting_ids = set(awards_waiting_for(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    for award in rows:
        award.in_notice = award.status == AwardStatus.PENDING and award.objection_until > now
        award.yours = award.pk in waiting_ids
        award.own = award.proposed_by_id == user.pk
        entry = getattr(award, "entry", None) if award.status == AwardStatus.APPROVED else None
        award.reversal = getattr(entry, "reversed_by", None) if entry is not None else None
    return rows


@login_required
def queue(request):
    """The village cadre's approval queue: the entries whose 公示 has ended (approve them,
    several at once), those still in 公示 (they may be rejected now), and the cadre's own
    proposals, which another cadre decides (maker-checker)."""
    user = request.user
    require_any_role(user, DECIDER_ROLES, _("Only village cadres approve points entries."))
    return _queue_page(request)


def _queue_page(request, form=None, status=200):
    user = request.user
    now = timezone.now()
    # Entries held by an objection come first: they wait for the cadre's ruling.
    waiting = with_pending_objections(awards_waiting_for(user))
    rows = list(waiting.order_by("-objections_pending", "objection_until", "id")[:QUEUE_LIMIT])
    rows = _mark_awards(user, rows, waiting_ids={a.pk for a in rows}, now=now)
    objected = [a for a in rows if a.objections_pending]
    ready = [a for a in rows if not a.in_notice and not a.objections_pending]
    in_notice = [a for a in rows if a.in_notice and not a.objections_pending]
    own = _mark_awards(
        user,
        awards_visible_to(user)
        .filter(proposed_by=user, status=AwardStatus.PENDING)
        .order_by("objection_until", "id")[:QUEUE_LIMIT],
        waiting_ids=set(),
        now=now,
    )
    if form is None:
        form = f.QueueApproveForm(awards=Award.objects.none())
    context = {
        "objected": objected,
        "ready": ready,
        "in_notice": in_notice,
        "own": own,
        "form": form,
        "tab": "queue",
    }
    return _page(request, "points/queue.html", context, status=status)


@login_required
@require_POST
def queue_approve(request):
    """Approve the ticked entries of the queue, all or none, once per rendered form."""
    user = request.user
    require_any_role(user, DECIDER_ROLES, _("Only village cadres approve points entries."))
    if already := redirect_if_resent(request, "form_token", reverse("points:queue")):
        return already
    ready = (
        awards_waiting_for(user)
        .filter(objection_until__lte=timezone.now())
        .exclude(objections__ruling=ObjectionRuling.PENDING)
    )
    form = f.QueueApproveForm(request.POST, awards=ready)
    if form.is_valid():
        awards = sorted(form.cleaned_data["awards"], key=lambda a: a.pk)

        def perform():
            for award in awards:
                services.award_approve(award=award, actor=user)
            return reverse("points:queue")

        done = ngettext(
            "%(count)d entry approved and posted to its passbook.",
            "%(count)d entries approved and posted to their passbooks.",
            len(awards),
        ) % {"count": len(awards)}
        # A refusal (another cadre decided one first) is said on top of the queue.
        saved = save_form(request, form, perform=perform, done=done)
        if saved is not None:
            return saved
    return _queue_page(request, form=form, status=400)


# ---------------------------------------------------------------- proposals: list and detail


@login_required
def entry_list(request):
    """Proposed entries the viewer sees, newest first, each with what happens next."""
    user = request.user
    _require_points(user)
    # The API's filters (?status=, ?batch=, ...); a value that is not one is ignored, as before.
    filters = AwardFilter(request.GET, queryset=awards_visible_to(user), request=request)
    awards = filters.qs
    status = filters.form.cleaned_data.get("status") or ""
    mine = request.GET.get("mine") == "1"
    if mine:
        awards = awards.filter(proposed_by=user)
    page = Paginator(awards.order_by("-id"), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": _mark_awards(user, page.object_list),
        "status": status,
        "mine": mine,
        "statuses": [
            ("", _("All proposals")),
            ("pending", _("Waiting (公示 or decision)")),
            ("approved", _("Approved entries")),
            ("rejected", _("Rejected entries")),
        ],
        "tab": "entries",
    }
    return _page(request, "points/entry_list.html", context)


ENTRY_ACTIONS = {
    "approve": (f.ApproveForm, gettext_lazy("Approved: the entry is posted to the passbook.")),
    "reject": (f.ReasonForm, gettext_lazy("Rejected. The proposer is told why.")),
    "reverse": (f.ReasonForm, gettext_lazy("Reversed: a correcting line is posted to the passbook.")),
}


def _award_for(user, pk) -> Award:
    return get_object_or_404(awards_visible_to(user).select_related("village", "batch"), pk=pk)


def _entry_forms(user, award, now, bound=None) -> dict:
    """The decision forms the viewer may use on this proposal now (maker-checker: never the
    proposer's own). A posted form with errors (`bound`) replaces its fresh twin."""
    forms_ = {}
    decider = policy.may_decide(user, award)
    if award.status == AwardStatus.PENDING and decider and award.proposed_by_id != user.pk:
        held = award.objections.filter(ruling=ObjectionRuling.PENDING).exists()
        if award.objection_until <= now and not held:
            forms_["approve"] = f.ApproveForm(prefix="approve")
        forms_["reject"] = f.ReasonForm(prefix="reject")
    elif award.status == AwardStatus.APPROVED and decider and award.reversal is None:
        forms_["reverse"] = f.ReasonForm(prefix="reverse")
    if award.status == AwardStatus.PENDING and award.objection_until > now and policy.may_object_for(user, award):
        forms_["object"] = f.ObjectionForm(prefix="object")
    if bound is not None:
        forms_[bound.prefix] = bound
    return forms_


def _objection_rows(user, award, forms_) -> list:
    """The proposal's objections, each with the ruling form the viewer may use on it."""
    rows = list(objections_visible_to(user).filter(award=award).order_by("id"))
    for objection in rows:
        objection.award = award
        prefix = f"rule{objection.pk}"
        objection.form = None
        try:
            policy.check_rule_objection(user, objection)
        except (Forbidden, Conflict):
            continue
        objection.form = forms_.pop(prefix, None) or f.RulingForm(prefix=prefix)
    return rows


def _entry_page(request, award, bound=None, status=200):
    user = request.user
    now = timezone.now()
    (award,) = _mark_awards(user, [award], waiting_ids=set(), now=now)
    forms_ = _entry_forms(user, award, now, bound)
    objections = _objection_rows(user, award, forms_)
    context = {
        "award": award,
        "forms": forms_,
        "objections": objections,
        "objection_pending": any(o.ruling == ObjectionRuling.PENDING for o in objections),
        "decider": policy.may_decide(user, award),
        "account_standing": standing(award.account),
        "tab": "entries",
    }
    return _page(request, "points/entry_detail.html", context, status=status)


@login_required
def entry_detail(request, pk):
    return _entry_page(request, _award_for(request.user, pk))


def _refused_entry(request, award, error, status):
    messages.error(request, str(error.message))
    return _entry_page(request, _award_for(request.user, award.pk), status=status)


@login_required
@require_POST
def entry_action(request, pk, action):
    """Approve, reject or reverse one proposal: 404 (scope), 403 (role, or the proposer's
    own), 409 (state, the objection window), form errors, then one service call, once."""
    user = request.user
    if action not in ENTRY_ACTIONS:
        raise Http404
    award = _award_for(user, pk)
    form_class, done = ENTRY_ACTIONS[action]
    if already := redirect_if_resent(request, f"{action}-form_token", reverse("points:entry-detail", args=[award.pk])):
        return already

    def refused(error):
        return _refused_entry(request, award, error, error.status)

    try:
        if action == "reverse":
            policy.check_reverse_award(user, award)
        else:
            policy.check_decide(user, award, action)
    except (Forbidden, Conflict) as error:
        return refused(error)
    form = form_class(request.POST, prefix=action)
    if form.is_valid():
        data = form.cleaned_data

        def perform():
            if action == "approve":
                services.award_approve(award=award, actor=user, note=data["note"])
            elif action == "reject":
                services.award_reject(award=award, actor=user, reason=data["reason"])
            else:
                services.award_reverse(award=award, actor=user, reason=data["reason"])
            return reverse("points:entry-detail", args=[award.pk])

        saved = save_form(
            request,
            form,
            perform=perform,
            done=done,
            on_refused=refused,
        )
        if saved is not None:
            return saved
    return _entry_page(request, award, bound=form, status=400)


@login_required
def entry_evidence(request, pk):
    """The evidence photo, to those who see the proposal (never a public file)."""
    award = _award_for(request.user, pk)
    if not award.evidence:
        raise Http404
    return jpeg_response(award.evidence)


# ---------------------------------------------------------------- proposing


def proposable_accounts(user):
    """Passbooks of the households a proposer role of the user covers."""
    scope = scope_for(user)
    accounts = accounts_visible_to(user)
    if scope.is_superuser:
        return accounts
    households = scope.filter(Household.objects.all(), "household", roles=PROPOSER_ROLES)
    return accounts.filter(household__in=households.values("pk"))


def proposable_rules(user, account) -> list[Rule]:
    """The active rules of the household's village that the user's roles may propose for it."""
    rules = Rule.objects.filter(village_id=account.village_id, is_active=True).order_by("order", "id")
    return [rule for rule in rules if policy.may_propose(user, account, rule)]


def search_accounts(accounts, q: str):
    """Passbooks whose household matches `q`: a name (characters, pinyin, initials), the
    household number, the address, or a member's full ID number."""
    if not q:
        return accounts
    return accounts.filter(household__in=search_households(Household.objects.all(), q).values("pk"))


def _account_rows(accounts) -> list:
    rows = list(accounts)
    for account in rows:
        account.standing = standing(account, settings_of(account))
    return rows


def _picker(request, *, title, accounts, action_url, action_label, tab, extra_query="", template="points/picker.html"):
    """Find a household (search as you type) and go on with its passbook."""
    form = f.AccountSearchForm(request.GET or None)
    query = form.query() if form.is_bound else {"q": "", "below_floor": False}
    found = search_accounts(accounts, query["q"])
    if query["below_floor"]:
        found = AccountFilter({"below_floor": True}, queryset=found, request=request).qs
    page = Paginator(found.order_by("household__number", "pk"), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": _account_rows(page.object_list),
        "searched": bool(query["q"]) or query["below_floor"],
        "title": title,
        "action_url": action_url,
        "action_label": action_label,
        "extra_query": extra_query,
        "list_url": request.path,
        "tab": tab,
    }
    if is_partial(request):
        response = render(request, "points/_account_results.html", context)
    else:
        response = _page(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def entry_create(request):
    """Propose an earn or deduct entry for one household (积分申报): choose the household
    first (search), then the rule, the member, the date, an evidence photo and a note."""
    user = request.user
    require_any_role(user, PROPOSER_ROLES, _("Your role does not propose points entries."))
    wanted = request.GET.get("account", "")
    rule_id = request.GET.get("rule", "")
    if not wanted.isdecimal():
        return _picker(
            request,
            title=_("Propose points: choose the household"),
            accounts=proposable_accounts(user),
            action_url="points:entry-create",
            action_label=_("Propose"),
            tab="entries",
            extra_query=f"&rule={rule_id}" if rule_id.isdecimal() else "",
        )
    account = get_object_or_404(accounts_visible_to(user), pk=int(wanted))
    rules = proposable_rules(user, account)
    if not rules:
        raise PermissionDenied(_("Your role may not propose points for this household."))
    members = account.household.members.exclude(status__in=GONE).order_by("id")
    initial = {}
    if rule_id.isdecimal() and any(rule.pk == int(rule_id) for rule in rules):
        initial["rule"] = int(rule_id)
    posted = request.method == "POST"
    form = f.ProposeForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        rules=Rule.objects.filter(pk__in=[rule.pk for rule in rules]).order_by("order", "id"),
        members=members,
        initial=initial,
    )
    status = 200
    if posted and form.is_valid():
        data = form.cleaned_data

        def perform():
            award = services.award_propose(
                actor=user,
                account=account,
                rule=data["rule"],
                note=data["note"],
                member=data.get("member"),
                occurred_on=data["occurred_on"],
                evidence=data.get("evidence"),
            )
            return reverse("points:entry-detail", args=[award.pk])

        saved = save_form(
            request,
            form,
            perform=perform,
            done=_("Proposed. It is shown publicly (公示) first; then a village cadre decides it."),
            on_refused=_forbidden,
        )
        if saved is not None:
            return saved
    if posted and form.errors:
        status = 400
    context = {
        "form": form,
        "account": account,
        "account_standing": standing(account),
        "rules": rules,
        "objection_days": points_settings(account.village_id).objection_days,
        "tab": "entries",
    }
    return _page(request, "points/entry_form.html", context, status=status)


@login_required
def entry_batch(request):
    """One rule for many households of one event, in one step (all or none)."""
    user = request.user
    require_any_role(user, PROPOSER_ROLES, _("Your role does not propose points entries."))
    scope = scope_for(user)
    accounts = proposable_accounts(user).order_by("village_id", "household__grid__number", "household__number")
    account_rows = list(accounts[:BATCH_LIMIT])
    village_ids = {a.village_id for a in account_rows}
    candidates = Rule.objects.filter(village_id__in=sorted(village_ids), is_active=True, requires_evidence=False)
    rules = [
        rule
        for rule in candidates.select_related("village").order_by("village_id", "order", "id")
        if scope.is_superuser or set(rule.proposer_roles) & scope.roles
    ]
    posted = request.method == "POST"
    form = f.BatchForm(
        request.POST if posted else None,
        rules=Rule.objects.filter(pk__in=[rule.pk for rule in rules]).order_by("village_id", "order", "id"),
        accounts=accounts.filter(pk__in=[a.pk for a in account_rows]),
        initial={"rule": request.GET.get("rule")} if request.GET.get("rule", "").isdecimal() else None,
    )
    # The rows are already loaded: render the ticks from them rather than query again.
    form.fields["accounts"].choices = [
        (a.pk, f"{a.household.number} {a.household.head_name} · {a.household.grid.name}".strip()) for a in account_rows
    ]
    status = 200
    if posted and form.is_valid():
        data = form.cleaned_data
        chosen = sorted(data["accounts"], key=lambda a: a.pk)

        def perform():
            try:
                batch = services.award_propose_batch(
                    actor=user, rule=data["rule"], accounts=chosen, occurred_on=data["occurred_on"], note=data["note"]
                )
            except PointsInvalid as invalid:
                raise _by_name(invalid, [_household_name(account.household) for account in chosen]) from None
            return reverse("points:entry-list") + f"?mine=1&batch={batch.pk}"

        done = ngettext(
            "Proposed for %(count)d household. It is shown publicly (公示) first; then a village cadre decides it.",
            "Proposed for %(count)d households. They are shown publicly (公示) first; then a village cadre "
            "decides them.",
            len(chosen),
        ) % {"count": len(chosen)}
        saved = save_form(request, form, perform=perform, done=done, on_refused=_next_to(form, "rule"))
        if saved is not None:
            return saved
    if posted and form.errors:
        status = 400
    context = {
        "form": form,
        "rules": rules,
        "too_many": len(account_rows) >= BATCH_LIMIT,
        "tab": "entries",
    }
    return _page(request, "points/batch_form.html", context, status=status)


# ---------------------------------------------------------------- passbooks


@login_required
def account_list(request):
    """Find a passbook by name, pinyin initials or household number."""
    user = request.user
    _require_points(user)
    return _picker(
        request,
        title=_("Passbooks"),
        accounts=accounts_visible_to(user),
        action_url="points:account-detail",
        action_label=_("Passbook"),
        tab="accounts",
        template="points/account_list.html",
    )


def _account_for(user, pk):
    return get_object_or_404(accounts_visible_to(user), pk=pk)


def _ledger_rows(user, account, entries) -> list:
    """Ledger lines with what the viewer may do with each: a cadre reverses a line once."""
    rows = list(entries)
    may_reverse = scope_for(user).covers(account.household, DECIDER_ROLES)
    for entry in rows:
        entry.reversal = getattr(entry, "reversed_by", None)
        entry.can_reverse = (
            may_reverse
            and entry.reversal is None
            and entry.kind in (EntryKind.EARN, EntryKind.DEDUCT, EntryKind.REDEEM)
        )
    return rows


@login_required
def account_detail(request, pk):
    """The passbook (积分存折): balance, spendable, benefits, and its running history."""
    return _passbook_page(request, _account_for(request.user, pk))


def _passbook_page(request, account, status=200):
    user = request.user
    page = Paginator(ledger_of(account), LEDGER_PER_PAGE).get_page(request.GET.get("page"))
    pending = _mark_awards(
        user,
        awards_visible_to(user).filter(account=account, status=AwardStatus.PENDING).order_by("id")[:50],
    )
    scope = scope_for(user)
    context = {
        "account": account,
        "household": account.household,
        "account_standing": standing(account),
        "page": page,
        "rows": _ledger_rows(user, account, page.object_list),
        "pending": pending,
        "may_propose": scope.covers(account.household, PROPOSER_ROLES),
        "may_redeem": policy.may_redeem(user, account),
        "consent_form": f.ConsentForm(prefix="consent") if scope.covers(account.household, DECIDER_ROLES) else None,
        "year": timezone.localdate().year,
        "tab": "accounts",
    }
    return _page(request, "points/passbook.html", context, status=status)


@login_required
def account_statement(request, pk):
    """The passbook statement for paper (A5): one year's lines, oldest first, with the
    balance brought forward and carried."""
    user = request.user
    account = _account_for(user, pk)
    today = timezone.localdate()
    year = f.StatementYearForm(request.GET).year_or(today.year)
    rows = list(ledger_of(account).filter(created_at__year=year).order_by("id")[:STATEMENT_LIMIT])
    before = Entry.objects.filter(account=account, created_at__year__lt=year).order_by("-id")
    brought = before.values_list("balance_after", flat=True).first() or 0
    carried = rows[-1].balance_after if rows else brought
    context = {
        "account": account,
        "household": account.household,
        "account_standing": standing(account),
        "rows": rows,
        "truncated": len(rows) >= STATEMENT_LIMIT,
        "year": year,
        "years": list(range(today.year, account.opened_at.year - 1, -1)) or [today.year],
        "brought": brought,
        # The year the passbook was opened starts with its opening line, not a balance brought.
        "show_brought": not rows or rows[0].kind != EntryKind.OPENING,
        "carried": carried,
        "printed_on": today,
        "tab": "accounts",
    }
    return _page(request, "points/statement.html", context)


@login_required
def line_reverse(request, pk):
    """Reverse one ledger line (an approved entry or a redemption) with a reason: a cadre of
    the village, once per line. The reversing line may take the balance low."""
    user = request.user
    entry = get_object_or_404(
        entries_visible_to(user).select_related("account__household", "award", "redemption__item"), pk=pk
    )
    account = entry.account
    if not scope_for(user).covers(account.household, DECIDER_ROLES):
        raise PermissionDenied(_("Only a village cadre of this village may reverse a line of the passbook."))
    entry.reversal = getattr(entry, "reversed_by", None)
    passbook_url = reverse("points:account-detail", args=[account.pk])
    form = f.ReasonForm(request.POST if request.method == "POST" else None, prefix="reverse")
    status = 200
    if request.method == "POST" and (already := redirect_if_resent(request, "reverse-form_token", passbook_url)):
        return already
    try:
        policy.check_reversible(entry)
    except PointsStateError as error:
        messages.error(request, str(error.message))
        return redirect(passbook_url) if request.method == "GET" else _line_page(request, entry, form, 409)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]

        def perform():
            if entry.award_id:
                services.award_reverse(award=entry.award, actor=user, reason=reason)
            else:
                services.redemption_reverse(redemption=entry.redemption, actor=user, reason=reason)
            return passbook_url

        done = (
            _("Reversed: the goods go back into stock and the points back to the passbook.")
            if entry.redemption_id
            else _("Reversed: a correcting line is posted to the passbook.")
        )
        saved = save_form(
            request,
            form,
            perform=perform,
            done=done,
            on_refused=_forbidden_or(request, lambda: _line_page(request, entry, form, 409)),
        )
        if saved is not None:
            return saved
    if request.method == "POST" and form.errors:
        status = 400
    return _line_page(request, entry, form, status)


def _line_page(request, entry, form, status):
    context = {
        "entry": entry,
        "account": entry.account,
        "household": entry.account.household,
        "form": form,
        "tab": "accounts",
    }
    return _page(request, "points/line_reverse.html", context, status=status)


# ---------------------------------------------------------------- the shop counter (积分超市)


def redeemable_accounts(user):
    scope = scope_for(user)
    accounts = accounts_visible_to(user)
    if scope.is_superuser:
        return accounts
    return accounts.filter(village_id__in=sorted(scope.ids_for(REDEEMER_ROLES)))


@login_required
def counter(request):
    """The shop counter: find the household fast, see what it can spend, redeem."""
    user = request.user
    require_any_role(user, REDEEMER_ROLES, _("Only the shop clerk or a village cadre redeems points."))
    return _picker(
        request,
        title=_("Shop counter"),
        accounts=redeemable_accounts(user),
        action_url="points:counter-account",
        action_label=_("Redeem"),
        tab="counter",
        template="points/counter.html",
    )


def _counter_page(request, account, form, status=200):
    user = request.user
    items = list(Item.objects.filter(village_id=account.village_id, is_active=True).order_by("order", "id"))
    allowed = standing(account)
    for item in items:
        item.affordable = item.price <= allowed.spendable
    in_stock = [item.price for item in items if item.stock > 0]
    recent = list(redemptions_visible_to(user).filter(account=account).order_by("-id")[:10])
    for redemption in recent:
        entry = getattr(redemption, "entry", None)
        redemption.reversal = getattr(entry, "reversed_by", None) if entry is not None else None
        redemption.entry_id_ = entry.pk if entry is not None else None
    context = {
        "account": account,
        "household": account.household,
        "account_standing": allowed,
        "items": items,
        "cheapest": min(in_stock) if in_stock else None,
        "form": form,
        "recent": recent,
        "may_reverse": scope_for(user).covers(account.household, DECIDER_ROLES),
        "tab": "counter",
    }
    return _page(request, "points/counter_account.html", context, status=status)


@login_required
def counter_account(request, pk):
    """Redeem goods for one household: which item, how many, which member came."""
    user = request.user
    account = _account_for(user, pk)
    if not policy.may_redeem(user, account):
        raise PermissionDenied(_("Only the shop clerk or a village cadre of this village redeems its points."))
    # Any item of the village's shop may be posted: the service says why it is refused.
    items = Item.objects.filter(village_id=account.village_id)
    members = account.household.members.exclude(status__in=GONE).order_by("id")
    posted = request.method == "POST"
    form = f.RedeemForm(request.POST if posted else None, items=items, members=members)
    status = 200
    counter_url = reverse("points:counter-account", args=[account.pk])
    message = _("This form had already been sent; nothing was redeemed twice.")
    if posted and (already := redirect_if_resent(request, "form_token", counter_url, message)):
        return already
    if posted and form.is_valid():
        data = form.cleaned_data

        def perform():
            try:
                services.points_redeem(
                    actor=user, account=account, item=data["item"], quantity=data["quantity"], member=data.get("member")
                )
            except PointsRefused as refused:
                if refused.field != "account":
                    raise
                # "Not enough points" is about the chosen item: say it there.
                raise PointsRefused(refused.message, code=refused.code, field="item") from None
            return counter_url

        item = data["item"]
        done = _("Handed out %(item)s × %(quantity)d for %(points)d points.") % {
            "item": item.name,
            "quantity": data["quantity"],
            "points": item.price * data["quantity"],
        }
        saved = save_form(request, form, perform=perform, done=done, on_refused=_forbidden)
        if saved is not None:
            return saved
    if posted and form.errors:
        status = 400
    account = _account_for(user, pk)  # the balance as it is now
    return _counter_page(request, account, form, status)


# ---------------------------------------------------------------- the shop's goods


def _villages_for(user, roles):
    """The villages where the user holds one of `roles` (every village for a superuser)."""
    scope = scope_for(user)
    villages = Village.objects.order_by("code")
    return villages if scope.is_superuser else villages.filter(pk__in=sorted(scope.ids_for(roles)))


def _shop_villages(user):
    return _villages_for(user, SHOP_KEEPER_ROLES)


@login_required
def item_list(request):
    """The shop's goods, their stock, and new goods or stock arriving."""
    user = request.user
    require_any_role(user, SHOP_KEEPER_ROLES, _("Only the shop clerk or a village cadre keeps the shop."))
    return _items_page(request)


def _items_page(request, create_form=None, restock=None, status=200):
    user = request.user
    villages = list(_shop_villages(user))
    items = list(
        Item.objects.filter(village__in=[v.pk for v in villages])
        .select_related("village")
        .order_by("village__code", "order", "id")
    )
    for item in items:
        item.restock_form = (
            restock if restock is not None and restock.item_id == item.pk else f.RestockForm(prefix=f"restock{item.pk}")
        )
    context = {
        "items": items,
        "villages": villages,
        "create_form": create_form or f.ItemForm(prefix="item"),
        "village_choice": villages[0] if len(villages) == 1 else None,
        "tab": "items",
    }
    return _page(request, "points/items.html", context, status=status)


@login_required
@require_POST
def item_create(request):
    user = request.user
    require_any_role(user, SHOP_KEEPER_ROLES, _("Only the shop clerk or a village cadre keeps the shop."))
    villages = _shop_villages(user)
    wanted = request.POST.get("village", "")
    if villages.count() > 1:
        village = villages.filter(pk=int(wanted)).first() if wanted.isdecimal() else None
    else:
        village = villages.first()
    form = f.ItemForm(request.POST, request.FILES, prefix="item")
    if village is None:
        form.add_error(None, _("Choose the village whose shop gets the item."))
    elif form.is_valid():
        data = form.cleaned_data

        def perform():
            services.item_create(
                actor=user,
                village=village,
                name=data["name"],
                price=data["price"],
                stock=data["stock"],
                unit=data["unit"],
                photo=data.get("photo"),
            )
            return reverse("points:item-list")

        saved = save_form(request, form, perform=perform, done=_("The item is on the shelf."), on_refused=_forbidden)
        if saved is not None:
            return saved
    return _items_page(request, create_form=form, status=400)


@login_required
@require_POST
def item_restock(request, pk):
    user = request.user
    item = get_object_or_404(items_visible_to(user), pk=pk)
    if not policy.may_keep_shop(user, item.village_id):
        raise PermissionDenied(_("Only the shop clerk or a village cadre of this village keeps its shop."))
    form = f.RestockForm(request.POST, prefix=f"restock{item.pk}")
    form.item_id = item.pk
    if form.is_valid():
        data = form.cleaned_data

        def perform():
            services.item_restock(item=item, actor=user, quantity=data["quantity"])
            return reverse("points:item-list") + f"#item-{item.pk}"

        done = _("%(quantity)d added to the stock of %(item)s.") % {"quantity": data["quantity"], "item": item.name}
        saved = save_form(request, form, perform=perform, done=done, on_refused=_forbidden)
        if saved is not None:
            return saved
    return _items_page(request, restock=form, status=400)


@login_required
def item_photo(request, pk):
    """An item's photo, to those who see the village's shop."""
    item = get_object_or_404(items_visible_to(request.user), pk=pk)
    if not item.photo:
        raise Http404
    return jpeg_response(item.photo)


# ---------------------------------------------------------------- the rules catalogue (积分细则)


@login_required
def rule_list(request):
    """The villages' catalogues: what earns points and what costs them, by category."""
    user = request.user
    _require_points(user)
    scope = scope_for(user)
    rules = list(
        rules_visible_to(user)
        .filter(is_active=True)
        .select_related("compact_article__version")
        .order_by("village__code", "order", "id")
    )
    votes = carried_resolutions(None, {rule.adopted_by_id for rule in rules if rule.adopted_by_id}, standing=False)
    runs = set(_board_villages(user).values_list("pk", flat=True))
    # The catalogue's own order of categories (家国情怀, 文明习俗, 遵纪守法, 公益行动).
    rules.sort(key=lambda rule: (rule.village.code, CATEGORY_ORDER.get(rule.category, 99)))
    villages = {}
    for rule in rules:
        villages.setdefault(rule.village_id, {"village": rule.village, "categories": {}})
        group = villages[rule.village_id]["categories"].setdefault(
            rule.category, {"label": rule.get_category_display(), "earn": [], "deduct": []}
        )
        group["earn" if rule.points > 0 else "deduct"].append(rule)
        rule.may_propose = scope.is_superuser or bool(set(rule.proposer_roles) & scope.roles)
        rule.may_edit = rule.village_id in runs
        rule.vote = votes.get(rule.adopted_by_id, (None, None))[1]
        # Said only where it differs from the usual (grid staff and courtyard helpers propose).
        usual = set(rule.proposer_roles) == set(DEFAULT_PROPOSER_ROLES)
        rule.roles_label = "" if usual else ", ".join(str(ROLE_LABELS.get(r, r)) for r in rule.proposer_roles)
    context = {"villages": list(villages.values()), "runs": bool(runs), "tab": "rules"}
    return _page(request, "points/rule_list.html", context)


CATEGORY_ORDER = {value: index for index, value in enumerate(Category.values)}
ROLE_LABELS = {
    "grid_worker": gettext_lazy("grid workers"),
    "grid_leader": gettext_lazy("grid leaders"),
    "courtyard_helper": gettext_lazy("courtyard helpers"),
    "village_cadre": gettext_lazy("village cadres"),
}


# ---------------------------------------------------------------- 道德红黑榜


def _board_villages(user):
    return _villages_for(user, BOARD_ROLES)


@login_required
def board_list(request):
    user = request.user
    _require_points(user)
    return _boards_page(request)


def _boards_page(request, form=None, status=200):
    user = request.user
    boards = list(boards_visible_to(user).order_by("-year", "-quarter", "village__code")[:100])
    villages = _board_villages(user)
    if form is None and villages.exists():
        form = f.BoardCompileForm(villages=villages)
    context = {"boards": boards, "form": form, "tab": "boards"}
    return _page(request, "points/board_list.html", context, status=status)


@login_required
@require_POST
def board_compile(request):
    user = request.user
    require_any_role(user, BOARD_ROLES, _("Only a village cadre compiles the 红黑榜."))
    form = f.BoardCompileForm(request.POST, villages=_board_villages(user))
    if form.is_valid():
        data = form.cleaned_data

        def perform():
            board = services.board_compile(
                actor=user, village=data["village"], year=data["year"], quarter=data["quarter"]
            )
            return reverse("points:board-detail", args=[board.pk])

        # A refusal (not this village's cadre, someone compiling it now) is said on top of the form.
        saved = save_form(
            request, form, perform=perform, done=_("Compiled from the ledger. Check it before the 道德评议会 meets.")
        )
        if saved is not None:
            return saved
    return _boards_page(request, form=form, status=400)


def _board_for(user, pk):
    return get_object_or_404(board_detail_queryset(user), pk=pk)


def _board_page(request, board, bound=None, status=200):
    user = request.user
    lines = list(board.lines.all())
    for line in lines:
        line.initials = public_initials(line.account.household)
    may_run = policy.may_run_village(user, board.village_id)
    forms_ = {}
    if may_run and board.status == BoardStatus.DRAFT:
        forms_["compile"] = OnceForm(prefix="compile")
        forms_["decide"] = f.BoardDecideForm(prefix="decide", lines=board.lines.all())
    elif may_run and board.status == BoardStatus.DECIDED:
        forms_["publish"] = OnceForm(prefix="publish")
    if bound is not None:
        forms_[bound.prefix] = bound
    settings = points_settings(board.village_id)
    context = {
        "board": board,
        "red": [line for line in lines if line.side == BoardSide.RED],
        "black": [line for line in lines if line.side == BoardSide.BLACK],
        "forms": forms_,
        "settings": settings,
        "tab": "boards",
    }
    return _page(request, "points/board_detail.html", context, status=status)


@login_required
def board_detail(request, pk):
    return _board_page(request, _board_for(request.user, pk))


@login_required
def board_export(request, pk):
    board = _board_for(request.user, pk)
    return xlsx_response(exports.board_export(board), exports.board_filename(board))


@login_required
def ledger_export(request):
    """A village's ledger lines (?village=ID, optionally ?month=YYYY-MM) as .xlsx: the lines
    of the passbooks the caller sees (a grid worker: their grid's). 403 for a role outside
    the points bank, 404 for a village out of sight, 400 for a bad month or too many lines."""
    user = request.user
    _require_points(user)
    try:
        village_id = int(request.GET.get("village", ""))
        month = datetime.date.fromisoformat(request.GET["month"] + "-01") if request.GET.get("month") else None
    except (ValueError, OverflowError):
        return HttpResponse(
            _("Give the village's id and the month as YYYY-MM."), status=400, content_type="text/plain; charset=utf-8"
        )
    village = get_object_or_404(scope_for(user).filter_places(Village.objects.all(), "village"), pk=village_id)
    entries = entries_visible_to(user).filter(village=village)
    if month:
        entries = entries.filter(occurred_on__year=month.year, occurred_on__month=month.month)
    title = _("Ledger %(village)s") % {"village": village.name}
    try:
        data = exports.ledger_export(entries, title=title)
    except Refused as error:
        return HttpResponse(str(error.message), status=400, content_type="text/plain; charset=utf-8")
    return xlsx_response(data, exports.ledger_filename(village, month))


BOARD_DONE = {
    "compile": gettext_lazy("Compiled again from the ledger."),
    "decide": gettext_lazy("The decision of the 道德评议会 is recorded. The board can now be published."),
    "publish": gettext_lazy("Published on the public page."),
}


@login_required
@require_POST
def board_action(request, pk, action):
    user = request.user
    if action not in BOARD_DONE:
        raise Http404
    board = _board_for(user, pk)

    def form():
        if action == "decide":
            return f.BoardDecideForm(request.POST, prefix="decide", lines=board.lines.all())
        return OnceForm(request.POST, prefix=action)

    def perform(data):
        if action == "compile":
            services.board_compile(actor=user, village=board.village, year=board.year, quarter=board.quarter)
        elif action == "decide":
            services.board_decide(
                board=board,
                actor=user,
                decision=data["decision"],
                meeting_date=data["meeting_date"],
                struck_lines=[line.pk for line in data["struck_lines"]],
            )
        else:
            services.board_publish(board=board, actor=user)

    def show(bound, status):
        if bound is None:  # a refusal (409): the board as it is now, with the message on top
            return _board_page(request, _board_for(user, board.pk), status=status)
        return _board_page(request, board, bound=bound, status=status)

    return step_page(
        request,
        action=action,
        detail_url=reverse("points:board-detail", args=[board.pk]),
        check=lambda: policy.check_board(user, board, action),
        form=form,
        perform=perform,
        done=BOARD_DONE[action],
        show=show,
    )


@login_required
def meeting_award(request, pk):
    """Award one rule to the residents a meeting record (院坝会, 村民会议 ...) names as taking
    part: one proposal per household, dated the day of the meeting, all or none."""
    from petitions.models import Deliberation
    from petitions.selectors import matters_visible_to

    user = request.user
    meeting = get_object_or_404(
        Deliberation.objects.select_related("matter", "matter__village").filter(
            matter__in=matters_visible_to(user).values("pk")
        ),
        pk=pk,
    )
    require_any_role(user, PROPOSER_ROLES, _("Your role does not propose points entries."))
    scope = scope_for(user)
    rules = [
        rule
        for rule in Rule.objects.filter(village_id=meeting.matter.village_id, is_active=True, requires_evidence=False)
        if scope.is_superuser or set(rule.proposer_roles) & scope.roles
    ]
    participants = list(meeting.participants.select_related("household").order_by("household__number", "pk"))
    done = AwardBatch.objects.filter(deliberation=meeting).select_related("rule").order_by("pk")
    posted = request.method == "POST"
    form = f.MeetingAwardForm(
        request.POST if posted else None,
        rules=Rule.objects.filter(pk__in=[rule.pk for rule in rules]).order_by("order", "id"),
        initial={"note": meeting.summary[:200]},
    )
    if posted and form.is_valid():
        data = form.cleaned_data

        def perform():
            try:
                batch = services.award_propose_for_deliberation(
                    actor=user, deliberation=meeting, rule=data["rule"], note=data["note"]
                )
            except PointsInvalid as invalid:
                raise _by_name(invalid, [person.name for person in participants], field=None) from None
            return reverse("points:entry-list") + f"?mine=1&batch={batch.pk}"

        done = _(
            "Proposed for everyone who took part. They are shown publicly (公示) first; then a village cadre "
            "decides them."
        )
        saved = save_form(request, form, perform=perform, done=done, on_refused=_next_to(form, "rule"))
        if saved is not None:
            return saved
    context = {"form": form, "meeting": meeting, "participants": participants, "done": done, "tab": "entries"}
    return _page(request, "points/meeting_award.html", context, status=400 if posted else 200)


# ---------------------------------------------------------------- the village's settings (within the law)


def _village_for_run(request):
    """The village the cadre works on (?village=ID among theirs; the first by default): 404
    for a village not theirs."""
    villages = _board_villages(request.user)
    wanted = request.GET.get("village", "")
    village = villages.filter(pk=int(wanted)).first() if wanted.isdecimal() else villages.first()
    if village is None:
        raise Http404
    return village, villages


@login_required
def settings_page(request):
    """The village's points bank: balances, the floor and the black list, and what each may
    withhold (only what the village itself grants: governance.law)."""
    user = request.user
    require_any_role(user, BOARD_ROLES, _("Only a village cadre sets the points bank."))
    village, villages = _village_for_run(request)
    current = points_settings(village.pk)
    posted = request.method == "POST"
    initial = {name: getattr(current, name) for name in f.SETTINGS_FORM_FIELDS}
    form = f.SettingsForm(request.POST if posted else None, initial=initial)
    if posted and form.is_valid():
        data = form.cleaned_data

        def perform():
            changes = {name: data[name] for name in f.SETTINGS_FORM_FIELDS}
            services.settings_update(actor=user, village=village, **changes)
            return reverse("points:settings") + f"?village={village.pk}"

        saved = save_form(request, form, perform=perform, done=_("The points bank's settings are saved."))
        if saved is not None:
            return saved
    context = {
        "form": form,
        "village": village,
        "villages": list(villages),
        "settings_row": current if current.pk else None,
        "tab": "rules",
    }
    return _page(request, "points/settings.html", context, status=400 if posted else 200)


# ---------------------------------------------------------------- rules adopted by resolution


def _change_lines(changes) -> None:
    """Each RuleChange's `lines`: (the field's label, before, after) as the form words them, not
    the stored codes ("points: 1 → 2" read as 积分：1 → 2); one query for the cited articles."""
    from petitions.models import CompactArticle

    fields = f.RuleForm.base_fields
    article_ids = {v for c in changes for v in c.changes.get("compact_article", ()) if isinstance(v, int)}
    articles = {a.pk: _("Article %(n)s") % {"n": a.number} for a in CompactArticle.objects.filter(pk__in=article_ids)}

    def show(name, value):
        if value is None or value == "" or value == []:
            return "—"
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if name == "compact_article":
            return articles.get(value, "—")
        choices = {str(k): v for k, v in getattr(fields.get(name), "choices", ())}
        if isinstance(value, list):
            return "、".join(str(choices.get(str(v), v)) for v in value)
        return str(choices.get(str(value), value))

    for change in changes:
        change.lines = [
            (fields[name].label if name in fields else name, show(name, before), show(name, after))
            for name, (before, after) in change.changes.items()
        ]


def _rule_form_page(request, *, village, rule=None):
    user = request.user
    resolutions = carried_resolutions(village.pk)
    posted = request.method == "POST"
    if rule is not None:
        # Every change names the vote that decided it: the rule's last resolution is not
        # offered ready-chosen, or a change would slip through on the vote before it.
        initial = {name: getattr(rule, name) for name in services.RULE_FIELDS}
    else:
        initial = None
    form = f.RuleForm(
        request.POST if posted else None,
        resolutions=resolutions,
        articles=citable_articles(village, rule),
        editing=rule is not None,
        initial=initial,
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        fields = {name: data[name] for name in services.RULE_FIELDS if name in data}
        fields["description"] = fields.get("description") or ""

        def perform():
            if rule is None:
                created = services.rule_create(actor=user, village=village, resolution=data["adopted_by"], **fields)
                return reverse("points:rule-list") + f"#rule-{created.pk}"
            services.rule_update(actor=user, rule=rule, resolution=data["adopted_by"], **fields)
            return reverse("points:rule-list") + f"#rule-{rule.pk}"

        done = _("The rule is saved, with the resolution that decided it.")
        saved = save_form(request, form, perform=perform, done=done, on_refused=_forbidden)
        if saved is not None:
            return saved
    changes = list(rule_changes_of(rule)[:50]) if rule is not None else []
    _change_lines(changes)
    context = {
        "form": form,
        "village": village,
        "rule": rule,
        "changes": changes,
        "no_resolution": not resolutions,
        "tab": "rules",
    }
    return _page(request, "points/rule_form.html", context, status=400 if posted else 200)


@login_required
def rule_create(request):
    """Add a rule to the village's catalogue, naming the resolution that adopted it."""
    user = request.user
    require_any_role(user, BOARD_ROLES, _("Only a village cadre changes the rules."))
    village, _villages = _village_for_run(request)
    return _rule_form_page(request, village=village)


@login_required
def rule_update(request, pk):
    """Change or retire a rule, naming the resolution that decided it; its history below."""
    user = request.user
    rule = get_object_or_404(rules_visible_to(user), pk=pk)
    if not policy.may_run_village(user, rule.village_id):
        raise PermissionDenied(_("Only a village cadre of this village changes its rules."))
    return _rule_form_page(request, village=rule.village, rule=rule)


# ---------------------------------------------------------------- objections during the 公示


def _entry_form_post(request, award, *, prefix, check, form_class, perform, done):
    """A form posted on a proposal's page about its 公示 (an objection, a ruling), once per
    token: `check()` refusing the role is the 403 page, the state the entry's page with the
    message (409); then the form's errors (400), or `perform(cleaned_data)` and back to the entry."""
    detail = reverse("points:entry-detail", args=[award.pk])
    if already := redirect_if_resent(request, f"{prefix}-form_token", detail):
        return already
    try:
        check()
    except (Forbidden, Conflict) as error:
        if isinstance(error, Forbidden):
            _forbidden(error)
        return _refused_entry(request, award, error, error.status)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        data = form.cleaned_data

        def run():
            perform(data)
            return detail

        saved = save_form(
            request, form, perform=run, done=done, on_refused=_forbidden_or(request, lambda: redirect(detail))
        )
        if saved is not None:
            return saved
    return _entry_page(request, award, bound=form, status=400)


@login_required
@require_POST
def entry_object(request, pk):
    """Staff record a resident's objection to a proposal during its 公示."""
    user = request.user
    award = _award_for(user, pk)

    def perform(data):
        services.objection_raise(
            award=award,
            actor=user,
            reason=data["reason"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
        )

    return _entry_form_post(
        request,
        award,
        prefix="object",
        check=lambda: policy.check_object(user, award),
        form_class=f.ObjectionForm,
        perform=perform,
        done=_("The objection is recorded: the entry waits until a village cadre rules on it."),
    )


@login_required
@require_POST
def objection_rule(request, pk):
    """A village cadre rules on an objection: uphold (the entry is rejected) or dismiss."""
    user = request.user
    objection = get_object_or_404(objections_visible_to(user), pk=pk)
    return _entry_form_post(
        request,
        _award_for(user, objection.award_id),
        prefix=f"rule{objection.pk}",
        check=lambda: policy.check_rule_objection(user, objection),
        form_class=f.RulingForm,
        perform=lambda data: services.objection_rule(
            objection=objection, actor=user, upheld=data["ruling"], note=data["note"]
        ),
        done=_("The ruling is on the record."),
    )


# ---------------------------------------------------------------- consent to the published red list


@login_required
@require_POST
def account_consent(request, pk):
    """Record or withdraw the household's consent to be named on the published red list."""
    user = request.user
    account = _account_for(user, pk)
    if not scope_for(user).covers(account.household, DECIDER_ROLES):
        raise PermissionDenied(_("Only a village cadre of this village records a household's consent."))
    passbook = reverse("points:account-detail", args=[account.pk])
    if already := redirect_if_resent(request, "consent-form_token", passbook):
        return already
    form = f.ConsentForm(request.POST, prefix="consent")
    if form.is_valid():
        consent = form.cleaned_data["consent"]

        def perform():
            services.account_consent(actor=user, account=account, consent=consent)
            return passbook

        done = (
            _("Recorded: the household may be named on the published red list.")
            if consent
            else _("Withdrawn: the household is no longer named on the published red list.")
        )
        saved = save_form(request, form, perform=perform, done=done, on_refused=_forbidden)
        if saved is not None:
            return saved
    messages.error(request, _("This form has expired. Please check the details and send it again."))
    return _passbook_page(request, account, status=400)
