"""The public board (/public/): residents submit a matter, follow it and evaluate it, without an account.

A resident's only key is the matter's tracking code, so the pages reached by a code show
progress and never personal data: no submitter name or phone, no staff names. Actions by
code call the services with actor=None (the submitter). The pages are plain forms that work
without JavaScript, for cheap phones and WeChat's in-app browser.

Double submits: the form carries a one-time token, claimed in the database together with
the new matter (an anonymous IdempotencyRecord, unique per key and path), so a double tap
or a resend after a timeout lands on the first matter's confirmation and writes nothing.
Floods: successful submissions are counted per client address in the cache, a few per hour.
"""

import uuid
from collections.abc import Callable
from functools import wraps
from typing import NamedTuple

import segno
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance.forms import add_service_errors
from governance.login import client_ip
from governance.models import IdempotencyRecord
from grids.models import Grid, Township, Village
from petitions import services, workflow
from petitions.compact import compact_in_force, compact_public_version, compact_public_versions, for_the_public
from petitions.models import CompactStatus, Matter, SmsSubscription, State
from petitions.public_forms import EvaluateForm, PublicMatterForm, ReviewForm, TrackingCodeForm, WithdrawForm
from petitions.resident_sms import consent_wording, sms_subscription_withdraw, subscription_for_token

# A village's Wi-Fi or a carrier's NAT puts many residents behind one address: the limit
# stops a flood, not a busy village.
SUBMISSIONS_PER_HOUR = 10
THROTTLE_WINDOW = 60 * 60
# bandit: a cache key prefix, not a password.
FORM_TOKEN_PREFIX = "public-form:"  # nosec B105

STEPS = [
    (
        State.SUBMITTED,
        "提",
        gettext_lazy("Submitted"),
        gettext_lazy(
            "The village will sort it: settled in the grid, decided by the village, or passed to the township."
        ),
    ),
    (
        State.CLASSIFIED,
        "分",
        gettext_lazy("Sorted"),
        gettext_lazy("Sorted as a civil, village or government matter; those responsible take it up."),
    ),
    (
        State.DELIBERATING,
        "议",
        gettext_lazy("Discussed"),
        gettext_lazy("Being discussed: a consultation meeting, the village's procedure or the township's review."),
    ),
    (
        State.HANDLING,
        "办",
        gettext_lazy("Handled"),
        gettext_lazy("Being handled."),
    ),
    (
        State.VERIFYING,
        "督",
        gettext_lazy("Checked"),
        gettext_lazy("The result is being checked by someone other than the handler."),
    ),
    (
        State.EVALUATING,
        "评",
        gettext_lazy("Your evaluation"),
        gettext_lazy("Tell us below whether you are satisfied."),
    ),
]
STEP_STATES = [step[0] for step in STEPS]

SUMMARY = {
    State.SUBMITTED: gettext_lazy("Received: waiting to be sorted."),
    State.CLASSIFIED: gettext_lazy("Sorted. Those responsible will discuss it."),
    State.DELIBERATING: gettext_lazy("Being discussed."),
    State.HANDLING: gettext_lazy("Being handled."),
    State.VERIFYING: gettext_lazy("Handled. The result is being checked."),
    State.EVALUATING: gettext_lazy("Handled. Please tell us whether you are satisfied."),
    State.REVIEWING: gettext_lazy("You were not satisfied: the level above is reviewing the matter (复查)."),
    State.CLOSED: gettext_lazy("Closed."),
    State.REJECTED: gettext_lazy("Not taken up."),
    State.WITHDRAWN: gettext_lazy("Withdrawn."),
}
RESULT_STATES = {State.VERIFYING, State.EVALUATING, State.REVIEWING, State.CLOSED}


