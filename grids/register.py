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

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from governance.uploads import UploadRefused, open_xlsx, too_many_rows, xlsx_rows
from grids import idconflicts
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
from grids.signals import households_created
from grids.validators import validate_birth_date
from grids.visits.services import households_refresh_visit_due

SHEET_NAME = "户籍台账"
HEADER_SCAN_ROWS = 10  # a village's own 台账 often has title rows above its header


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
# The names villages' own registers give each column, beside the template's. A header is
# compared without spaces, "*" marks and with half-width brackets (see _header_key).
ALIASES = {
    "village": ["村（社区）", "村(社区)", "村/社区", "村社区", "村", "村名", "社区", "所属村", "所属村（社区）"],
    "grid": ["网格", "网格号", "网格名称", "所属网格"],
    "courtyard": ["院落", "院落名称", "所属院落"],
    "household_number": ["户号", "户编号", "户口编号", "家庭户号"],
    "address": ["家庭住址", "住址", "地址", "家庭地址", "现住址", "居住地址"],
    "name": ["姓名", "名字", "成员姓名"],
    "relation": ["与户主关系", "与户主的关系", "关系", "家庭关系"],
    "gender": ["性别"],
    "birth_date": ["出生日期", "出生年月", "出生年月日", "生日"],
    "id_number": ["公民身份号码", "身份证号码", "身份证号", "身份证", "公民身份证号码", "公民身份证号", "身份号码"],
    "phone": ["联系电话", "电话", "电话号码", "手机", "手机号", "手机号码", "联系方式"],
    "ethnicity": ["民族"],
    "status": ["居住状态", "状态", "人员状态", "在家状态"],
    "household_tags": ["户标签", "户类别", "家庭标签"],
    "resident_tags": ["人员标签", "人员类别", "个人标签"],
    "notes": ["备注", "说明"],
}
# Columns that number the rows and say nothing about a person: recognised, and not read.
ROW_NUMBER_HEADERS = ["序号", "编号", "No", "No."]


def _header_key(value) -> str:
    text = "" if value is None else str(value)
    for old, new in (("（", "("), ("）", ")"), ("*", ""), ("＊", "")):
        text = text.replace(old, new)
    return "".join(text.split())


HEADERS = {_header_key(alias): c for c in COLUMNS for alias in ALIASES[c.key]}
IGNORED_HEADERS = {_header_key(h) for h in ROW_NUMBER_HEADERS}

