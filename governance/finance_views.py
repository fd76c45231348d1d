"""The accounts' pages (财务公开): a village's statements, their lines, the spreadsheet, posting.

Readers are the village's cadres and supervision committee and the township's staff
(governance.finance.finance_villages); a statement outside them is a 404, a reader who may
not keep the accounts gets a 403 on writing, a posted statement answers a change with 409.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from governance import finance
from governance.errors import Conflict, Forbidden
from governance.finance_forms import ImportForm, LineForm, SettingsForm, StatementForm
from governance.forms import redirect_if_resent, save_form
from governance.models import FinanceLine, FinancePeriod, FinanceStatement, VillageFinanceSettings
from governance.roles import FINANCE_EDITORS, FINANCE_READERS
from governance.scoping import scope_for
from governance.xlsx import xlsx_response


def _require_reader(user) -> None:
    if not scope_for(user).has_any_role(FINANCE_READERS):
        raise PermissionDenied(
            _("The village accounts are for its cadres, its supervision committee and the township.")
        )


def _editable_villages(user):
    scope = scope_for(user)
    villages = finance.finance_villages(user)
    return villages if scope.is_superuser else villages.filter(pk__in=sorted(scope.ids_for(FINANCE_EDITORS)))


def _statement_rows(village_ids) -> dict:
    """Each village's statements of the last two years with their totals (one query)."""
    since = timezone.localdate() - datetime.timedelta(days=2 * 366)
    statements = (
        FinanceStatement.objects.filter(village_id__in=village_ids, period_end__gte=since)
        .annotate(
            income=Sum("lines__amount", filter=Q(lines__direction=FinanceLine.Direction.INCOME)),
            expense=Sum("lines__amount", filter=Q(lines__direction=FinanceLine.Direction.EXPENSE)),
            line_count=Count("lines"),
        )
        .order_by("village_id", "-period_start")
    )
    by_village: dict = {}
    for statement in statements:
        by_village.setdefault(statement.village_id, []).append(
            {
                "statement": statement,
                "label": finance.period_label(statement.period, statement.period_start),
                **finance._totals(statement, statement.income, statement.expense),
            }
        )
    return by_village


@login_required
def finance_list(request, form=None, status=200, bound_settings=None):
    """The villages' statements, the periods not yet posted, and (for a cadre) a new statement."""
    user = request.user
    _require_reader(user)
    villages = list(finance.finance_villages(user)[:200])
    ids = [village.pk for village in villages]
    rows = _statement_rows(ids)
    settings = {
        s.village_id: s for s in VillageFinanceSettings.objects.filter(village_id__in=ids).select_related("changed_by")
    }
    groups = []
    for village in villages:
        statements = rows.get(village.pk, [])
        groups.append(
            {
                "village": village,
                "rows": statements,
                "settings": settings.get(village.pk),
                "missing": finance.missing_periods(
                    village, statements=[row["statement"] for row in statements], settings=settings.get(village.pk)
                ),
            }
        )
    editable = _editable_villages(user)
    opens_on = None
    if form is None and editable.exists():
        form = StatementForm(villages=editable)
        next_day = finance.next_statement_day(editable.first().pk)
        if next_day > timezone.localdate() and editable.count() == 1:
            # The village's statements run into the current period: nothing to open yet.
            form, opens_on = None, next_day
        else:
            first = next((v for v in villages if v.pk in settings), None)
            form.initial["day"] = min(next_day, timezone.localdate())
            form.initial["period"] = settings[first.pk].period if first else FinancePeriod.QUARTER
    settings_form = None
    if editable.exists():
        settings_form = bound_settings or SettingsForm(villages=editable, prefix="settings")
        first = next((v for v in villages if v.pk in settings), None)
        if first and not settings_form.is_bound:
            settings_form.initial.update(
                {
                    "village": first.pk,
                    "period": settings[first.pk].period,
                    "posting_since": settings[first.pk].posting_since,
                }
            )
    context = {"groups": groups, "form": form, "settings_form": settings_form, "opens_on": opens_on}
    return render(request, "governance/finance/list.html", context, status=status)