def _noindex(response):
    """Pages reached by a tracking code stay out of search engines and shared caches."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _matter_for_code(code: str) -> Matter | None:
    if not code or len(code) > 24:
        return None
    return (
        Matter.objects.select_related("village__township", "category", "department").filter(tracking_code=code).first()
    )


def _not_found(request, form=None):
    form = form or TrackingCodeForm()
    return _noindex(render(request, "petitions/public/find.html", {"form": form, "not_found": True}, status=404))


def _by_tracking_code(view):
    """A page about one matter, reached by its tracking code: `view(request, matter)`, or the
    find page (404) for a code that names no matter."""

    @wraps(view)
    def wrapped(request, code):
        matter = _matter_for_code(code)
        if matter is None:
            return _not_found(request)
        return view(request, matter)

    return wrapped


def _client_key(request) -> str:
    # The same client address as the API's throttles and the login limits (TRUSTED_PROXIES
    # decides when X-Forwarded-For is believed), so one setting governs them all.
    return f"public-submit:{client_ip(request) or 'unknown'}"


def _throttled(request) -> bool:
    return cache.get(_client_key(request), 0) >= SUBMISSIONS_PER_HOUR


def _count_submission(request) -> None:
    key = _client_key(request)
    if not cache.add(key, 1, THROTTLE_WINDOW):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, THROTTLE_WINDOW)


class Throttled(Exception):
    pass


def _submit_once(*, request, token: uuid.UUID, perform) -> tuple[str, bool]:
    """Run `perform` (create, return the next URL) once per form token; (url, created).

    The claim is inserted in the same transaction as the matter: a second post of the same
    form meets the unique (key, path) constraint and goes where the first one went; a
    refused input rolls the claim back so the corrected form can be sent again.
    """
    key = f"{FORM_TOKEN_PREFIX}{token}"
    first = IdempotencyRecord.objects.filter(user=None, key=key, path=request.path).first()
    if first is not None:
        return first.body.get("location") or request.path, False
    if _throttled(request):
        raise Throttled
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=None, key=key, method="POST", path=request.path[:300], status_code=302, body={}
            )
            url = perform()
            record.body = {"location": url}
            record.save(update_fields=["body"])
    except IntegrityError:
        first = IdempotencyRecord.objects.filter(user=None, key=key, path=request.path).first()
        if first is None:
            raise
        return first.body.get("location") or request.path, False
    _count_submission(request)
    return url, True


def send_public_form(request, form, *, perform, throttled: str, refused=(), invalid_status: int = 400):
    """Send a valid public form once per its token (_submit_once): (the redirect to where
    `perform` leads, None), saying so when the form had been sent already; or (None, the status)
    with the error on the form: `invalid_status` for the service's field errors, 409 for an error
    of the `refused` classes (the state), 429 past the throttle (`throttled` says so)."""
    try:
        url, created = _submit_once(request=request, token=form.cleaned_data["form_token"], perform=perform)
    except ValidationError as error:
        add_service_errors(form, error)
        return None, invalid_status
    except refused as error:
        form.add_error(None, str(error.message))
        return None, 409
    except Throttled:
        form.add_error(None, throttled)
        return None, 429
    if not created:
        messages.info(request, _("This form had already been sent; nothing was saved twice."))
    return redirect(url), None


@require_GET
def board(request):
    """Choose your village (township, then village), or look a matter up by its code."""
    townships = Township.objects.prefetch_related(
        Prefetch("villages", queryset=Village.objects.order_by("code"), to_attr="village_list")
    ).order_by("code")
    townships = [t for t in townships if t.village_list]
    return render(request, "petitions/public/board.html", {"townships": townships, "form": TrackingCodeForm()})


@require_http_methods(["GET", "POST"])
def matter_create(request, village_code):
    village = get_object_or_404(Village.objects.select_related("township"), code=village_code)
    grids = Grid.objects.active().filter(village=village).order_by("number")
    form = PublicMatterForm(request.POST or None, grids=grids)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def perform():
            matter = services.matter_submit_public(
                title=data["title"],
                description=data["description"],
                village=village,
                grid=data.get("grid"),
                submitter_name=data["submitter_name"],
                submitter_phone=data["submitter_phone"],
                # The wording the resident was shown, in the page's language, as their consent.
                sms_consent=consent_wording() if data.get("sms_updates") else "",
            )
            return reverse("public:matter-submitted", args=[matter.tracking_code])

        throttled = _(
            "Many matters have been sent from this network in the last hour, so this one was not saved. "
            "Please try again in an hour, or tell your grid worker or the village committee directly."
        )
        # The service's field errors (a grid of another village) show the form again as it was.
        sent, status = send_public_form(request, form, perform=perform, throttled=throttled, invalid_status=200)
        if sent is not None:
            return sent
    context = {"form": form, "village": village}
    return render(request, "petitions/public/matter_form.html", context, status=status)


@never_cache
@require_GET
@_by_tracking_code
def matter_submitted(request, matter):
    """The confirmation: the tracking code, big, with how to keep it."""
    status_url = request.build_absolute_uri(reverse("public:matter-status", args=[matter.tracking_code]))
    context = {
        "matter": matter,
        "code_groups": [matter.tracking_code[i : i + 4] for i in range(0, len(matter.tracking_code), 4)],
        "status_url": status_url,
        # Whether the resident asked for SMS updates (the number itself is shown on no tracking page).
        "sms_updates": SmsSubscription.objects.filter(matter=matter, withdrawn_at=None).exists(),
    }
    return _noindex(render(request, "petitions/public/submitted.html", context))


@require_GET
def matter_find(request):
    """The look-up form on the board sends the code here."""
    if "code" not in request.GET:
        return redirect(reverse("public:board") + "#track")
    form = TrackingCodeForm(request.GET)
    if not form.is_valid():
        return _noindex(render(request, "petitions/public/find.html", {"form": form}))
    code = form.cleaned_data["code"]
    found = _matter_for_code(code)
    if found is None and code and len(code) <= 24:
        # A phone keyboard capitalises the first letter; a unique case-insensitive match
        # is still the resident's own matter (the code keeps ample entropy without case).
        matches = list(Matter.objects.filter(tracking_code__iexact=code).values_list("tracking_code", flat=True)[:2])
        if len(matches) == 1:
            return redirect("public:matter-status", code=matches[0])
    if found is None:
        form.add_error("code", _("No matter has this code. Check it character by character."))
        return _not_found(request, form)
    return redirect("public:matter-status", code=found.tracking_code)


def progress(matter: Matter, events) -> list[dict]:
    """The 提分议办督评 tracker: each step done, current, stopped (rejected or withdrawn there)
    or still to come, with the date the matter last reached it."""
    reached = {}
    last_from = ""
    # 复查 belongs to 评, but the resident has answered: the step tells that the level above reviews it.
    reviewing = matter.state == State.REVIEWING
    for event in events:
        reached[event.to_state] = event.created_at
        last_from = event.from_state
    if reviewing:
        current, stopped = STEP_STATES.index(State.EVALUATING), False
    elif matter.state in STEP_STATES:
        current, stopped = STEP_STATES.index(matter.state), False
    elif matter.state == State.CLOSED:
        current, stopped = len(STEPS), False
    else:
        current = STEP_STATES.index(last_from) if last_from in STEP_STATES else 0
        stopped = True
    steps = []
    for index, (state, char, label, explanation) in enumerate(STEPS):
        if index < current:
            status = "done"
        elif index == current:
            status = "stopped" if stopped else "current"
        else:
            status = "todo"
        steps.append(
            {
                "char": char,
                "label": label,
                "explanation": (SUMMARY[State.REVIEWING] if reviewing else explanation) if status == "current" else "",
                "status": status,
                "date": reached.get(state) if status != "todo" else None,
            }
        )
    return steps


def _status_page(request, matter: Matter, *, evaluate_form=None, review_form=None):
    can_evaluate = matter.state in workflow.TRANSITIONS["evaluate"].sources
    events = list(matter.events.order_by("created_at", "id").only("from_state", "to_state", "created_at", "payload"))
    can_review = workflow.TRANSITIONS["request_review"].possible(matter)
    context = {
        "matter": matter,
        "summary": SUMMARY.get(matter.state, ""),
        "steps": progress(matter, events),
        # 受理告知: who accepted it (a place and a role) and by when it should be done.
        "accepted": workflow.acceptances(events),
        "show_result": matter.state in RESULT_STATES and bool(matter.result),
        "evaluate_form": (evaluate_form or EvaluateForm()) if can_evaluate else None,
        "review_form": (review_form or ReviewForm()) if can_review else None,
        "can_withdraw": matter.state in workflow.TRANSITIONS["withdraw"].sources,
        "where_else": workflow.WHERE_ELSE if matter.closed_dissatisfied else (),
        # Whoever holds the code may stop the SMS updates (the code is the resident's key).
        "sms": SmsSubscription.objects.filter(matter=matter).only("withdrawn_at", "token").first(),
    }
    return _noindex(render(request, "petitions/public/status.html", context))


@never_cache
@require_GET
@_by_tracking_code
def matter_status(request, matter):
    return _status_page(request, matter)


class _Answer(NamedTuple):
    service: Callable
    form: type
    slot: str  # the status page's argument that shows the form again
    gone: str  # the matter no longer waits for it (a double tap, an answer recorded on a return visit)
    done: str


# The submitter's answers by tracking code (评, 复查).
_ANSWERS = {
    "evaluate": _Answer(
        services.matter_evaluate,
        EvaluateForm,
        "evaluate_form",
        gettext_lazy("This matter is no longer waiting for an evaluation. Its progress is below."),
        gettext_lazy("Thank you: your evaluation is recorded."),
    ),
    "request_review": _Answer(
        services.matter_request_review,
        ReviewForm,
        "review_form",
        gettext_lazy("A review can no longer be asked for. The matter's progress is below."),
        gettext_lazy("Your request is sent: the level above reviews the matter."),
    ),
}


def _submitter_answer(request, matter: Matter, name: str):
    """The submitter's answer `name`: its service given the form's fields, then back to the
    progress; the form's errors on the status page."""
    answer = _ANSWERS[name]
    form = answer.form(request.POST)
    if form.is_valid():
        try:
            answer.service(matter=matter, actor=None, **form.cleaned_data)
        except workflow.MatterStateError:
            messages.info(request, answer.gone)
            return redirect("public:matter-status", code=matter.tracking_code)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, answer.done)
            return redirect("public:matter-status", code=matter.tracking_code)
    return _status_page(request, matter, **{answer.slot: form})


