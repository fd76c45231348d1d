"""Pages: each role's home, and the notification inbox."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from governance import dashboards, finance, homes
from governance.history import history_of, kept_kinds, object_for_history
from governance.models import FinanceStatement, Notification, Role, VillageFinanceSettings
from governance.roles import (
    AFFAIRS_ROLES,
    FIELD_ROLES,
    GRID_ROLES,
    PLEDGE_READERS,
    REGISTER_EDITORS,
    SENT_DOWN_ROLES,
    TOWNSHIP_ROLES,
    VILLAGE_BOARD_READERS,
    VILLAGE_STAFF,
)
from governance.scoping import scope_for
from governance.services import notification_mark_read
from grids.campaigns.selectors import running_figures
from grids.models import Township, Village
from grids.selectors import (
    assignments_of,
    grids_with_counts,
    households_visible_to,
    townships_for,
    with_member_counts,
)
from grids.views import household_filter_form, household_rows
from petitions.views import supervised_summary, waiting_summary

HOME_HOUSEHOLDS = 20
NOTIFICATIONS_PER_PAGE = 20


def _group(children, key, parents) -> list[dict]:
    """[{place, children, households, residents}] in the parents' order, from one flat query
    of children; the totals are sums of counts the database already computed."""
    by_parent = {}
    for child in children:
        by_parent.setdefault(getattr(child, key), []).append(child)
    groups = []
    for parent in parents:
        rows = by_parent.get(parent.pk, [])
        groups.append(
            {
                "place": parent,
                "children": rows,
                "households": sum(row.household_count for row in rows),
                "residents": sum(row.resident_count for row in rows),
            }
        )
    return groups


@login_required
def home(request):
    """The dashboard: one section per kind of work the user holds today.

    Grid staff see their households, village staff their grids, township staff their
    villages, department handlers their departments, the supervision committee its
    village's open 村事. Every count is computed in the
    database, so the page costs the same few queries however large the place is.
    """
    user = request.user
    if homes.counter_only(user):
        return redirect("points:counter")
    if homes.manager_only(user):
        return redirect("governance:manage")
    scope = scope_for(user)
    assignments = list(assignments_of(user))
    context = {"assignments": assignments, "today": homes.field_home(user)}

    field = [a for a in assignments if a.role in FIELD_ROLES]
    if field:
        households = households_visible_to(user, roles=FIELD_ROLES)
        ordered = with_member_counts(households).order_by("village__code", "grid__number", "number", "pk")
        context["field"] = {
            "grids": list(grids_with_counts(grid_ids={a.grid_id for a in field if a.role in GRID_ROLES})),
            "courtyards": [a.courtyard for a in field if a.role == Role.COURTYARD_HELPER],
            "rows": household_rows(user, ordered[:HOME_HOUSEHOLDS]),
            "total": households.count(),
            "search_form": household_filter_form(user),
        }

    village_ids = scope.ids_for(VILLAGE_STAFF)
    context["village_boards"] = []
    if village_ids:
        villages, grids = dashboards.village_cards(village_ids, scope.township_ids)
        context["villages"] = _group(grids, "village_id", villages)
        cockpit_ids = sorted(scope.ids_for({Role.VILLAGE_CADRE}))
        context["village_boards"] = [
            dashboards.village_board(user, village) for village in villages if village.pk in cockpit_ids
        ]

    # 包村 and 包片: the villages they answer for as their cadres see them. One village: its
    # cockpit; several (a 片区): side by side, each one click from its own, as a township's are.
    sent_down = sorted(scope.ids_for(SENT_DOWN_ROLES) - scope.ids_for({Role.VILLAGE_CADRE}))
    if len(sent_down) == 1:
        village = Village.objects.select_related("township").get(pk=sent_down[0])
        context["village_boards"].append(dashboards.village_board(user, village))
    elif sent_down:
        context["sent_down_board"] = dashboards.sent_down_board(sent_down, scope.township_ids)

    # One township: its villages and its dashboard; several (a superuser, someone on the staff
    # of more than one): the townships side by side, each one click from its own.
    township_ids = None if user.is_superuser else scope.ids_for(TOWNSHIP_ROLES)
    townships = list(townships_for(township_ids)) if township_ids is None or township_ids else []
    if len(townships) == 1:
        board = dashboards.township_board(townships[0])
        villages = [row["village"] for row in board["villages"]]
        context["townships"] = _group(villages, "township_id", townships)
        context["township_board"] = board
    elif townships:
        context["district_board"] = dashboards.district_board(townships, user=user)
    _add_campaigns(user, context, townships)

    # The last 逢十 day's roll-up; the district's board shows it per township instead.
    if scope.has_any_role(VILLAGE_STAFF | TOWNSHIP_ROLES | SENT_DOWN_ROLES) and "district_board" not in context:
        context["fengshi"] = dashboards.fengshi_summary(user)

    context["departments"] = [a.department for a in assignments if a.role == Role.DEPARTMENT_HANDLER]
    context["department_home"] = homes.department_home(user, context["departments"])
    context["waiting"] = waiting_summary(request)
    context["supervised"] = supervised_summary(user)
    context["can_add_household"] = scope.has_any_role(REGISTER_EDITORS)
    context["heading"] = _home_heading(assignments)
    return render(request, "governance/home.html", context)


def _add_campaigns(user, context: dict, townships: list) -> None:
    """The campaigns under way (专项排查) on the home's boards: a village's figures on its board
    (the boards of every village, sent down to or not, in one grouped count), a township's on
    its own and the district's, one per township (one more). Counted live, outside the boards'
    cache: an answer shows at once, and its list behind the figure is live too."""
    village_boards, several = context["village_boards"], context.get("sent_down_board")
    own = {board["village"].pk for board in village_boards}
    sent_down = {row["village"].pk for row in several["villages"]} if several else set()
    if own or sent_down:
        figures = running_figures(user, by="village", places=own | sent_down)
        context["village_boards"] = [
            {**board, "campaigns": [row for row in figures if row["place_id"] == board["village"].pk]}
            for board in village_boards
        ]
        if several:
            rows = [row for row in figures if row["place_id"] in sent_down]
            context["sent_down_board"] = {**several, "campaigns": rows}
    for key in ("township_board", "district_board"):
        if key in context:
            figures = running_figures(user, by="township", places=[township.pk for township in townships])
            context[key] = {**context[key], "campaigns": figures}


@login_required
def village_dashboard(request, pk):
    """A village's dashboard (村级驾驶舱), for its cadres and the township's staff sent down to
    it (包村, 包片) and, drilling down, its township."""
    scope = scope_for(request.user)
    readers = scope.ids_for(VILLAGE_BOARD_READERS)
    townships = scope.ids_for(TOWNSHIP_ROLES)
    condition = Q(pk__in=sorted(readers)) | Q(township_id__in=sorted(townships))
    villages = Village.objects.select_related("township")
    village = get_object_or_404(villages if scope.is_superuser else villages.filter(condition), pk=pk)
    board = dashboards.village_board(request.user, village)
    context = {
        "board": {**board, "campaigns": running_figures(request.user, by="village", places=[village.pk])},
        "village": village,
        "township_link": scope.is_superuser or village.township_id in townships,
    }
    return render(request, "governance/dashboards/village_page.html", context)


@login_required
def township_dashboard(request, pk):
    """A township's dashboard (镇街驾驶舱), for its staff and, drilling down, a superuser."""
    scope = scope_for(request.user)
    townships = Township.objects.all() if scope.is_superuser else townships_for(scope.ids_for(TOWNSHIP_ROLES))
    township = get_object_or_404(townships, pk=pk)
    board = dashboards.township_board(township)
    board = {**board, "campaigns": running_figures(request.user, by="township", places=[township.pk])}
    villages = [row["village"] for row in board["villages"]]
    context = {"board": board, "township": township, "townships": _group(villages, "township_id", [township])}
    return render(request, "governance/dashboards/township_page.html", context)