def _list_step(request, *, once_field: str, form, perform, done, again):
    """A form of the list page sent (the village's settings, a new statement): a resent one goes
    where the first went; 403 unless the reader keeps a village's accounts; a valid one is
    saved once (`perform(data)` returns where to go), else the list again with the form (400,
    `again(bound)`). `form(editable)` binds the form to the villages the reader keeps."""
    user = request.user
    _require_reader(user)
    if already := redirect_if_resent(request, once_field, reverse("governance:finance-list")):
        return already
    editable = _editable_villages(user)
    if not editable.exists():
        raise PermissionDenied(_("Only a cadre of the village keeps its accounts."))
    bound = form(editable)
    if bound.is_valid():
        saved = save_form(request, bound, perform=lambda: perform(bound.cleaned_data), done=done)
        if saved is not None:
            return saved
    return again(bound)


@login_required
@require_POST
def finance_settings(request):
    def perform(data):
        finance.finance_settings_set(
            user=request.user, village=data["village"], period=data["period"], posting_since=data["posting_since"]
        )
        return reverse("governance:finance-list")

    return _list_step(
        request,
        once_field="settings-form_token",
        form=lambda editable: SettingsForm(request.POST, villages=editable, prefix="settings"),
        perform=perform,
        done=_("Saved: the village posts as set."),
        again=lambda bound: finance_list(request, bound_settings=bound, status=400),
    )


@login_required
@require_POST
def finance_create(request):
    def perform(data):
        statement = finance.finance_statement_create(
            user=request.user,
            village=data["village"],
            period=data["period"],
            day=data["day"],
            opening_balance=data["opening_balance"],
        )
        return reverse("governance:finance-detail", args=[statement.pk])

    return _list_step(
        request,
        once_field="form_token",
        form=lambda editable: StatementForm(request.POST, villages=editable),
        perform=perform,
        done=_("The statement is opened. Add its lines."),
        again=lambda bound: finance_list(request, form=bound, status=400),
    )


def _statement_for(user, pk, *, writing=False) -> FinanceStatement:
    """The statement (404 out of sight); for a write, 403 unless the reader keeps the accounts."""
    statement = get_object_or_404(finance.statements_visible_to(user).select_related("village__township"), pk=pk)
    if writing and not finance.may_edit(user, statement.village_id):
        raise PermissionDenied(_("Only a cadre of this village keeps its accounts."))
    return statement


def _previous_draft_label(statement) -> str:
    """The period of the draft just before a draft `statement` (whose closing balance this one
    opens on once posted), or ""."""
    previous = finance.previous_statement(statement) if statement.is_draft else None
    return finance.period_label(previous.period, previous.period_start) if previous and previous.is_draft else ""


def _detail(request, statement, *, line_form=None, import_form=None, status=200):
    statement_rows = finance.with_lines(
        FinanceStatement.objects.filter(pk=statement.pk).select_related("village").prefetch_related("lines")
    )
    editable = statement.is_draft and finance.may_edit(request.user, statement.village_id)
    if editable:
        line_form = line_form or LineForm(
            prefix="line", initial={"occurred_on": min(statement.period_end, timezone.localdate())}
        )
        import_form = import_form or ImportForm(prefix="import")
    context = {
        "row": statement_rows[0],
        "statement": statement,
        "editable": editable,
        "line_form": line_form if editable else None,
        "import_form": import_form if editable else None,
        "may_post": editable and statement.period_end < timezone.localdate(),
        # A draft's opening balance is settled when it is posted: the one before's closing balance.
        "previous_draft": _previous_draft_label(statement),
    }
    return render(request, "governance/finance/detail.html", context, status=status)


@login_required
def finance_detail(request, pk):
    _require_reader(request.user)
    return _detail(request, _statement_for(request.user, pk))


def _refused(request, statement):
    def on_refused(error):
        if isinstance(error, Forbidden):
            raise PermissionDenied(str(error.message))
        messages.error(request, str(error.message))
        return _detail(request, _statement_for(request.user, statement.pk), status=409)

    return on_refused


