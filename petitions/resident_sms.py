"""SMS to a resident about their matter, only with the consent they gave on the public form.

Four messages, each once per matter (its outbox key `resident:<matter>:<message>`, so a retry
or a rerun never sends it twice), each its own template in CUNZHI_SMS_TEMPLATES:

- `resident_accepted` (受理告知), when the matter is accepted (classified by the village, or a
  政事 reviewed by the township: whichever comes first);
- `resident_handling`, when it is assigned for handling (办);
- `resident_result`, when the handler reports the result (the public page shows it from then);
- `resident_evaluate`, the link to evaluate it, once the result is verified.

After a review (复查) reopens the matter, its new result and evaluation link are new messages
(`…:result:r1`). Parameters offered to every template: `code` (tracking code), `title` (cut
to 20 characters), `link` (the matter's public page, which has a button to stop the SMS),
`unsubscribe` (the stop page itself), `by` and `deadline` (受理告知).

The resident withdraws by the link in the SMS (/public/sms/unsubscribe/<token>/) or by
replying TD (governance.messaging.inbound → `resident_sms_reply`): nothing more is queued,
and what is queued and not yet sent for that matter is suppressed. SMS to residents are
never urgent: the quiet hours hold them until morning.
"""

import datetime
import unicodedata

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.messaging.models import Kind as MessageKind
from governance.messaging.services import deliveries_suppress, sms_queue
from petitions.models import Matter, MatterEvent, SmsSubscription, Source, State

# Translators: the checkbox on the public form (用短信告诉我办理进展).
CONSENT_LABEL = gettext_lazy("Tell me by SMS how my matter progresses")
# It says that the box is optional: a resident may think every box of an official form must be ticked.
CONSENT_HELP = gettext_lazy(
    "Optional: without it you still follow the matter with its tracking code. "
    "Up to four messages to the number above: when the matter is accepted, when handling starts, "
    "the result, and the link to evaluate it. Reply TD, or open the link in a message, to stop them."
)
TEMPLATE_KEYS = {
    "accepted": "resident_accepted",
    "handling": "resident_handling",
    "result": "resident_result",
    "evaluate": "resident_evaluate",
}
# The resident's reply that withdraws consent, after NFKC (full-width ＴＤ is TD) and upper case.
UNSUBSCRIBE_REPLIES = {"TD", "退订", "TD退订", "退订TD"}


def consent_wording() -> str:
    """The consent exactly as the form shows it, in the active language: what is recorded."""
    return f"{CONSENT_LABEL}. {CONSENT_HELP}"


def sms_subscribe(*, matter: Matter, phone: str, wording: str) -> SmsSubscription:
    """Record the resident's consent, in the caller's transaction (the public submission)."""
    return SmsSubscription.objects.create(
        matter=matter,
        phone=phone,
        consent_text=wording,
        consent_language=translation.get_language() or settings.LANGUAGE_CODE,
        consented_at=timezone.now(),
    )


def _message(matter: Matter, event: MatterEvent) -> str | None:
    if (event.payload or {}).get("accepted"):
        return "accepted"
    if event.action == "handle":
        return "handling"
    if event.action == "report":
        return "result"
    if event.to_state == State.EVALUATING and event.from_state != State.EVALUATING:
        return "evaluate"
    return None


def status_link(matter: Matter) -> str:
    return settings.CUNZHI_PUBLIC_URL + reverse("public:matter-status", args=[matter.tracking_code])


def _text(name: str, params: dict) -> str:
    texts = {
        "accepted": _(
            "Your matter “%(title)s” is accepted (受理) by %(by)s, to be done by %(deadline)s. "
            "Tracking code %(code)s. Reply TD to stop these messages."
        ),
        "handling": _("Your matter “%(title)s” is being handled. Follow it at %(link)s . Reply TD to stop."),
        "result": _("Your matter “%(title)s” is handled; the result is at %(link)s . Reply TD to stop."),
        "evaluate": _("Are you satisfied with how “%(title)s” was handled? Tell us at %(link)s . Reply TD to stop."),
    }
    return texts[name] % params


def resident_told(matter: Matter, event: MatterEvent) -> bool:
    """Queue the resident's SMS that `event` calls for, if they consented and have not
    withdrawn; in the transition's transaction (petitions.workflow.matter_transition)."""
    if matter.source != Source.PUBLIC_FORM:
        return False
    name = _message(matter, event)
    if name is None:
        return False
    # Locked: a withdrawal committing between this read and the delivery's INSERT would
    # otherwise miss the new row when it suppresses what is queued.
    subscription = SmsSubscription.objects.select_for_update().filter(matter=matter, withdrawn_at=None).first()
    if subscription is None:
        return False
    from petitions.workflow import acceptor_label

    accepted = (event.payload or {}).get("accepted") or {}
    deadline = parse_datetime(accepted["deadline"]) if accepted.get("deadline") else matter.deadline
    with translation.override(subscription.consent_language):
        params = {
            "code": matter.tracking_code,
            "title": matter.title,
            "link": status_link(matter),
            "unsubscribe": settings.CUNZHI_PUBLIC_URL + reverse("public:sms-unsubscribe", args=[subscription.token]),
            "by": acceptor_label(accepted) if accepted else "",
            "deadline": timezone.localtime(deadline).strftime("%Y-%m-%d") if deadline else "—",
        }
        body = _text(name, params)
    key = f"resident:{matter.pk}:{name}"
    if name in ("result", "evaluate") and matter.reopen_count:
        key += f":r{matter.reopen_count}"
    return sms_queue(
        address=subscription.phone,
        kind=MessageKind.RESIDENT,
        template_key=TEMPLATE_KEYS[name],
        params=params,
        body=body,
        key=key,
    )


def subscription_for_token(token: str) -> SmsSubscription | None:
    if not token or len(token) > 64:
        return None
    return SmsSubscription.objects.select_related("matter__village").filter(token=token).first()


def sms_subscription_withdraw(*, subscription: SmsSubscription, via: str) -> bool:
    """Withdraw the consent: nothing more is queued for the matter, and its SMS not yet sent
    are suppressed. False if it was withdrawn already (nothing changes)."""
    with transaction.atomic():
        subscription = SmsSubscription.objects.select_for_update().get(pk=subscription.pk)
        if subscription.withdrawn_at is not None:
            return False
        subscription.withdrawn_at, subscription.withdrawn_via = timezone.now(), via
        subscription.save(update_fields=["withdrawn_at", "withdrawn_via"])
        deliveries_suppress(address=subscription.phone, key_prefix=f"resident:{subscription.matter_id}:")
    return True


def is_unsubscribe(text: str) -> bool:
    normal = unicodedata.normalize("NFKC", text or "").upper()
    return "".join(c for c in normal if c.isalnum()) in UNSUBSCRIBE_REPLIES


def resident_sms_reply(*, phone: str, text: str, sent_at=None) -> int:
    """A reply to our SMS from `phone`: TD (or 退订) withdraws every consent that number gave
    (a reply does not say which matter) before `sent_at`, when the reply was sent (now when the
    provider does not say): a push the provider repeats later never withdraws a consent given
    after the reply. Returns how many were withdrawn."""
    if not is_unsubscribe(text):
        return 0
    withdrawn = 0
    given = SmsSubscription.objects.filter(phone=phone, withdrawn_at=None)
    if sent_at is not None:
        # The providers give the time to the second: a consent within that second counts as before.
        given = given.filter(consented_at__lt=sent_at + datetime.timedelta(seconds=1))
    for subscription in given:
        withdrawn += sms_subscription_withdraw(subscription=subscription, via=SmsSubscription.Via.REPLY)
    return withdrawn