def _home_heading(assignments) -> str:
    places = list(dict.fromkeys(a.place_name for a in assignments))
    if 0 < len(places) <= 2:
        return " · ".join(places)
    return _("My work")


@login_required
def notification_list(request):
    rows = Notification.objects.filter(user=request.user).order_by("-created_at", "-id")
    page = Paginator(rows, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    counts = rows.aggregate(total=Count("pk"), unread=Count("pk", filter=Q(read_at__isnull=True)))
    return render(request, "governance/notification_list.html", {"page": page, "counts": counts})


@login_required
@require_POST
def notification_read(request, pk):
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notification_mark_read(user=request.user, notification_ids=[notification.pk])
    if request.headers.get("HX-Request"):
        notification.refresh_from_db()
        unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
        return render(request, "governance/_notification_read.html", {"notification": notification, "unread": unread})
    return redirect("governance:notification-list")


@login_required
@require_POST
def notification_read_all(request):
    count = notification_mark_read(user=request.user)
    if count:
        messages.success(
            request,
            ngettext("%(count)d notification marked read.", "%(count)d notifications marked read.", count)
            % {"count": count},
        )
    return redirect("governance:notification-list")


@login_required
def affairs(request):
    """村务: the villages' accounts, compact and pledges, and each village's public board."""
    user = request.user
    scope = scope_for(user)
    if not scope.has_any_role(AFFAIRS_ROLES | PLEDGE_READERS):
        raise PermissionDenied(
            _("Village affairs are for a village's cadres, its supervision committee and the township.")
        )
    # Grid and courtyard staff come for the pledges only: the accounts are not theirs to read.
    villages = list(finance.finance_villages(user)[:200]) if scope.has_any_role(AFFAIRS_ROLES) else []
    statements = FinanceStatement.objects.filter(village_id__in=[v.pk for v in villages]).only(
        "village_id", "status", "period_start", "period_end", "posted_at"
    )
    by_village = {}
    for statement in statements:
        by_village.setdefault(statement.village_id, []).append(statement)
    settings = {s.village_id: s for s in VillageFinanceSettings.objects.filter(village_id__in=[v.pk for v in villages])}
    rows = []
    for village in villages:
        own = by_village.get(village.pk, [])
        posted = [s for s in own if s.status == FinanceStatement.Status.POSTED]
        rows.append(
            {
                "village": village,
                "missing": finance.missing_periods(village, statements=own, settings=settings.get(village.pk)),
                "last_posted": max(posted, key=lambda s: s.period_end) if posted else None,
                "drafts": sum(1 for s in own if s.is_draft),
            }
        )
    return render(request, "governance/affairs.html", {"rows": rows})


@login_required
def history(request, kind, pk):
    """An object's changes (governance.history): who, when, each field before and after."""
    obj = object_for_history(request.user, kind, pk)
    context = {"object": obj, "kept": kept_kinds()[kind], "changes": history_of(obj)}
    return render(request, "governance/history.html", context)
