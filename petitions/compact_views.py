"""The village compact's staff pages (/compact/): the compact in force, the versions and their
articles; a village cadre drafts the next version, edits its articles and proposes it for
adoption (petitions.compact). The vote and the township's filing (备案) happen on the deciding
matter's page.

Checked in the contract's order: a version outside the reader's villages is 404, a reader who
may not edit it 403, a version whose articles are frozen 409, then the form's input (400).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from governance.errors import Conflict, DomainError
from governance.forms import redirect_if_resent, save_form
from petitions import compact as c
from petitions.forms import (
    CompactArticleForm,
    CompactDraftForm,
    CompactProposeForm,
    CompactStepForm,
    CompactVersionForm,
)
from petitions.models import CompactArticle, CompactVersion

NOT_A_READER = gettext_lazy("Your role does not read the village compact (村规民约).")
NOT_AN_EDITOR = gettext_lazy("Only the village's cadres draft and amend its compact.")
VERSION_ACTIONS = ("edit", "add", "propose")
ARTICLE_ACTIONS = ("edit", "remove", "up", "down")
STEP_BUTTONS = [
    ("up", gettext_lazy("Move up")),
    ("down", gettext_lazy("Move down")),
    ("remove", gettext_lazy("Remove")),
]
DONE = {
    "draft": gettext_lazy("A new version is drafted from the compact in force. Edit its articles, then propose it."),
    "edit": gettext_lazy("Saved."),
    "add": gettext_lazy("The article is added."),
    "remove": gettext_lazy("The article is removed."),
    "up": gettext_lazy("The article is moved."),
    "down": gettext_lazy("The article is moved."),
    "propose": gettext_lazy(
        "Proposed for adoption: run the seven steps (七步走) on its matter; the villagers' meeting votes on it."
    ),
}


def _reader(request) -> None:
    if not c.reads_compacts(request.user):
        raise PermissionDenied(NOT_A_READER)


def version_url(version) -> str:
    return reverse("compact:compact-version", args=[version.pk])


def home_context(request, village) -> dict:
    """The compact page of `village` (None: the reader has no village)."""
    villages = list(c.compact_villages_for(request.user).select_related("township"))
    context = {"villages": villages, "village": village}
    if village is None:
        return context
    versions = list(CompactVersion.objects.filter(village=village).select_related("matter").order_by("-number"))
    preparing = next((v for v in versions if v.status in c.IN_PROGRESS), None)
    editor = c.may_edit_compact(request.user, village.pk)
    return context | {
        "current": c.compact_in_force(village),
        "versions": versions,
        "preparing": preparing,
        "draft_form": CompactDraftForm(villages=c.compact_villages_for(request.user), initial={"village": village.pk})
        if editor and preparing is None
        else None,
    }


def _chosen_village(request, value):
    """The reader's village named by `value` (404 for another), or their first when not given."""
    villages = c.compact_villages_for(request.user).select_related("township")
    if not value:
        return villages.first()
    if not str(value).isdigit():
        raise Http404
    return get_object_or_404(villages, pk=value)


@login_required
def compact_home(request):
    """The village's compact: the version in force with its articles, the version being
    prepared, and the history of versions. Readers of several villages (the township) choose."""
    _reader(request)
    village = _chosen_village(request, request.GET.get("village"))
    return render(request, "petitions/compact_home.html", home_context(request, village))


@login_required
@require_POST
def compact_draft(request):
    """Start the next version of the chosen village's compact."""
    _reader(request)
    village = _chosen_village(request, request.POST.get("draft-village") or "x")
    if not c.may_edit_compact(request.user, village.pk):
        raise PermissionDenied(NOT_AN_EDITOR)
    if already := redirect_if_resent(request, "draft-form_token", reverse("compact:compact-home")):
        return already
    form = CompactDraftForm(request.POST, villages=c.compact_villages_for(request.user))
    if form.is_valid():
        saved = save_form(
            request,
            form,
            perform=lambda: version_url(c.compact_version_draft(village=village, actor=request.user)),
            done=DONE["draft"],
            on_refused=lambda error: _home_refused(request, village, error),
        )
        if saved is not None:
            return saved
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    return render(request, "petitions/compact_home.html", home_context(request, village), status=400)


def _home_refused(request, village, error: DomainError):
    messages.error(request, str(error.message))
    return render(request, "petitions/compact_home.html", home_context(request, village), status=error.status)


def _article_forms(version, bound=None) -> list[dict]:
    rows = []
    for article in version.articles.all():
        row = {"article": article}
        if version.editable_here:
            prefix = f"a{article.pk}"
            row["form"] = (
                bound
                if bound is not None and bound.prefix == prefix
                else CompactArticleForm(prefix=prefix, initial={"title": article.title, "text": article.text})
            )
            row["step_form"] = CompactStepForm(prefix=f"s{article.pk}")
        rows.append(row)
    return rows


