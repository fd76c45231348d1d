"""Pages of visits (走访): what to visit, the visit form, the visits logged, 逢十 compliance,
and what makes them work on a phone with a weak signal (the service worker and the web app
manifest).

Offline, in short (details in static/js/visits.js and grids/visits/templates/visits/visit_sw.js):

- The form posts to its own page without JavaScript. With JavaScript, a visit goes into an
  outbox on the phone (IndexedDB, else localStorage), keyed by its client UUID and tagged
  with the username, and is sent to POST /api/v1/visits/batch/ when the page opens, when the
  connection returns, every half minute while a page is open, and on "send now". The
  server keeps one visit per UUID, so a resend after a lost answer is harmless.
- The service worker (scope /visits/) keeps the pages' static files, and the last copy of
  /visits/, /visits/new/, /visits/log/ and /api/v1/visits/todo/ it fetched online (network
  first, the copy when the network fails or hangs). The form page lists the user's
  households in its select, so one cached copy serves every household: the script picks
  the household from ?household= in the address.
- Without a service worker (WeChat on iPhone) the open form still saves into the outbox,
  resets for the next household, and sends when it can.
"""

import datetime
import hashlib
import json
import uuid
from html import escape

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.models import Role
from governance.panels import panels
from governance.roles import GRID_ROLES, VILLAGE_DUTY_ROLES, VISIT_READERS, VISITOR_ROLES
from governance.scoping import require_any_role, scope_for
from governance.xlsx import xlsx_response
from grids.models import Courtyard, Grid, Household, Tag
from grids.selectors import households_visible_to
from grids.visits.exports import compliance_export
from grids.visits.exports import export_filename as compliance_filename
from grids.visits.fengshi import (
    NOT_A_FENGSHI_DAY,
    compliance_for,
    cycles_between,
    fengshi_days,
    is_fengshi_day,
    latest_cycle,
    may_see_compliance,
)
from grids.visits.forms import VisitForm, VisitLogFilterForm, VisitTodoFilterForm
from grids.visits.models import Visit
from grids.visits.selectors import household_tags, households_to_visit, todo_counts, visits_visible_to
from grids.visits.services import MAX_VISIT_PHOTOS, VisitConflict, visit_add_photo, visit_record

# The to-visit list shows the neediest households first; a village cadre narrows the rest
# with the filters. The form's select still holds every household (for offline use).
TODO_SHOWN = 300
# The form's select: every household of a grid or a village; a superuser's first ones.
FORM_HOUSEHOLDS = 3000
VISITS_PER_PAGE = 30
DUE_SOON_DAYS = 14
# Set on a page the service worker may keep for offline use: not on a page that carries a
# one-time message ("Visit saved"), which would otherwise come back with every offline open.
OFFLINE_HEADER = "X-Cunzhi-Offline"
# What the service worker keeps so that the visit pages open with no network.
SW_ASSETS = [
    "css/app.css",
    "css/visits.css",
    "js/app.js",
    "js/visits.js",
    # The campaign questions the visit form carries (grids.campaigns' visit_form panel).
    "js/campaigns.js",
    "img/icon-192.png",
]

NOT_A_VISITOR = gettext_lazy("Visits are logged by grid staff, courtyard helpers and village cadres.")
NOT_A_READER = gettext_lazy("Visits are for grid, village and township staff.")
NOT_A_COMPLIANCE_READER = gettext_lazy("Visit compliance is for grid, village and township staff.")


