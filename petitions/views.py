"""Pages of matters (事项) for staff: the list, the waiting list, intake, and one matter with
the forms of the actions the viewer may take now.

Every page finds the matter through matters_visible_to first (out of scope: 404, as if it
did not exist), then checks the viewer's role for the action (403), then the matter's state
(409, shown on the matter's page), then the form (errors next to the fields), and then calls
exactly one service, inside the one-time form token's transaction.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from governance import panels as sections
from governance.errors import Refused
from governance.forms import redirect_if_resent, save_form
from governance.models import Department, Role
from governance.roles import (
    GRID_ROLES,
    INTAKE_ROLES,
    REVISIT_ROLES,
    REVISIT_ROLES_BY_KIND,
    SUPERVISION_ROLES,
    TOWNSHIP_ROLES,
)
from governance.scoping import people_reader_required, require_any_role, scope_for
from governance.xlsx import xlsx_response
from grids.models import Courtyard, Grid, Township, Village
from grids.selectors import grids_visible_to, households_visible_to
from petitions import deadlines, procedure, services, workflow
from petitions import forms as f
from petitions.compact import compact_version_of, law_flags
from petitions.deadlines import CLOCK_STATES
from petitions.exports import export_filename, matters_export
from petitions.filters import MatterFilter
from petitions.models import (
    OPEN_STATES,
    DecisionRule,
    Deliberation,
    Kind,
    Matter,
    MatterCategory,
    MatterEvent,
    Rating,
    State,
    VillageAffairsVerifiers,
    village_affairs_verifiers,
)
from petitions.photos import matter_add_photo, may_add_photo
from petitions.selectors import (
    QUEUE_ORDER,
    awaiting_township_approval,
    handler_candidates,
    matters_by_ids,
    matters_visible_to,
    matters_waiting_for,
    waiting_ids,
)

MATTERS_PER_PAGE = 20
QUEUE_LIMIT = 100
HOME_QUEUE = 5
HOME_SUPERVISED = 10
HOUSEHOLD_CHOICES_LIMIT = 300
# Characters of a typed description the duplicate check reads (it compares the first 300).
DUPLICATE_PROBE = 2000

# 提分议办督评: the six stages and the state each one is.
STAGES = [
    ("提", gettext_lazy("submitted"), State.SUBMITTED),
    ("分", gettext_lazy("classified"), State.CLASSIFIED),
    ("议", gettext_lazy("deliberated"), State.DELIBERATING),
    ("办", gettext_lazy("handled"), State.HANDLING),
    ("督", gettext_lazy("verified"), State.VERIFYING),
    ("评", gettext_lazy("evaluated"), State.EVALUATING),
]
STAGE_OF = {state: i for i, (_c, _l, state) in enumerate(STAGES)}
# 复查 belongs to 评: the resident's answer is being reviewed one level up.
STAGE_OF[State.REVIEWING] = STAGE_OF[State.EVALUATING]

# What the viewer does next when the matter is in their queue, by state.
YOUR_TURN = {
    State.SUBMITTED: ("classify", gettext_lazy("Classify it (三事分流)")),
    State.CLASSIFIED: ("deliberate", gettext_lazy("Deliberate")),
    State.DELIBERATING: ("deliberate", gettext_lazy("Deliberate or assign")),
    State.HANDLING: ("report", gettext_lazy("Report the result")),
    State.VERIFYING: ("verify", gettext_lazy("Verify the result")),
    State.EVALUATING: ("evaluate", gettext_lazy("Record the return visit (回访)")),
    State.REVIEWING: ("decide_review", gettext_lazy("Decide the review (复查)")),
}

# A land contract adjustment waiting in the township's queue.
APPROVAL_TURN = ("township_approval", gettext_lazy("Approve or refuse the land adjustment"))
# A village compact waiting in the township's queue for its filing (备案).
FILING_TURN = ("record_filing", gettext_lazy("File or return the compact (备案)"))
# A department signs for (签收) its matter before it works on it; the level above decides an extension.
SIGN_TURN = ("sign", gettext_lazy("Sign for it (签收)"))
DECIDE_EXTENSION_TURN = ("decide_extension", gettext_lazy("Decide the extension (延期审批)"))

VILLAGE_STEPS = procedure.STEP_TITLES

# Who verifies a 村事, in words, by the village's setting (petitions.workflow.verifiers_cover).
VILLAGE_AFFAIRS_VERIFYING = {
    VillageAffairsVerifiers.TOWNSHIP: gettext_lazy("Waiting for the township to verify the result"),
    VillageAffairsVerifiers.SUPERVISORS_AND_TOWNSHIP: gettext_lazy(
        "Waiting for the supervision committee (村务监督委员会) or the township to verify the result"
    ),
    VillageAffairsVerifiers.SUPERVISORS: gettext_lazy(
        "Waiting for the supervision committee (村务监督委员会) to verify the result"
    ),
}


def person(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def is_partial(request) -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def matter_url(matter) -> str:
    return reverse("petitions:matter-detail", args=[matter.pk])


# ---------------------------------------------------------------- who acts next


def _waiting_to_decide(matter: Matter, approval_due: bool, filing_due: bool = False, decided: bool = False) -> str:
    """Who a classified or deliberating matter waits for, in words."""
    kind = matter.kind
    if kind == Kind.CIVIL:
        return _("Waiting for the grid's consultation (院坝会) or mediation")
    if decided and kind == Kind.VILLAGE:
        return _("Decided: waiting for the village cadre to assign who carries it out (step 7)")
    if kind == Kind.VILLAGE and procedure.sent_back(matter):
        return _("Sent back by the township: waiting for the villagers to vote again")
    if approval_due:
        return _("Waiting for the township's approval")
    if filing_due:
        return _("Waiting for the township to file the compact (备案)")
    if kind == Kind.VILLAGE and matter.township_approval == "" and procedure.decision_rule(matter) == DecisionRule.LAND:
        return _("Waiting for the village's seven steps (七步走), then the township's approval")
    if kind == Kind.VILLAGE:
        return _("Waiting for the village's seven steps (七步走)")
    return _("Waiting for the township to review it and assign a department")


def who_acts_next(
    matter: Matter, *, approval_due: bool = False, filing_due: bool = False, decided: bool = False
) -> str:
    """Who the matter waits for, in words (the same rules as petitions.workflow);
    `approval_due`: the village's steps are done and a land adjustment waits for the township;
    `filing_due`: a compact waits for the township's filing (备案); `decided`: deliberation is
    complete (procedure.deliberation_complete), the matter waits to be handled."""
    state, kind = matter.state, matter.kind
    if state == State.SUBMITTED:
        return _("Waiting for the village cadre to classify it")
    if state in (State.CLASSIFIED, State.DELIBERATING):
        return _waiting_to_decide(matter, approval_due, filing_due, decided)
    if state == State.HANDLING:
        if matter.department_id:
            return _("Being handled by %(name)s") % {"name": matter.department.name}
        return _("Being handled by %(name)s") % {"name": person(matter.handler)}
    if state == State.VERIFYING:
        if kind == Kind.CIVIL:
            return _("Waiting for the village cadre to verify the result")
        if kind == Kind.VILLAGE:
            return VILLAGE_AFFAIRS_VERIFYING[village_affairs_verifiers(matter)]
        return _("Waiting for the township to verify the result")
    if state == State.EVALUATING:
        return _("Waiting for the resident's evaluation")
    if state == State.REVIEWING:
        if kind == Kind.CIVIL:
            return _("Waiting for the village cadre to decide the review (复查)")
        if kind == Kind.VILLAGE:
            return _("Waiting for the township to decide the review (复查)")
        return _("Waiting for the township leader to decide the review (复查)")
    return ""


def _revisits_it(scope, user, matter) -> bool:
    """Whether the return visit (回访) of `matter` is the user's: a revisit role of its kind,
    and independent of the work (petitions.workflow)."""
    return not scope.is_superuser and workflow.revisitors_cover(scope, matter) and not workflow.took_part(user, matter)


def _your_turn(scope, user, matter):
    """The next action in the viewer's queue: by state, except a land adjustment the township
    approves, an extension the level above decides, and a department's matter not signed for yet."""
    for action, turn in (("decide_extension", DECIDE_EXTENSION_TURN), ("sign", SIGN_TURN)):
        if workflow.TRANSITIONS[action].possible(matter) and workflow.may(user, action, matter):
            return turn
    if matter.state == State.DELIBERATING and scope.covers(matter, TOWNSHIP_ROLES):
        rule = procedure.decision_rule(matter)
        if rule == DecisionRule.LAND:
            return APPROVAL_TURN
        if rule == DecisionRule.COMPACT:
            return FILING_TURN
    return YOUR_TURN.get(matter.state)


