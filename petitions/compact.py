"""The village compact (村规民约 / 村民公约): versions of articles that a village's cadres draft,
that a 村事 adopts by its villagers' meeting's vote (petitions.procedure: the compact rule) and
that the township files (备案) through the matter's `record_filing` (petitions.services brings
the version into force there, and follows the votes).

Reads, scoped (a version outside the reader's villages is not found), and the writes of the
versions and their articles while the village may still change them.
"""

from django.db import transaction
from django.db.models import Max, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from governance import law
from governance.errors import Conflict, Forbidden, Refused
from governance.models import Role
from governance.roles import COMPACT_EDITORS, COMPACT_READERS, SUPERVISION_ROLES, TOWNSHIP_ROLES
from governance.scoping import scope_for
from grids.models import Grid, Village
from grids.public import name_pattern, public_text, resident_names
from grids.selectors import private_grid_names
from petitions import procedure
from petitions.models import (
    CompactArticle,
    CompactStatus,
    CompactVersion,
    DecisionRule,
    Kind,
    Matter,
    MatterCategory,
    Source,
    State,
)

# A village prepares one version at a time: a second draft would fork the text in force.
IN_PROGRESS = (CompactStatus.DRAFT, CompactStatus.PROPOSED, CompactStatus.AWAITING_FILING, CompactStatus.RETURNED)
PUBLIC = (CompactStatus.IN_FORCE, CompactStatus.SUPERSEDED)


class CompactFrozen(Conflict):
    code = "compact_frozen"


# ---------------------------------------------------------------- reads


def _places(user) -> tuple[list[int], list[int]]:
    """The villages (cadre, supervision committee) and townships (staff) whose compact `user` reads."""
    scope = scope_for(user)
    return sorted(scope.ids_for({Role.VILLAGE_CADRE} | SUPERVISION_ROLES)), sorted(scope.ids_for(TOWNSHIP_ROLES))


def compact_villages_for(user) -> QuerySet[Village]:
    """The villages whose compact `user` reads: a cadre's or supervision committee's own, the
    township staff's villages."""
    villages = Village.objects.order_by("township_id", "name")
    if scope_for(user).is_superuser:
        return villages
    village_ids, township_ids = _places(user)
    return villages.filter(Q(pk__in=village_ids) | Q(township_id__in=township_ids))


def compact_versions_visible_to(user) -> QuerySet[CompactVersion]:
    """The versions of the villages whose compact `user` reads, with their village and matter."""
    versions = CompactVersion.objects.select_related("village", "matter")
    if scope_for(user).is_superuser:
        return versions
    village_ids, township_ids = _places(user)
    return versions.filter(Q(village_id__in=village_ids) | Q(township_id__in=township_ids))


def reads_compacts(user) -> bool:
    return scope_for(user).has_any_role(COMPACT_READERS)


def may_edit_compact(user, village_id: int) -> bool:
    """A village cadre of the version's village."""
    scope = scope_for(user)
    return scope.is_superuser or village_id in scope.ids_for(COMPACT_EDITORS)


def with_articles(versions):
    return versions.prefetch_related(Prefetch("articles", queryset=CompactArticle.objects.order_by("number")))


def compact_in_force(village) -> CompactVersion | None:
    """The version of `village`'s compact in force, with its articles (public: the board shows it)."""
    return with_articles(CompactVersion.objects.filter(village=village, status=CompactStatus.IN_FORCE)).first()


def for_the_public(version: CompactVersion | None) -> CompactVersion | None:
    """`version` (articles prefetched) with its title, preamble and articles as a public page may
    show them: the register's names as 张某, a grid too small to name as 某网格, phone and ID
    numbers masked (an article may thank or name someone). Changes the loaded objects only; nothing is saved."""
    if version is None:
        return None
    names = name_pattern(resident_names(version.village_id))
    grids = name_pattern(private_grid_names(version.village_id))

    def clean(text):
        return public_text(text, names, grids)

    version.title, version.preamble = clean(version.title), clean(version.preamble)
    for article in version.articles.all():
        article.title, article.text = clean(article.title), clean(article.text)
    return version


def compact_public_versions(village) -> list[CompactVersion]:
    """The versions the public may read (in force, superseded), newest first, without articles."""
    return list(CompactVersion.objects.filter(village=village, status__in=PUBLIC).order_by("-number"))