def walk_places(user) -> tuple[list[Grid], list[Courtyard]]:
    """The grids and courtyards in use the user may walk, as grids.visits.services checks them: the
    staff of a grid its grid, a village cadre (and the township's 包村 and 包片) the village's grids, a
    courtyard helper the courtyard."""
    scope = scope_for(user)
    grids = Grid.objects.active().select_related("village").order_by("village__code", "number")
    courtyards = Courtyard.objects.active().select_related("grid").order_by("grid__village_id", "grid__number", "name")
    if not scope.is_superuser:
        villages = sorted(scope.ids_for(VILLAGE_DUTY_ROLES))
        grid_q = Q(pk__in=sorted(scope.ids_for(GRID_ROLES))) | Q(village_id__in=villages)
        grids = grids.filter(grid_q)
        courtyards = courtyards.filter(
            Q(grid_id__in=sorted(scope.ids_for(GRID_ROLES)))
            | Q(village_id__in=villages)
            | Q(pk__in=sorted(scope.ids_for({Role.COURTYARD_HELPER})))
        )
    return list(grids), list(courtyards)


def _day(day) -> str:
    return _("%(month)d月%(day)d日") % {"month": day.month, "day": day.day}


def due_state(last_visited_on, due, today) -> tuple[str, str]:
    """(state, words) of a household's next visit: never visited, due, due soon, or fine."""
    if last_visited_on is None or due is None:
        return "never", _("Never visited")
    if due < today:
        return "due", _("Due since %(day)s") % {"day": _day(due)}
    if due == today:
        return "due", _("Due today")
    if (due - today).days <= DUE_SOON_DAYS:
        return "soon", _("Due %(day)s") % {"day": _day(due)}
    return "ok", _("Due %(day)s") % {"day": _day(due)}


def outbox_context(request) -> dict:
    """What the outbox panel and static/js/visits.js need: who is logged in (only their own
    waiting visits are sent), where to send, and every word the script shows."""
    labels = {
        "household": _("Household"),
        "grid": _("Grid"),
        "courtyard": _("Courtyard"),
        "visited_at": _("When"),
        "method": _("How"),
        "met": _("Who you met"),
        "result": _("Result"),
        "notes": _("What you found"),
        "action_taken": _("What you did"),
        "matter_title": _("Title of the matter"),
        "latitude": _("Location"),
        "longitude": _("Location"),
        "client_uuid": _("Visit"),
    }
    words = {
        "waiting_one": _("%(n)s visit waiting to be sent"),
        "waiting_many": _("%(n)s visits waiting to be sent"),
        "rejected_one": _("%(n)s visit was not accepted"),
        "rejected_many": _("%(n)s visits were not accepted"),
        "all_sent": _("All visits are sent."),
        "offline": _("No connection. Visits are kept on this phone and sent when the connection returns."),
        "sending": _("Sending…"),
        "sent": _("Sent."),
        "login": _("Your login has expired. Log in again: the waiting visits are sent automatically."),
        "login_link": _("Log in"),
        "other_session": _(
            "Another account is logged in on this phone now. These visits wait until their author logs in again."
        ),
        "failed": _("Could not send (%(reason)s). Trying again soon."),
        "network": _("no connection"),
        "server": _("server error %(status)s"),
        "waiting": _("Waiting to send"),
        "rejected": _("Not accepted"),
        "reason": _("Reason:"),
        "fix": _("Fix and send again"),
        "discard": _("Discard"),
        "discard_confirm": _("Discard this visit? It will not be sent."),
        "discarded": _("The visit was discarded."),
        "other_user": _(
            "%(n)s visits of another account are waiting on this phone; they are sent when that person logs in."
        ),
        "walk_grid": _("Walk of %(place)s"),
        "saved": _("Visit saved."),
        "saved_offline": _("Saved on this phone. It is sent when the connection returns."),
        "saved_login": _("Saved on this phone. It is sent after you log in again."),
        "saved_named": _("Visit saved: %(name)s."),
        "not_saved": _("Nothing was saved: please correct the fields marked below."),
        "no_storage": _("This browser cannot keep visits offline. Stay connected while you send."),
        "stale": _("This list was saved on the phone at %(time)s; it may be out of date."),
        "photos_waiting": _("Visit recorded; %(n)s photos waiting to be sent"),
        "photo_label": _("Photos"),
        "photo_refused": _("The visit was recorded; its photos were not accepted"),
        "discard_photos_confirm": _("Discard the photos of this visit? The visit itself was recorded."),
        "too_many_photos": _("A visit may have at most %(count)d photos.") % {"count": MAX_VISIT_PHOTOS},
        "no_photo_storage": _("This phone has no room left for the photos; the visit is kept without them."),
        "unknown_place": _(
            "This household is not in the list kept on this phone. Go back to the list and choose it again."
        ),
        "locating": _("Finding your location…"),
        "located": _("Location recorded (within %(metres)s m)."),
        "no_location": _("No location (%(reason)s). The visit is saved without it."),
        "notes_needed": _("Write down what was found, so the matter can be followed up."),
        "fixing": _("Correct the visit and save it again. It replaces the one that was not accepted."),
        "pending_here": _("Waiting to send"),
        "answers_waiting": _("%(n)s campaign answers waiting to be sent"),
        "discard_answers_confirm": _(
            "Discard these campaign answers? The household stays on the campaign's to-do; a visit sent with them "
            "was recorded."
        ),
        "answer_needed": _("This question needs an answer."),
        "answer_saved": _("Answers saved: %(name)s."),
    }
    return {
        "visit_strings": {"labels": labels, "words": words},
        "outbox_username": request.user.username,
        # The service worker keeps the visit pages for offline use: only for those who log
        # visits (a township official reads the log; its warm-up of the form would be a 403).
        "offline_worker": scope_for(request.user).has_any_role(VISITOR_ROLES),
        "outbox_login_url": settings.LOGIN_URL,
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        "rendered_at": timezone.now().isoformat(),
    }