def _statement_step(request, pk, *, prefix: str, form, perform, done):
    """One of a draft statement's forms sent (a line, a spreadsheet): 404, 403, then a resent
    form goes where the first went; a valid one is saved once (`perform(statement, data)` returns
    where to go), a refusal shows the page with why (409), invalid input the page with the form
    (400). `form(data, files)` binds the form under `prefix`."""
    user = request.user
    _require_reader(user)
    statement = _statement_for(user, pk, writing=True)
    if already := redirect_if_resent(request, f"{prefix}-form_token", _here(statement)):
        return already
    bound = form(request.POST, request.FILES)
    if bound.is_valid():
        saved = save_form(
            request,
            bound,
            perform=lambda: perform(statement, bound.cleaned_data),
            done=done,
            on_refused=_refused(request, statement),
        )
        if saved is not None:
            return saved
    return _detail(request, statement, **{f"{prefix}_form": bound}, status=400)


@login_required
@require_POST
def finance_line_add(request, pk):
    def perform(statement, data):
        line = finance.LineInput(**{key: data[key] for key in finance.LineInput.__dataclass_fields__})
        finance.finance_line_add(user=request.user, statement=statement, line=line)
        return _here(statement) + "#lines"

    return _statement_step(
        request,
        pk,
        prefix="line",
        form=lambda data, files: LineForm(data, prefix="line"),
        perform=perform,
        done=_("The line is added."),
    )


def _button(request, pk, act, *, done, then, already=None):
    """One of a statement's buttons (take a line off, post, take back): `act(user, statement)`
    through the service; a 403, or a 409 with the page and why (`_refused`); else `done` and
    on to `then(statement)`. `already(statement)`: what to say instead when the refusal is
    only a second tap (the button's work was done by the first)."""
    user = request.user
    _require_reader(user)
    statement = _statement_for(user, pk, writing=True)
    try:
        act(user, statement)
    except (Forbidden, Conflict) as error:
        said = already(statement) if already is not None and isinstance(error, Conflict) else ""
        if not said:
            return _refused(request, statement)(error)
        messages.info(request, said)
        return redirect(then(statement))
    messages.success(request, done)
    return redirect(then(statement))


def _here(statement) -> str:
    return reverse("governance:finance-detail", args=[statement.pk])


@login_required
@require_POST
def finance_line_remove(request, pk, line_id):
    return _button(
        request,
        pk,
        lambda user, statement: finance.finance_line_remove(user=user, statement=statement, line_id=line_id),
        done=_("The line is taken off."),
        then=lambda statement: _here(statement) + "#lines",
    )


@login_required
@require_POST
def finance_import(request, pk):
    counted = {}

    def perform(statement, data):
        counted["lines"] = finance.finance_lines_import(user=request.user, statement=statement, file=data["file"])
        return _here(statement) + "#lines"

    return _statement_step(
        request,
        pk,
        prefix="import",
        form=lambda data, files: ImportForm(data, files, prefix="import"),
        perform=perform,
        done=lambda: _("%(count)d lines are added from the spreadsheet.") % {"count": counted.get("lines", 0)},
    )


@login_required
@require_POST
def finance_post(request, pk):
    return _button(
        request,
        pk,
        lambda user, statement: finance.finance_statement_post(user=user, statement=statement),
        done=_("Posted: the residents see it on the village's public board."),
        then=_here,
        already=lambda statement: (
            statement.status == FinanceStatement.Status.POSTED and _("This statement was already posted.")
        ),
    )


@login_required
@require_POST
def finance_discard(request, pk):
    """Take back an empty draft statement (finance.finance_statement_discard)."""
    return _button(
        request,
        pk,
        lambda user, statement: finance.finance_statement_discard(user=user, statement=statement),
        done=_("The empty draft is taken back; its period can be opened again."),
        then=lambda statement: reverse("governance:finance-list"),
    )


@login_required
def finance_template(request):
    _require_reader(request.user)
    return xlsx_response(finance.finance_template(), "财务公开模板.xlsx")
