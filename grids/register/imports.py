"""The register read in: a file checked whole, then applied in one transaction.

One row per resident, Chinese column headers (matched by text, in any order, by the names
in grids.register.columns). An import is validated whole before anything is written: every
error comes back with its row and column, and either every row is applied or none is. Rows
are matched to what exists by ID number (or, for a row without a full ID number, by
household number and name), so importing the same file twice changes nothing, and an
exported file (masked ID numbers included) can be edited and imported back.

Reading (`_read_rows`) finds the header and the rows; validating (`_validate_row`,
`_validate_across_rows`, `_check_id_holders`) collects every error; applying (`_apply`)
writes households, then residents, then tags, in bulk.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from governance.generations import bump
from governance.uploads import (
    RowError,
    RowsRefused,
    UploadRefused,
    cell_text,
    missing_columns,
    too_many_rows,
    unheaded_column,
    xlsx_opened,
    xlsx_rows,
)
from grids import idconflicts
from grids.idnumbers import (
    encrypt_id_number,
    hash_id_number,
    mask_id_number,
    normalize_id_number,
    validate_id_number,
    validate_phone,
)
from grids.models import Courtyard, Grid, Household, HouseholdMove, Resident, Tag, Village
from grids.receivers import places_generation
from grids.register.columns import (
    COLUMNS,
    GENDERS,
    HEADER_SCAN_ROWS,
    HEADERS,
    HEADERS_BY_KEY,
    IGNORED_HEADERS,
    RELATION_LABELS,
    RELATIONS,
    SHEET_NAME,
    STATUSES,
    TAG_SEPARATORS,
    header_key,
)
from grids.services import name_pinyin
from grids.signals import households_created, households_moved, visit_targets_changed
from grids.validators import validate_birth_date


class RegisterImportError(RowsRefused):
    """The file was refused; `errors` lists every problem found, by row and column.

    `code` names the refusal as a whole (``invalid_register`` for row errors); `id_refusals`
    are the ID-number refusals to record once the caller's transaction has rolled back
    (grids.idconflicts.id_refusals_kept). The API's exception handler answers it with a 400
    whose body is `as_dict()`.
    """

    def __init__(self, errors: list[RowError], *, code: str = "invalid_register", id_refusals=()):
        super().__init__(errors, code=code)
        self.id_refusals = list(id_refusals)

    def summary(self) -> str:
        return _("The file was not imported: %(count)d errors. Nothing was written.") % {"count": len(self.errors)}

    def as_dict(self) -> dict:
        """The API's 400 body: {"detail", "code", "errors": [{row, column, message, code}]}."""
        return self.as_body()


@dataclass
class ImportResult:
    households_created: int = 0
    households_updated: int = 0
    households_moved: int = 0
    residents_created: int = 0
    residents_updated: int = 0
    residents_unchanged: int = 0
    rows: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class _Row:
    number: int
    values: dict
    village: Village | None = None
    grid: Grid | None = None
    courtyard: Courtyard | None = None
    id_number: str = ""
    masked_id: str = ""
    fields: dict = field(default_factory=dict)
    household_tags: list = field(default_factory=list)
    resident_tags: list = field(default_factory=list)