def compact_public_version(village, number: int) -> CompactVersion | None:
    """One version the public may read, with its articles (None for a draft or a proposal)."""
    versions = CompactVersion.objects.filter(village=village, number=number, status__in=PUBLIC)
    return with_articles(versions).first()


def compact_version_of(matter: Matter) -> CompactVersion | None:
    """The version a compact 村事 decides (no query for another kind of matter)."""
    if matter.kind != Kind.VILLAGE or procedure.decision_rule(matter) != DecisionRule.COMPACT:
        return None
    return CompactVersion.objects.filter(matter=matter).first()


def law_flags(version: CompactVersion | None) -> list[dict]:
    """The version's articles that may withhold what the law protects (governance.law): a
    warning to the cadres drafting it and to the township filing it."""
    return law.compact_flags(version.articles.all()) if version is not None else []


def compact_matter_choices(version: CompactVersion) -> QuerySet[Matter]:
    """The open 村事 of the version's village that may decide it: a compact category, no
    version linked yet, and no vote held (a vote before the text was frozen adopts nothing)."""
    return (
        Matter.objects.filter(
            village_id=version.village_id,
            kind=Kind.VILLAGE,
            category__decision_rule=DecisionRule.COMPACT,
            state__in=[State.CLASSIFIED, State.DELIBERATING],
            compact_version__isnull=True,
        )
        .exclude(deliberations__step=procedure.VOTE_STEP)
        .order_by("-id")
    )


# ---------------------------------------------------------------- writes


def _check_editor(actor, village_id: int) -> None:
    if not may_edit_compact(actor, village_id):
        raise Forbidden(_("Only the village's cadres draft and amend its compact."), code="not_compact_editor")


def _locked(version: CompactVersion, actor) -> CompactVersion:
    """The version's row, locked; 403 for who may not edit it, 409 when its articles are frozen."""
    _check_editor(actor, version.village_id)
    version = CompactVersion.objects.select_for_update(of=("self",)).select_related("matter").get(pk=version.pk)
    if not version.is_editable:
        raise CompactFrozen(
            _("This version is %(status)s: its articles can no longer change. A change is a new version.")
            % {"status": version.get_status_display()}
        )
    return version


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Refused(message, code="required", field=field)
    return value


def compact_version_draft(*, village: Village, actor, title: str = "") -> CompactVersion:
    """A village cadre starts the next version of the village's compact: a copy of the articles
    in force (none for the first). One version is prepared at a time (409)."""
    _check_editor(actor, village.pk)
    with transaction.atomic():
        Village.objects.select_for_update().get(pk=village.pk)  # two drafts at once: one waits
        versions = CompactVersion.objects.filter(village=village)
        if versions.filter(status__in=IN_PROGRESS).exists():
            raise Conflict(
                _("A version of the compact is already being prepared: finish it first."), code="compact_in_progress"
            )
        current = compact_in_force(village)
        number = (versions.aggregate(last=Max("number"))["last"] or 0) + 1
        version = CompactVersion.objects.create(
            township_id=village.township_id,
            village=village,
            number=number,
            title=(title or "").strip()
            or (current.title if current else _("%(village)s village compact") % {"village": village.name}),
            preamble=current.preamble if current else "",
            created_by=actor,
        )
        if current is not None:
            CompactArticle.objects.bulk_create(
                CompactArticle(version=version, number=a.number, title=a.title, text=a.text)
                for a in current.articles.all()
            )
    return version


def compact_version_edit(*, version: CompactVersion, actor, title: str, preamble: str = "") -> CompactVersion:
    """Change a draft's (or a returned version's) title and preamble."""
    with transaction.atomic():
        version = _locked(version, actor)
        version.title = _text(title, "title", _("Give the compact a title."))
        version.preamble = (preamble or "").strip()
        version.save(update_fields=["title", "preamble", "updated_at"])
    return version


def compact_article_add(*, version: CompactVersion, actor, title: str = "", text: str) -> CompactArticle:
    """Add an article at the end of a draft (or a returned version)."""
    with transaction.atomic():
        version = _locked(version, actor)
        text = _text(text, "text", _("Write the article's text."))
        number = (version.articles.aggregate(last=Max("number"))["last"] or 0) + 1
        article = CompactArticle.objects.create(version=version, number=number, title=(title or "").strip(), text=text)
        version.save(update_fields=["updated_at"])
    return article


