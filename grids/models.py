"""Places and people: township → village → grid → courtyard → household → resident.

Every row below Township carries its township and village ids (and, below Grid, the grid
id), so that scoping a list to a caller is one indexed filter, never a walk up the tree.

Tags and their visit targets are the district's catalogue, edited in pages by the superuser
(grids.services.tag_create, docs/administration.md); the default target is the deployment's
setting VISIT_DEFAULT_EVERY_DAYS.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from governance.masking import mask_phone


def scope_indexes(*columns: str) -> list[models.Index]:
    """An index on (place column, id) for each of the row's place columns: a list scoped to a
    township, a village or a grid reads one index range, already in id order."""
    return [models.Index(fields=[column, "id"]) for column in columns]


class Township(models.Model):
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=20, unique=True)
    district = models.CharField(_("district"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("township")
        verbose_name_plural = _("townships")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Village(models.Model):
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="villages")
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=20, unique=True)
    is_community = models.BooleanField(_("urban community (社区)"), default=False)

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["code"]

    def __str__(self):
        return self.name


class PlaceQuerySet(models.QuerySet):
    def active(self):
        """The places in use: not merged into another (grids.places)."""
        return self.filter(retired_on__isnull=True)


def retired_message(place) -> str:
    """What is said of a grid or courtyard merged into another, which takes nothing new: by a
    service refusing it (grids.services.place_in_use, a Conflict) and by an input or form that
    offers only the places in use (a 400 on its field)."""
    if isinstance(place, Courtyard):
        message = gettext("%(courtyard)s was merged into another courtyard; choose one in use.")
        return message % {"courtyard": place.name}
    return gettext("%(grid)s was merged into another grid; choose a grid in use.") % {"grid": place.name}


def _retired_with_target() -> Q:
    """A retired place names the place it was merged into, and only a retired one does."""
    return Q(retired_on__isnull=True, merged_into__isnull=True) | Q(retired_on__isnull=False, merged_into__isnull=False)


def unique_in_use(*fields: str, name: str) -> models.UniqueConstraint:
    """Unique among the places in use: a merged place's number or name is free again."""
    return models.UniqueConstraint(fields=fields, condition=Q(retired_on__isnull=True), name=name)


class MergeablePlace(models.Model):
    """A grid or a courtyard: one merged into another is kept, empty, rather than deleted (its
    history, its visits and its past compliance stay readable), and it takes nothing new."""

    retired_on = models.DateField(_("merged on"), null=True, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("merged into"),
    )

    objects = PlaceQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [models.CheckConstraint(condition=_retired_with_target(), name="%(class)s_retired_with_target")]


class Grid(MergeablePlace):
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="grids")
    number = models.PositiveIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=100)

    class Meta(MergeablePlace.Meta):
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["village_id", "number"]
        constraints = [
            unique_in_use("village", "number", name="grid_number_unique_in_village"),
            *MergeablePlace.Meta.constraints,
        ]

    def __str__(self):
        return f"{self.village.name} {self.name}"


class Courtyard(MergeablePlace):
    """院落: an optional cluster of households inside a grid, looked after by a helper."""

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="courtyards")
    name = models.CharField(_("name"), max_length=100)

    class Meta(MergeablePlace.Meta):
        verbose_name = _("courtyard")
        verbose_name_plural = _("courtyards")
        ordering = ["grid_id", "name"]
        constraints = [
            unique_in_use("grid", "name", name="courtyard_name_unique_in_grid"),
            *MergeablePlace.Meta.constraints,
        ]

    def __str__(self):
        return self.name


class Area(models.Model):
    """片区: a named set of villages of one township that a township leader answers for (包片)."""

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="areas")
    name = models.CharField(_("name"), max_length=100)
    villages = models.ManyToManyField(Village, related_name="areas", verbose_name=_("villages"))

    class Meta:
        verbose_name = _("area (片区)")
        verbose_name_plural = _("areas (片区)")
        ordering = ["township_id", "name"]
        constraints = [models.UniqueConstraint(fields=["township", "name"], name="area_name_unique_in_township")]

    def __str__(self):
        return self.name


# The longest visit target a tag may set, in days: at least once a year.
MAX_VISIT_EVERY_DAYS = 365