def _offline_page(request, template, context):
    """Render a page, marked for the service worker's offline copy unless it carries a message."""
    keep = len(messages.get_messages(request)) == 0
    response = render(request, template, {**context, **outbox_context(request)})
    if keep and response.status_code == 200:
        response[OFFLINE_HEADER] = "cache"
    return response


@login_required
def visit_todo(request):
    """The user's households by need: never visited, then longest overdue, then soonest due."""
    user = request.user
    require_any_role(user, VISITOR_ROLES, NOT_A_VISITOR)
    grids, courtyards = walk_places(user)
    tags = list(Tag.objects.order_by("code"))
    form = VisitTodoFilterForm(request.GET or None, courtyards=courtyards, tags=tags)
    filters = form.filters() if form.is_bound else {}
    households = households_to_visit(user, courtyard_id=filters.get("courtyard"), tag_id=filters.get("tag"))
    today = timezone.localdate()
    counts = todo_counts(households, today)
    shown, cards = _todo_cards(households, today)
    helper_courtyards = [c for c in courtyards if c.grid_id not in {g.pk for g in grids}]
    context = {
        "form": form,
        "cards": cards,
        "counts": counts,
        "more": max(counts["total"] - shown, 0),
        "filtered": any(v is not None for v in filters.values()),
        "filter_courtyard": filters.get("courtyard") or "",
        "filter_tag": filters.get("tag") or "",
        "walk_grids": grids,
        "walk_courtyards": helper_courtyards,
        # What the apps above add (grids.campaigns: the campaign households left to answer).
        "todo_panels": panels("visit_todo", request, None),
    }
    return _offline_page(request, "visits/visit_todo.html", context)


# A household's card on the to-visit list (_todo_cards): who, where, the due state by word
# and shape (so it does not rest on colour alone), the last visit, the tags (a key group
# starred) and the button to log a visit. Every value is escaped before it goes in.
TODO_CARD = (
    '<li class="card todo-card due-{state}" data-household="{id}" data-courtyard="{courtyard}" data-tags="{tag_ids}">'
    '<div class="row"><div class="grow"><h3>{name}</h3><p class="meta">{place}</p>{address}'
    '<ul class="chips"><li class="chip due-chip due-{state}"><span class="shape" aria-hidden="true">{shape}</span> '
    "{due}</li>{last}{tags}</ul></div>"
    '<a class="button primary log-button" href="{url}" aria-label="{label}">{log}</a></div></li>'
)
DUE_SHAPES = {"never": "◆", "due": "▲", "soon": "●", "ok": "✓"}
TODO_ROW_FIELDS = ("id", "number", "head_name", "address", "grid__name", "courtyard__name", "courtyard_id")