def compact_article_edit(*, article: CompactArticle, actor, title: str = "", text: str) -> CompactArticle:
    """Change an article of a draft (or a returned version)."""
    with transaction.atomic():
        _locked(article.version, actor)
        article.title, article.text = (title or "").strip(), _text(text, "text", _("Write the article's text."))
        article.save(update_fields=["title", "text"])
    return article


def compact_article_remove(*, article: CompactArticle, actor) -> None:
    """Remove an article of a draft (or a returned version); those after it move up."""
    with transaction.atomic():
        version = _locked(article.version, actor)
        article.delete()
        # In ascending order each number freed is the one the next takes: no clash.
        for later in version.articles.filter(number__gt=article.number).order_by("number"):
            later.number -= 1
            later.save(update_fields=["number"])


def compact_article_move(*, article: CompactArticle, actor, up: bool) -> None:
    """Swap an article with the one before it (`up`) or after it; at either end, nothing moves."""
    with transaction.atomic():
        version = _locked(article.version, actor)
        article = CompactArticle.objects.get(pk=article.pk)
        neighbours = (
            version.articles.filter(number__lt=article.number)
            if up
            else version.articles.filter(number__gt=article.number)
        )
        other = neighbours.order_by("-number" if up else "number").first()
        if other is None:
            return
        mine, theirs = article.number, other.number
        article.number = 0  # out of the way of the unique (version, number)
        article.save(update_fields=["number"])
        other.number = mine
        other.save(update_fields=["number"])
        article.number = theirs
        article.save(update_fields=["number"])


def _compact_category() -> MatterCategory:
    category = (
        MatterCategory.objects.filter(is_active=True, decision_rule=DecisionRule.COMPACT, default_kind=Kind.VILLAGE)
        .order_by("order", "code")
        .first()
    )
    if category is None:
        raise Conflict(
            _("No active category of matters is decided by the compact rule: ask the township to add one."),
            code="no_compact_category",
        )
    return category


def _new_matter(version: CompactVersion, actor) -> Matter:
    """The 村事 that decides `version`, recorded and classified by the cadre through the matters'
    services (its 七步走 then runs on the matter's page)."""
    from petitions import services

    grid = Grid.objects.filter(village_id=version.village_id).order_by("number").first()
    if grid is None:
        raise Conflict(_("The village has no grid to record the matter in."), code="no_grid")
    category = _compact_category()
    matter = services.matter_submit(
        actor=actor,
        title=_("Adopt the village compact, version %(number)d: %(title)s")
        % {"number": version.number, "title": version.title},
        description=_("The village's cadres propose version %(number)d of the village compact for adoption.")
        % {"number": version.number},
        grid=grid,
        source=Source.PROPOSAL,
        submitter_name=actor.get_full_name() or actor.username,
        category=category,
    )
    return services.matter_classify(matter=matter, actor=actor, kind=Kind.VILLAGE, category=category)


def compact_version_propose(*, version: CompactVersion, actor, matter: Matter | None = None) -> CompactVersion:
    """Put a draft (or a version whose matter ended) to the village: a new 村事 of a compact
    category, recorded and classified, or `matter`, an open one of the village with no vote yet
    (compact_matter_choices). From then on its articles are frozen; the vote of the villagers'
    meeting and the township's filing decide it."""
    with transaction.atomic():
        version = _locked(version, actor)
        if version.status == CompactStatus.RETURNED:
            raise Conflict(_("A returned version is voted on again on its matter's page."), code="compact_returned")
        if not version.articles.exists():
            raise Refused(_("Write at least one article first."), code="no_articles", field="articles")
        if matter is not None:
            if not compact_matter_choices(version).filter(pk=matter.pk).exists():
                raise Refused(
                    _("Choose an open village matter of a compact category, of this village, not voted on yet."),
                    code="not_a_compact_matter",
                    field="matter",
                )
        else:
            matter = _new_matter(version, actor)
        version.matter, version.status = matter, CompactStatus.PROPOSED
        version.save(update_fields=["matter", "status", "updated_at"])
    return version