def annotate_rows(user, matters, waiting_ids=None) -> list:
    """Evaluate `matters` and give each row its next action for `user`: `row.your_turn`
    (action, label) when the user acts next, else `row.waiting_for` in words.

    The queue membership comes from one query over the rows (matters_waiting_for), so a
    list costs the same whatever its length; the return visit (回访) is a scope check.
    """
    rows = list(matters)
    if waiting_ids is None:
        ids = [m.pk for m in rows if m.state in OPEN_STATES]
        waiting_ids = set(matters_waiting_for(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    now = timezone.now()
    scope = scope_for(user)
    approval_due = awaiting_township_approval(rows)
    for matter in rows:
        matter.your_turn = None
        if matter.pk in waiting_ids or (matter.state == State.EVALUATING and _revisits_it(scope, user, matter)):
            matter.your_turn = _your_turn(scope, user, matter)
        matter.waiting_for = who_acts_next(matter, approval_due=matter.pk in approval_due)
        matter.clock_running = matter.state in deadlines.CLOCK_STATES
        # Not accepted (受理) in time: shown like an overdue handling clock.
        matter.late_acceptance = bool(matter.accept_overdue_at and matter.accept_by and matter.is_open)
        matter.age_days = (now - matter.created_at).days
    return rows


# ---------------------------------------------------------------- the list and the queue


def _filtered(request):
    """The list's filters: the page's form checks the input, the API's FilterSet
    (petitions.filters.MatterFilter) applies state, kind, category and grid; the page's own
    choices (open, not classified yet, overdue, a #number in the search) are added here."""
    user = request.user
    grids = grids_visible_to(user).order_by("village__code", "number")
    form = f.MatterFilterForm(request.GET or None, grids=grids)
    filters = form.filters() if form.is_bound else {}
    filters["figure"] = {}
    query = form.api_query(filters)
    figure = figure_filters(request.GET, user)
    query.update({key: value for key, (_label, value) in figure.items()})
    if filters.get("overdue"):
        query["overdue"] = "true"
    matters = MatterFilter(query, queryset=matters_visible_to(user), request=request).qs
    filters["figure"] = figure
    q = (filters.get("q") or "").strip()
    if q:
        number = q.lstrip("#")
        matters = matters.filter(Q(title__icontains=q) | (Q(pk=int(number)) if number.isdecimal() else Q(pk__in=[])))
    if filters.get("kind") == f.MatterFilterForm.UNCLASSIFIED:
        matters = matters.filter(kind="")
    return form, filters, matters


def figure_filters(params, user) -> dict:
    """The dashboards' filters in the query string (petitions.filters.MatterFilter), which the
    list's form does not show: {name: (label, value)}, so the page can say what it lists in
    its users' words (the village's name, the stage, the rating), not the API's."""
    found = {}
    for name in FIGURE_FILTERS:
        values = [v for v in params.getlist(name) if v][:10]
        if values:
            found[name] = (_figure_label(name, values, user), values if name == "rating" else values[0])
    return found


# The figures' filters as a reader says them; the API's labels (petitions.filters) are for
# programmers. Filters not named here are yes/no ones whose own label reads well.
FIGURE_NAMED = {"village": Village, "township": Township, "department": Department, "returned_by": Department}
FIGURE_PERIODS = {
    "created": gettext_lazy("Received"),
    "closed": gettext_lazy("Closed"),
    "due": gettext_lazy("Deadline"),
}


def _figure_label(name: str, values: list[str], user) -> str:
    base = MatterFilter.base_filters[name]
    if name in FIGURE_NAMED:
        model = FIGURE_NAMED[name]
        # Named only inside a township where the user sees matters: an id from elsewhere stays
        # a number (the list is empty for it anyway), so the label tells nothing of other places.
        places = model.objects.filter(pk=_int(values[0]))
        townships = matters_visible_to(user).order_by().values("township_id")
        places = places.filter(**{"pk__in" if model is Township else "township_id__in": townships})
        found = places.values_list("name", flat=True).first()
        title = _("Sent back (退回)") if name == "returned_by" else capfirst(model._meta.verbose_name)
        return f"{title}: {found or values[0]}"
    if name in FIGURE_PERIODS:
        return f"{FIGURE_PERIODS[name]}: {values[0]}"
    if hasattr(base, "extra") and "choices" in base.extra:
        choices = dict(base.extra["choices"])
        title = {"step_group": capfirst(_("stage")), "timeliness": _("On-time rate"), "rating": _("Rating")}
        return f"{title.get(name, base.label)}: {'、'.join(str(choices.get(v, v)) for v in values)}"
    return str(base.label)


# The filters a figure's link may carry: the API's (petitions.filters.MatterFilter) that the
# list's form does not show, but the household's, the queue's and the API's own search.
FIGURE_FILTERS = tuple(
    name
    for name in MatterFilter.Meta.fields
    if name not in f.MatterFilterForm.base_fields and name not in {"household", "waiting", "search"}
)


@login_required
@people_reader_required(matters=True)
def matter_list(request):
    form, filters, matters = _filtered(request)
    page = Paginator(matters.order_by("-created_at", "-id"), MATTERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        # The next-action mark from the queue the menu counts (cached: petitions.queue), not
        # the queue's long OR planned again over the page's rows.
        "rows": annotate_rows(request.user, page.object_list, waiting_ids=set(waiting_ids(request))),
        "filtered": any(v for v in filters.values()),
        "figure_labels": [label for label, _value in filters["figure"].values()],
        "figure_inputs": [
            (name, v)
            for name, (_label, value) in filters["figure"].items()
            for v in ([value] if isinstance(value, str) else value)
        ],
        "can_add": scope_for(request.user).has_any_role(INTAKE_ROLES),
        "tab": "all",
        "export_query": _export_query(request),
    }
    template = "petitions/_matter_results.html" if is_partial(request) else "petitions/matter_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _export_query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@people_reader_required(matters=True)
def matter_export(request):
    """The list as it is filtered, as .xlsx (at most governance.xlsx.MAX_EXPORT_ROWS rows:
    past that the list says so and nothing is downloaded)."""
    _form, _filters, matters = _filtered(request)
    try:
        data = matters_export(matters)
    except Refused as error:
        messages.error(request, error.message)
        query = _export_query(request)
        return redirect(reverse("petitions:matter-list") + (f"?{query}" if query else ""))
    return xlsx_response(data, export_filename())


def waiting_queue(request) -> list:
    """The user's queue (matters_waiting_for): overdue first, then the nearest deadline."""
    rows = matters_by_ids(waiting_ids(request)[:QUEUE_LIMIT])
    return annotate_rows(request.user, rows, waiting_ids={m.pk for m in rows})


def _revisits(user):
    """Matters waiting for the resident's answer in the places the user visits (回访)."""
    scope = scope_for(user)
    if scope.is_superuser or not scope.has_any_role(REVISIT_ROLES):
        return Matter.objects.none()
    by_kind = Q()
    for kind, roles in REVISIT_ROLES_BY_KIND.items():
        if scope.has_any_role(roles):
            by_kind |= Q(kind=kind) & scope.condition("matter", roles=roles)
    return (
        matters_visible_to(user)
        .filter(state=State.EVALUATING)
        .filter(by_kind)
        .exclude(Q(handler=user) | Q(reported_by=user) | Q(verified_by=user))
        .order_by("updated_at", "id")
    )


@login_required
@people_reader_required(matters=True)
def matter_waiting(request):
    """What is waiting for the viewer, by what they do next: classify, deliberate or assign,
    report, verify; then the return visits (回访) and what they recorded that is still open."""
    user = request.user
    queue = waiting_queue(request)
    groups = []
    for action, title in (
        ("classify", _("To classify (分)")),
        ("deliberate", _("To deliberate or assign (议)")),
        ("township_approval", _("To approve: land contract adjustments (土地承包调整)")),
        ("record_filing", _("To file: village compacts (村规民约备案)")),
        ("decide_extension", _("Decide the extension (延期审批)")),
        ("sign", _("Sign for the matter (签收)")),
        ("report", _("To handle and report (办)")),
        ("verify", _("To verify (督)")),
        ("decide_review", _("Reviews to decide (复查)")),
    ):
        rows = [m for m in queue if m.your_turn and m.your_turn[0] == action]
        if rows:
            groups.append({"action": action, "title": title, "rows": rows})
    # Neither the return visits nor what the user recorded are in the queue: no lookup needed.
    revisits = annotate_rows(user, _revisits(user)[:QUEUE_LIMIT], waiting_ids=set())
    if revisits:
        groups.append(
            {"action": "evaluate", "title": _("Return visits (回访): ask the resident (评)"), "rows": revisits}
        )
    queued = {m.pk for m in queue} | {m.pk for m in revisits}
    recorded = annotate_rows(
        user,
        matters_visible_to(user)
        .filter(created_by=user, state__in=sorted(OPEN_STATES))
        .exclude(pk__in=sorted(queued))
        .order_by("-created_at", "-id")[:QUEUE_LIMIT],
        waiting_ids=set(),
    )
    context = {
        "groups": groups,
        # All that waits, as the badge and the home count it (the queue lists the first QUEUE_LIMIT).
        "total": len(waiting_ids(request)) + len(revisits),
        "recorded": recorded,
        "can_add": scope_for(user).has_any_role(INTAKE_ROLES),
        "tab": "waiting",
    }
    return render(request, "petitions/matter_waiting.html", context)


def waiting_summary(request) -> dict | None:
    """For the home page: the first few matters of the user's queue and how many there are."""
    user = request.user
    scope = scope_for(user)
    if scope.is_superuser or not scope.reads_matters:
        return None
    ids = waiting_ids(request)
    rows = matters_by_ids(ids[:HOME_QUEUE])
    rows = annotate_rows(user, rows, waiting_ids={m.pk for m in rows})
    total = len(ids)
    return {"rows": rows, "total": total, "can_add": scope.has_any_role(INTAKE_ROLES)}


def supervised_summary(user) -> dict | None:
    """For the supervision committee's home (村务监督委员会): the open 村事 of its villages,
    overdue first, with what each waits for, and how many there are."""
    scope = scope_for(user)
    if scope.is_superuser or not scope.has_any_role(SUPERVISION_ROLES):
        return None
    matters = matters_visible_to(user).filter(
        kind=Kind.VILLAGE,
        village_id__in=sorted(scope.ids_for(SUPERVISION_ROLES)),
        state__in=sorted(OPEN_STATES),
    )
    rows = annotate_rows(user, matters.order_by(*QUEUE_ORDER)[:HOME_SUPERVISED])
    return {"rows": rows, "total": matters.count(), "kind": Kind.VILLAGE}


# ---------------------------------------------------------------- 提: intake


def intake_grids(user):
    """Grids where the user may record a matter: grid staff their grids, village cadres their
    villages' grids, courtyard helpers the grid of their courtyard; grids in use only."""
    scope = scope_for(user)
    grids = Grid.objects.active().select_related("village").order_by("village__code", "number")
    if scope.is_superuser:
        return grids
    courtyards = Courtyard.objects.filter(pk__in=sorted(scope.ids_for({Role.COURTYARD_HELPER}))).values("grid_id")
    return grids.filter(
        Q(pk__in=sorted(scope.ids_for(GRID_ROLES)))
        | Q(village_id__in=sorted(scope.ids_for({Role.VILLAGE_CADRE})))
        | Q(pk__in=courtyards)
    )


def intake_households(user):
    return households_visible_to(user, roles=None if user.is_superuser else INTAKE_ROLES).order_by(
        "grid__village__code", "grid__number", "number", "pk"
    )


def _visible_duplicates(user, matter, category=None) -> list:
    """The open matters the user sees that may be the same as `matter`, most alike first."""
    return services.possible_duplicates(matter, category, among=matters_visible_to(user))


def _duplicate_choices(user, rows):
    """The matters a reject form offers as "duplicate of": those suggested; None for none."""
    if not rows:
        return None
    return matters_visible_to(user).filter(pk__in=[m.pk for m in rows]).order_by("-id")


@login_required
def matter_create(request):
    user = request.user
    require_any_role(user, INTAKE_ROLES, _("Only grid staff, courtyard helpers and village cadres record matters."))
    grids = intake_grids(user)
    households = intake_households(user)
    household = None
    wanted = request.GET.get("household", "")
    if wanted.isdecimal():
        household = households.filter(pk=int(wanted)).first()
        if household is None:
            raise Http404
    elif households.count() > HOUSEHOLD_CHOICES_LIMIT:
        households = None  # too many to choose from: start from the household's page instead
    initial = {"source": "walk_in" if scope_for(user).has_any_role({Role.VILLAGE_CADRE}) else "visit"}
    if household is not None:
        initial.update(
            grid=household.grid_id,
            household=household.pk,
            submitter_name=household.head_name,
            submitter_phone=household.phone,
        )
    elif len(grid_ids := list(grids.values_list("pk", flat=True)[:2])) == 1:
        initial["grid"] = grid_ids[0]
    form = f.MatterCreateForm(
        request.POST or None, grids=grids, households=households, household=household, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def perform():
            matter = services.matter_submit(
                actor=user,
                title=data["title"],
                description=data["description"],
                grid=data["grid"],
                household=data.get("household"),
                category=data.get("category"),
                source=data["source"],
                submitter_name=data["submitter_name"],
                submitter_phone=data["submitter_phone"],
                on_behalf=data["on_behalf"],
            )
            return matter_url(matter)

        saved = save_form(
            request, form, perform=perform, done=_("The matter is recorded. The village cadre is told to classify it.")
        )
        if saved is not None:
            return saved
    return render(request, "petitions/matter_form.html", {"form": form, "household": household})


@login_required
def matter_duplicates(request):
    """The open matters that may be the same as the one being written (htmx, while the intake
    form is filled in): its title, description, grid and category so far."""
    user = request.user
    grid = intake_grids(user).filter(pk=_int(request.GET.get("grid"))).first()
    category = f.active_categories().filter(pk=_int(request.GET.get("category"))).first()
    # As typed so far, within the form's own limits; a NUL (which no database text holds) dropped.
    title, description = (
        request.GET.get(name, "").replace("\x00", "").strip()[:limit]
        for name, limit in (("title", Matter._meta.get_field("title").max_length), ("description", DUPLICATE_PROBE))
    )
    rows = []
    if grid is not None and (title or description or category is not None):
        probe = Matter(
            township_id=grid.township_id, village_id=grid.village_id, grid=grid, title=title, description=description
        )
        rows = annotate_rows(user, _visible_duplicates(user, probe, category))
    return render(request, "petitions/_duplicates.html", {"duplicates": rows, "category": category})


def _int(value) -> int:
    return int(value) if value and str(value).isdecimal() else 0


# ---------------------------------------------------------------- one matter


def matter_detail_queryset(user):
    records = (
        Deliberation.objects.select_related("recorded_by").prefetch_related("participants").order_by("held_on", "id")
    )
    events = MatterEvent.objects.select_related("actor").order_by("created_at", "id")
    return (
        matters_visible_to(user)
        .select_related(
            "township",
            "household",
            "created_by",
            "assigned_by",
            "reported_by",
            "duplicate_of",
            "pending_extension",
            "signed_by",
        )
        .prefetch_related(Prefetch("deliberations", queryset=records), Prefetch("events", queryset=events), "photos")
    )


village_steps = procedure.village_steps


def _deliberate_variants(matter, steps) -> list[tuple[str, int | None]]:
    """The deliberation forms the matter's kind allows: the 七步走's next step, if any."""
    variants = []
    for record in procedure.deliberation_kinds(matter):
        if record != Deliberation.Kind.STEP:
            variants.append((record, None))
        elif steps["next"]:
            variants.append((record, steps["next"]))
    return variants


def _members(matter):
    if not matter.household_id:
        return None
    return matter.household.members.order_by("id")


def make_form(action, user, matter, data=None, *, record=None, step=None, duplicates=None):
    """The form of `action` on `matter`, bound to `data` when given. `duplicates`: the
    matters a rejection may point to (None: no such choice)."""
    kwargs = {"matter": matter, "user": user}
    if action == "deliberate":
        return f.DeliberateForm(data, record=record, step=step, members=_members(matter), **kwargs)
    if action == "handle":
        if matter.kind == Kind.GOVERNMENT:
            departments = Department.objects.filter(township_id=matter.township_id).order_by("name")
            return f.HandleForm(data, departments=departments, **kwargs)
        initial = {}
        candidates = handler_candidates(matter)
        if matter.kind == Kind.CIVIL and scope_for(user).ids_for(GRID_ROLES):
            initial["handler"] = user.pk
        return f.HandleForm(data, handlers=candidates, initial=initial, **kwargs)
    if action == "reject":
        return f.RejectForm(data, duplicates=duplicates, **kwargs)
    return getattr(f, workflow.TRANSITIONS[action].form)(data, **kwargs)


def stage_progress(matter) -> list[dict]:
    """提分议办督评 as six boxes: done, current, or still to come."""
    if matter.state == State.CLOSED:
        current = len(STAGES)
    elif matter.state in STAGE_OF:
        current = STAGE_OF[matter.state]
    else:  # rejected or withdrawn: it stopped where it was
        stopped = [e.from_state for e in matter.events.all() if e.to_state == matter.state]
        current = STAGE_OF.get(stopped[-1] if stopped else State.SUBMITTED, 0)
    stopped = matter.state in (State.REJECTED, State.WITHDRAWN)
    return [
        {
            "char": char,
            "label": label,
            "status": "done" if i < current else ("stopped" if stopped else "current") if i == current else "todo",
        }
        for i, (char, label, _state) in enumerate(STAGES)
    ]


# The timeline's word for a decision recorded as yes or no: (payload key, yes, no).
YES_NO_DETAILS = {
    "verify": ("passed", gettext_lazy("Passed"), gettext_lazy("Not passed: back to the handler")),
    "township_approval": ("approve", gettext_lazy("Approved"), gettext_lazy("Refused")),
    # Filing events from before the township decided them (the village recorded them) carry no
    # "filed": they were filings.
    "record_filing": ("filed", gettext_lazy("Filed"), gettext_lazy("Returned to the village")),
}


def timeline(matter, categories) -> list[dict]:
    """MatterEvent rows in words: who, when, what, from which state to which, and details."""
    events = list(matter.events.all())
    user_ids = {e.payload.get("handler") for e in events if e.action == "handle"} - {None}
    department_ids = {e.payload.get("department") for e in events if e.action == "handle"} - {None}
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=sorted(user_ids))} if user_ids else {}
    departments = dict(Department.objects.filter(pk__in=sorted(department_ids)).values_list("pk", "name"))
    states, kinds, ratings = dict(State.choices), dict(Kind.choices), dict(Rating.choices)
    record_kinds = dict(Deliberation.Kind.choices)
    rows = []
    for event in events:
        p = event.payload or {}
        details = []
        if event.action in ("classify", "reclassify"):
            details.append(f"{kinds.get(p.get('kind'), p.get('kind', ''))} · {categories.get(p.get('category'), '')}")
        if event.action == "deliberate":
            label = record_kinds.get(p.get("kind"), "")
            if p.get("step"):
                label = _("Step %(step)d: %(name)s") % {"step": p["step"], "name": VILLAGE_STEPS[p["step"]]}
            details.append(label)
            if p.get("step") == 5:
                details.append(_("The vote carried") if p.get("carried") else _("The vote did not carry"))
        if event.action == "handle":
            who = departments.get(p.get("department")) or person(users.get(p.get("handler")))
            details.append(_("Handler: %(name)s") % {"name": who})
        if event.action == "escalate" and p.get("level"):
            details.append(_("Supervision level %(level)d") % {"level": p["level"]})
        if event.action == "report" and p.get("step") == 7:
            details.append(str(VILLAGE_STEPS[7]))
        if event.action in YES_NO_DETAILS:
            key, yes, no = YES_NO_DETAILS[event.action]
            details.append(str(yes if p.get(key, True) else no))
        if event.action == "evaluate":
            details.append(str(ratings.get(p.get("rating"), "")))
        for key in ("reason", "note", "result", "comment"):
            if p.get(key):
                details.append(p[key])
        if event.actor_id:
            actor = person(event.actor)
        elif event.actor_label == services.SUBMITTER:
            actor = _("the resident (by tracking code)")
        else:
            actor = _("the system")
        rows.append(
            {
                "event": event,
                "label": workflow.event_label(event.action),
                "actor": actor,
                "from": states.get(event.from_state, ""),
                "to": states.get(event.to_state, ""),
                "changed": event.from_state != event.to_state,
                "details": [d for d in details if d],
            }
        )
    return rows


HANDLE_HINTS = {
    Kind.CIVIL: gettext_lazy("Hold a consultation meeting (院坝会) or a mediation first; then assign a handler."),
    Kind.VILLAGE: gettext_lazy("Complete steps 1 to 6, with a vote that carried; then assign a handler."),
    Kind.GOVERNMENT: gettext_lazy("Record the township's review first; then assign a department."),
}


TOWNSHIP_HINTS = {
    "approval": gettext_lazy(
        "The vote carried: the township approves the land contract adjustment before it is handled."
    ),
    "filing": gettext_lazy(
        "The vote carried: the township files the compact (备案) before it is handled; if it returns it, "
        "amend the compact and vote again."
    ),
}


def _handle_hint(matter, records):
    waiting = procedure.township_step(matter, records)
    return TOWNSHIP_HINTS[waiting] if waiting else HANDLE_HINTS.get(matter.kind)


def _deliberate_title(form) -> str:
    if form.record == Deliberation.Kind.STEP:
        if form.step == 5:
            return _("Record the vote (step 5)")
        return _("Record step %(step)d: %(name)s") % {"step": form.step, "name": VILLAGE_STEPS[form.step]}
    return {
        Deliberation.Kind.MEETING: _("Record a consultation meeting (院坝会)"),
        Deliberation.Kind.MEDIATION: _("Record a mediation (调解)"),
        Deliberation.Kind.REVIEW: _("Record the township's review"),
    }[form.record]


def action_panels(user, matter, actions, steps, complete, duplicates, bound=None) -> list[dict]:
    """The forms of the actions `user` may take now, the next step first. A posted form
    with errors (`bound`) replaces its fresh twin and is shown open."""
    scope = scope_for(user)
    panels = []
    for action in sorted(actions, key=lambda a: a != "sign"):  # a department signs for it first
        if action == "handle" and not complete:
            continue
        if action == "request_extension" and matter.pending_extension_id:
            continue  # one request waits at a time: the page says so instead
        if action == "deliberate":
            forms = [
                make_form("deliberate", user, matter, record=record, step=step)
                for record, step in _deliberate_variants(matter, steps)
            ]
        else:
            form = make_form(action, user, matter, duplicates=duplicates)
            forms = [form] if form is not None else []
        for i, form in enumerate(forms):
            if (
                bound is not None
                and bound.action == action
                and getattr(bound, "record", None) == getattr(form, "record", None)
                and getattr(bound, "step", None) == getattr(form, "step", None)
            ):
                form = bound
            # Anyone in the township may record a return visit, but it is the village's work.
            secondary = (
                workflow.TRANSITIONS[action].secondary
                or i > 0
                # A 村事's 院坝会 record is an aside to its seven steps, never "your turn".
                or (action == "deliberate" and matter.kind == Kind.VILLAGE and form.record != Deliberation.Kind.STEP)
                or (action in ("evaluate", "request_review") and not workflow.revisitors_cover(scope, matter))
            )
            panels.append(
                {
                    "action": action,
                    "anchor": f"action-{action}" if i == 0 else f"action-{action}-{form.prefix}",
                    "title": _deliberate_title(form) if action == "deliberate" else workflow.TRANSITIONS[action].title,
                    "form": form,
                    "button": workflow.TRANSITIONS[action].button,
                    "secondary": secondary,
                    "open": form is bound or not secondary,
                    "vote": action == "deliberate" and form.record == Deliberation.Kind.STEP and form.step == 5,
                }
            )
    if bound is not None and not any(p["form"] is bound for p in panels):
        panels.insert(
            0,
            {
                "action": bound.action,
                "anchor": f"action-{bound.action}",
                "title": _deliberate_title(bound)
                if bound.action == "deliberate"
                else workflow.TRANSITIONS[bound.action].title,
                "form": bound,
                "button": workflow.TRANSITIONS[bound.action].button,
                "secondary": False,
                "open": True,
                "vote": False,
            },
        )
    return sorted(panels, key=lambda p: p["secondary"])


def _vote_rules(votes) -> None:
    """How many had to attend and vote in favour, for the page to show the app's reckoning
    (under the rule each vote was counted by)."""
    for vote in votes:
        vote.quorum_needed = procedure.quorum_needed(vote.body, vote.entitled)
        rule = vote.decision_rule or DecisionRule.SIMPLE
        vote.majority_needed = procedure.majority_needed(vote.present or 0, rule=rule, entitled=vote.entitled)
        vote.of_all = rule == DecisionRule.LAND


def _votes_no_longer_standing(matter, steps) -> None:
    """Each vote's `replaced`: why a vote that carried no longer decides the matter (a later
    vote, the township's refusal or return, a new category), or "" while it stands."""
    votes = steps["votes"]
    for vote in votes:
        vote.replaced = ""
        if not vote.carried:
            continue
        if vote is not votes[-1]:
            vote.replaced = _("Replaced by a later vote.")
        elif steps["revote"]:
            vote.replaced = (
                _("No longer stands: the township sent the decision back; the villagers vote again.")
                if procedure.sent_back(matter)
                else _("No longer stands: the matter was re-filed under a category decided another way; vote again.")
            )


def decision_rule_context(matter, records) -> dict:
    """The rule a 村事 is decided by, in words, and what the township still has to do."""
    if matter.kind != Kind.VILLAGE:
        return {}
    rule = procedure.decision_rule(matter)
    return {
        "decision_rule": rule,
        "decision_rule_label": DecisionRule(rule).label,
        "decision_rule_explained": procedure.RULE_EXPLAINED[rule],
        "township_step": procedure.township_step(matter, records),
    }


def detail_context(request, matter, bound=None) -> dict:
    """Everything the matter's page shows; `bound` is a posted form with errors to show
    instead of the fresh one of its action."""
    user = request.user
    scope = scope_for(user)
    records = list(matter.deliberations.all())
    for record in records:
        record.step_name = VILLAGE_STEPS.get(record.step, "")
    steps = village_steps(records, revote=procedure.revote_due(matter, records))
    _vote_rules(steps["votes"])
    _votes_no_longer_standing(matter, steps)
    complete = procedure.deliberation_complete(matter, records)
    actions = workflow.available_actions(user, matter)
    duplicate_rows = []
    if matter.is_open and (matter.state == State.SUBMITTED or "reject" in actions):
        duplicate_rows = annotate_rows(user, _visible_duplicates(user, matter))
    panels = action_panels(user, matter, actions, steps, complete, _duplicate_choices(user, duplicate_rows), bound)
    labels = {a: t.label for a, t in workflow.TRANSITIONS.items() if t.offered}
    categories = dict(MatterCategory.objects.values_list("code", "name"))
    matter.clock_running = matter.state in deadlines.CLOCK_STATES
    return {
        "matter": matter,
        "stages": stage_progress(matter),
        "waiting_for": who_acts_next(
            matter,
            approval_due=procedure.awaiting_approval(matter, records),
            filing_due=procedure.awaiting_filing(matter, records),
            decided=complete,
        ),
        "compact_version": (compact_version := compact_version_of(matter)),
        "law_flags": law_flags(compact_version),
        "your_turn": [(p["anchor"], p["title"]) for p in panels if not p["secondary"]],
        "action_labels": labels,
        "records": records,
        "steps": steps,
        "steps_done": sum(1 for s in _step_list(matter, steps) if s["status"] == "done"),
        "step_list": _step_list(matter, steps),
        "deliberation_complete": complete,
        "handle_hint": _handle_hint(matter, records) if "handle" in actions and not complete else None,
        **decision_rule_context(matter, records),
        "panels": panels,
        "duplicates": duplicate_rows,
        "show_phone": workflow.may_see_contact(user, matter),
        "show_code": workflow.may_see_tracking_code(user, matter),
        "household_visible": bool(matter.household_id)
        and households_visible_to(user).filter(pk=matter.household_id).exists(),
        "timeline": timeline(matter, categories),
        "photos": list(matter.photos.all()),
        "extra_forms": extra_forms(user, matter),
        "may_award_points": _may_award_points(scope, matter),
        # What the apps above matters show here (governance.panels: the meeting it was raised at).
        "sections": sections.panels("matter", request, matter),
    }


def _may_award_points(scope, matter) -> bool:
    """Whether the viewer proposes points in the matter's village (for its meetings' participants)."""
    from governance.roles import PROPOSER_ROLES

    return scope.is_superuser or (scope.has_any_role(PROPOSER_ROLES) and matter.village_id in scope.village_ids)


def _step_list(matter, steps) -> list[dict]:
    """The 七步走 as seven boxes for the progress indicator."""
    if matter.kind != Kind.VILLAGE:
        return []
    reported = matter.state in (State.VERIFYING, State.EVALUATING, State.CLOSED)
    rows = []
    for n, name in VILLAGE_STEPS.items():
        record = steps["latest"].get(n)
        if n == 7:
            done = reported
        elif n == 5:
            done = steps["carried"] and not steps["revote"]
        else:
            done = record is not None
        if done:
            status = "done"
        elif n == 5 and record is not None and not steps["revote"]:
            status = "failed"
        elif n == steps["next"] or (n == 7 and steps["next"] is None and not reported):
            status = "current"
        else:
            status = "todo"
        rows.append({"number": n, "name": name, "status": status, "record": record})
    return rows


@login_required
def matter_detail(request, pk):
    matter = get_object_or_404(matter_detail_queryset(request.user), pk=pk)
    return render(request, "petitions/matter_detail.html", detail_context(request, matter))


def _refused(request, matter, error: workflow.MatterError, form=None):
    """A 403 or 409 from the rules, shown on the matter's page as a clear message. Minutes
    that repeat a record's are a question, not a refusal: the form comes back with what was
    typed and the box that confirms them."""
    matter = get_object_or_404(matter_detail_queryset(request.user), pk=matter.pk)
    if isinstance(error, services.DuplicateDeliberation) and form is not None:
        form.ask_to_confirm_duplicate(error.record)
        return render(request, "petitions/matter_detail.html", detail_context(request, matter, bound=form))
    messages.error(request, str(error.message))
    return render(request, "petitions/matter_detail.html", detail_context(request, matter), status=error.status)


def _perform(action, form, matter, user):
    """The one call of `action` through the workflow's core, with the form's payload."""

    def perform():
        workflow.matter_transition(matter=matter, actor=user, action=action, **form.payload())
        if action == "send_back" and not matter_detail_queryset(user).filter(pk=matter.pk).exists():
            return reverse("petitions:matter-waiting")  # sent back: the department no longer sees it
        return matter_url(matter)

    return perform


def _deliberate_variant(request, matter) -> tuple[str, int | None]:
    """The record and step a posted deliberation form is for; a form from another kind of
    matter (re-routed meanwhile) falls back to this kind's first."""
    record, step = request.POST.get("record", ""), _int(request.POST.get("step")) or None
    allowed = procedure.deliberation_kinds(matter)
    if record not in allowed:
        record, step = allowed[0], None
    if record == Deliberation.Kind.STEP and step not in range(1, 7):
        records = matter.deliberations.all()
        step = village_steps(records, revote=procedure.revote_due(matter, records))["next"] or 1
    if record != Deliberation.Kind.STEP:
        step = None
    return record, step


@login_required
@require_POST
def matter_action(request, pk, action):
    """One action on one matter: 404 (scope), 403 (role), 409 (state), form errors, then
    the one service call, once per rendered form."""
    user = request.user
    if action not in workflow.PAGE_ACTIONS:
        raise Http404
    matter = get_object_or_404(matter_detail_queryset(user), pk=pk)
    if not workflow.may(user, action, matter):
        raise PermissionDenied(_("Your role may not take this action on this matter."))
    record, step = request.POST.get("record", ""), _int(request.POST.get("step")) or None
    prefix = f"{record}{step or ''}" if action == "deliberate" else action
    if already := redirect_if_resent(request, f"{prefix}-form_token", matter_url(matter)):
        return already
    try:
        workflow.check(user, action, matter)
    except workflow.MatterStateError as error:
        return _refused(request, matter, error)
    if action == "deliberate":
        record, step = _deliberate_variant(request, matter)
    duplicates = _duplicate_choices(user, _visible_duplicates(user, matter)) if action == "reject" else None
    form = make_form(action, user, matter, request.POST, record=record, step=step, duplicates=duplicates)
    if form.is_valid():
        done = workflow.TRANSITIONS[action].done
        saved = save_form(
            request,
            form,
            perform=_perform(action, form, matter, user),
            done=done,
            on_refused=lambda error: _refused(request, matter, error, form),
        )
        if saved is not None:
            return saved
    return render(request, "petitions/matter_detail.html", detail_context(request, matter, bound=form))


PHOTO_DONE = gettext_lazy("The photo is added.")


def may_use_clock(user, matter, action: str = "pause") -> bool:
    """Pausing is for the level above; resuming for the owner, the handler or the level above."""
    return workflow.may(user, action, matter)


def extra_forms(user, matter) -> dict:
    """The clock and photo forms the viewer may use now (beside the workflow's actions)."""
    forms_ = {}
    if matter.is_open and may_add_photo(user, matter):
        forms_["photo"] = f.PhotoForm(prefix="photo")
    action = "resume" if matter.paused_at else "pause"
    if matter.deadline and matter.state in CLOCK_STATES and may_use_clock(user, matter, action):
        forms_[action] = getattr(f, workflow.TRANSITIONS[action].form)(prefix=action)
    return forms_


@login_required
@require_POST
def matter_extra(request, pk, action):
    """Pause or resume the clock, or add a photo: 404 / 403 / 409 / form errors, then one service call."""
    user = request.user
    matter = get_object_or_404(matter_detail_queryset(user), pk=pk)
    if already := redirect_if_resent(request, f"{action}-form_token", matter_url(matter)):
        return already
    allowed = may_add_photo(user, matter) if action == "photo" else may_use_clock(user, matter, action)
    if not allowed:
        message = _("Your role may not take this action on this matter.")
        if action != "photo":
            message = workflow.TRANSITIONS[action].forbidden or message
        raise PermissionDenied(message)
    # 403, then 409, then the form (as the API answers): a closed matter says so, whatever was sent.
    if action == "photo" and not matter.is_open:
        return _refused(request, matter, workflow.MatterStateError(_("The matter is closed.")))
    if action != "photo" and not workflow.TRANSITIONS[action].possible(matter):
        try:
            workflow.check(user, action, matter)
        except workflow.MatterError as error:
            return _refused(request, matter, error)
    if action == "photo":
        form, done = f.PhotoForm(request.POST, request.FILES, prefix=action), PHOTO_DONE
    else:
        form = getattr(f, workflow.TRANSITIONS[action].form)(request.POST, prefix=action)
        done = workflow.TRANSITIONS[action].done
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(matter_url(matter))

    def perform():
        if action == "photo":
            matter_add_photo(matter=matter, actor=user, upload=form.cleaned_data["image"])
        else:
            payload = {k: v for k, v in form.cleaned_data.items() if k != "form_token"}
            workflow.matter_transition(matter=matter, actor=user, action=action, **payload)
        return matter_url(matter)

    saved = save_form(
        request, form, perform=perform, done=done, on_refused=lambda error: _refused(request, matter, error)
    )
    if saved is None:
        # The service's refusal of the input: said on top, the page shows the matter again.
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(matter_url(matter))
    return saved