@never_cache
@require_POST
@_by_tracking_code
def matter_evaluate(request, matter):
    """评 by the submitter: satisfied closes the matter; unsatisfied goes one level up for a
    review (复查), once, and after it closes the matter on the record."""
    return _submitter_answer(request, matter, "evaluate")


@never_cache
@require_POST
@_by_tracking_code
def matter_request_review(request, matter):
    """复查 asked for by the submitter: the level above reviews the matter, once."""
    return _submitter_answer(request, matter, "request_review")


@never_cache
@require_http_methods(["GET", "POST"])
@_by_tracking_code
def matter_withdraw(request, matter):
    """Withdraw before handling starts, after a confirmation step."""
    if matter.state not in workflow.TRANSITIONS["withdraw"].sources:
        messages.info(request, _("This matter can no longer be withdrawn. Its progress is below."))
        return redirect("public:matter-status", code=matter.tracking_code)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.matter_withdraw(matter=matter, actor=None, reason=form.cleaned_data["reason"])
        except workflow.MatterStateError:
            messages.info(request, _("This matter can no longer be withdrawn. Its progress is below."))
        else:
            messages.success(request, _("The matter is withdrawn. Nobody will work on it any more."))
        return redirect("public:matter-status", code=matter.tracking_code)
    return _noindex(render(request, "petitions/public/withdraw.html", {"matter": matter, "form": form}))