def _text(value) -> str:
    """A cell as text, a date-time as its day (2026-05-10)."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return cell_text(value)


def _split_tags(value: str) -> list[str]:
    for sep in TAG_SEPARATORS[1:]:
        value = value.replace(sep, TAG_SEPARATORS[0])
    return [part for part in (p.strip() for p in value.split(TAG_SEPARATORS[0])) if part]


def _parse_date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    if not text:
        return None
    if text.isdigit() and len(text) == 8:
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return datetime.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))


def _find_header(top: list[tuple]) -> int | None:
    """The index among the first rows of the one that names the most known columns."""
    best, best_count = None, 0
    for index, values in enumerate(top):
        count = sum(1 for v in values if header_key(v) in HEADERS)
        if count > best_count:
            best, best_count = index, count
    return best if best_count >= 2 else None


def _refused(code: str, message, row: int = 0, column: str = "") -> tuple[list, list]:
    return [], [RowError(row, column, message, code)]


def _no_progress(done: int, total: int = 0, *, phase: str = "") -> None:
    pass


def _read_rows(file, seconds: float | None = None, progress=_no_progress) -> tuple[list[_Row], list[RowError]]:
    try:
        with xlsx_opened(file) as workbook:
            return _rows_of(workbook, seconds, progress)
    except UploadRefused as refused:
        return _refused(refused.code, refused.message)


def _rows_of(workbook, seconds: float | None, progress=_no_progress) -> tuple[list[_Row], list[RowError]]:
    sheet = workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]
    max_rows = settings.REGISTER_MAX_ROWS + HEADER_SCAN_ROWS
    source = xlsx_rows(sheet, max_rows=max_rows, max_columns=settings.REGISTER_MAX_COLUMNS, seconds=seconds)
    rows_iter = enumerate(source, start=1)
    top = []
    for _number, values in rows_iter:
        top.append(values)
        if len(top) == HEADER_SCAN_ROWS:
            break
    header_index = _find_header(top)
    if header_index is None:
        return [], [missing_columns(COLUMNS, {}, 1)]
    header_row = header_index + 1
    positions, unheaded, errors = _read_header(top[header_index], header_row)
    if errors:
        return [], errors

    def data_rows():
        yield from enumerate(top[header_index + 1 :], start=header_row + 1)
        yield from rows_iter

    return _data_rows(data_rows(), positions, unheaded, header_row, progress)


def _read_header(titles, header_row: int) -> tuple[dict, set, list[RowError]]:
    """(column key → index, indexes without a header, errors) of the header row."""
    positions, unheaded, errors = {}, set(), []
    for index, title in enumerate(titles):
        key = header_key(title)
        letter = get_column_letter(index + 1)
        if not key:
            unheaded.add(index)
        elif key in IGNORED_HEADERS:
            continue
        elif key not in HEADERS:
            errors.append(
                RowError(
                    header_row,
                    _text(title),
                    _(
                        "Unknown column “%(title)s” (column %(letter)s): so that nothing in it is lost, the file "
                        "was not imported. Rename it to a column of the template, or delete it."
                    )
                    % {"title": _text(title), "letter": letter},
                    "unknown_column",
                )
            )
        elif HEADERS[key].key in positions:
            errors.append(
                RowError(
                    header_row,
                    _text(title),
                    _("Two columns (%(letter)s and another) are both “%(header)s”; keep one.")
                    % {"letter": letter, "header": HEADERS[key].header},
                    "duplicate_column",
                )
            )
        else:
            positions[HEADERS[key].key] = index
    if missing := missing_columns(COLUMNS, positions, header_row):
        errors.append(missing)
    return positions, unheaded, errors


def _data_rows(
    numbered, positions: dict, unheaded: set, header_row: int, progress=_no_progress
) -> tuple[list[_Row], list[RowError]]:
    """The non-blank rows below the header, by column key; refused when a column without a
    header holds data, or past REGISTER_MAX_ROWS."""
    rows = []
    for number, values in numbered:
        if not any(v not in (None, "") for v in values):
            continue
        stray = next((i for i in sorted(unheaded) if i < len(values) and values[i] not in (None, "")), None)
        if stray is not None:
            return [], [unheaded_column(number, stray)]
        if len(rows) >= settings.REGISTER_MAX_ROWS:
            raise too_many_rows(settings.REGISTER_MAX_ROWS)
        row = {key: values[index] if index < len(values) else None for key, index in positions.items()}
        rows.append(_Row(number=number, values=row))
        progress(len(rows), phase="reading")
    if not rows:
        return _refused("empty_register", _("The file has no rows below the header."), header_row + 1)
    return rows, []


def register_import(
    *,
    user,
    file,
    village_ids: set[int] | None,
    read_seconds: float | None = None,
    progress: Callable[..., None] = _no_progress,
) -> ImportResult:
    """Validate the whole file, then apply it in one transaction (or raise RegisterImportError).

    `village_ids` limits the villages rows may name (a village cadre's own); None allows
    every village (the management command for a township checks the township itself).
    `read_seconds` bounds reading the file (UPLOAD_XLSX_SECONDS for a web request; the
    command, the bench and a background job, which no worker timeout hurries, give
    themselves longer). `progress(done, total, phase=...)` hears of each row read and
    checked (governance.jobs.Progress); it is called only before the write's transaction.
    """
    rows, errors = _read_rows(file, read_seconds, progress)
    if errors:
        codes = {e.code for e in errors}
        raise RegisterImportError(errors, code=codes.pop() if len(codes) == 1 else "invalid_register")
    context = _Context.load(rows)
    for done, row in enumerate(rows, start=1):
        _validate_row(row, context, village_ids, errors)
        progress(done, len(rows), phase="checking")
    _validate_across_rows(rows, context, errors)
    _check_id_holders(rows, context, user, errors)
    if errors:
        order = {c.header: i for i, c in enumerate(COLUMNS)}
        raise RegisterImportError(sorted(errors, key=lambda e: (e.row, order.get(e.column, -1))))
    progress(len(rows), len(rows), phase="writing")
    with transaction.atomic():
        return _apply(rows, context, user)


@dataclass
class _Context:
    villages: dict
    grids: dict
    courtyards: dict
    tags: dict
    households: dict  # (village_id, number) -> Household
    residents_by_hash: dict  # hash -> Resident
    residents_by_name: dict  # (village_id, number, name) -> [Resident]

    @classmethod
    def load(cls, rows: list[_Row]) -> "_Context":
        names = {_text(r.values.get("village")) for r in rows}
        villages = {v.name: v for v in Village.objects.filter(name__in=names)}
        village_ids = [v.pk for v in villages.values()]
        grids = {}
        # Grids and courtyards merged into others take no households (grids.places).
        for grid in Grid.objects.active().filter(village_id__in=village_ids):
            grids[(grid.village_id, str(grid.number))] = grid
            grids[(grid.village_id, grid.name)] = grid
        courtyards = {(c.grid_id, c.name): c for c in Courtyard.objects.active().filter(village_id__in=village_ids)}
        tags = {t.name: t for t in Tag.objects.all()}
        households = {
            (h.village_id, h.number): h
            for h in Household.objects.filter(village_id__in=village_ids).prefetch_related("tags")
        }
        hashes = set()
        for row in rows:
            text = normalize_id_number(_text(row.values.get("id_number")))
            if len(text) == 18 and "*" not in text:
                hashes.add(hash_id_number(text))
        residents_by_hash = {}
        hash_list = sorted(hashes)
        for start in range(0, len(hash_list), 5000):
            for resident in Resident.objects.filter(id_number_hash__in=hash_list[start : start + 5000]).select_related(
                "household"
            ):
                residents_by_hash[resident.id_number_hash] = resident
        residents_by_name = defaultdict(list)
        for resident in (
            Resident.objects.filter(village_id__in=village_ids).select_related("household").prefetch_related("tags")
        ):
            residents_by_name[(resident.village_id, resident.household.number, resident.name)].append(resident)
            if resident.id_number_hash:
                residents_by_hash.setdefault(resident.id_number_hash, resident)
        return cls(villages, grids, courtyards, tags, households, residents_by_hash, residents_by_name)


def _validate_row(row: _Row, ctx: _Context, village_ids, errors: list[RowError]) -> None:
    """Check one row on its own, in column order, and resolve its places, words and tags."""

    def error(key: str, message) -> None:
        errors.append(RowError(row.number, HEADERS_BY_KEY[key], message))

    v = row.values
    for column in COLUMNS:
        if column.required and not _text(v.get(column.key)):
            error(column.key, _("This column is required."))
    _resolve_places(row, ctx, village_ids, error)
    relation, gender, status = _check_words(v, error)
    birth = _check_birth_date(v, error)
    birth = _check_id_number(row, birth, error)
    phone = _text(v.get("phone"))
    if "*" not in phone:  # a masked phone from an export means "unchanged"
        phone = _checked(validate_phone, phone, "phone", error)
    _resolve_tags(row, ctx, error)
    row.fields = {
        "name": _text(v.get("name")),
        "relation_to_head": RELATIONS.get(relation),
        "gender": GENDERS.get(gender),
        "birth_date": birth,
        "phone": phone,
        "ethnicity": _text(v.get("ethnicity")) or "汉族",
        "status": STATUSES.get(status, Resident.Status.RESIDENT),
        "notes": _text(v.get("notes")),
    }


def _resolve_places(row: _Row, ctx: _Context, village_ids, error) -> None:
    """The row's village (one the importer may import into), grid and courtyard."""
    v = row.values
    village_name = _text(v.get("village"))
    row.village = ctx.villages.get(village_name)
    if village_name and row.village is None:
        error("village", _("No village named “%(name)s”.") % {"name": village_name})
    elif row.village is not None and village_ids is not None and row.village.pk not in village_ids:
        error("village", _("You may only import into your own village."))
    if row.village is None:
        return
    grid_text = _text(v.get("grid"))
    row.grid = ctx.grids.get((row.village.pk, grid_text))
    if grid_text and row.grid is None:
        error("grid", _("No grid “%(grid)s” in %(village)s.") % {"grid": grid_text, "village": row.village.name})
    yard = _text(v.get("courtyard"))
    if yard and row.grid is not None:
        row.courtyard = ctx.courtyards.get((row.grid.pk, yard))
        if row.courtyard is None:
            error("courtyard", _("No courtyard “%(name)s” in this grid.") % {"name": yard})


def _check_words(v: dict, error) -> tuple[str, str, str]:
    """The relation, gender and status as written, each one of the register's words."""
    relation = _text(v.get("relation"))
    if relation and relation not in RELATIONS:
        error(
            "relation", _("Unknown relation; use one of: %(values)s.") % {"values": "、".join(RELATION_LABELS.values())}
        )
    gender = _text(v.get("gender"))
    if gender and gender not in GENDERS:
        error("gender", _("Write 男 or 女."))
    status = _text(v.get("status"))
    if status and status not in STATUSES:
        error("status", _("Unknown status; use 在家, 外出, 迁出 or 死亡."))
    return relation, gender, status


def _check_birth_date(v: dict, error) -> datetime.date | None:
    try:
        birth = _parse_date(v.get("birth_date"))
    except ValueError:
        birth = None
        error("birth_date", _("Not a date; write it as 1980-03-15."))
    try:
        validate_birth_date(birth)
    except ValidationError as exc:
        error("birth_date", exc.messages[0])
    return birth


def _check_id_number(row: _Row, birth: datetime.date | None, error) -> datetime.date | None:
    """Set the row's full (or masked) ID number; returns the birth date, from the number
    when the row has none."""
    id_text = normalize_id_number(_text(row.values.get("id_number")))
    if "*" in id_text:
        row.masked_id = id_text
    elif id_text:
        row.id_number = _checked(validate_id_number, id_text, "id_number", error, refused="")
        if row.id_number and birth is None:
            birth = datetime.date(int(id_text[6:10]), int(id_text[10:12]), int(id_text[12:14]))
    return birth


def _checked(validate, value: str, key: str, error, refused=None) -> str:
    """`validate(value)`; when it fails, its message recorded and `refused` returned (by
    default the value as written)."""
    try:
        return validate(value)
    except Exception as exc:
        error(key, " ".join(getattr(exc, "messages", [str(exc)])))
        return value if refused is None else refused


def _resolve_tags(row: _Row, ctx: _Context, error) -> None:
    for key, target in (("household_tags", row.household_tags), ("resident_tags", row.resident_tags)):
        for name in _split_tags(_text(row.values.get(key))):
            tag = ctx.tags.get(name)
            if tag is None:
                error(key, _("Unknown tag “%(name)s”.") % {"name": name})
            else:
                target.append(tag)


def _match(row: _Row, ctx: _Context) -> Resident | None:
    """The existing resident a row describes, or None for a new one."""
    if row.id_number:
        return ctx.residents_by_hash.get(hash_id_number(row.id_number))
    if row.village is None:
        return None
    candidates = ctx.residents_by_name.get(
        (row.village.pk, _text(row.values.get("household_number")), row.fields["name"]), []
    )
    return candidates[0] if len(candidates) == 1 else None


def _validate_across_rows(rows: list[_Row], ctx: _Context, errors: list[RowError]) -> None:
    """What no row shows on its own: a household in one grid, an ID number once, a masked
    number its holder's, one head per household."""
    _check_household_grids(rows, errors)
    _check_id_numbers_across_rows(rows, ctx, errors)
    _check_heads(rows, ctx, errors)


def _household_key(row: _Row) -> tuple:
    return (row.village.pk, _text(row.values.get("household_number")))


def _check_household_grids(rows: list[_Row], errors: list[RowError]) -> None:
    household_grid: dict[tuple, tuple] = {}
    for row in rows:
        if row.village is None or row.grid is None:
            continue
        first = household_grid.setdefault(_household_key(row), (row.grid.pk, row.number))
        if first[0] != row.grid.pk:
            errors.append(
                RowError(
                    row.number,
                    HEADERS_BY_KEY["grid"],
                    _("Row %(row)d puts this household in another grid.") % {"row": first[1]},
                )
            )


def _check_id_numbers_across_rows(rows: list[_Row], ctx: _Context, errors: list[RowError]) -> None:
    id_header = HEADERS_BY_KEY["id_number"]
    seen_ids: dict[str, int] = {}
    for row in rows:
        if row.village is None:
            continue
        if row.id_number:
            if row.id_number in seen_ids:
                errors.append(
                    RowError(
                        row.number,
                        id_header,
                        _("The same ID number is on row %(row)d.") % {"row": seen_ids[row.id_number]},
                    )
                )
            seen_ids.setdefault(row.id_number, row.number)
        elif row.masked_id:
            existing = _match(row, ctx)
            if existing is None or existing.id_number_masked != row.masked_id:
                errors.append(
                    RowError(
                        row.number,
                        id_header,
                        _("A masked ID number must belong to the same person; write the full number."),
                    )
                )


def _check_heads(rows: list[_Row], ctx: _Context, errors: list[RowError]) -> None:
    """Each household of the file has one head: named in it, or kept from the register."""
    heads: dict[tuple, list[int]] = defaultdict(list)
    first_row: dict[tuple, int] = {}
    for row in rows:
        if row.village is None:
            continue
        first_row.setdefault(_household_key(row), row.number)
        if row.fields.get("relation_to_head") == Resident.Relation.HEAD:
            heads[_household_key(row)].append(row.number)
    relation_header = HEADERS_BY_KEY["relation"]
    for key, row_number in first_row.items():
        found = heads.get(key, [])
        if not found and not _existing_head_kept(key, rows, ctx):
            errors.append(RowError(row_number, relation_header, _("This household has no head (户主).")))
        for extra in found[1:]:
            errors.append(
                RowError(
                    extra, relation_header, _("Row %(row)d is already the head of this household.") % {"row": found[0]}
                )
            )


def _check_id_holders(rows: list[_Row], ctx: _Context, user, errors: list[RowError]) -> None:
    """ID numbers held by someone else, answered as grids.idconflicts says for every channel.

    A holder the importer may see is named; one outside their scope is not, and is recorded.
    Too many of those in one file, or for the importer today, refuse the whole file without
    saying which rows, so the import cannot be used to look for people.
    """
    id_header = HEADERS_BY_KEY["id_number"]
    clashes = []  # (row, holder) for rows whose number someone else holds
    fresh = []  # rows with a number nobody holds
    for row in rows:
        if not row.id_number or row.village is None:
            continue
        holder = _match(row, ctx)
        if holder is None:
            fresh.append(row)
            continue
        number = _text(row.values.get("household_number"))
        if (holder.village_id, holder.household.number) != (row.village.pk, number):
            clashes.append((row, holder))
    visible = idconflicts.visible_holder_ids(user, [h for _r, h in clashes])
    hidden = [(r, h) for r, h in clashes if h.pk not in visible]
    if user is not None and (hidden or fresh):
        left = idconflicts.refusals_left(user)
    else:
        left = None
    refusals = []
    for row, holder in clashes:
        verdict = idconflicts.judge(
            user=user, holder=holder, digest=holder.id_number_hash, channel="import", visible=holder.pk in visible
        )
        if verdict.refusal is not None:
            refusals.append(verdict.refusal)
        errors.append(RowError(row.number, id_header, verdict.message, verdict.code))
    if left is None:
        return
    if left <= 0:
        message = idconflicts.exhausted_message()
        raise RegisterImportError([RowError(0, id_header, message, idconflicts.EXHAUSTED)], code=idconflicts.EXHAUSTED)
    # The day's allowance first: a file past it says only that, not how many it held.
    if len(refusals) > left:
        message = idconflicts.exhausted_message()
        raise RegisterImportError(
            [RowError(0, id_header, message, idconflicts.EXHAUSTED)], code=idconflicts.EXHAUSTED, id_refusals=refusals
        )
    if len(refusals) > settings.REGISTER_ID_REFUSALS_PER_FILE:
        message = idconflicts.too_many_message()
        raise RegisterImportError(
            [RowError(0, id_header, message, idconflicts.TOO_MANY)], code=idconflicts.TOO_MANY, id_refusals=refusals
        )
    if refusals:
        order = {c.header: i for i, c in enumerate(COLUMNS)}
        raise RegisterImportError(sorted(errors, key=lambda e: (e.row, order.get(e.column, -1))), id_refusals=refusals)


def _existing_head_kept(key, rows, ctx) -> bool:
    """A household already registered keeps its head when the file names only other members."""
    household = ctx.households.get(key)
    if household is None:
        return False
    head = Resident.objects.filter(household=household, relation_to_head=Resident.Relation.HEAD).first()
    return head is not None and not any(_match(r, ctx) == head for r in rows if r.village and r.village.pk == key[0])


def _apply(rows: list[_Row], ctx: _Context, user) -> ImportResult:
    """Write the checked rows: households, then residents, then tags, then what follows
    from them (head names, visit targets, the households_created signal)."""
    result = ImportResult(rows=len(rows))
    by_household: dict[tuple, list[_Row]] = defaultdict(list)
    for row in rows:
        by_household[(row.village.pk, _text(row.values.get("household_number")))].append(row)
    new_households, moves = _apply_households(by_household, ctx, user, result)
    household_tag_sets = {
        ctx.households[key]: {
            t.pk for r in members if r.fields["relation_to_head"] == Resident.Relation.HEAD for t in r.household_tags
        }
        for key, members in by_household.items()
    }
    resident_tags = _apply_residents(by_household, ctx, {m.household_id for m in moves}, result)
    _apply_tags(resident_tags, household_tag_sets, new_households)
    # Tags and statuses set visit targets; new households have no visits to date from.
    new_ids = {h.pk for h in new_households}
    # A new household was written with its head's name (its one head is in the file).
    _sync_heads([h.pk for h in ctx.households.values() if h.pk and h.pk not in new_ids and h in household_tag_sets])
    visit_targets_changed.send(
        sender=Household, household_ids=[h.pk for h in household_tag_sets if h.pk not in new_ids]
    )
    # What counts the register (the boards, the 逢十 roll-up) counts afresh: residents came in bulk.
    bump(*{places_generation(h.township_id) for h in ctx.households.values()})
    # The apps built on grids act on the new households (the points bank opens passbooks).
    if new_households:
        households_created.send(
            sender=Household, households=new_households, village_ids={h.village_id for h in new_households}
        )
    return result


def _head_row(members: list[_Row]) -> _Row:
    return next((r for r in members if r.fields["relation_to_head"] == Resident.Relation.HEAD), members[0])


def _apply_households(by_household: dict, ctx: _Context, user, result: ImportResult) -> tuple[list, list]:
    """Create the new households and move or readdress the known ones (in bulk);
    returns (new households, moves)."""
    new_households, changed_households, moves = [], [], []
    for (village_id, number), members in by_household.items():
        head_row = _head_row(members)
        household = ctx.households.get((village_id, number))
        if household is None:
            household = _new_household(head_row, village_id, number)
            new_households.append(household)
            ctx.households[(village_id, number)] = household
            continue
        move = _household_move(household, head_row, user)
        if move is not None:
            moves.append(move)
            result.households_moved += 1
        # The household's own phone is set from the head's only when the household is new:
        # the register has no household phone column, so an existing one is left alone.
        address = _text(head_row.values.get("address"))
        readdressed = bool(address) and household.address != address
        if readdressed:
            household.address = address
        if move is not None or readdressed:
            changed_households.append(household)
    Household.objects.bulk_create(new_households, batch_size=1000)
    result.households_created = len(new_households)
    now = timezone.now()
    for household in changed_households:
        household.updated_at = now
    Household.objects.bulk_update(
        changed_households, ["grid", "courtyard", "address", "phone", "updated_at"], batch_size=1000
    )
    HouseholdMove.objects.bulk_create(moves)
    if moves:
        households_moved.send(sender=Household, moves=moves)
    result.households_updated = len({h.pk for h in changed_households})
    return new_households, moves


def _new_household(head_row: _Row, village_id: int, number: str) -> Household:
    phone = head_row.fields["phone"]
    head_name = head_row.fields["name"] if head_row.fields["relation_to_head"] == Resident.Relation.HEAD else ""
    pinyin, initials = name_pinyin(head_name) if head_name else ("", "")
    return Household(
        head_name=head_name,
        head_name_pinyin=pinyin,
        head_name_initials=initials,
        township_id=head_row.village.township_id,
        village_id=village_id,
        grid=head_row.grid,
        courtyard=head_row.courtyard,
        number=number,
        address=_text(head_row.values.get("address")),
        phone="" if "*" in phone else phone,
    )


def _household_move(household: Household, head_row: _Row, user) -> HouseholdMove | None:
    """Put the household in the head row's grid and courtyard; the move on the record, or
    None when it is already there."""
    courtyard_id = head_row.courtyard.pk if head_row.courtyard else None
    if household.grid_id == head_row.grid.pk and household.courtyard_id == courtyard_id:
        return None
    move = HouseholdMove(
        household=household,
        from_grid_id=household.grid_id,
        to_grid=head_row.grid,
        from_courtyard_id=household.courtyard_id,
        to_courtyard=head_row.courtyard,
        moved_by=user,
        reason="Excel 台账导入",
    )
    household.grid, household.courtyard = head_row.grid, head_row.courtyard
    return move


RESIDENT_UPDATE_FIELDS = [
    "name",
    "name_pinyin",
    "name_initials",
    "relation_to_head",
    "gender",
    "birth_date",
    "phone",
    "ethnicity",
    "status",
    "notes",
    "grid_id",
]


def _apply_residents(by_household: dict, ctx: _Context, moved_ids: set, result: ImportResult) -> list[tuple]:
    """Create and update the residents (in bulk); returns (resident, tags, is_new) per row."""
    new_residents, changed_residents, resident_tags = [], [], []
    for key, members in by_household.items():
        household = ctx.households[key]
        for row in members:
            fields = dict(row.fields)
            if "*" in fields["phone"]:
                fields.pop("phone")
            existing = _match(row, ctx)
            if existing is None:
                resident = _new_resident(household, row, fields)
                new_residents.append(resident)
                resident_tags.append((resident, row.resident_tags, True))
                continue
            if _update_resident(existing, household, fields, moved_ids):
                changed_residents.append(existing)
            else:
                result.residents_unchanged += 1
            resident_tags.append((existing, row.resident_tags, False))
    # Everyone else before the heads, in separate statements: the one-head-per-household
    # index is checked row by row, so a head handed from one member to another must see
    # the old head demoted first.
    for is_head in (False, True):
        batch = [r for r in changed_residents if (r.relation_to_head == Resident.Relation.HEAD) == is_head]
        Resident.objects.bulk_update(batch, RESIDENT_UPDATE_FIELDS, batch_size=1000)
    Resident.objects.bulk_create(new_residents, batch_size=1000)
    result.residents_created = len(new_residents)
    result.residents_updated = len(changed_residents)
    return resident_tags


def _new_resident(household: Household, row: _Row, fields: dict) -> Resident:
    pinyin, initials = name_pinyin(fields["name"])
    resident = Resident(
        township_id=household.township_id,
        village_id=household.village_id,
        grid_id=household.grid_id,
        household=household,
        name_pinyin=pinyin,
        name_initials=initials,
        **fields,
    )
    if row.id_number:
        resident.id_number_encrypted = encrypt_id_number(row.id_number)
        resident.id_number_hash = hash_id_number(row.id_number)
        resident.id_number_masked = mask_id_number(row.id_number)
    return resident


def _update_resident(existing: Resident, household: Household, fields: dict, moved_ids: set) -> bool:
    """Set the row's fields on a known resident (an empty birth date keeps the stored one);
    whether anything changed."""
    changed = existing.grid_id != household.grid_id or existing.pk in moved_ids
    if fields.get("birth_date") is None:
        fields.pop("birth_date")
    for name, value in fields.items():
        if getattr(existing, name) != value:
            setattr(existing, name, value)
            changed = True
    if "name" in fields:
        existing.name_pinyin, existing.name_initials = name_pinyin(existing.name)
    existing.grid_id = household.grid_id
    return changed


def _apply_tags(resident_tags: list[tuple], household_tag_sets: dict, new_households: list) -> None:
    """The residents' and households' tags as the file gives them: new rows' links in bulk,
    known rows' replaced only where they differ."""
    through = Resident.tags.through
    links = []
    for resident, tags, is_new in resident_tags:
        wanted = {t.pk for t in tags}
        if is_new:
            links.extend(through(resident_id=resident.pk, tag_id=tag_id) for tag_id in wanted)
        elif wanted != {t.pk for t in resident.tags.all()}:
            resident.tags.set(wanted)
    through.objects.bulk_create(links, batch_size=2000, ignore_conflicts=True)
    household_through = Household.tags.through
    links = []
    # By id, not `household in new_households`: a list's `in` compares models one by one, which
    # for a township's 16 000 new households took minutes.
    new_ids = {h.pk for h in new_households}
    for household, wanted in household_tag_sets.items():
        if household.pk in new_ids:
            links.extend(household_through(household_id=household.pk, tag_id=tag_id) for tag_id in wanted)
        elif wanted and wanted != {t.pk for t in household.tags.all()}:
            household.tags.set(wanted)
    household_through.objects.bulk_create(links, batch_size=2000, ignore_conflicts=True)


def _sync_heads(household_ids: list[int]) -> None:
    """Refresh the household's denormalised head name from its head row."""
    heads = dict(
        Resident.objects.filter(household_id__in=household_ids, relation_to_head=Resident.Relation.HEAD).values_list(
            "household_id", "name"
        )
    )
    changed = []
    for household in Household.objects.filter(pk__in=household_ids).only("pk", "head_name"):
        name = heads.get(household.pk, "")
        if household.head_name != name:
            household.head_name = name
            household.head_name_pinyin, household.head_name_initials = name_pinyin(name)
            changed.append(household)
    Household.objects.bulk_update(changed, ["head_name", "head_name_pinyin", "head_name_initials"], batch_size=1000)