def _todo_cards(households, today) -> tuple[int, str]:
    """(how many, the cards' HTML) of the first TODO_SHOWN households. A village's list is 300
    cards: made here in one pass, as the template's tags per card (translations, URLs, a loop
    over the tags, a dozen variables) were most of the page's time."""
    rows = list(households.values(*TODO_ROW_FIELDS, "last_visited_on", "visit_due_on")[:TODO_SHOWN])
    tags = household_tags(row["id"] for row in rows)
    form_url = reverse("grids:visit-create")
    words = {"last": _("Last visit %(day)s"), "log_to": _("Log a visit to %(name)s"), "log": escape(_("Log a visit"))}
    states = {}  # households share due days by the hundred: their words once per day
    cards = []
    for row in rows:
        last, due = row["last_visited_on"], row["visit_due_on"]
        if (last is None, due) not in states:
            states[(last is None, due)] = due_state(last, due, today)
        state, due_words = states[(last is None, due)]
        name = row["head_name"] or row["number"]
        place = " · ".join(part for part in (row["number"], row["grid__name"], row["courtyard__name"]) if part)
        own = tags[row["id"]]
        cards.append(
            TODO_CARD.format(
                state=state,
                id=row["id"],
                courtyard=row["courtyard_id"] or "",
                tag_ids=" ".join(str(tag["id"]) for tag in own),
                name=escape(name),
                place=escape(place),
                address=f'<p class="meta">{escape(row["address"])}</p>' if row["address"] else "",
                shape=DUE_SHAPES[state],
                due=escape(due_words),
                last=f'<li class="chip read">{escape(words["last"] % {"day": _day(last)})}</li>' if last else "",
                tags="".join(_tag_chip(tag) for tag in own),
                url=f"{form_url}?household={row['id']}",
                label=escape(words["log_to"] % {"name": name}),
                log=words["log"],
            )
        )
    # Every value was escaped as it went into its card.
    return len(rows), mark_safe("\n".join(cards))  # nosec B308 B703


def _tag_chip(tag) -> str:
    if tag["is_key_group"]:
        return f'<li class="chip key"><span aria-hidden="true">★</span> {escape(tag["name"])}</li>'
    return f'<li class="chip">{escape(tag["name"])}</li>'


def _requested_place(request, user, grids, courtyards) -> dict:
    """The form's place from the address (?household=, ?grid=, ?courtyard=): out of the
    user's sight is a 404, in sight but not theirs to visit a 403."""
    scope = scope_for(user)
    initial = {}
    wanted = {name: request.GET.get(name, "") for name in ("household", "grid", "courtyard")}
    if wanted["household"].isdecimal():
        household = get_object_or_404(households_visible_to(user), pk=int(wanted["household"]))
        if not scope.covers(household, VISITOR_ROLES):
            raise PermissionDenied(_("Your role may look at this household but not log visits to it."))
        initial.update(household=household.pk, method=Visit.Method.HOME)
    elif wanted["courtyard"].isdecimal():
        pk = int(wanted["courtyard"])
        courtyard = next((c for c in courtyards if c.pk == pk), None)
        if courtyard is None:
            if scope.filter_places(Courtyard.objects.filter(pk=pk), "courtyard").exists():
                raise PermissionDenied(NOT_A_VISITOR)
            raise Http404
        initial.update(household="", courtyard=pk, method=Visit.Method.COURTYARD)
        if courtyard.grid_id in {g.pk for g in grids}:
            initial["grid"] = courtyard.grid_id
    elif wanted["grid"].isdecimal():
        pk = int(wanted["grid"])
        if pk not in {g.pk for g in grids}:
            if scope.filter_places(Grid.objects.filter(pk=pk), "grid").exists():
                raise PermissionDenied(NOT_A_VISITOR)
            raise Http404
        initial.update(household="", grid=pk, method=Visit.Method.GRID)
    return initial


