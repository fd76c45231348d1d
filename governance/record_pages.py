"""The page that makes a record (a pledge; a meeting, a selection, a mediation, a team, an
activity of the civic books), and a step taken on a record's own page: one home for what each
of them does with its form."""

from collections.abc import Callable

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from governance.forms import save_form, step_page


def create_page(request, form, *, create: Callable, detail: str, done, template: str, context: Callable | None = None):
    """A valid form is saved once: `create(actor=..., **its data)` (the form's token taken out)
    makes the record, and the reader goes to its page (`detail`, the URL name) with `done`.
    Otherwise the form again: with its errors (400), or empty (a GET, 200); `context()` adds
    to the page's context."""
    posted = request.method == "POST"
    if posted and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("form_token")

        def perform():
            return reverse(detail, args=[create(actor=request.user, **data).pk])

        saved = save_form(request, form, perform=perform, done=done)
        if saved is not None:
            return saved
    page = {"form": form, **(context() if context is not None else {})}
    return render(request, template, page, status=400 if posted else 200)


def record_step(
    request, pk, action: str, *, record_for: Callable, detail: str, page: Callable, step: Callable, actions=None
):
    """One step taken on a record's page, through `governance.forms.step_page`: an action not
    among `actions` (when given) is a 404, and so is a record out of scope (`record_for(user,
    pk)`, the list's selector). The page shown again is `page(request, record, bound=...,
    status=...)` with the record read afresh; `step(record, show)` gives the step's check,
    form, perform and done (and a `show` of its own, if the page is shown differently)."""
    if actions is not None and action not in actions:
        raise Http404
    record = record_for(request.user, pk)

    def show(bound, status):
        return page(request, record_for(request.user, pk), bound=bound, status=status)

    parts = {"show": show, **step(record, show)}
    return step_page(request, action=action, detail_url=reverse(detail, args=[record.pk]), **parts)


def service_step(request, action: str, *, steps: dict, check: Callable, name: str, files: bool = False):
    """The `step` of a page whose steps are a table, `steps[action]` = (form class, service,
    message when done): `check(user, action, record)` first, then the service with the record
    as `name` and the form's data (with the request's files, if `files`)."""

    def step(record, show):
        form_class, service, done = steps[action]
        sent = (request.POST, request.FILES) if files else (request.POST,)
        return {
            "check": lambda: check(request.user, action, record),
            "form": lambda: form_class(*sent, prefix=action),
            "perform": lambda data: service(actor=request.user, **{name: record}, **data),
            "done": done,
        }

    return step
