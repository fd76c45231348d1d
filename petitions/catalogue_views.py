"""The matters' catalogues in pages, under /manage/catalogues/ (the catalogues: namespace,
governance.page_urls): categories with their decision rules, time limits, the clocks' limits,
the working-day calendar, and a village's matter settings.

Every signed-in member of staff reads the district's catalogues; only the superuser, the
district's administrator, edits them (403 for anyone else, before the form is read). A
village's matter settings are read by its cadres and supervision committee and set by the
township that oversees it (petitions.catalogue_services). Every row links to its history.
"""

import datetime
from functools import partial
from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from governance.catalogue_views import require_editor, row_delete_page, row_form_page
from governance.catalogues import check_district_catalogue_editor, may_edit_district_catalogues
from governance.forms import OnceForm, save_form
from governance.roles import MATTER_SETTINGS_READERS
from governance.scoping import require_any_role, scope_for
from grids.models import Village
from petitions import calendar, deadlines
from petitions import catalogue_services as services
from petitions.catalogue_forms import (
    CalendarDayForm,
    CategoryForm,
    ClockLimitForm,
    MatterSettingsForm,
    TimeLimitForm,
)
from petitions.models import (
    OPEN_STATES,
    CalendarDay,
    ClockLimit,
    Kind,
    MatterCategory,
    TimeLimit,
    VillageAffairsVerifiers,
    VillageMatterSettings,
)


def _require_editor(user) -> None:
    """The 403 page, before any input is read, for anyone but the district's administrator."""
    require_editor(check_district_catalogue_editor, user)


def _page(request, template, context, status=200):
    context = {"may_edit": may_edit_district_catalogues(request.user), **context}
    return render(request, template, context, status=status)


# ---------------------------------------------------------------- categories


@login_required
def category_list(request):
    """Every category, the kind it usually is, its decision rule, how many matters name it."""
    categories = MatterCategory.objects.annotate(matter_count=Count("matters")).order_by("-is_active", "order", "code")
    return _page(request, "petitions/catalogues/category_list.html", {"categories": categories, "tab": "categories"})


def _category_page(request, category, form=None, status=200):
    used = services.category_usage(category) if category is not None else 0
    open_votes = 0
    if category is not None:
        open_votes = category.matters.filter(kind=Kind.VILLAGE, state__in=OPEN_STATES).count()
    context = {
        "category": category,
        "form": form,
        "used": used,
        "open_village_matters": open_votes,
        "delete_form": OnceForm(prefix="delete"),
        "tab": "categories",
    }
    return _page(request, "petitions/catalogues/category_form.html", context, status=status)


def _category_initial(category) -> dict:
    return {f: getattr(category, f) for f in services.CATEGORY_FIELDS}


def _category_listed(category) -> str:
    return reverse("catalogues:category-list") + f"#category-{category.pk}"


@login_required
def category_create(request):
    user = request.user
    _require_editor(user)

    def save(data):
        fields = {f: data[f] for f in services.CATEGORY_FIELDS}
        return _category_listed(services.category_create(actor=user, **fields))

    form = CategoryForm(request.POST or None)
    done = _("The category is saved.")
    return row_form_page(request, form, save=save, done=done, show=partial(_category_page, request, None))


@login_required
def category_update(request, pk):
    user = request.user
    category = get_object_or_404(MatterCategory, pk=pk)
    _require_editor(user)

    def save(data):
        fields = {f: data[f] for f in services.CATEGORY_FIELDS}
        return _category_listed(services.category_update(actor=user, category=category, **fields))

    form = CategoryForm(request.POST or None, initial=_category_initial(category))
    done = _("The category is saved.")
    return row_form_page(request, form, save=save, done=done, show=partial(_category_page, request, category))


@login_required
@require_POST
def category_delete(request, pk):
    """Delete an unused category; one in use comes back with the reason (409): deactivate it."""
    user = request.user
    category = get_object_or_404(MatterCategory, pk=pk)

    def check():
        check_district_catalogue_editor(user)
        services.check_category_removable(category)

    def show(status):
        return _category_page(request, category, CategoryForm(initial=_category_initial(category)), status=status)

    return row_delete_page(
        request,
        detail_url=reverse("catalogues:category-update", args=[category.pk]),
        list_url=reverse("catalogues:category-list"),
        check=check,
        delete=lambda: services.category_delete(actor=user, category=category),
        done=_("The category is deleted."),
        show=show,
    )


# ---------------------------------------------------------------- time limits


def _limit_groups():
    """By stage, then kind: the kind's own limit (or the built-in one), and each category's."""
    limits = list(TimeLimit.objects.select_related("category").order_by("stage", "kind", "category__order"))
    groups = []
    for stage, label in TimeLimit.Stage.choices:
        kinds = []
        for kind, kind_label in Kind.choices:
            rows = [limit for limit in limits if limit.stage == stage and limit.kind == kind]
            own = next((limit for limit in rows if limit.category_id is None), None)
            builtin = deadlines.DEFAULT_REVIEW_DAYS if stage == TimeLimit.Stage.REVIEW else deadlines.DEFAULT_DAYS[kind]
            kinds.append(
                {
                    "kind": kind,
                    "label": kind_label,
                    "own": own,
                    "days": own.working_days if own else builtin,
                    "categories": [limit for limit in rows if limit.category_id is not None],
                }
            )
        groups.append({"stage": stage, "label": label, "kinds": kinds})
    return groups


