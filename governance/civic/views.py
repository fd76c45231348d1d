"""三治's hub: the village's councils, teams, mediations, selections and activities."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from governance.civic.access import NOT_A_READER, reads_civic


@login_required
def home(request):
    """Where each of the 三治 books starts."""
    if not reads_civic(request.user):
        raise PermissionDenied(NOT_A_READER)
    return render(request, "civic/home.html", {})