@login_required
def visit_create(request):
    """Log a visit. Without JavaScript the form posts here; with it, static/js/visits.js
    keeps the visit in the phone's outbox and sends it through the API."""
    user = request.user
    grids, courtyards = walk_places(user)
    initial = _requested_place(request, user, grids, courtyards)
    require_any_role(user, VISITOR_ROLES, NOT_A_VISITOR)
    initial.setdefault("method", Visit.Method.HOME)
    initial.update(result=Visit.Result.NOTHING, visited_at=timezone.localtime().replace(second=0, microsecond=0))
    if not initial.get("grid") and grids:
        initial["grid"] = grids[0].pk
    posted = request.method == "POST"
    households = _form_households(user, request.POST.get("household") if posted else initial.get("household"))
    form = VisitForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        households=households,
        grids=grids,
        courtyards=courtyards,
        initial=initial,
    )
    if posted and form.is_valid():
        try:
            visit, created = _record_with_photos(user, form)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                field = "photos" if field == "image" else field
                form.add_error(field if field in form.fields else None, errors)
        except VisitConflict:
            # The back button and an edit: the first version is kept. The form gets a new
            # UUID, so sending it again is a deliberate second visit, not a silent overwrite.
            form.add_error(
                None, _("This form was already saved with other details. Sending it again records a second visit.")
            )
            data = form.data.copy()
            data["client_uuid"] = str(uuid.uuid4())
            form.data = data
        else:
            if created:
                messages.success(request, _("Visit saved: %(place)s.") % {"place": _place_words(visit)})
            else:
                messages.info(request, _("This visit had already been sent; it was saved once."))
            return redirect("grids:visit-todo")
    context = {
        "form": form,
        "walk_grids": grids,
        "places": {
            "grids": {str(g.pk): f"{g.village.name} {g.name}" for g in grids},
            "courtyards": {str(c.pk): {"name": c.name, "grid": c.grid_id} for c in courtyards},
        },
        "place": _form_place(form, grids, courtyards),
        # What the apps above add (grids.campaigns: the questions of the households' campaigns).
        "form_panels": panels("visit_form", request, households),
    }
    return _offline_page(request, "visits/visit_form.html", context)


def _form_households(user, wanted) -> list[dict]:
    """The households of the form's select, neediest first (the form is kept offline for all
    of them), and the one asked for even when it is beyond the first FORM_HOUSEHOLDS."""
    rows = (
        households_to_visit(user)
        .prefetch_related(None)
        .values("pk", "number", "head_name", "address", "grid_id", "grid__name", "courtyard__name")
    )
    households = list(rows[:FORM_HOUSEHOLDS])
    wanted = _int(wanted)
    if wanted and len(households) == FORM_HOUSEHOLDS and wanted not in {row["pk"] for row in households}:
        households += list(rows.filter(pk=wanted))
    return households


@transaction.atomic
def _record_with_photos(user, form):
    """The visit and its photos, or nothing: a photo the service cannot read undoes the visit,
    so the corrected form is sent again as one. A second post of the form adds no photos."""
    visit, created = visit_record(author=user, **form.record_kwargs())
    if created:
        for upload in form.cleaned_data.get("photos") or []:
            visit_add_photo(visit=visit, actor=user, upload=upload)
    return visit, created


