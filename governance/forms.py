"""Form plumbing shared by every page: a one-time token per rendered form, and service errors.

Double submits. Every form that writes carries a hidden `form_token`, a fresh UUID each
time the empty form is rendered. Saving claims that token for the user by inserting an
`IdempotencyRecord` keyed "page-form:<uuid>" *in the same transaction* as the change:

- the first post inserts the claim, runs the service and stores where it redirected;
- a second post of the same form (a double tap, a resend after a timeout, the back button)
  hits the unique (user, key) constraint and is sent where the first one went, writing
  nothing; two concurrent posts serialise on that constraint in the database;
- if the service refuses the input, the claim rolls back with it, so the user can correct
  the form and send it again with the same token.

The browser also disables the button on submit (static/js/app.js); that only saves a
round trip, the server is what guarantees a single write.
"""

import uuid
from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from governance.errors import Conflict, DomainError, Forbidden
from governance.limits import BoundedTextForm
from governance.models import IdempotencyRecord

# bandit: a cache key prefix, not a password.
FORM_TOKEN_PREFIX = "page-form:"  # nosec B105


class OnceForm(BoundedTextForm):
    """A form whose writes happen at most once per rendering (see the module docstring)."""

    form_token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This form has expired. Please check the details and send it again."),
            "invalid": _("This form has expired. Please check the details and send it again."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["form_token"] = uuid.uuid4()

    def full_clean(self):
        super().full_clean()
        # A missing or mangled token: the page comes back with a fresh one, so that
        # sending the corrected form works.
        if self.is_bound and "form_token" in self._errors:
            data = self.data.copy()
            data[self.add_prefix("form_token")] = str(uuid.uuid4())
            self.data = data


class QuickSelect(forms.Select):
    """A select rendered in Python, to the same markup as Django's select templates.

    The template renderer costs about a tenth of a millisecond per option, and the widget's
    option dicts (optgroups) half as much again: a township's hundred grids on a list's filter
    were a third of the page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        chosen = set(self.format_value(value))
        parts = [format_html('<select name="{}"{}>', name, _attrs(attrs))]
        has_selected = False
        for group, label in self.choices:
            grouped = isinstance(label, list | tuple)
            if grouped:
                parts.append(format_html('\n  <optgroup label="{}">', group))
            for option_value, option_label in label if grouped else [(group, label)]:
                option_value = "" if option_value is None else str(option_value)
                # As ChoiceWidget.optgroups: one selected option, unless the select takes many.
                selected = (not has_selected or self.allow_multiple_selected) and option_value in chosen
                has_selected |= selected
                parts.append(
                    f'\n  <option value="{escape(option_value)}"{" selected" if selected else ""}>'
                    f"{escape(option_label)}</option>"
                )
            if grouped:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # nosec B308 B703: every value and label escaped above


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html writes them."""
    return format_html_join(
        "",
        " {}{}",
        (
            (key, "" if value is True else format_html('="{}"', str(value)))
            for key, value in attrs.items()
            if value is not False
        ),
    )


def date_input() -> forms.DateInput:
    """A date field's widget: the phone's date picker, the value as 2026-05-10."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def text_area(rows=3, **attrs) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **attrs})


def search_input(**attrs) -> forms.TextInput:
    """A search box: the phone's keyboard shows "search" and suggests nothing."""
    return forms.TextInput(attrs={"type": "search", "autocomplete": "off", "enterkeyhint": "search", **attrs})


def offer_or_drop(form: forms.Form, name: str, queryset) -> None:
    """Offer `queryset` in the optional choice field `name`, or leave the field out when
    there is nothing to choose (a grid without courtyards, a household of one)."""
    if queryset.exists():
        form.fields[name].queryset = queryset
    else:
        del form.fields[name]


def submit_once(*, request, token: uuid.UUID, perform: Callable[[], str]) -> tuple[str, bool]:
    """Run `perform` (which saves and returns the URL to go to next) once per form token.

    Returns (url, created): created is False when this token was already used, in which
    case nothing ran and url is where the first submission went. Exceptions from
    `perform` (a ValidationError from a service) roll back the claim and propagate.
    """
    key = f"{FORM_TOKEN_PREFIX}{token}"
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=request.user, key=key, method="POST", path=request.path[:300], status_code=302, body={}
            )
            url = perform()
            record.body = {"location": url}
            record.save(update_fields=["body"])
            return url, True
    except IntegrityError:
        first = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
        if first is None:
            raise
        return first.body.get("location") or request.path, False


