"""The catalogues and settings overview (/manage/catalogues/): each catalogue and setting the
caller sees, who owns it, who edits it, and whether the caller does (governance.catalogues)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from governance.catalogues import catalogues_for
from governance.scoping import scope_for


@login_required
def overview(request):
    scope = scope_for(request.user)
    return render(request, "governance/catalogues.html", {"groups": catalogues_for(scope), "tab": "overview"})
