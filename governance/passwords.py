"""A password an administrator issued is changed at the first login (governance.accounts).

At login the account's state is read once and kept in its session (`MUST_CHANGE`); from then on
every page sends it to the password page (/accounts/password/) and the API answers 403 with
code `password_change_required`, until it has chosen a password of its own. The login and
logout pages, the language switch and the API's sign-in endpoints (/api/v1/auth/) still
answer. Reading the flag from the session costs no query: pages and API calls cost what they
did. A reset or a deactivation changes the password's hash or the account's state, which ends
every session of the account (Django checks each against them), so no session outlives the
state its flag was read from. The API's token sign-in refuses such an account instead
(governance.api.TokenView): it changes its password at /api/v1/auth/password/ first.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import password_validation
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from rest_framework import authentication, exceptions

from governance.accounts import password_change_required, staff_password_changed

MUST_CHANGE = "cunzhi_must_change_password"


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, refusing in Chinese: Django 5.2 words its message with `%d`, which its zh_Hans
    catalogue does not translate yet (it has the `%(min_length)d` wording used here), so a short
    password was refused in English among Chinese messages."""

    def get_error_message(self):
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


CODE = "password_change_required"
MESSAGE = gettext_lazy("Choose a password of your own first: the one you were given must be changed.")
SAME_PASSWORD = gettext_lazy("Choose a password different from the one you were given.")
# Where an account that must change its password may still go (besides this page).
OPEN_PAGES = ("login", "logout", "password-change", "set_language")
OPEN_PREFIXES = ("/api/v1/auth/", "/static/", "/captcha/")


@receiver(user_logged_in)
def _remember_must_change(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None:
        return
    if password_change_required(user):
        session[MUST_CHANGE] = True
    elif MUST_CHANGE in session:
        del session[MUST_CHANGE]


def must_change(request) -> bool:
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(MUST_CHANGE))


class PasswordChangeRequiredMiddleware:
    """Send a session that must change its password to the password page (403 in the API)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths = None

    def open_paths(self) -> frozenset:
        if self._open_paths is None:
            self._open_paths = frozenset(reverse(name) for name in OPEN_PAGES)
        return self._open_paths

    def __call__(self, request):
        path = request.path_info
        if not must_change(request) or path in self.open_paths() or path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        if path.startswith("/api/"):
            return JsonResponse({"detail": str(MESSAGE), "code": CODE}, status=403)
        return redirect("password-change")


class OwnPasswordForm(PasswordChangeForm):
    """Django's form (the old password, the new one twice, Django's validators), refusing the
    password one was given."""

    def clean(self):
        cleaned = super().clean()
        new = cleaned.get("new_password1")
        if new and self.user.check_password(new):
            self.add_error("new_password1", forms.ValidationError(SAME_PASSWORD, code="password_unchanged"))
        return cleaned


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password (anyone signed in; the only page of an account that must)."""

    form_class = OwnPasswordForm
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("governance:home")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "must_change": must_change(self.request)}

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            staff_password_changed(user=form.user)
        self.request.session.pop(MUST_CHANGE, None)
        messages.success(self.request, _("Your password is changed. Use it from now on."))
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordChangeRequired(exceptions.PermissionDenied):
    default_code = CODE
    default_detail = MESSAGE


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, refusing (403) the token of an account that must change its
    password. The token endpoint issues none to such an account and a reset deletes its tokens:
    this covers a token made otherwise (the Django admin). The account's StaffAccount comes in
    the token's own query."""

    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = model.objects.select_related("user__staff_account").get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        try:
            must = token.user.staff_account.must_change_password
        except token.user._meta.model.staff_account.RelatedObjectDoesNotExist:
            must = False
        if must:
            raise PasswordChangeRequired()
        return token.user, token
