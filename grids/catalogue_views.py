"""The tags and their visit targets in pages, under /manage/catalogues/tags/ (the catalogues:
namespace, governance.page_urls).

Tags are one catalogue for the whole district: every signed-in member of staff reads them,
the superuser (the district's administrator) edits them (403 for anyone else, before the form
is read). A tag some household or resident carries is not deleted (409, with the reason).
The default target for a household without a tag's is the deployment's setting
VISIT_DEFAULT_EVERY_DAYS, shown here and changed where the server is installed.
"""

from functools import partial

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from governance.catalogue_views import require_editor, row_delete_page, row_form_page
from governance.catalogues import may_edit_district_catalogues
from governance.forms import OnceForm
from grids import services
from grids.forms import TagForm
from grids.models import Tag


@login_required
def tag_list(request):
    """Every tag, whether it marks a key group, its visit target, and how many carry it."""
    tags = Tag.objects.annotate(
        household_count=Count("households", distinct=True), resident_count=Count("residents", distinct=True)
    ).order_by("-is_key_group", "code")
    context = {
        "tags": tags,
        "default_every": settings.VISIT_DEFAULT_EVERY_DAYS,
        "may_edit": may_edit_district_catalogues(request.user),
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


def _initial(tag) -> dict:
    return {f: getattr(tag, f) for f in services.TAG_FIELDS}


def _listed(tag) -> str:
    return reverse("catalogues:tag-list") + f"#tag-{tag.pk}"


@login_required
def tag_create(request):
    user = request.user
    require_editor(services.check_tag_editor, user)

    def save(data):
        return _listed(services.tag_create(actor=user, **{f: data[f] for f in services.TAG_FIELDS}))

    show = partial(_tag_page, request, None)
    return row_form_page(request, TagForm(request.POST or None), save=save, done=_("The tag is saved."), show=show)


@login_required
def tag_update(request, pk):
    user = request.user
    tag = get_object_or_404(Tag, pk=pk)
    require_editor(services.check_tag_editor, user)

    def save(data):
        return _listed(services.tag_update(actor=user, tag=tag, **{f: data[f] for f in services.TAG_FIELDS}))

    done = _("The tag is saved; the households that carry it are due as its target says.")
    form = TagForm(request.POST or None, initial=_initial(tag))
    return row_form_page(request, form, save=save, done=done, show=partial(_tag_page, request, tag))


@login_required
@require_POST
def tag_delete(request, pk):
    """Delete a tag nobody carries; one in use comes back with the reason (409)."""
    user = request.user
    tag = get_object_or_404(Tag, pk=pk)

    def check():
        services.check_tag_editor(user)
        services.check_tag_removable(tag)

    return row_delete_page(
        request,
        detail_url=reverse("catalogues:tag-update", args=[tag.pk]),
        list_url=reverse("catalogues:tag-list"),
        check=check,
        delete=lambda: services.tag_delete(actor=user, tag=tag),
        done=_("The tag is deleted."),
        show=lambda status: _tag_page(request, tag, TagForm(initial=_initial(tag)), status),
    )