_R = Resident.Relation
# The template's words, and the family relations of GB/T 4761 (家庭关系代码) as every
# 户口簿 writes them, by name or by code, mapped onto the register's coarser relations.
RELATIONS = {
    "户主": _R.HEAD,
    "本人": _R.HEAD,
    "配偶": _R.SPOUSE,
    "妻": _R.SPOUSE,
    "夫": _R.SPOUSE,
    "妻子": _R.SPOUSE,
    "丈夫": _R.SPOUSE,
    "子女": _R.CHILD,
    "儿媳女婿": _R.CHILD_IN_LAW,
    "孙子女": _R.GRANDCHILD,
    "祖父母": _R.GRANDPARENT,
    "兄弟姐妹": _R.SIBLING,
    "其他": _R.OTHER,
}
GB_T_4761 = {
    "01": ("本人", _R.HEAD),
    "02": ("户主", _R.HEAD),
    "10": ("配偶", _R.SPOUSE),
    "11": ("夫", _R.SPOUSE),
    "12": ("妻", _R.SPOUSE),
    "20": ("子", _R.CHILD),
    "21": ("独生子", _R.CHILD),
    "22": ("长子", _R.CHILD),
    "23": ("次子", _R.CHILD),
    "24": ("三子", _R.CHILD),
    "25": ("四子", _R.CHILD),
    "26": ("五子", _R.CHILD),
    "27": ("养子或继子", _R.CHILD),
    "28": ("女婿", _R.CHILD_IN_LAW),
    "29": ("其他儿子", _R.CHILD),
    "30": ("女", _R.CHILD),
    "31": ("独生女", _R.CHILD),
    "32": ("长女", _R.CHILD),
    "33": ("次女", _R.CHILD),
    "34": ("三女", _R.CHILD),
    "35": ("四女", _R.CHILD),
    "36": ("五女", _R.CHILD),
    "37": ("养女或继女", _R.CHILD),
    "38": ("儿媳", _R.CHILD_IN_LAW),
    "39": ("其他女儿", _R.CHILD),
    "40": ("孙子、孙女或外孙子、外孙女", _R.GRANDCHILD),
    "41": ("孙子", _R.GRANDCHILD),
    "42": ("孙女", _R.GRANDCHILD),
    "43": ("外孙子", _R.GRANDCHILD),
    "44": ("外孙女", _R.GRANDCHILD),
    "45": ("孙媳妇或外孙媳妇", _R.GRANDCHILD),
    "46": ("孙女婿或外孙女婿", _R.GRANDCHILD),
    "47": ("曾孙子或外曾孙子", _R.GRANDCHILD),
    "48": ("曾孙女或外曾孙女", _R.GRANDCHILD),
    "49": ("其他孙子、孙女或外孙子、外孙女", _R.GRANDCHILD),
    "50": ("父母", _R.PARENT),
    "51": ("父亲", _R.PARENT),
    "52": ("母亲", _R.PARENT),
    "53": ("公公", _R.PARENT),
    "54": ("婆婆", _R.PARENT),
    "55": ("岳父", _R.PARENT),
    "56": ("岳母", _R.PARENT),
    "57": ("继父或养父", _R.PARENT),
    "58": ("继母或养母", _R.PARENT),
    "59": ("其他父母关系", _R.PARENT),
    "60": ("祖父母或外祖父母", _R.GRANDPARENT),
    "61": ("祖父", _R.GRANDPARENT),
    "62": ("祖母", _R.GRANDPARENT),
    "63": ("外祖父", _R.GRANDPARENT),
    "64": ("外祖母", _R.GRANDPARENT),
    "65": ("配偶的祖父母或外祖父母", _R.GRANDPARENT),
    "66": ("曾祖父", _R.GRANDPARENT),
    "67": ("曾祖母", _R.GRANDPARENT),
    "68": ("配偶的曾祖父母或外曾祖父母", _R.GRANDPARENT),
    "69": ("其他祖父母或外祖父母关系", _R.GRANDPARENT),
    "70": ("兄弟姐妹", _R.SIBLING),
    "71": ("兄", _R.SIBLING),
    "72": ("嫂", _R.SIBLING),
    "73": ("弟", _R.SIBLING),
    "74": ("弟媳", _R.SIBLING),
    "75": ("姐姐", _R.SIBLING),
    "76": ("姐夫", _R.SIBLING),
    "77": ("妹妹", _R.SIBLING),
    "78": ("妹夫", _R.SIBLING),
    "79": ("其他兄弟姐妹", _R.SIBLING),
    "80": ("其他", _R.OTHER),
    "81": ("伯父", _R.OTHER),
    "82": ("伯母", _R.OTHER),
    "83": ("叔父", _R.OTHER),
    "84": ("婶母", _R.OTHER),
    "85": ("舅父", _R.OTHER),
    "86": ("舅母", _R.OTHER),
    "87": ("姨父", _R.OTHER),
    "88": ("姨母", _R.OTHER),
    "89": ("姑父", _R.OTHER),
    "90": ("姑母", _R.OTHER),
    "91": ("堂兄弟、堂姐妹", _R.OTHER),
    "92": ("表兄弟、表姐妹", _R.OTHER),
    "93": ("侄子", _R.OTHER),
    "94": ("侄女", _R.OTHER),
    "95": ("外甥", _R.OTHER),
    "96": ("外甥女", _R.OTHER),
    "97": ("其他亲属", _R.OTHER),
    "99": ("非亲属", _R.OTHER),
}
for _code, (_name, _relation) in GB_T_4761.items():
    RELATIONS.setdefault(_name, _relation)
    RELATIONS.setdefault(_code, _relation)
    for _part in _name.replace("或", "、").split("、"):
        RELATIONS.setdefault(_part, _relation)
# Everyday words for the same relations, as registers are written by hand.
RELATIONS.update(
    {
        w: r
        for r, words in (
            (_R.CHILD, ["儿子", "女儿", "长男", "次男", "养子", "养女", "继子", "继女"]),
            (_R.GRANDCHILD, ["孙", "外孙", "长孙", "孙媳", "孙女婿", "曾孙", "曾孙女"]),
            (_R.PARENT, ["父", "母", "父母亲"]),
            (_R.SIBLING, ["哥哥", "弟弟", "姐", "妹", "兄弟", "姐妹"]),
            (_R.OTHER, ["侄儿", "亲属", "非亲属", "朋友"]),
        )
        for w in words
        if w not in RELATIONS
    }
)
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
    code: str = "invalid"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": str(self.message), "code": self.code}


