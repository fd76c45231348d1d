"""Writes to the household register. Every function runs in one transaction."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from governance.errors import Conflict, Forbidden, Refused, refuse_unknown_fields
from governance.roles import DISTRICT_CATALOGUE_EDITORS
from governance.scoping import scope_for
from grids.idconflicts import resident_id_check
from grids.idnumbers import (
    decrypt_id_number,
    encrypt_id_number,
    hash_id_number,
    mask_id_number,
    validate_id_number,
    validate_phone,
)
from grids.models import (
    MAX_VISIT_EVERY_DAYS,
    Courtyard,
    Grid,
    Household,
    HouseholdMove,
    IdNumberReveal,
    Resident,
    Tag,
    Township,
    Village,
    retired_message,
)
from grids.selectors import tag_households
from grids.signals import households_created, households_moved, visit_targets_changed
from grids.validators import validate_birth_date


def name_pinyin(name: str) -> tuple[str, str]:
    """Full pinyin and initials, lower case without separators: 张三 → ("zhangsan", "zs")."""
    full = "".join(lazy_pinyin(name, errors="ignore")).lower()
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()
    return full, initials


def _on_field(field: str, validate, value):
    """`validate(value)`, its ValidationError raised on `field` (forms and serializers check
    the same shape first; scripts and the demo call the services directly)."""
    try:
        return validate(value)
    except ValidationError as error:
        raise ValidationError({field: error}) from None


def _check_courtyard(grid: Grid, courtyard: Courtyard | None) -> None:
    if courtyard is not None and courtyard.grid_id != grid.pk:
        raise ValidationError({"courtyard": _("This courtyard is not in the chosen grid.")})


def place_in_use(grid: Grid, courtyard: Courtyard | None = None) -> Grid:
    """Lock `grid` and refuse it, or `courtyard` (read afresh), if merged into another place
    (a Conflict: it takes nothing new). Whatever puts a household or a courtyard into a grid
    takes this lock first, so it waits for a merge of that grid and then finds it retired
    (grids.places). Returns the locked grid."""
    locked = Grid.objects.select_for_update().get(pk=grid.pk)
    if locked.retired_on is not None:
        raise Conflict(retired_message(locked), code="retired")
    if courtyard is not None and Courtyard.objects.filter(pk=courtyard.pk, retired_on__isnull=False).exists():
        raise Conflict(retired_message(courtyard), code="retired")
    return locked


def place_name(name: str) -> str:
    """A grid's or courtyard's name as kept: trimmed, and not empty."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give a name.")})
    return name


def township_create(*, name: str, code: str, district: str = "") -> Township:
    return Township.objects.create(name=name, code=code, district=district)


def village_create(*, township: Township, name: str, code: str, is_community: bool = False) -> Village:
    return Village.objects.create(township=township, name=name, code=code, is_community=is_community)


@transaction.atomic
def grid_create(*, village: Village, name: str, number: int | None = None) -> Grid:
    """A new grid of `village`, numbered after every grid the village has had unless `number`
    is given (a number no grid in use holds). Names are unique among the grids in use."""
    # Two keepers adding grids at once would take the same number: the village's row orders them.
    village = Village.objects.select_for_update().get(pk=village.pk)
    name = place_name(name)
    in_use = Grid.objects.active().filter(village=village)
    if number is None:
        number = (Grid.objects.filter(village=village).aggregate(n=Max("number"))["n"] or 0) + 1
    elif in_use.filter(number=number).exists():
        raise ValidationError({"number": _("Another grid of the village has this number.")})
    if in_use.filter(name=name).exists():
        raise ValidationError({"name": _("Another grid of the village has this name.")})
    return Grid.objects.create(township_id=village.township_id, village=village, number=number, name=name)


@transaction.atomic
def courtyard_create(*, grid: Grid, name: str) -> Courtyard:
    """A new courtyard in a grid in use; names are unique among the grid's courtyards in use."""
    grid = place_in_use(grid)
    name = place_name(name)
    if Courtyard.objects.active().filter(grid=grid, name=name).exists():
        raise ValidationError({"name": _("Another courtyard of this grid has this name.")})
    return Courtyard.objects.create(township_id=grid.township_id, village_id=grid.village_id, grid=grid, name=name)


