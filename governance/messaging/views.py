"""Each person's page of message choices: per kind of message, which channels; and the SMS
providers' callback for replies."""

import hmac
import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from governance.masking import mask_phone
from governance.messaging.inbound import ACKNOWLEDGEMENTS, PARSERS, BadPush, replies_receive
from governance.messaging.models import STAFF_KINDS, Channel, Contact, Kind
from governance.messaging.services import FORCED, preference_choices, preferences_save
from governance.models import StaffAccount

logger = logging.getLogger(__name__)


# What each kind of message carries, in the words of the people who get them.
KIND_HELP = {
    Kind.REMINDER: gettext_lazy("逢十 visit days, meetings and other reminders."),
    Kind.ASSIGNMENT: gettext_lazy("A matter given to you: new, sorted (分流), handed to you to handle, sent back."),
    Kind.SUPERVISION: gettext_lazy("督办 notes, overdue marks and escalations to the level above."),
    Kind.APPROVAL: gettext_lazy("Waiting for your check or decision: results, records, extensions, reviews."),
    Kind.OTHER: gettext_lazy("Everything else, for example a matter rejected or evaluated."),
}


def _addresses(user) -> dict[str, str]:
    """Where each channel reaches `user` ("" when the account has no address for it): the phone
    masked, as everywhere it is shown."""
    phone = StaffAccount.objects.filter(user=user).values_list("phone", flat=True).first() or ""
    wecom = Contact.objects.filter(user=user).values_list("wecom_userid", flat=True).first() or ""
    return {Channel.EMAIL: user.email, Channel.SMS: mask_phone(phone), Channel.WECOM: wecom}


@login_required
def preferences(request):
    if request.method == "POST":
        on = set()
        for value in request.POST.getlist("on"):
            kind, _sep, channel = value.partition(":")
            on.add((kind, channel))
        preferences_save(user=request.user, on=on)
        messages.success(request, _("Your choices are saved."))
        return redirect("governance:notification-preferences")
    choices = preference_choices(request.user)
    addresses = _addresses(request.user)
    channels = [{"channel": c, "address": addresses[c]} for c in Channel if any(key[1] == c for key in choices)]
    rows = [
        {
            "kind": kind,
            "help": KIND_HELP.get(kind, ""),
            "cells": [
                {
                    "channel": c["channel"],
                    "key": f"{kind.value}:{c['channel'].value}",
                    "forced": (c["channel"], kind) in FORCED,
                    "reachable": bool(c["address"]),
                    **choices[(kind, c["channel"])],
                }
                for c in channels
                if (kind, c["channel"]) in choices
            ],
        }
        for kind in STAFF_KINDS
    ]
    (from_h, from_m), (to_h, to_m) = settings.CUNZHI_QUIET_FROM, settings.CUNZHI_QUIET_TO
    quiet = {"quiet_from": f"{from_h:02d}:{from_m:02d}", "quiet_to": f"{to_h:02d}:{to_m:02d}"}
    return render(request, "messaging/preferences.html", {"rows": rows, "channels": channels, **quiet})


@csrf_exempt
@require_POST
def sms_inbound(request, provider, token):
    """The provider's callback for replies to our SMS (see governance.messaging.inbound): the
    token in the path is CUNZHI_SMS_INBOUND_TOKEN; unset, the endpoint does not exist."""
    expected = settings.CUNZHI_SMS_INBOUND_TOKEN
    if not expected or provider not in PARSERS:
        raise Http404
    if not hmac.compare_digest(token.encode(), expected.encode()):
        return JsonResponse({"detail": _("Wrong token."), "code": "permission_denied"}, status=403)
    try:
        replies_receive(provider=provider, payload=json.loads(request.body or b"null"))
    except (ValueError, RecursionError, BadPush) as error:  # RecursionError: JSON nested too deep
        logger.warning("SMS reply push from %s refused: %s", provider, error)
        return JsonResponse({"detail": _("Not a reply push this provider sends."), "code": "invalid"}, status=400)
    return JsonResponse(ACKNOWLEDGEMENTS[provider])
