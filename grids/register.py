"""The household register (台账) in Excel: template, import and export.

One row per resident, Chinese column headers (matched by text, in any order). An import is
validated whole before anything is written: every error comes back with its row and column,
and either every row is applied or none is. Rows are matched to what exists by ID number
(or, for a row without a full ID number, by household number and name), so importing the
same file twice changes nothing, and an exported file (masked ID numbers included) can be
edited and imported back.
"""

import datetime
import io
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from grids.idnumbers import (
    decrypt_id_number,
    encrypt_id_number,
    hash_id_number,
    mask_id_number,
    normalize_id_number,
    validate_id_number,
    validate_phone,
)
from grids.models import Courtyard, Grid, Household, HouseholdMove, RegisterExport, Resident, Tag, Village
from grids.services import name_pinyin
from grids.visits import households_refresh_visit_due

MAX_ROWS = 50_000
MAX_FILE_BYTES = 20 * 1024 * 1024  # an upload larger than this is refused before it is read
SHEET_NAME = "户籍台账"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    required: bool = False


COLUMNS = [
    Column("village", "村（社区）", 12, True),
    Column("grid", "网格", 10, True),
    Column("courtyard", "院落", 12),
    Column("household_number", "户号", 14, True),
    Column("address", "家庭住址", 28),
    Column("name", "姓名", 10, True),
    Column("relation", "与户主关系", 10, True),
    Column("gender", "性别", 6, True),
    Column("birth_date", "出生日期", 12),
    Column("id_number", "公民身份号码", 21),
    Column("phone", "联系电话", 14),
    Column("ethnicity", "民族", 8),
    Column("status", "居住状态", 10),
    Column("household_tags", "户标签", 18),
    Column("resident_tags", "人员标签", 18),
    Column("notes", "备注", 20),
]
HEADERS = {c.header: c for c in COLUMNS}

RELATIONS = {
    "户主": Resident.Relation.HEAD,
    "本人": Resident.Relation.HEAD,
    "配偶": Resident.Relation.SPOUSE,
    "妻": Resident.Relation.SPOUSE,
    "夫": Resident.Relation.SPOUSE,
    "子女": Resident.Relation.CHILD,
    "子": Resident.Relation.CHILD,
    "女": Resident.Relation.CHILD,
    "儿媳女婿": Resident.Relation.CHILD_IN_LAW,
    "儿媳": Resident.Relation.CHILD_IN_LAW,
    "女婿": Resident.Relation.CHILD_IN_LAW,
    "父母": Resident.Relation.PARENT,
    "父亲": Resident.Relation.PARENT,
    "母亲": Resident.Relation.PARENT,
    "孙子女": Resident.Relation.GRANDCHILD,
    "孙子": Resident.Relation.GRANDCHILD,
    "孙女": Resident.Relation.GRANDCHILD,
    "祖父母": Resident.Relation.GRANDPARENT,
    "兄弟姐妹": Resident.Relation.SIBLING,
    "其他": Resident.Relation.OTHER,
}
RELATION_LABELS = {
    Resident.Relation.HEAD: "户主",
    Resident.Relation.SPOUSE: "配偶",
    Resident.Relation.CHILD: "子女",
    Resident.Relation.CHILD_IN_LAW: "儿媳女婿",
    Resident.Relation.PARENT: "父母",
    Resident.Relation.GRANDCHILD: "孙子女",
    Resident.Relation.GRANDPARENT: "祖父母",
    Resident.Relation.SIBLING: "兄弟姐妹",
    Resident.Relation.OTHER: "其他",
}
GENDERS = {"男": Resident.Gender.MALE, "女": Resident.Gender.FEMALE}
GENDER_LABELS = {v: k for k, v in GENDERS.items()}
STATUSES = {
    "在家": Resident.Status.RESIDENT,
    "常住": Resident.Status.RESIDENT,
    "外出": Resident.Status.AWAY,
    "迁出": Resident.Status.MOVED_OUT,
    "死亡": Resident.Status.DECEASED,
}
STATUS_LABELS = {
    Resident.Status.RESIDENT: "在家",
    Resident.Status.AWAY: "外出",
    Resident.Status.MOVED_OUT: "迁出",
    Resident.Status.DECEASED: "死亡",
}
TAG_SEPARATORS = ("、", ",", "，", ";", "；", " ")


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": str(self.message)}