class RegisterImportError(Exception):
    """The file was refused; `errors` lists every problem found, by row and column.

    `code` names the refusal as a whole (``invalid_register`` for row errors); `id_refusals`
    are the ID-number refusals to record once the caller's transaction has rolled back
    (grids.idconflicts.id_refusals_kept).
    """

    def __init__(self, errors: list[RowError], *, code: str = "invalid_register", id_refusals=()):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors
        self.code = code
        self.id_refusals = list(id_refusals)

    def as_dict(self) -> dict:
        """The API's 400 body: {"detail", "code", "errors": [{row, column, message, code}]}."""
        return {
            "detail": _("The file was not imported: %(count)d errors. Nothing was written.")
            % {"count": len(self.errors)},
            "code": self.code,
            "errors": [e.as_dict() for e in self.errors],
        }


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
        (
            "村里自己的台账",
            "表头上方可以有标题行；常见列名也认得（如 身份证号码、手机号码、住址、与户主的关系），"
            "与户主关系可按户口簿填写（妻、长子、儿媳、孙女 等）。不认识的列会整表退回并列出列名，不会悄悄丢弃；"
            "“序号”列不导入。",
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


def _find_header(top: list[tuple]) -> int | None:
    """The index among the first rows of the one that names the most known columns."""
    best, best_count = None, 0
    for index, values in enumerate(top):
        count = sum(1 for v in values if _header_key(v) in HEADERS)
        if count > best_count:
            best, best_count = index, count
    return best if best_count >= 2 else None


def _refused(code: str, message, row: int = 0, column: str = "") -> tuple[list, list]:
    return [], [RowError(row, column, message, code)]


def _read_rows(file, seconds: float | None = None) -> tuple[list[_Row], list[RowError]]:
    try:
        workbook = open_xlsx(file)
    except UploadRefused as refused:
        return _refused(refused.code, refused.message)
    try:
        return _rows_of(workbook, seconds)
    except UploadRefused as refused:
        return _refused(refused.code, refused.message)
    finally:
        workbook.close()


def _rows_of(workbook, seconds: float | None) -> tuple[list[_Row], list[RowError]]:
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
        missing = "、".join(c.header for c in COLUMNS if c.required)
        message = _("The header row lacks these columns: %(columns)s. Download the template.") % {"columns": missing}
        return _refused("missing_columns", message, 1)
    header_row = header_index + 1
    positions, unheaded, errors = {}, set(), []
    for index, title in enumerate(top[header_index]):
        key = _header_key(title)
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
    missing = [c.header for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        message = _("The header row lacks these columns: %(columns)s. Download the template.") % {
            "columns": "、".join(missing)
        }
        errors.append(RowError(header_row, "", message, "missing_columns"))
    if errors:
        return [], errors

    def data_rows():
        yield from enumerate(top[header_index + 1 :], start=header_row + 1)
        yield from rows_iter

    rows = []
    for number, values in data_rows():
        if not any(v not in (None, "") for v in values):
            continue
        for index in unheaded:
            if index < len(values) and values[index] not in (None, ""):
                letter = get_column_letter(index + 1)
                return _refused(
                    "unknown_column",
                    _("Column %(letter)s has data but no header; give it a template header or delete it.")
                    % {"letter": letter},
                    number,
                    letter,
                )
        if len(rows) >= settings.REGISTER_MAX_ROWS:
            raise too_many_rows(settings.REGISTER_MAX_ROWS)
        row = {key: values[index] if index < len(values) else None for key, index in positions.items()}
        rows.append(_Row(number=number, values=row))
    if not rows:
        return _refused("empty_register", _("The file has no rows below the header."), header_row + 1)
    return rows, []


def register_import(*, user, file, village_ids: set[int] | None, read_seconds: float | None = None) -> ImportResult:
    """Validate the whole file, then apply it in one transaction (or raise RegisterImportError).

    `village_ids` limits the villages rows may name (a village cadre's own); None allows
    every village (the management command for a township checks the township itself).
    `read_seconds` bounds reading the file (UPLOAD_XLSX_SECONDS for a web request; the
    command and the bench, which no worker timeout hurries, give themselves longer).
    """
    rows, errors = _read_rows(file, read_seconds)
    if errors:
        codes = {e.code for e in errors}
        raise RegisterImportError(errors, code=codes.pop() if len(codes) == 1 else "invalid_register")
    context = _Context.load(rows)
    for row in rows:
        _validate_row(row, context, village_ids, errors)
    _validate_across_rows(rows, context, errors)
    _check_id_holders(rows, context, user, errors)
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
    try:
        validate_birth_date(birth)
    except ValidationError as exc:
        error("birth_date", exc.messages[0])
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
    # The apps built on grids act on the new households (the points bank opens passbooks).
    if new_households:
        households_created.send(
            sender=Household, households=new_households, village_ids={h.village_id for h in new_households}
        )
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
