"""The page that makes a record (a pledge; a meeting, a selection, a mediation, a team, an
activity of the civic books): one home for what each of them does with its form. The steps
taken on a record's own page go through `governance.forms.step_page`."""

from collections.abc import Callable

from django.shortcuts import render
from django.urls import reverse

from governance.forms import save_form


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