def save_form(request, form: OnceForm, *, perform: Callable[[], str], done, on_refused=None):
    """What every page that writes does with a valid form: submit once, run the service,
    announce, redirect.

    `perform()` saves and returns the URL to go to next; `done` is the message to show (or a
    callable returning it, read after `perform` ran). Returns the redirect, or None when
    the form now carries the service's errors (render the page again, status 400): a
    ValidationError next to the field it names, a Refused next to its field (else on top).
    A Forbidden or Conflict goes to `on_refused(error)` when given (a page that shows the
    object again with the message, 403 or 409), else on top of the form.
    """
    from django.shortcuts import redirect

    try:
        url, created = submit_once(request=request, token=form.cleaned_data["form_token"], perform=perform)
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    except DomainError as error:
        if on_refused is not None and isinstance(error, Forbidden | Conflict):
            return on_refused(error)
        form.add_error(error.field if error.field in form.fields else None, str(error.message))
        return None
    announce_saved(request, created, str(done() if callable(done) else done))
    return redirect(url)


def form_page(request, form, *, perform, done, template: str, context: dict):
    """A page of one form that writes: a valid post is saved once (`perform(data)` saves and
    returns the URL to go to, through `save_form`); otherwise `template` is rendered with the
    form (its errors, if posted) and `context`."""
    from django.shortcuts import render

    if request.method == "POST" and form.is_valid():
        response = save_form(request, form, perform=lambda: perform(form.cleaned_data), done=done)
        if response:
            return response
    return render(request, template, {"form": form, **context})


def step_page(request, *, action: str, detail_url: str, check, form, perform, done, show):
    """One step taken on an object's page (a pledge's, a meeting's, a mediation's, a
    selection's, an activity's), in the contract's order: a form sent again after its first
    send was saved goes where that one went; the role (the 403 page) and the object's state
    (the object again with the message, 409) are asked before the input; a valid form is saved
    once (`save_form`), otherwise the object comes back with the form's errors (400).

    `check()` raises Forbidden or Conflict; `form()` builds the bound form (prefixed with the
    action); `perform(data)` runs the service with the form's data (its token taken out); the
    reader then goes to the URL it returns, if it returns one (a str), else to `detail_url`;
    `show(bound, status)` renders the object's page afresh (`bound` None: no form to show again).
    """
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied

    if already := redirect_if_resent(request, f"{action}-form_token", detail_url):
        return already

    def refused(error):
        if isinstance(error, Forbidden):
            raise PermissionDenied(str(error.message))
        messages.error(request, str(error.message))
        return show(None, error.status)

    try:
        check()
    except (Forbidden, Conflict) as error:
        return refused(error)
    bound = form()
    if bound.is_valid():
        data = dict(bound.cleaned_data)
        data.pop("form_token")

        def saved_to() -> str:
            url = perform(data)
            return url if isinstance(url, str) else detail_url

        saved = save_form(request, bound, perform=saved_to, done=done, on_refused=refused)
        if saved is not None:
            return saved
    return show(bound, 400)


def object_step(request, pk, action: str, *, actions, load, page, url_name: str, check, form, perform, done):
    """`step_page` for a form sent on one object's page, the action named in the URL: an
    action not in `actions` is a 404, then the object (`load(user, pk)`, a 404 out of sight).
    `check(obj)`, `form(obj)` and `perform(obj, data)` are step_page's with the object; the
    reader goes back to `url_name` of the object, whose page `page(request, obj, bound=,
    status=)` is rendered afresh (the object loaded again) where the step is refused."""
    from django.http import Http404
    from django.urls import reverse

    user = request.user
    if action not in actions:
        raise Http404
    obj = load(user, pk)
    return step_page(
        request,
        action=action,
        detail_url=reverse(url_name, args=[obj.pk]),
        check=lambda: check(obj),
        form=lambda: form(obj),
        perform=lambda data: perform(obj, data),
        done=done,
        show=lambda bound, status: page(request, load(user, pk), bound=bound, status=status),
    )


def redirect_if_resent(request, token_field: str, fallback: str, message=None):
    """The "already sent" pre-check: a form sent again after its first send was saved goes
    back where the first one went (or to `fallback`), with a message, before the view asks
    the role and the state (they have changed since: that is the point). None for a form
    not sent before. `token_field` is the posted name of the form's token (with its prefix).
    """
    from django.contrib import messages
    from django.shortcuts import redirect

    token = request.POST.get(token_field)
    record = token and IdempotencyRecord.objects.filter(user=request.user, key=f"{FORM_TOKEN_PREFIX}{token}").first()
    if not record:
        return None
    messages.info(request, message or _("This form had already been sent; nothing was saved twice."))
    return redirect(record.body.get("location") or fallback)


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to the field it names, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def announce_saved(request, created: bool, message: str) -> None:
    """Tell the user what `submit_once` did: saved now, or already saved by the first send."""
    from django.contrib import messages

    if created:
        messages.success(request, message)
    else:
        messages.info(request, _("This form had already been sent; nothing was saved twice."))