@never_cache
@require_http_methods(["GET", "POST"])
def sms_unsubscribe(request, token):
    """The link in a resident's SMS: a button to stop the SMS about that matter (GET shows it,
    POST withdraws the consent). No login; the token is the key. An unknown token is a 404."""
    subscription = subscription_for_token(token)
    if subscription is None:
        # A link cut short in the SMS: still a 404, but one that tells the resident the other ways.
        return _noindex(render(request, "petitions/public/sms_unsubscribe.html", {"not_found": True}, status=404))
    if request.method == "POST":
        sms_subscription_withdraw(subscription=subscription, via=SmsSubscription.Via.LINK)
        # Back to the page by GET, which now says it is done: a reload sends nothing again.
        return redirect(request.path)
    context = {"subscription": subscription, "matter": subscription.matter}
    return _noindex(render(request, "petitions/public/sms_unsubscribe.html", context))


def qr_svg(data: str, *, title: str = "") -> str:
    """A QR code as inline SVG (no image service, no file): it scales with its box and prints sharp."""
    code = segno.make(data, error="m")
    # segno writes only the modules' path and the title, which it escapes.
    return mark_safe(  # nosec B308 B703
        code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None, title=title or None)
    )


@require_GET
def poster(request, village_code):
    """A printable A4 poster for the village notice board: scan to report (扫码上报)."""
    village = get_object_or_404(Village.objects.select_related("township"), code=village_code)
    form_url = request.build_absolute_uri(reverse("public:matter-create", args=[village.code]))
    context = {"village": village, "form_url": form_url, "qr": qr_svg(form_url, title=form_url)}
    return _noindex(render(request, "petitions/public/poster.html", context))


# ---------------------------------------------------------------- the village compact (村规民约)


def _compact_page(request, village, version, *, in_force: bool):
    version = for_the_public(version)
    context = {
        "village": village,
        "version": version,
        "in_force": in_force,
        "earlier": [v for v in compact_public_versions(village) if version is None or v.pk != version.pk],
    }
    return render(request, "petitions/public/compact.html", context)


@require_GET
def compact(request, village_code):
    """The village's compact in force, with its articles, when the villagers' meeting adopted it
    and the township filed it; and the earlier versions. No names: the village's rules only."""
    village = get_object_or_404(Village.objects.select_related("township"), code=village_code)
    return _compact_page(request, village, compact_in_force(village), in_force=True)


@require_GET
def compact_version(request, village_code, number):
    """An earlier version (or the one in force); a draft, a proposal or a returned version is
    not public (404)."""
    village = get_object_or_404(Village.objects.select_related("township"), code=village_code)
    version = compact_public_version(village, number)
    if version is None:
        raise Http404
    return _compact_page(request, village, version, in_force=version.status == CompactStatus.IN_FORCE)
