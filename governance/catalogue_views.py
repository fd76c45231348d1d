"""The catalogues and settings overview (/manage/catalogues/): each catalogue and setting the
caller sees, who owns it, who edits it, and whether the caller does (governance.catalogues).

And what every catalogue's pages do with a row (grids' tags, the matters' catalogues): the
editor is checked before any input is read (the 403 page), a new or changed row is saved once
through the app's service, and a row is deleted as one step on its page (governance.forms).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path

from governance.catalogues import catalogues_for
from governance.errors import Forbidden
from governance.forms import OnceForm, save_form, step_page
from governance.scoping import scope_for


@login_required
def overview(request):
    scope = scope_for(request.user)
    return render(request, "governance/catalogues.html", {"groups": catalogues_for(scope), "tab": "overview"})


def require_editor(check, user) -> None:
    """The 403 page, before any input is read, for a caller `check(user)` refuses (Forbidden)."""
    try:
        check(user)
    except Forbidden as error:
        raise PermissionDenied(str(error.message)) from None


def row_form_page(request, form, *, save, done, show):
    """A row's new or edit page, its editor already checked: a valid POST is saved once by
    `save(data)`, which calls the service and returns the URL to go to, with the message `done`;
    otherwise `show(form, status)` renders the page (400 after a POST, with the form's errors)."""
    posted = request.method == "POST"
    if posted and form.is_valid():
        data = form.cleaned_data
        if saved := save_form(request, form, perform=lambda: save(data), done=done):
            return saved
    return show(form, 400 if posted else 200)


def row_delete_page(request, *, detail_url: str, list_url: str, check, delete, done, show):
    """Delete a row from its page (`detail_url`) with its delete form, then go to `list_url`:
    `check()` refuses a caller (the 403 page) or a row in use (409: `show(status)` renders the
    row's page again, with the reason on top), `delete()` calls the service
    (governance.forms.step_page)."""

    def perform(data):
        delete()
        return list_url

    return step_page(
        request,
        action="delete",
        detail_url=detail_url,
        check=check,
        form=lambda: OnceForm(request.POST, prefix="delete"),
        perform=perform,
        done=done,
        show=lambda bound, status: show(status),
    )


def row_routes(prefix: str, name: str, *, index, create, update, delete) -> list:
    """A catalogue's four pages for its rows, in the catalogues: namespace: `<prefix>/` the
    list, `<prefix>/new/` a new row, `<prefix>/<pk>/` a row's edit page and
    `<prefix>/<pk>/delete/` its deletion, named `<name>-list`, -create, -update and -delete."""
    return [
        path(f"{prefix}/", index, name=f"{name}-list"),
        path(f"{prefix}/new/", create, name=f"{name}-create"),
        path(f"{prefix}/<int:pk>/", update, name=f"{name}-update"),
        path(f"{prefix}/<int:pk>/delete/", delete, name=f"{name}-delete"),
    ]