class RegisterImportError(Exception):
    """The file was refused; `errors` lists every problem found, by row and column."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


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


# ---------------------------------------------------------------- template and export


def _header_sheet(workbook: Workbook):
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append([c.header for c in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="FFFFFF" if column.required else "000000")
        cell.fill = PatternFill("solid", fgColor="B3261E" if column.required else "E8E8E8")
        cell.alignment = Alignment(horizontal="center")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    return sheet


def _instructions(workbook: Workbook) -> None:
    sheet = workbook.create_sheet("填写说明")
    lines = [
        ("列", "说明"),
        ("村（社区）", "必填。村或社区的全名，如：七星村。"),
        ("网格", "必填。网格序号（1、2 …）或网格名称（第一网格）。"),
        ("院落", "可填。该网格内已登记的院落名称。"),
        ("户号", "必填。同一村内唯一；同一户的每位成员填同一户号。"),
        ("家庭住址", "同一户填一次即可（以户主行为准）。"),
        ("姓名", "必填。"),
        ("与户主关系", "必填：" + "、".join(RELATION_LABELS.values()) + "。每户必须有且只有一位户主。"),
        ("性别", "必填：男 或 女。"),
        ("出生日期", "格式 1980-03-15；填了身份证号可不填。"),
        ("公民身份号码", "18 位，末位可为 X，会校验校验码。导出的带 * 号码原样保留即表示不修改。"),
        ("联系电话", "11 位手机号；户主的电话即该户的联系电话。"),
        ("居住状态", "在家、外出、迁出、死亡；不填为在家。"),
        (
            "户标签 / 人员标签",
            "用顿号分隔，如：独居老人、党员。可用标签：" + "、".join(Tag.objects.values_list("name", flat=True)),
        ),
        ("", "同一文件可重复导入：按身份证号（或户号+姓名）对应已有记录，不会重复登记。"),
        ("", "文件有任何错误时一行都不会写入，系统会按行列列出全部错误。"),
    ]
    for line in lines:
        sheet.append(line)
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 90
    sheet.cell(row=1, column=1).font = Font(bold=True)
    sheet.cell(row=1, column=2).font = Font(bold=True)


def register_template() -> bytes:
    """The blank register (header row and a sheet of instructions) as .xlsx bytes."""
    workbook = Workbook()
    _header_sheet(workbook)
    _instructions(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _tag_names(tags) -> str:
    return "、".join(t.name for t in tags)


def register_export(*, user, households, reveal: bool) -> bytes:
    """The given households (already scoped to `user`) as a register in the import template.

    ID numbers and phones are masked unless `reveal` (the caller's role may reveal them);
    every export is recorded, with whether it revealed personal data.
    """
    workbook = Workbook()
    sheet = _header_sheet(workbook)
    households = households.select_related("village", "grid", "courtyard").prefetch_related("tags")
    count = 0
    ids = list(households.order_by("village_id", "number").values_list("pk", flat=True))
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        by_household = defaultdict(list)
        residents = (
            Resident.objects.filter(household_id__in=chunk).prefetch_related("tags").order_by("household_id", "id")
        )
        for resident in residents:
            by_household[resident.household_id].append(resident)
        for household in households.filter(pk__in=chunk).order_by("village_id", "number"):
            for resident in sorted(by_household[household.pk], key=lambda r: (r.relation_to_head != "head", r.pk)):
                if reveal and resident.id_number_encrypted:
                    id_number = decrypt_id_number(resident.id_number_encrypted)
                else:
                    id_number = resident.id_number_masked
                phone = resident.phone if reveal else resident.phone_masked
                sheet.append(
                    [
                        household.village.name,
                        household.grid.number,
                        household.courtyard.name if household.courtyard else "",
                        household.number,
                        household.address,
                        resident.name,
                        RELATION_LABELS.get(resident.relation_to_head, "其他"),
                        GENDER_LABELS.get(resident.gender, ""),
                        resident.birth_date.isoformat() if resident.birth_date else "",
                        id_number,
                        phone,
                        resident.ethnicity,
                        STATUS_LABELS.get(resident.status, ""),
                        _tag_names(household.tags.all()) if resident.relation_to_head == "head" else "",
                        _tag_names(resident.tags.all()),
                        resident.notes,
                    ]
                )
                count += 1
    for row in sheet.iter_rows(min_row=2, min_col=10, max_col=11):
        for cell in row:
            cell.number_format = "@"  # keep ID numbers and phones as text, never 5.0E+17
    _instructions(workbook)
    RegisterExport.objects.create(user=user, rows=count, revealed=reveal)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- import


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return str(value).strip()


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


def _read_rows(file) -> tuple[list[_Row], list[RowError]]:
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:
        return [], [RowError(0, "", _("The file is not an Excel .xlsx workbook."))]
    sheet = workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]
    rows_iter = sheet.iter_rows(values_only=True)
    header = next(rows_iter, None) or ()
    positions = {}
    for index, title in enumerate(header):
        column = HEADERS.get(_text(title))
        if column:
            positions[column.key] = index
    missing = [c.header for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        message = _("The header row lacks these columns: %(columns)s. Download the template.") % {
            "columns": "、".join(missing)
        }
        return [], [RowError(1, "", message)]
    rows = []
    for number, values in enumerate(rows_iter, start=2):
        if not any(v not in (None, "") for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            return [], [RowError(number, "", _("A file may hold at most %(max)d rows.") % {"max": MAX_ROWS})]
        row = {key: values[index] if index < len(values) else None for key, index in positions.items()}
        rows.append(_Row(number=number, values=row))
    workbook.close()
    if not rows:
        return [], [RowError(2, "", _("The file has no rows below the header."))]
    return rows, []


def register_import(*, user, file, village_ids: set[int] | None) -> ImportResult:
    """Validate the whole file, then apply it in one transaction (or raise RegisterImportError).

    `village_ids` limits the villages rows may name (a village cadre's own); None allows
    every village (the management command for a township checks the township itself).
    """
    rows, errors = _read_rows(file)
    if errors:
        raise RegisterImportError(errors)
    context = _Context.load(rows)
    for row in rows:
        _validate_row(row, context, village_ids, errors)
    _validate_across_rows(rows, context, errors)
    if errors:
        order = {c.header: i for i, c in enumerate(COLUMNS)}
        raise RegisterImportError(sorted(errors, key=lambda e: (e.row, order.get(e.column, -1))))
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
        for grid in Grid.objects.filter(village_id__in=village_ids):
            grids[(grid.village_id, str(grid.number))] = grid
            grids[(grid.village_id, grid.name)] = grid
        courtyards = {(c.grid_id, c.name): c for c in Courtyard.objects.filter(village_id__in=village_ids)}
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
    v = row.values

    def error(key: str, message) -> None:
        errors.append(RowError(row.number, HEADERS_BY_KEY[key], message))

    for column in COLUMNS:
        if column.required and not _text(v.get(column.key)):
            error(column.key, _("This column is required."))
    village_name = _text(v.get("village"))
    row.village = ctx.villages.get(village_name)
    if village_name and row.village is None:
        error("village", _("No village named “%(name)s”.") % {"name": village_name})
    elif row.village is not None and village_ids is not None and row.village.pk not in village_ids:
        error("village", _("You may only import into your own village."))
    if row.village is not None:
        grid_text = _text(v.get("grid"))
        row.grid = ctx.grids.get((row.village.pk, grid_text))
        if grid_text and row.grid is None:
            error("grid", _("No grid “%(grid)s” in %(village)s.") % {"grid": grid_text, "village": row.village.name})
        yard = _text(v.get("courtyard"))
        if yard and row.grid is not None:
            row.courtyard = ctx.courtyards.get((row.grid.pk, yard))
            if row.courtyard is None:
                error("courtyard", _("No courtyard “%(name)s” in this grid.") % {"name": yard})
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
    try:
        birth = _parse_date(v.get("birth_date"))
    except ValueError:
        birth = None
        error("birth_date", _("Not a date; write it as 1980-03-15."))
    if birth and not (datetime.date(1900, 1, 1) <= birth <= timezone.localdate()):
        error("birth_date", _("The birth date is outside 1900 to today."))
    id_text = normalize_id_number(_text(v.get("id_number")))
    if "*" in id_text:
        row.masked_id = id_text
    elif id_text:
        try:
            row.id_number = validate_id_number(id_text)
        except Exception as exc:
            error("id_number", " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            if birth is None:
                birth = datetime.date(int(id_text[6:10]), int(id_text[10:12]), int(id_text[12:14]))
    phone = _text(v.get("phone"))
    if "*" not in phone:  # a masked phone from an export means "unchanged"
        try:
            phone = validate_phone(phone)
        except Exception as exc:
            error("phone", " ".join(getattr(exc, "messages", [str(exc)])))
    for key, target in (("household_tags", row.household_tags), ("resident_tags", row.resident_tags)):
        for name in _split_tags(_text(v.get(key))):
            tag = ctx.tags.get(name)
            if tag is None:
                error(key, _("Unknown tag “%(name)s”.") % {"name": name})
            else:
                target.append(tag)
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


HEADERS_BY_KEY = {c.key: c.header for c in COLUMNS}


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
    id_header = HEADERS_BY_KEY["id_number"]
    seen_ids: dict[str, int] = {}
    heads: dict[tuple, list[int]] = defaultdict(list)
    household_grid: dict[tuple, tuple] = {}
    for row in rows:
        if row.village is None:
            continue
        number = _text(row.values.get("household_number"))
        key = (row.village.pk, number)
        if row.fields.get("relation_to_head") == Resident.Relation.HEAD:
            heads[key].append(row.number)
        if row.grid is not None:
            first = household_grid.setdefault(key, (row.grid.pk, row.number))
            if first[0] != row.grid.pk:
                errors.append(
                    RowError(
                        row.number,
                        HEADERS_BY_KEY["grid"],
                        _("Row %(row)d puts this household in another grid.") % {"row": first[1]},
                    )
                )
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
            existing = _match(row, ctx)
            if existing is not None and (existing.village_id, existing.household.number) != key:
                errors.append(
                    RowError(
                        row.number,
                        id_header,
                        _("This ID number is already registered to %(name)s of household %(number)s.")
                        % {"name": existing.name, "number": existing.household.number},
                    )
                )
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
    first_row: dict[tuple, int] = {}
    for row in rows:
        if row.village is not None:
            first_row.setdefault((row.village.pk, _text(row.values.get("household_number"))), row.number)
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


def _existing_head_kept(key, rows, ctx) -> bool:
    """A household already registered keeps its head when the file names only other members."""
    household = ctx.households.get(key)
    if household is None:
        return False
    head = Resident.objects.filter(household=household, relation_to_head=Resident.Relation.HEAD).first()
    return head is not None and not any(_match(r, ctx) == head for r in rows if r.village and r.village.pk == key[0])


def _apply(rows: list[_Row], ctx: _Context, user) -> ImportResult:
    result = ImportResult(rows=len(rows))
    by_household: dict[tuple, list[_Row]] = defaultdict(list)
    for row in rows:
        by_household[(row.village.pk, _text(row.values.get("household_number")))].append(row)

    new_households, changed_households, moves = [], [], []
    for (village_id, number), members in by_household.items():
        head_row = next((r for r in members if r.fields["relation_to_head"] == Resident.Relation.HEAD), members[0])
        address = _text(head_row.values.get("address"))
        household = ctx.households.get((village_id, number))
        if household is None:
            household = Household(
                township_id=head_row.village.township_id,
                village_id=village_id,
                grid=head_row.grid,
                courtyard=head_row.courtyard,
                number=number,
                address=address,
                phone="" if "*" in head_row.fields["phone"] else head_row.fields["phone"],
            )
            new_households.append(household)
            ctx.households[(village_id, number)] = household
            continue
        changed = False
        if household.grid_id != head_row.grid.pk or household.courtyard_id != (
            head_row.courtyard.pk if head_row.courtyard else None
        ):
            moves.append(
                HouseholdMove(
                    household=household,
                    from_grid_id=household.grid_id,
                    to_grid=head_row.grid,
                    from_courtyard_id=household.courtyard_id,
                    to_courtyard=head_row.courtyard,
                    moved_by=user,
                    reason="Excel 台账导入",
                )
            )
            household.grid, household.courtyard = head_row.grid, head_row.courtyard
            result.households_moved += 1
            changed = True
        # The household's own phone is set from the head's only when the household is new:
        # the register has no household phone column, so an existing one is left alone.
        if address and household.address != address:
            household.address = address
            changed = True
        if changed:
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
    result.households_updated = len({h.pk for h in changed_households})

    new_residents, changed_residents, tag_links = [], [], []
    resident_tag_rows = []
    household_tag_sets = {}
    moved_ids = {m.household_id for m in moves}
    for key, members in by_household.items():
        household = ctx.households[key]
        tagset = {
            t.pk for r in members if r.fields["relation_to_head"] == Resident.Relation.HEAD for t in r.household_tags
        }
        household_tag_sets[household] = tagset
        for row in members:
            fields = dict(row.fields)
            if "*" in fields["phone"]:
                fields.pop("phone")
            existing = _match(row, ctx)
            if existing is None:
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
                new_residents.append(resident)
                resident_tag_rows.append((resident, row.resident_tags, True))
                continue
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
            if changed:
                changed_residents.append(existing)
            else:
                result.residents_unchanged += 1
            resident_tag_rows.append((existing, row.resident_tags, False))
    # Everyone else before the heads, in separate statements: the one-head-per-household
    # index is checked row by row, so a head handed from one member to another must see
    # the old head demoted first.
    update_fields = [
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
    for is_head in (False, True):
        batch = [r for r in changed_residents if (r.relation_to_head == Resident.Relation.HEAD) == is_head]
        Resident.objects.bulk_update(batch, update_fields, batch_size=1000)
    Resident.objects.bulk_create(new_residents, batch_size=1000)
    result.residents_created = len(new_residents)
    result.residents_updated = len(changed_residents)

    through = Resident.tags.through
    for resident, tags, is_new in resident_tag_rows:
        wanted = {t.pk for t in tags}
        if is_new:
            tag_links.extend(through(resident_id=resident.pk, tag_id=tag_id) for tag_id in wanted)
        elif wanted != {t.pk for t in resident.tags.all()}:
            resident.tags.set(wanted)
    through.objects.bulk_create(tag_links, batch_size=2000, ignore_conflicts=True)
    household_through = Household.tags.through
    links = []
    for household, wanted in household_tag_sets.items():
        if household in new_households:
            links.extend(household_through(household_id=household.pk, tag_id=tag_id) for tag_id in wanted)
        elif wanted and wanted != {t.pk for t in household.tags.all()}:
            household.tags.set(wanted)
    household_through.objects.bulk_create(links, batch_size=2000, ignore_conflicts=True)

    _sync_heads([h.pk for h in ctx.households.values() if h.pk and h in household_tag_sets])
    # Tags and statuses set visit targets; new households have no visits to date from.
    new_ids = {h.pk for h in new_households}
    households_refresh_visit_due([h.pk for h in household_tag_sets if h.pk not in new_ids])
    # Every household has its passbook (积分存折); the bulk insert above bypassed account_open.
    from points.services import accounts_open_missing  # points builds on grids, not the reverse

    for village_id in sorted({h.village_id for h in new_households}):
        accounts_open_missing(village=Village(pk=village_id))
    return result


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
