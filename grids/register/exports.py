"""The register written out: the blank template and the export of households.

Both are the import's own layout (grids.register.columns), so an exported file can be
edited and imported back; masked ID numbers and phones in it mean "unchanged".
"""

from collections import defaultdict

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from governance.errors import Refused
from governance.xlsx import MAX_SHEET_ROWS, append_row, save, write_header
from grids.idnumbers import decrypt_id_number
from grids.models import RegisterExport, Resident, Tag
from grids.register.columns import COLUMNS, GENDER_LABELS, RELATION_LABELS, SHEET_NAME, STATUS_LABELS


def _header_sheet(workbook: Workbook):
    sheet = workbook.create_sheet(SHEET_NAME)
    required = {index for index, column in enumerate(COLUMNS, start=1) if column.required}
    write_header(sheet, [c.header for c in COLUMNS], widths=[c.width for c in COLUMNS], required=required)
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
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 90
    heading = [WriteOnlyCell(sheet, value=text) for text in lines[0]]
    for cell in heading:
        cell.font = Font(bold=True)
    sheet.append(heading)
    for line in lines[1:]:
        sheet.append(line)


def register_template() -> bytes:
    """The blank register (header row and a sheet of instructions) as .xlsx bytes."""
    workbook = Workbook(write_only=True)
    _header_sheet(workbook)
    _instructions(workbook)
    return save(workbook)


# The ID number and the phone (1-based), kept as text: never 5.0E+17.
TEXT_COLUMNS = (10, 11)


def _tag_names(tags) -> str:
    return "、".join(t.name for t in tags)


def register_export(*, user, households, reveal: bool, progress=None) -> bytes:
    """The given households (already scoped to `user`) as a register in the import template.

    ID numbers and phones are masked unless `reveal` (the caller's role may reveal them);
    every export is recorded, with whether it revealed personal data. `progress(done, total,
    phase=...)` hears of each chunk of households written (governance.jobs.Progress).

    The rows stream to disk as they are written (a write-only workbook): a township's 43 000
    residents or a million take the same memory. One sheet holds MAX_SHEET_ROWS people: past
    that (a whole district) the export is Refused, before anything is written, with what to
    narrow it to.
    """
    households = households.select_related("village", "grid", "courtyard").prefetch_related("tags")
    people = Resident.objects.filter(household__in=households.values("pk")).count()
    if people > MAX_SHEET_ROWS:
        raise Refused(
            _(
                "These households have %(people)s residents: more than one sheet holds (%(most)s). "
                "Export one township or village at a time."
            )
            % {"people": f"{people:,}", "most": f"{MAX_SHEET_ROWS:,}"},
            code="too_many_rows",
        )
    workbook = Workbook(write_only=True)
    sheet = _header_sheet(workbook)
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
                append_row(sheet, _export_row(household, resident, reveal), TEXT_COLUMNS)
                count += 1
        if progress is not None:
            progress(start + len(chunk), len(ids), phase="exporting")
    _instructions(workbook)
    RegisterExport.objects.create(user=user, rows=count, revealed=reveal)
    return save(workbook)


def _export_row(household, resident, reveal: bool) -> list:
    """One resident's row, in COLUMNS order."""
    if reveal and resident.id_number_encrypted:
        id_number = decrypt_id_number(resident.id_number_encrypted)
    else:
        id_number = resident.id_number_masked
    return [
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
        resident.phone if reveal else resident.phone_masked,
        resident.ethnicity,
        STATUS_LABELS.get(resident.status, ""),
        _tag_names(household.tags.all()) if resident.relation_to_head == "head" else "",
        _tag_names(resident.tags.all()),
        resident.notes,
    ]