@login_required
def time_limit_list(request):
    """The working days each kind (and category) of matter has, at handling and at review."""
    return _page(request, "petitions/catalogues/time_limit_list.html", {"groups": _limit_groups(), "tab": "limits"})


def _time_limit_page(request, limit, form, status=200):
    context = {"limit": limit, "form": form, "delete_form": OnceForm(prefix="delete"), "tab": "limits"}
    return _page(request, "petitions/catalogues/time_limit_form.html", context, status=status)


def _time_limit_saved(request, form, limit, *, save):
    """A new or changed time limit's page: `save(fields)` calls the service."""

    def saved_to(data):
        save({f: data[f] for f in services.TIME_LIMIT_FIELDS})
        return reverse("catalogues:time-limit-list")

    done = _("The time limit is saved. Deadlines already set keep their day.")
    return row_form_page(request, form, save=saved_to, done=done, show=partial(_time_limit_page, request, limit))


@login_required
def time_limit_create(request):
    user = request.user
    _require_editor(user)
    initial = {name: request.GET[name] for name in ("stage", "kind") if name in request.GET}
    form = TimeLimitForm(request.POST or None, initial=initial)
    return _time_limit_saved(request, form, None, save=lambda fields: services.time_limit_create(actor=user, **fields))


@login_required
def time_limit_update(request, pk):
    user = request.user
    limit = get_object_or_404(TimeLimit.objects.select_related("category"), pk=pk)
    _require_editor(user)
    initial = {f: getattr(limit, f) for f in services.TIME_LIMIT_FIELDS}
    form = TimeLimitForm(request.POST or None, initial=initial, category=limit.category)
    return _time_limit_saved(
        request, form, limit, save=lambda fields: services.time_limit_update(actor=user, limit=limit, **fields)
    )


@login_required
@require_POST
def time_limit_delete(request, pk):
    user = request.user
    limit = get_object_or_404(TimeLimit.objects.select_related("category"), pk=pk)

    def show(status):
        initial = {f: getattr(limit, f) for f in services.TIME_LIMIT_FIELDS}
        return _time_limit_page(request, limit, TimeLimitForm(initial=initial, category=limit.category), status)

    return row_delete_page(
        request,
        detail_url=reverse("catalogues:time-limit-update", args=[limit.pk]),
        list_url=reverse("catalogues:time-limit-list"),
        check=lambda: check_district_catalogue_editor(user),
        delete=lambda: services.time_limit_delete(actor=user, limit=limit),
        done=_("The time limit is removed: the kind's limit applies."),
        show=show,
    )


# ---------------------------------------------------------------- the clocks' limits


def _clock_rows():
    rows = {limit.clock: limit for limit in ClockLimit.objects.all()}
    return [
        {
            "clock": clock,
            "label": label,
            "row": rows.get(clock),
            "days": rows[clock].working_days if clock in rows else deadlines.DEFAULT_CLOCK_DAYS[clock],
        }
        for clock, label in ClockLimit.Clock.choices
    ]


@login_required
def clock_limit_list(request):
    """Acceptance (受理) at the village and the township, and a department's sign-off (签收)."""
    return _page(request, "petitions/catalogues/clock_limit_list.html", {"rows": _clock_rows(), "tab": "clocks"})


@login_required
def clock_limit_update(request, clock):
    user = request.user
    row = next((r for r in _clock_rows() if r["clock"] == clock), None)
    if row is None:
        raise Http404
    _require_editor(user)
    form = ClockLimitForm(request.POST or None, initial={"working_days": row["days"]})

    def save(data):
        services.clock_limit_set(actor=user, clock=clock, working_days=data["working_days"])
        return reverse("catalogues:clock-limit-list")

    def show(form, status):
        context = {"row": row, "form": form, "tab": "clocks"}
        return _page(request, "petitions/catalogues/clock_limit_form.html", context, status=status)

    done = _("The clock's limit is saved. Clocks already running keep their end.")
    return row_form_page(request, form, save=save, done=done, show=show)


# ---------------------------------------------------------------- the working-day calendar


def _year(request) -> int:
    today = timezone.localdate()
    first, last = services.calendar_bounds(today)
    wanted = request.GET.get("year", "")
    year = int(wanted) if wanted.isdecimal() and len(wanted) == 4 else today.year
    return min(max(year, first.year), last.year)