def version_context(request, version, bound=None) -> dict:
    """The version's page: its articles, and for a cadre of a version still open to change the
    forms that change it (`bound`: a posted form with its errors, in place of its fresh twin)."""
    version.editable_here = version.is_editable and c.may_edit_compact(request.user, version.village_id)
    context = {
        "version": version,
        "village": version.village,
        "articles": _article_forms(version, bound),
        "step_buttons": STEP_BUTTONS,
        "law_flags": c.law_flags(version),
    }
    if version.editable_here:

        def pick(prefix, fresh):
            return bound if bound is not None and bound.prefix == prefix else fresh()

        context |= {
            "version_form": pick(
                "version",
                lambda: CompactVersionForm(
                    prefix="version", initial={"title": version.title, "preamble": version.preamble}
                ),
            ),
            "add_form": pick("add", lambda: CompactArticleForm(prefix="add")),
            "propose_form": pick("propose", lambda: CompactProposeForm(matters=c.compact_matter_choices(version)))
            if version.status != "returned"
            else None,
        }
    return context


def _version(request, pk):
    versions = c.compact_versions_visible_to(request.user).select_related("village__township", "filed_by")
    return get_object_or_404(c.with_articles(versions), pk=pk)


@login_required
def compact_version(request, pk):
    """One version: its articles; for a cadre, a draft's (or a returned version's) forms."""
    _reader(request)
    version = _version(request, pk)
    return render(request, "petitions/compact_version.html", version_context(request, version))


def _frozen(request, version, error: DomainError):
    messages.error(request, str(error.message))
    version = _version(request, version.pk)
    return render(request, "petitions/compact_version.html", version_context(request, version), status=error.status)


def _guard(request, version):
    """404 out of scope (done by the caller), 403 for who may not edit, 409 when frozen."""
    if not c.may_edit_compact(request.user, version.village_id):
        raise PermissionDenied(NOT_AN_EDITOR)
    if not version.is_editable:
        raise c.CompactFrozen(
            _("This version is %(status)s: its articles can no longer change. A change is a new version.")
            % {"status": version.get_status_display()}
        )


def _save(request, version, form, action, perform):
    """A form posted on the version's page, once per its token (a resent form goes where the
    first went); 403 for who may not edit, 409 when frozen (_guard); then validate `form`, run
    `perform(data)` once, and go back to the version's page."""
    if already := redirect_if_resent(request, form.add_prefix("form_token"), version_url(version)):
        return already
    try:
        _guard(request, version)
    except Conflict as error:
        return _frozen(request, version, error)
    if form.is_valid():
        saved = save_form(
            request,
            form,
            perform=lambda: perform(form.cleaned_data) or version_url(version),
            done=DONE[action],
            on_refused=lambda error: _frozen(request, version, error),
        )
        if saved is not None:
            return saved
    version = _version(request, version.pk)
    return render(request, "petitions/compact_version.html", version_context(request, version, bound=form), status=400)


@login_required
@require_POST
def compact_version_action(request, pk, action):
    """Change a version: its title and preamble (edit), a new article (add), or propose it."""
    _reader(request)
    if action not in VERSION_ACTIONS:
        raise Http404
    version = _version(request, pk)
    user = request.user
    if action == "edit":
        form = CompactVersionForm(request.POST, prefix="version")

        def perform(d):
            c.compact_version_edit(version=version, actor=user, title=d["title"], preamble=d["preamble"])

    elif action == "add":
        form = CompactArticleForm(request.POST, prefix="add")

        def perform(d):
            c.compact_article_add(version=version, actor=user, title=d["title"], text=d["text"])

    else:
        form = CompactProposeForm(request.POST, matters=c.compact_matter_choices(version))

        def perform(d):
            c.compact_version_propose(version=version, actor=user, matter=d.get("matter"))

    return _save(request, version, form, action, perform)


@login_required
@require_POST
def compact_article_action(request, pk, action):
    """Change an article of a draft: its text (edit), remove it, move it up or down."""
    _reader(request)
    if action not in ARTICLE_ACTIONS:
        raise Http404
    articles = CompactArticle.objects.filter(version__in=c.compact_versions_visible_to(request.user))
    article = get_object_or_404(articles.select_related("version__village"), pk=pk)
    version = _version(request, article.version_id)
    user = request.user
    if action == "edit":
        form = CompactArticleForm(request.POST, prefix=f"a{article.pk}")

        def perform(d):
            c.compact_article_edit(article=article, actor=user, title=d["title"], text=d["text"])

    else:
        form = CompactStepForm(request.POST, prefix=f"s{article.pk}")

        def perform(d):
            if action == "remove":
                c.compact_article_remove(article=article, actor=user)
            else:
                c.compact_article_move(article=article, actor=user, up=action == "up")

    return _save(request, version, form, action, perform)