@transaction.atomic
def household_create(
    *,
    grid: Grid,
    number: str,
    courtyard: Courtyard | None = None,
    address: str = "",
    phone: str = "",
    notes: str = "",
    tags: list[Tag] | tuple = (),
) -> Household:
    """Create a household in `grid`. Its head is added with `resident_create`."""
    grid = place_in_use(grid, courtyard)
    _check_courtyard(grid, courtyard)
    if Household.objects.filter(village_id=grid.village_id, number=number).exists():
        raise ValidationError({"number": _("This household number is already used in the village.")})
    household = Household.objects.create(
        township_id=grid.township_id,
        village_id=grid.village_id,
        grid=grid,
        courtyard=courtyard,
        number=number,
        address=address,
        phone=_on_field("phone", validate_phone, phone),
        notes=notes,
    )
    if tags:
        household.tags.set(tags)
    households_created.send(sender=Household, households=[household])
    return household


@transaction.atomic
def household_update(*, household: Household, **changes) -> Household:
    """Change a household's own fields. Moving it to another grid is `household_move`."""
    refuse_unknown_fields("household_update", changes, {"number", "courtyard", "address", "phone", "notes", "tags"})
    household = Household.objects.select_for_update().get(pk=household.pk)
    tags = changes.pop("tags", None)
    number = changes.get("number", household.number)
    if number != household.number and Household.objects.filter(village_id=household.village_id, number=number).exists():
        raise ValidationError({"number": _("This household number is already used in the village.")})
    if "courtyard" in changes:
        _check_courtyard(household.grid, changes["courtyard"])
    if "phone" in changes:
        changes["phone"] = _on_field("phone", validate_phone, changes["phone"])
    for name, value in changes.items():
        setattr(household, name, value)
    household.save()
    if tags is not None:
        household.tags.set(tags)
        visit_targets_changed.send(sender=Household, household_ids=[household.pk])
    return household


@transaction.atomic
def household_move(
    *, household: Household, to_grid: Grid, moved_by, reason: str, to_courtyard: Courtyard | None = None
) -> HouseholdMove:
    """Move a household (and its residents) to another grid of the same village, on the record.

    The apps built on grids follow the move (grids.signals.households_moved)."""
    to_grid = place_in_use(to_grid, to_courtyard)  # the grid first, as grids.places locks
    household = Household.objects.select_for_update().get(pk=household.pk)
    if to_grid.village_id != household.village_id:
        raise ValidationError({"to_grid": _("A household can only move to a grid of its own village.")})
    if to_grid.pk == household.grid_id and to_courtyard == household.courtyard:
        raise ValidationError({"to_grid": _("The household is already in this grid.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the household moves.")})
    _check_courtyard(to_grid, to_courtyard)
    move = HouseholdMove.objects.create(
        household=household,
        from_grid_id=household.grid_id,
        to_grid=to_grid,
        from_courtyard_id=household.courtyard_id,
        to_courtyard=to_courtyard,
        moved_by=moved_by,
        reason=reason.strip(),
    )
    household.grid = to_grid
    household.courtyard = to_courtyard
    household.save(update_fields=["grid", "courtyard", "updated_at"])
    Resident.objects.filter(household=household).update(grid=to_grid)
    households_moved.send(sender=Household, moves=[move])
    return move


def _set_id_number(resident: Resident, id_number: str, *, actor, channel: str) -> None:
    if not id_number:
        resident.id_number_encrypted = ""
        resident.id_number_hash = None
        resident.id_number_masked = ""
        return
    number = _on_field("id_number", validate_id_number, id_number)
    digest = hash_id_number(number)
    if digest != resident.id_number_hash:
        resident_id_check(user=actor, digest=digest, exclude_pk=resident.pk, channel=channel)
    resident.id_number_encrypted = encrypt_id_number(number)
    resident.id_number_hash = digest
    resident.id_number_masked = mask_id_number(number)
    if resident.birth_date is None:
        resident.birth_date = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def _sync_head_name(household: Household) -> None:
    head = Resident.objects.filter(household=household, relation_to_head=Resident.Relation.HEAD).first()
    name = head.name if head else ""
    pinyin, initials = name_pinyin(name)
    Household.objects.filter(pk=household.pk).update(
        head_name=name, head_name_pinyin=pinyin, head_name_initials=initials
    )
    household.head_name, household.head_name_pinyin, household.head_name_initials = name, pinyin, initials


