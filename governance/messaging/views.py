"""Each person's page of message choices: per kind of message, which channels."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from governance.messaging.models import Channel, Kind
from governance.messaging.services import preference_choices, preferences_save
from governance.models import StaffAccount
from grids.idnumbers import mask_phone


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
        for kind in Kind
    ]
    phone = StaffAccount.objects.filter(user=request.user).values_list("phone", flat=True).first() or ""
    return render(
        request,
        "messaging/preferences.html",
        {"rows": rows, "channels": channels, "phone": mask_phone(phone), "email": request.user.email},
    )
