"""The staff account pages (/manage/staff/) of the township administrator (镇街管理员): the list,
a new account, an Excel list of accounts, and one account's page with its assignments and its
actions (reset the password, deactivate, reactivate).

Checked in the contract's order: the role first (403 for anyone but an administrator), then
the account (404 unless the caller keeps it, governance.accounts.accounts_managed_by), then
its state (409, the page again with the message), then the input (400, next to the field).
Each write is one service call, once per form token. A password issued here is kept in the
session only until the next page shows it, once.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from governance import accounts as a
from governance import staff_forms as f
from governance.forms import object_step, save_form, submit_once
from governance.models import Assignment
from governance.xlsx import xlsx_response

PER_PAGE = 30
IMPORT_ERRORS_SHOWN = 200
# The session keys holding issued passwords until the next page shows them (once).
ISSUED = "cunzhi_issued_password"
IMPORTED = "cunzhi_imported_passwords"

# action -> (form, the message when done)
ACTIONS = {
    "reset-password": (f.PasswordResetForm, gettext_lazy("A new password is issued: pass it on.")),
    "deactivate": (f.DeactivateForm, gettext_lazy("The account is deactivated: its logins are refused.")),
    "reactivate": (f.ReactivateForm, gettext_lazy("The account is active again: assign it anew where it works.")),
}


def _require_manager(user) -> None:
    if not a.manages_accounts(user):
        raise PermissionDenied(a.NOT_AN_ADMINISTRATOR)


def _account_for(user, pk):
    return get_object_or_404(a.accounts_managed_by(user), pk=pk)


def _managed_account(user, pk):
    """The role first (403), then the account (404 unless the caller keeps it)."""
    _require_manager(user)
    return _account_for(user, pk)


@login_required
def staff_list(request):
    """The accounts the caller keeps: search, filter by status, each row's state and next step."""
    user = request.user
    _require_manager(user)
    form = f.StaffFilterForm(request.GET or None)
    rows = a.accounts_managed_by(user)
    if form.is_valid():
        rows = a.search_accounts(rows, form.cleaned_data["q"])
        status = form.cleaned_data["status"]
        if status == "active":
            rows = rows.filter(is_active=True)
        elif status == "must_change":
            rows = rows.filter(is_active=True, staff_account__must_change_password=True)
        elif status == "deactivated":
            rows = rows.filter(is_active=False)
    ordered = a.with_current_assignments(rows.order_by("-is_active", "-date_joined", "-pk"))
    page = Paginator(ordered, PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "counts": a.account_counts(user), "filtered": form.has_changed()}
    return render(request, "governance/manage/staff_list.html", context)


@login_required
def staff_create(request):
    """Open one account; its password (typed, or generated) is shown once on its page."""
    user = request.user
    _require_manager(user)
    posted = request.method == "POST"
    form = f.StaffCreateForm(request.POST if posted else None, townships=a.admin_townships(user))
    if posted and form.is_valid():
        data = form.cleaned_data

        def perform():
            fields = {key: data[key] for key in ("username", "name", "phone", "email", "password")}
            account, password = a.staff_account_create(
                by=user, township=form.chosen_township(), account=a.NewAccount(**fields)
            )
            request.session[ISSUED] = {"user": account.pk, "password": password}
            return reverse("governance:staff-detail", args=[account.pk])

        saved = save_form(request, form, perform=perform, done=_("Account opened."))
        if saved is not None:
            return saved
    return render(request, "governance/manage/staff_form.html", {"form": form}, status=400 if posted else 200)


@login_required
def staff_import(request):
    """Open many accounts from an .xlsx list: all rows or none. A refused list comes back with
    every error by row and column; an accepted one shows each password issued, once."""
    user = request.user
    _require_manager(user)
    posted = request.method == "POST"
    form = f.StaffImportForm(
        request.POST if posted else None, request.FILES if posted else None, townships=a.admin_townships(user)
    )
    errors = None
    if posted and form.is_valid():

        def perform():
            opened = a.staff_accounts_import(by=user, township=form.chosen_township(), file=form.cleaned_data["file"])
            request.session[IMPORTED] = [
                {"user": account.pk, "name": account.first_name, "username": account.username, "password": password}
                for account, password in opened
            ]
            return reverse("governance:staff-import") + "?done=1"

        try:
            url, created = submit_once(request=request, token=form.cleaned_data["form_token"], perform=perform)
        except a.StaffImportError as refused:
            errors = refused.errors
        else:
            if not created:
                messages.info(request, _("This file had already been sent; its accounts were opened once."))
            return redirect(url)
    opened = request.session.pop(IMPORTED, None) if not posted and request.GET.get("done") else None
    context = {
        "form": form,
        "errors": errors[:IMPORT_ERRORS_SHOWN] if errors else None,
        "error_count": len(errors) if errors else 0,
        "done": bool(not posted and request.GET.get("done")),
        "opened": opened,
        "columns": a.COLUMNS,
        "max_rows": a.MAX_IMPORT_ROWS,
    }
    return render(request, "governance/manage/staff_import.html", context, status=400 if posted else 200)


@login_required
def staff_template(request):
    """The blank list (.xlsx) with its sheet of instructions."""
    _require_manager(request.user)
    return xlsx_response(a.staff_template(), "工作人员账号-模板.xlsx")


def _forms(user, account, bound=None) -> dict:
    """The forms of the actions the caller may take on the account now."""
    if account.pk == user.pk:
        return {}
    names = ["reset-password", "deactivate"] if account.is_active else ["reactivate"]
    forms = {name: ACTIONS[name][0](prefix=name) for name in names}
    if bound is not None:
        forms[bound.prefix] = bound
    return forms


def _detail_page(request, account, bound=None, status=200):
    user = request.user
    issued = request.session.get(ISSUED)
    password = None
    if issued and issued.get("user") == account.pk:
        password = request.session.pop(ISSUED)["password"]
    assignments = (
        Assignment.objects.filter(user=account)
        .select_related("township", "village", "grid__village", "courtyard", "department__township", "area")
        .order_by("-valid_from", "-pk")
    )
    context = {
        "account": account,
        "staff": a.staff_of(account),
        "assignments": list(assignments),
        "current_ids": set(assignments.filter(a.current_assignments_q()).values_list("pk", flat=True)),
        "forms": _forms(user, account, bound),
        "password": password,
        "own": account.pk == user.pk,
    }
    return render(request, "governance/manage/staff_detail.html", context, status=status)


@login_required
def staff_detail(request, pk):
    """One account: who, its state, its assignments past and present, its history, its actions."""
    return _detail_page(request, _managed_account(request.user, pk))


@login_required
@require_POST
def staff_action(request, pk, action):
    """Reset the password, deactivate or reactivate: 403, 404, 409, 400, once."""
    user = request.user

    def perform(account, data):
        if action == "reset-password":
            password = a.staff_password_reset(by=user, user=account, password=data["password"])
            request.session[ISSUED] = {"user": account.pk, "password": password}
        elif action == "deactivate":
            a.staff_account_deactivate(by=user, user=account, reason=data["reason"])
        else:
            a.staff_account_reactivate(by=user, user=account)

    form_class, done = ACTIONS.get(action, (None, None))
    return object_step(
        request,
        pk,
        action,
        actions=ACTIONS,
        load=_managed_account,
        page=_detail_page,
        url_name="governance:staff-detail",
        check=lambda account: a.check_action(user, account, action),
        form=lambda account: form_class(request.POST, prefix=action),
        perform=perform,
        done=done,
    )