def _check_single_head(household: Household, relation: str, exclude_pk=None) -> None:
    if relation != Resident.Relation.HEAD:
        return
    heads = Resident.objects.filter(household=household, relation_to_head=Resident.Relation.HEAD)
    if exclude_pk:
        heads = heads.exclude(pk=exclude_pk)
    if heads.exists():
        raise ValidationError({"relation_to_head": _("This household already has a head.")})


def _save_resident(resident: Resident) -> None:
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:
        # Two requests racing for the same ID number or the same household head.
        raise ValidationError(_("Another change to this record was saved at the same time; please try again.")) from exc


@transaction.atomic
def resident_create(
    *,
    household: Household,
    name: str,
    relation_to_head: str,
    gender: str,
    birth_date: datetime.date | None = None,
    id_number: str = "",
    phone: str = "",
    ethnicity: str = "汉族",
    status: str = Resident.Status.RESIDENT,
    notes: str = "",
    tags: list[Tag] | tuple = (),
    actor=None,
    channel: str = "api",
) -> Resident:
    """Add a member to a household; a head also sets the household's head name.

    `actor` is who enters it: an ID number already registered is refused as grids.idconflicts
    says (None, for the demo and scripts, sees every holder).
    """
    _on_field("birth_date", validate_birth_date, birth_date)
    household = Household.objects.select_for_update().get(pk=household.pk)
    _check_single_head(household, relation_to_head)
    pinyin, initials = name_pinyin(name)
    resident = Resident(
        township_id=household.township_id,
        village_id=household.village_id,
        grid_id=household.grid_id,
        household=household,
        name=name.strip(),
        name_pinyin=pinyin,
        name_initials=initials,
        relation_to_head=relation_to_head,
        gender=gender,
        birth_date=birth_date,
        phone=_on_field("phone", validate_phone, phone),
        ethnicity=ethnicity,
        status=status,
        notes=notes,
    )
    _set_id_number(resident, id_number, actor=actor, channel=channel)
    _save_resident(resident)
    if tags:
        resident.tags.set(tags)
        visit_targets_changed.send(sender=Household, household_ids=[household.pk])
    if relation_to_head == Resident.Relation.HEAD:
        _sync_head_name(household)
    return resident


# What `resident_create` takes besides the household, and all `resident_update` may change.
RESIDENT_FIELDS = (
    "name",
    "relation_to_head",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "ethnicity",
    "status",
    "notes",
    "tags",
)


@transaction.atomic
def resident_update(*, resident: Resident, actor=None, channel: str = "api", **changes) -> Resident:
    """Change a resident's details. `id_number` replaces the stored number (empty clears it);
    `actor` as for `resident_create`."""
    refuse_unknown_fields("resident_update", changes, RESIDENT_FIELDS)
    household = Household.objects.select_for_update().get(pk=resident.household_id)
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    was_head = resident.relation_to_head == Resident.Relation.HEAD
    tags = changes.pop("tags", None)
    if "birth_date" in changes:
        _on_field("birth_date", validate_birth_date, changes["birth_date"])
    if "relation_to_head" in changes:
        _check_single_head(household, changes["relation_to_head"], exclude_pk=resident.pk)
    if "id_number" in changes:
        _set_id_number(resident, changes.pop("id_number"), actor=actor, channel=channel)
    if "phone" in changes:
        changes["phone"] = _on_field("phone", validate_phone, changes["phone"])
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        resident.name_pinyin, resident.name_initials = name_pinyin(changes["name"])
    for name, value in changes.items():
        setattr(resident, name, value)
    _save_resident(resident)
    if tags is not None:
        resident.tags.set(tags)
    if tags is not None or "status" in changes:
        visit_targets_changed.send(sender=Household, household_ids=[household.pk])
    if was_head or resident.relation_to_head == Resident.Relation.HEAD:
        _sync_head_name(household)
    return resident


