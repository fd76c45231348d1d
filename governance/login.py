"""Who is knocking, and how often: the client address, login throttles, lock-outs, CAPTCHA.

- `client_ip(request)` is the one place that reads a client's address. X-Forwarded-For is
  believed only when the request comes from a proxy listed in TRUSTED_PROXIES, and then only
  up to the right-most hop that is not itself a trusted proxy (anything left of it was
  written by the client and proves nothing). Axes, the DRF throttles and the public form's
  counter all read the address through it.
- Failed logins are counted per address across usernames (LOGIN_FAILURES_PER_ADDRESS in
  LOGIN_FAILURE_WINDOW_MINUTES): past the limit the address gets a 429 before any password
  is checked, on the login page and on the token endpoint alike.
- django-axes locks the (username, address) pair, so no one can lock another person's
  account from their own machine. A username that keeps failing from several addresses
  (LOGIN_CAPTCHA_AFTER_ADDRESSES distinct ones in LOGIN_CAPTCHA_WINDOW_MINUTES) is being
  sprayed: its next logins need a CAPTCHA drawn here (django-simple-captcha).

Counters live in the default cache: Redis when REDIS_URL is set (shared by every worker),
falling back to process memory while Redis is down (governance.cache).
"""

import functools
import hashlib
import ipaddress

from captcha.fields import CaptchaField
from captcha.models import CaptchaStore
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache as default_cache
from django.dispatch import receiver
from django.forms.utils import ErrorDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.throttling import ScopedRateThrottle

# ---------------------------------------------------------------------------------------
# The client address


@functools.lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _parse(value: str):
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return any(address in network for network in networks)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or, behind a trusted proxy, the right-most
    untrusted hop of X-Forwarded-For. None when the request carries no usable address."""
    remote = _parse(request.META.get("REMOTE_ADDR", "") or "")
    if remote is None:
        return None
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    if not networks or not _trusted(remote, networks):
        return str(remote)
    client = remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
        address = _parse(hop)
        if address is None:
            # A trusted proxy passed on something that is no address: the hop it came
            # from is the last one we know.
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


class ClientIpScopedRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, counting per client_ip() in the shared cache."""

    def get_ident(self, request):
        return client_ip(request) or "unknown"


# ---------------------------------------------------------------------------------------
# Counters


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _count(store, key: str, seconds: int) -> int:
    if store.add(key, 1, seconds):
        return 1
    try:
        return store.incr(key)
    except ValueError:  # expired between add and incr
        store.add(key, 1, seconds)
        return 1


def _window(name: str) -> int:
    return int(getattr(settings, name)) * 60


def record_failure(*, ip: str | None, username: str, store=None) -> None:
    """Count one failed login from `ip` for `username`."""
    store = store or default_cache
    ip = ip or "unknown"
    _count(store, f"login:fail:ip:{_digest(ip)}", _window("LOGIN_FAILURE_WINDOW_MINUTES"))
    if username:
        seconds = _window("LOGIN_CAPTCHA_WINDOW_MINUTES")
        user = _digest(username)
        # One marker per (username, address), so the counter counts distinct addresses.
        if store.add(f"login:fail:pair:{user}:{_digest(ip)}", 1, seconds):
            _count(store, f"login:fail:user-ips:{user}", seconds)


def address_blocked(*, ip: str | None, store=None) -> bool:
    """Has `ip` failed too many logins lately, whatever the usernames?"""
    store = store or default_cache
    return (store.get(f"login:fail:ip:{_digest(ip or 'unknown')}") or 0) >= settings.LOGIN_FAILURES_PER_ADDRESS


def captcha_required(*, username: str, store=None) -> bool:
    """Has `username` failed from enough distinct addresses to be treated as sprayed?"""
    if not username:
        return False
    store = store or default_cache
    count = store.get(f"login:fail:user-ips:{_digest(username)}") or 0
    return count >= settings.LOGIN_CAPTCHA_AFTER_ADDRESSES


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs):
    # Both the login page and the token endpoint authenticate through Django, so both
    # count here, lock-outs included (axes refuses with PermissionDenied, which Django
    # reports as a failed login).
    if request is None or getattr(request, "_login_failure_counted", False):
        return
    request._login_failure_counted = True
    record_failure(ip=client_ip(request), username=str(credentials.get("username") or ""))


ADDRESS_BLOCKED_MESSAGE = _(
    "Too many failed logins from this network in the last few minutes. Please wait a while and try again."
)
CAPTCHA_REQUIRED_MESSAGE = _(
    "This account has had failed logins from several places. Type the characters in the picture to go on."
)


def new_captcha(request) -> dict:
    """A fresh challenge for the API: its key and the address of its picture."""
    key = CaptchaStore.generate_key()
    return {"captcha_key": key, "captcha_image": request.build_absolute_uri(reverse("captcha-image", args=[key]))}


def captcha_answer_valid(key: str, answer: str) -> bool:
    """Check and use up a challenge (a challenge is good for one try, right or wrong)."""
    if not key or not answer:
        return False
    CaptchaStore.remove_expired()
    store = CaptchaStore.objects.filter(hashkey=key.lower(), expiration__gt=timezone.now()).first()
    if store is None:
        return False
    store.delete()
    return store.response == answer.strip().lower()


# ---------------------------------------------------------------------------------------
# The login page


def _captcha_field() -> CaptchaField:
    return CaptchaField(
        label=_("Characters in the picture"),
        error_messages={"invalid": _("The characters do not match the picture. Try the new one.")},
    )


class LoginForm(AuthenticationForm):
    """Django's login form, with a CAPTCHA when the username is being sprayed."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        username = self.data.get("username", "") if self.is_bound else ""
        if captcha_required(username=str(username)):
            self.fields["captcha"] = _captcha_field()

    def clean(self):
        if "captcha" in self.fields and "captcha" not in self.cleaned_data:
            # No password is checked without the CAPTCHA.
            return self.cleaned_data
        return super().clean()


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if address_blocked(ip=client_ip(request)):
            form = self.get_form()
            # Refused before any password is checked: the form is not validated.
            form._errors, form.cleaned_data = ErrorDict(), {}
            form.add_error(None, ADDRESS_BLOCKED_MESSAGE)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if "captcha" not in form.fields and captcha_required(username=str(form.data.get("username", ""))):
            # This failure was the one that made the username need a CAPTCHA: ask for it now.
            form.fields["captcha"] = _captcha_field()
            form.add_error(None, CAPTCHA_REQUIRED_MESSAGE)
        return super().form_invalid(form)