def _months(year: int) -> list[dict]:
    """The year drawn month by month, Monday first: each week a list of 7 cells (None before
    the first and after the last day), each cell (day, is_workday, overridden)."""
    months = []
    for month, days in groupby(calendar.year_days(year), key=lambda d: d[0].month):
        days = list(days)
        cells = [None] * days[0][0].weekday() + days
        cells += [None] * (-len(cells) % 7)
        weeks = [cells[i : i + 7] for i in range(0, len(cells), 7)]
        months.append({"month": datetime.date(year, month, 1), "weeks": weeks})
    return months


# The calendar's column heads, Monday first (一 二 三 四 五 六 日).
WEEKDAYS = [
    pgettext_lazy("weekday", "Mo"),
    pgettext_lazy("weekday", "Tu"),
    pgettext_lazy("weekday", "We"),
    pgettext_lazy("weekday", "Th"),
    pgettext_lazy("weekday", "Fr"),
    pgettext_lazy("weekday", "Sa"),
    pgettext_lazy("weekday", "Su"),
]


def _calendar_page(request, year, form=None, status=200):
    first, last = services.calendar_bounds(timezone.localdate())
    overrides = CalendarDay.objects.filter(date__year=year).order_by("date")
    context = {
        "year": year,
        "previous": year - 1 if year > first.year else None,
        "next": year + 1 if year < last.year else None,
        "known": year in calendar.KNOWN_YEARS,
        "months": _months(year),
        "weekdays": WEEKDAYS,
        "overrides": overrides,
        "form": form or CalendarDayForm(initial={"date": None}),
        "delete_form": OnceForm(prefix="delete"),
        "tab": "calendar",
    }
    return _page(request, "petitions/catalogues/calendar.html", context, status=status)


@login_required
def calendar_page(request):
    """A year's working days: holidays (休) and make-up working days (调休, 班), the package's
    and the district's own, which may be added and removed here."""
    return _calendar_page(request, _year(request))


@login_required
@require_POST
def calendar_day_create(request):
    user = request.user
    _require_editor(user)

    def save(data):
        day = services.calendar_day_add(
            actor=user, date=data["date"], is_workday=data["status"] == "workday", name=data["name"]
        )
        return reverse("catalogues:calendar") + f"?year={day.date.year}#day-{day.date.isoformat()}"

    def show(form, status):
        year = form.cleaned_data["date"].year if form.cleaned_data.get("date") else _year(request)
        return _calendar_page(request, year, form, status=status)

    done = _("The day is in the calendar. Deadlines already set keep their day.")
    return row_form_page(request, CalendarDayForm(request.POST), save=save, done=done, show=show)


@login_required
@require_POST
def calendar_day_delete(request, pk):
    user = request.user
    day = get_object_or_404(CalendarDay, pk=pk)
    back = reverse("catalogues:calendar") + f"?year={day.date.year}"
    return row_delete_page(
        request,
        detail_url=back,
        list_url=back,
        check=lambda: check_district_catalogue_editor(user),
        delete=lambda: services.calendar_day_remove(actor=user, day=day),
        done=_("The day is taken out: the public calendar decides it again."),
        show=lambda status: _calendar_page(request, day.date.year, status=status),
    )


# ---------------------------------------------------------------- a village's matter settings


def _settings_villages(user):
    """The villages whose matter settings the user reads: their township's for the township's
    staff and administrator, their own for its cadres and supervision committee."""
    return scope_for(user).filter_places(
        Village.objects.select_related("township").order_by("township__code", "code"), "village"
    )


@login_required
def matter_settings(request):
    """Who verifies a village's 村事 (?village=ID among those the user reads; the first by
    default): the township sets it, the village reads it."""
    user = request.user
    require_any_role(user, MATTER_SETTINGS_READERS, _("Only the village's cadres and its township see these settings."))
    villages = list(_settings_villages(user))
    wanted = request.GET.get("village", "")
    if wanted:
        village = next((v for v in villages if str(v.pk) == wanted), None)
    else:
        village = villages[0] if villages else None
    if village is None:
        raise Http404
    row = VillageMatterSettings.objects.filter(village=village).first()
    current = row.village_affairs_verifiers if row else VillageAffairsVerifiers.SUPERVISORS_AND_TOWNSHIP
    may_set = services.may_set_matter_settings(user, village)
    posted = request.method == "POST"
    if posted and not may_set:
        raise PermissionDenied(_("Only the township that oversees the village sets who verifies its village matters."))
    form = MatterSettingsForm(request.POST if posted else None, initial={"village_affairs_verifiers": current})
    if posted and form.is_valid():
        chosen = form.cleaned_data["village_affairs_verifiers"]

        def perform():
            services.matter_settings_set(actor=user, village=village, village_affairs_verifiers=chosen)
            return reverse("catalogues:matter-settings") + f"?village={village.pk}"

        if saved := save_form(request, form, perform=perform, done=_("The village's matter settings are saved.")):
            return saved
    context = {
        "village": village,
        "villages": villages if len(villages) > 1 else [],
        "row": row,
        "current": VillageAffairsVerifiers(current).label,
        "may_set": may_set,
        "form": form if may_set else None,
        "tab": "matter-settings",
    }
    return render(request, "petitions/catalogues/matter_settings.html", context, status=400 if posted else 200)