@transaction.atomic
def resident_reveal_id_number(*, resident: Resident, user, channel: str) -> str:
    """A resident's full ID number, for a caller the view has already authorised.

    The audit row is written before the number is decrypted, so nobody sees a number
    that was not recorded. Returns "" when no number is stored (and records nothing).
    """
    if not resident.id_number_encrypted:
        return ""
    IdNumberReveal.objects.create(user=user, resident=resident, channel=channel)
    return decrypt_id_number(resident.id_number_encrypted)


# ---------------------------------------------------------------- tags and their visit targets


def check_tag_editor(actor) -> None:
    """Tags are the district's catalogue (docs/administration.md): the superuser edits them."""
    if not scope_for(actor).has_any_role(DISTRICT_CATALOGUE_EDITORS):
        raise Forbidden(_("Only the district's administrator edits the district's catalogues."))


def _check_tag(tag: Tag) -> None:
    tag.code, tag.name = (tag.code or "").strip(), (tag.name or "").strip()
    if not tag.code:
        raise Refused(_("Give the tag a code."), code="required", field="code")
    if not tag.name:
        raise Refused(_("Give the tag a name."), code="required", field="name")
    every = tag.visit_every_days
    if every is not None and (isinstance(every, bool) or not 1 <= every <= MAX_VISIT_EVERY_DAYS):
        raise Refused(
            _("Give a number of days from 1 to %(max)d, or leave it empty for the default target.")
            % {"max": MAX_VISIT_EVERY_DAYS},
            code="out_of_range",
            field="visit_every_days",
        )
    others = Tag.objects.exclude(pk=tag.pk)
    if others.filter(code=tag.code).exists():
        raise Refused(_("Another tag already has the code “%(code)s”.") % {"code": tag.code}, "duplicate", "code")
    if others.filter(name=tag.name).exists():
        raise Refused(_("Another tag is already named “%(name)s”.") % {"name": tag.name}, "duplicate", "name")


def _save_tag(tag: Tag) -> Tag:
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError:
        raise Refused(_("Another tag already has this code or name."), code="duplicate", field="code") from None
    return tag


def tag_usage(tag: Tag) -> int:
    """How many households and residents carry the tag."""
    return tag.households.count() + tag.residents.count()


@transaction.atomic
def tag_create(*, actor, code: str, name: str, is_key_group: bool = False, visit_every_days: int | None = None) -> Tag:
    """A new tag (独居老人, 困难户 ...), with the visit target it sets (None: the default)."""
    check_tag_editor(actor)
    tag = Tag(code=code, name=name, is_key_group=is_key_group, visit_every_days=visit_every_days)
    _check_tag(tag)
    return _save_tag(tag)


TAG_FIELDS = ("code", "name", "is_key_group", "visit_every_days")


@transaction.atomic
def tag_update(*, actor, tag: Tag, **changes) -> Tag:
    """Change a tag. A new visit target moves when each household carrying it is next due
    (grids.signals.visit_targets_changed), in the same transaction."""
    check_tag_editor(actor)
    refuse_unknown_fields("tag_update", changes, TAG_FIELDS)
    tag = Tag.objects.select_for_update().get(pk=tag.pk)
    target = tag.visit_every_days
    for name, value in changes.items():
        setattr(tag, name, value)
    _check_tag(tag)
    _save_tag(tag)
    if tag.visit_every_days != target:
        visit_targets_changed.send(sender=Tag, household_ids=tag_households(tag))
    return tag


def check_tag_removable(tag: Tag) -> None:
    """A tag some household or resident carries is not deleted (409)."""
    used = tag_usage(tag)
    if used:
        raise Conflict(
            _(
                "“%(name)s” is carried by %(count)d households or residents: it cannot be deleted. "
                "Take it off them first, or rename it."
            )
            % {"name": tag.name, "count": used},
            code="tag_in_use",
        )


@transaction.atomic
def tag_delete(*, actor, tag: Tag) -> None:
    """Delete a tag no household or resident carries; one in use is refused (409)."""
    check_tag_editor(actor)
    tag = Tag.objects.select_for_update().get(pk=tag.pk)
    check_tag_removable(tag)
    tag.delete()
