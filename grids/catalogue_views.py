"""The tags and their visit targets in pages, under /manage/catalogues/tags/ (the catalogues:
namespace, governance.page_urls).

Tags are one catalogue for the whole district: every signed-in member of staff reads them,
the superuser (the district's administrator) edits them (403 for anyone else, before the form
is read). A tag some household or resident carries is not deleted (409, with the reason).
The default target for a household without a tag's is the deployment's setting
VISIT_DEFAULT_EVERY_DAYS, shown here and changed where the server is installed.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from governance.errors import Forbidden
from governance.forms import OnceForm, save_form, step_page
from governance.roles import DISTRICT_CATALOGUE_EDITORS
from governance.scoping import scope_for
from grids import services
from grids.forms import TagForm
from grids.models import Tag


def _may_edit(user) -> bool:
    return scope_for(user).has_any_role(DISTRICT_CATALOGUE_EDITORS)


def _require_editor(user) -> None:
    try:
        services.check_tag_editor(user)
    except Forbidden as error:
        raise PermissionDenied(str(error.message)) from None


@login_required
def tag_list(request):
    """Every tag, whether it marks a key group, its visit target, and how many carry it."""
    tags = Tag.objects.annotate(
        household_count=Count("households", distinct=True), resident_count=Count("residents", distinct=True)
    ).order_by("-is_key_group", "code")
    context = {
        "tags": tags,
        "default_every": settings.VISIT_DEFAULT_EVERY_DAYS,
        "may_edit": _may_edit(request.user),
        "tab": "tags",
    }
    return render(request, "grids/catalogues/tag_list.html", context)


def _tag_page(request, tag, form, status=200):
    context = {
        "tag": tag,
        "form": form,
        "used": services.tag_usage(tag) if tag is not None else 0,
        "delete_form": OnceForm(prefix="delete"),
        "may_edit": True,
        "tab": "tags",
    }
    return render(request, "grids/catalogues/tag_form.html", context, status=status)


@login_required
def tag_create(request):
    user = request.user
    _require_editor(user)
    form = TagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def perform():
            tag = services.tag_create(actor=user, **{f: data[f] for f in services.TAG_FIELDS})
            return reverse("catalogues:tag-list") + f"#tag-{tag.pk}"

        if saved := save_form(request, form, perform=perform, done=_("The tag is saved.")):
            return saved
    return _tag_page(request, None, form, status=400 if request.method == "POST" else 200)


@login_required
def tag_update(request, pk):
    user = request.user
    tag = get_object_or_404(Tag, pk=pk)
    _require_editor(user)
    form = TagForm(request.POST or None, initial={f: getattr(tag, f) for f in services.TAG_FIELDS})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def perform():
            services.tag_update(actor=user, tag=tag, **{f: data[f] for f in services.TAG_FIELDS})
            return reverse("catalogues:tag-list") + f"#tag-{tag.pk}"

        done = _("The tag is saved; the households that carry it are due as its target says.")
        if saved := save_form(request, form, perform=perform, done=done):
            return saved
    return _tag_page(request, tag, form, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def tag_delete(request, pk):
    """Delete a tag nobody carries; one in use comes back with the reason (409)."""
    user = request.user
    tag = get_object_or_404(Tag, pk=pk)

    def check():
        services.check_tag_editor(user)
        services.check_tag_removable(tag)

    def perform(data):
        services.tag_delete(actor=user, tag=tag)
        return reverse("catalogues:tag-list")

    def show(bound, status):
        return _tag_page(request, tag, TagForm(initial={f: getattr(tag, f) for f in services.TAG_FIELDS}), status)

    return step_page(
        request,
        action="delete",
        detail_url=reverse("catalogues:tag-update", args=[tag.pk]),
        check=check,
        form=lambda: OnceForm(request.POST, prefix="delete"),
        perform=perform,
        done=_("The tag is deleted."),
        show=show,
    )
