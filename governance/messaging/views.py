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
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from governance.messaging.inbound import ACKNOWLEDGEMENTS, PARSERS, BadPush, replies_receive
from governance.messaging.models import STAFF_KINDS, Channel
from governance.messaging.services import preference_choices, preferences_save
from governance.models import StaffAccount
from grids.idnumbers import mask_phone

logger = logging.getLogger(__name__)


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
    channels = [c for c in Channel if any(key[1] == c for key in choices)]
    rows = [
        {
            "kind": kind,
            "cells": [
                {"channel": channel, "key": f"{kind.value}:{channel.value}", **choices[(kind, channel)]}
                if (kind, channel) in choices
                else None
                for channel in channels
            ],
        }
        for kind in STAFF_KINDS
    ]
    phone = StaffAccount.objects.filter(user=request.user).values_list("phone", flat=True).first() or ""
    return render(
        request,
        "messaging/preferences.html",
        {"rows": rows, "channels": channels, "phone": mask_phone(phone), "email": request.user.email},
    )


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