class Tag(models.Model):
    """A label on households and residents (独居老人, 困难户 ...) and the visit target it sets.

    One catalogue for the whole district, edited by the superuser (docs/administration.md)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40, unique=True)
    is_key_group = models.BooleanField(_("key group (重点人群)"), default=False)
    # How often a household with this tag (on itself or on one of its members) should be
    # visited; the shortest of its tags wins, VISIT_DEFAULT_EVERY_DAYS when it has none.
    visit_every_days = models.PositiveSmallIntegerField(
        _("visit at least every (days)"), null=True, blank=True, help_text=_("Empty: the default target applies.")
    )

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visit_every_days__isnull=True)
                | Q(visit_every_days__gte=1, visit_every_days__lte=MAX_VISIT_EVERY_DAYS),
                name="tag_visit_target_within_a_year",
            )
        ]

    def __str__(self):
        return self.name


class Household(models.Model):
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="households")
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="households")
    courtyard = models.ForeignKey(Courtyard, on_delete=models.PROTECT, null=True, blank=True, related_name="households")
    number = models.CharField(_("household number"), max_length=30)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # The head's name, kept here so a household list needs no join to residents.
    head_name = models.CharField(_("head of household"), max_length=50, blank=True)
    head_name_pinyin = models.CharField(max_length=200, blank=True, editable=False)
    head_name_initials = models.CharField(max_length=50, blank=True, editable=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="households", verbose_name=_("tags"))
    notes = models.TextField(_("notes"), blank=True)
    # Kept by grids.visits.services.households_refresh_visit_due: the day of the last visit and the
    # day the next one is due under the household's target (null: never visited, due now).
    last_visited_on = models.DateField(_("last visited"), null=True, blank=True, editable=False)
    visit_due_on = models.DateField(_("next visit due"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["village", "number"], name="household_number_unique_in_village")]
        indexes = [*scope_indexes("township", "village", "grid"), models.Index(fields=["grid", "visit_due_on"])]

    def __str__(self):
        return f"{self.number} {self.head_name}".strip()

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class HouseholdMove(models.Model):
    """The record of a household moved to another grid: who did it, when, and why."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="moves")
    from_grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+")
    to_grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+")
    from_courtyard = models.ForeignKey(Courtyard, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_courtyard = models.ForeignKey(Courtyard, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("household move")
        verbose_name_plural = _("household moves")
        ordering = ["-moved_at"]


class Resident(models.Model):
    class Gender(models.TextChoices):
        MALE = "male", _("male")
        FEMALE = "female", _("female")

    class Relation(models.TextChoices):
        HEAD = "head", _("head of household")
        SPOUSE = "spouse", _("spouse")
        CHILD = "child", _("child")
        CHILD_IN_LAW = "child_in_law", _("son- or daughter-in-law")
        PARENT = "parent", _("parent")
        GRANDCHILD = "grandchild", _("grandchild")
        GRANDPARENT = "grandparent", _("grandparent")
        SIBLING = "sibling", _("brother or sister")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        RESIDENT = "resident", _("living here")
        AWAY = "away", _("working or living away")
        MOVED_OUT = "moved_out", _("moved out")
        DECEASED = "deceased", _("deceased")

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members")
    name = models.CharField(_("name"), max_length=50)
    name_pinyin = models.CharField(max_length=200, editable=False)
    name_initials = models.CharField(max_length=50, editable=False)
    relation_to_head = models.CharField(_("relation to head"), max_length=20, choices=Relation.choices)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    # 身份证号: ciphertext, a keyed hash for look-up and uniqueness, and the 4+4 mask for lists.
    id_number_encrypted = models.TextField(blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True, editable=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True, default="汉族")
    status = models.CharField(
        pgettext_lazy("resident", "status"), max_length=20, choices=Status.choices, default=Status.RESIDENT
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="residents", verbose_name=_("tags"))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=Q(id_number_hash__isnull=False),
                name="resident_id_number_unique",
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relation_to_head="head"),
                name="one_head_per_household",
            ),
        ]
        indexes = scope_indexes("township", "village", "grid")

    def __str__(self):
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class IdNumberReveal(models.Model):
    """Audit row: someone saw a resident's full ID number."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="+")
    revealed_at = models.DateTimeField(auto_now_add=True)
    channel = models.CharField(max_length=20)

    class Meta:
        verbose_name = _("ID number reveal")
        verbose_name_plural = _("ID number reveals")
        ordering = ["-revealed_at"]


class IdNumberRefusal(models.Model):
    """Audit row: an ID number was refused because a resident outside the caller's scope holds it.

    Only the keyed hash is kept, never the number. The rows also count towards
    REGISTER_ID_REFUSALS_PER_DAY, which stops a caller from probing numbers.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    refused_at = models.DateTimeField(auto_now_add=True)
    id_number_hash = models.CharField(max_length=64)
    channel = models.CharField(max_length=20)
    holder_township = models.ForeignKey(
        "grids.Township", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("refused ID number")
        verbose_name_plural = _("refused ID numbers")
        ordering = ["-refused_at"]
        indexes = [models.Index(fields=["user", "refused_at"])]


class RegisterExport(models.Model):
    """Audit row: someone downloaded the household register, and whether it was unmasked."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    exported_at = models.DateTimeField(auto_now_add=True)
    rows = models.PositiveIntegerField()
    revealed = models.BooleanField(help_text=_("ID numbers and phones were exported in full."))

    class Meta:
        verbose_name = _("register export")
        verbose_name_plural = _("register exports")
        ordering = ["-exported_at"]