def _form_place(form, grids, courtyards) -> dict:
    """What the top of the form says it is about: the household, or the grid or courtyard walked."""
    household = form.households.get(_int(form["household"].value()))
    if household:
        detail = " · ".join(part for part in (household["number"], household["address"]) if part)
        return {"household": True, "name": household["head_name"] or household["number"], "detail": detail}
    courtyard = _int(form["courtyard"].value())
    if form["method"].value() == Visit.Method.COURTYARD and courtyard in form.courtyards:
        courtyard = form.courtyards[courtyard]
        return {"household": False, "name": courtyard.name, "detail": courtyard.grid.name}
    grid = form.grids.get(_int(form["grid"].value()))
    return {"household": False, "name": f"{grid.village.name} {grid.name}" if grid else "", "detail": ""}


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _place_words(visit) -> str:
    if visit.household_id:
        return visit.household.head_name or visit.household.number
    if visit.courtyard_id:
        return visit.courtyard.name
    return f"{visit.grid.village.name} {visit.grid.name}"


@login_required
def visit_list(request):
    """The visits logged in the user's places, newest first; corrections are marked."""
    user = request.user
    require_any_role(user, VISIT_READERS, NOT_A_READER)
    scope = scope_for(user)
    visits = visits_visible_to(user)
    grids = list(
        scope.filter_places(Grid.objects.select_related("village"), "grid").order_by("village__code", "number")
    )
    authors = list(
        get_user_model()
        # The user is always a choice: the home's "my visits" link filters by them, visits or not.
        .objects.filter(Q(pk__in=visits.order_by().values("author_id")) | Q(pk=user.pk))
        .order_by("first_name", "username")
        .only("pk", "username", "first_name", "last_name")
    )
    form = VisitLogFilterForm(request.GET or None, grids=grids, authors=authors)
    filters = form.filters() if form.is_bound else {}
    household = None
    if filters.get("household"):
        # A household out of sight is a 404, as on the household page and the visit form.
        household = get_object_or_404(
            scope_for(user).filter(Household.objects.select_related("grid"), "household"), pk=filters["household"]
        )
        visits = visits.filter(household=household)
    if filters.get("grid"):
        visits = visits.filter(grid_id=filters["grid"])
    if filters.get("author"):
        visits = visits.filter(author_id=filters["author"])
    if filters.get("date_from"):
        visits = visits.filter(visited_on__gte=filters["date_from"])
    if filters.get("date_to"):
        visits = visits.filter(visited_on__lte=filters["date_to"])
    # The selector prefetches the photos: the cards count them without a query each.
    visits = visits.order_by("-visited_at", "-id")
    page = Paginator(visits, VISITS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "visits": _with_corrections(page.object_list),
        "filtered": any(filters.values()),
        "query": query.urlencode(),
        "may_visit": scope.has_any_role(VISITOR_ROLES),
        "may_see_compliance": may_see_compliance(user),
        "household": household,
    }
    return _offline_page(request, "visits/visit_list.html", context)


def _with_corrections(visits) -> list:
    rows = list(visits)
    for visit in rows:
        try:
            visit.correction = visit.superseded_by
        except Visit.superseded_by.RelatedObjectDoesNotExist:
            visit.correction = None
    return rows


@login_required
def visit_detail(request, pk):
    user = request.user
    visit = get_object_or_404(visits_visible_to(user), pk=pk)
    require_any_role(user, VISIT_READERS, NOT_A_READER)
    (visit,) = _with_corrections([visit])
    late = visit.received_at - visit.visited_at
    context = {
        "visit": visit,
        "arrived_late": late.total_seconds() > 30 * 60,
        "may_visit": scope_for(user).has_any_role(VISITOR_ROLES),
    }
    return render(request, "visits/visit_detail.html", {**context, **outbox_context(request)})


@login_required
def visit_compliance(request):
    """逢十 compliance: who went on a cycle day, per grid and person, rolled up per village."""
    if not may_see_compliance(request.user):
        raise PermissionDenied(NOT_A_COMPLIANCE_READER)
    today = timezone.localdate()
    latest = latest_cycle(today)
    cycle, error = latest, ""
    if request.GET.get("cycle"):
        try:
            cycle = datetime.date.fromisoformat(request.GET["cycle"])
        except ValueError:
            cycle, error = latest, _("Give the date as YYYY-MM-DD.")
        else:
            if not is_fengshi_day(cycle):
                cycle, error = latest, NOT_A_FENGSHI_DAY
    recent = cycles_between(latest - datetime.timedelta(days=120), latest)[::-1]
    if cycle not in recent:
        recent.insert(0, cycle)
    place = _one_place(request.GET)
    roll = compliance_for(request.user, cycle=cycle, sent_down=True, **place)
    villages = [village for township in roll.townships for village in township["villages"]]
    places = villages if "village" in place else roll.townships
    context = {
        "roll": roll,
        "cycle": cycle,
        "recent": recent,
        "error": error,
        "villages": villages,
        "place": place,
        "place_query": "".join(f"&{key}={value}" for key, value in place.items()),
        "place_name": places[0]["name"] if place and places else "",
        "township_wide": len(villages) > 1,
        "previous": latest_cycle(cycle - datetime.timedelta(days=1)),
        "next": next((c for c in cycles_between(cycle + datetime.timedelta(days=1), latest)), None),
    }
    return render(request, "visits/visit_compliance.html", context)


def _one_place(params) -> dict:
    """?township= or ?village= (a dashboard's figure): the roll-up of that place alone, within
    what the caller sees; anything that is not an id narrows nothing."""
    for key in ("village", "township"):
        value = params.get(key, "")
        if value.isdecimal() and 0 < int(value) < 2**63:
            return {key: int(value)}
    return {}


@login_required
def visit_compliance_export(request):
    """The compliance of a 逢十 day (?cycle=YYYY-MM-DD) or of a month's three (?month=YYYY-MM),
    over the places the caller sees, as .xlsx."""
    if not may_see_compliance(request.user):
        raise PermissionDenied(NOT_A_COMPLIANCE_READER)
    try:
        if request.GET.get("month"):
            month = datetime.date.fromisoformat(request.GET["month"] + "-01")
            cycles, name = fengshi_days(month.year, month.month), compliance_filename(month=month)
        else:
            cycle = datetime.date.fromisoformat(request.GET.get("cycle", ""))
            if not is_fengshi_day(cycle):
                return HttpResponse(NOT_A_FENGSHI_DAY, status=400, content_type="text/plain; charset=utf-8")
            cycles, name = [cycle], compliance_filename(day=cycle)
    except ValueError:
        message = _("Give the day as YYYY-MM-DD (cycle) or the month as YYYY-MM (month).")
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    rolls = [compliance_for(request.user, cycle=cycle, sent_down=True) for cycle in cycles]
    return xlsx_response(compliance_export(rolls), name)


def service_worker(request):
    """The service worker of the visit pages. Served from /visits/ so that its scope covers
    them; never cached for long, so a new version reaches the phones on their next visit."""
    context = {
        "assets": json.dumps([static(path) for path in SW_ASSETS]),
        "pages": json.dumps([reverse("grids:visit-todo"), reverse("grids:visit-create"), reverse("grids:visit-list")]),
        "todo_api": reverse("visit-todo"),
        "static_url": settings.STATIC_URL,
        "offline_header": OFFLINE_HEADER,
        "offline_html": json.dumps(render_to_string("visits/visit_offline.html", request=request)),
    }
    body = render_to_string("visits/visit_sw.js", context)
    version = hashlib.sha256(body.encode()).hexdigest()[:12]
    response = HttpResponse(body.replace("__VERSION__", version), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache, max-age=0"
    response["Service-Worker-Allowed"] = reverse("grids:visit-todo")
    return response


def web_manifest(request):
    """The web app manifest: 村治 on the home screen, opening on the list of visits."""
    icons = [
        {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {"src": static("img/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
    ]
    data = {
        "name": "村治",
        "short_name": "村治",
        "description": _("Grid-based village governance: visits, matters and points."),
        "lang": "zh-Hans",
        "start_url": reverse("grids:visit-todo"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0a4f9c",
        "icons": icons,
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "public, max-age=3600"
    return response
