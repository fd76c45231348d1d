"""Reading an XLSForm (.xlsx with `survey` and `choices` sheets), the form format that ODK,
KoboToolbox and CommCare read, into a campaign's form.

What a door-to-door form needs is read: text, integer, decimal, select_one / select_multiple
(with their choice lists), date, geopoint, image (a photo), note, and `begin group` /
`end group` (the group's condition is joined to each of its questions'); `required`,
`relevant`, `constraint`, `constraint_message`, `hint`. Metadata rows (start, end, today,
deviceid, …) and `calculate` rows that nothing reads are passed over. Anything else (repeats,
audio, barcodes, …) is refused with its row, so a township knows why a form does not load.

Three columns of our own say where a finding leads (other tools pass them over): `matter_if`
(the choice that raises a matter), `matter_category` (its category's code) and
`follow_up_days` (a follow-up task after that many days, for the same choice).

A label column may be `label` or per language (`label::Chinese (zh)`, `label::中文`, …): the
first column whose language names Chinese wins, else `label`, else the first label column.
"""

import io
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from governance.uploads import UploadRefused, check_xlsx, xlsx_opened, xlsx_rows
from grids.campaigns.questionnaire import Form

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
MAX_COLUMNS = 60

TYPES = {
    "text": "text",
    "string": "text",
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "geopoint": "geopoint",
    "image": "photo",
    "photo": "photo",
    "note": "note",
}
IGNORED = {"start", "end", "today", "deviceid", "phonenumber", "username", "email", "simserial", "subscriberid",
           "audit", "calculate", "hidden", "start-geopoint"}  # fmt: skip
YES = {"yes", "true", "true()", "1", "y", "是"}


def _sheet_rows(workbook, name: str, required: bool = True) -> list[dict]:
    sheet = next((ws for ws in workbook.worksheets if ws.title.strip().lower() == name), None)
    if sheet is None:
        if required:
            raise ValidationError(_("The file has no “%(sheet)s” sheet.") % {"sheet": name})
        return []
    rows = xlsx_rows(sheet, max_rows=MAX_ROWS + 1, max_columns=MAX_COLUMNS)
    header = [str(cell or "").strip().lower() for cell in next(rows, ())]
    found = []
    for number, row in enumerate(rows, start=2):
        values = {header[i]: str(cell).strip() for i, cell in enumerate(row) if i < len(header) and cell is not None}
        if any(values.values()):
            found.append({"_row": number, **values})
    return found


def _label_column(columns: set[str], base: str = "label") -> str | None:
    per_language = sorted(c for c in columns if c.startswith(base + "::"))
    chinese = [c for c in per_language if re.search(r"chinese|中文|\bzh\b|\(zh|zh-|汉", c)]
    if chinese:
        return chinese[0]
    if base in columns:
        return base
    return per_language[0] if per_language else None


def _choice_lists(rows: list[dict]) -> dict[str, list[list[str]]]:
    columns = set().union(*(row.keys() for row in rows)) if rows else set()
    label = _label_column(columns)
    lists: dict[str, list[list[str]]] = {}
    for row in rows:
        list_name = row.get("list_name") or row.get("list name") or ""
        if not list_name:
            continue
        value = row.get("name", "")
        lists.setdefault(list_name, []).append([value, row.get(label, "") if label else value])
    return lists


def read_xlsform(upload) -> tuple[Form, str]:
    """The form an uploaded XLSForm holds and its title (settings' form_title, may be blank).
    ValidationError saying the row and what is wrong when it cannot be read. The workbook is
    opened and read within the bounds every upload has (governance.uploads: its size, its
    parts, what they unpack to, the rows and columns of each sheet)."""
    data = io.BytesIO(upload.read(MAX_UPLOAD_BYTES + 1))
    not_xlsx = ValidationError(_("This is not an .xlsx file. Save the form as Excel (.xlsx) and upload it again."))
    try:
        check_xlsx(data, max_bytes=MAX_UPLOAD_BYTES)
        with xlsx_opened(data) as workbook:
            # A read-only workbook parses each sheet as it is read: broken XML shows up here.
            survey = _sheet_rows(workbook, "survey")
            lists = _choice_lists(_sheet_rows(workbook, "choices", required=False))
            settings = _sheet_rows(workbook, "settings", required=False)
    except UploadRefused as refused:
        if refused.code == "not_xlsx":
            raise not_xlsx
        raise ValidationError(str(refused.message))
    except (KeyError, ValueError, SyntaxError):  # broken XML: ElementTree.ParseError is a SyntaxError
        raise not_xlsx
    title = (settings[0].get("form_title", "") if settings else "")[:100]
    return Form.from_json(_questions(survey, lists)), title


def _questions(rows: list[dict], lists: dict) -> list[dict]:
    columns = set().union(*(row.keys() for row in rows)) if rows else set()
    label, hint = _label_column(columns), _label_column(columns, "hint")
    constraint_message = _label_column(columns, "constraint_message")
    questions, groups = [], []  # groups: the conditions of the groups the row is in
    for row in rows:
        where = _("row %(row)d of the survey sheet") % {"row": row["_row"]}
        kind, list_name = _type(row.get("type", ""), where)
        if kind == "begin":
            groups.append(row.get("relevant", ""))
            continue
        if kind == "end":
            if not groups:
                raise ValidationError(_("%(where)s: “end group” without “begin group”") % {"where": where})
            groups.pop()
            continue
        if kind is None:
            continue
        relevant = " and ".join(f"({c})" for c in [*groups, row.get("relevant", "")] if c)
        question = {
            "name": row.get("name", ""),
            "kind": kind,
            "label": row.get(label, "") if label else "",
            "hint": row.get(hint, "") if hint else "",
            "required": row.get("required", "").lower() in YES,
            "relevant": relevant,
            "constraint": row.get("constraint", ""),
            "constraint_message": row.get(constraint_message, "") if constraint_message else "",
        }
        if list_name is not None:
            if list_name not in lists:
                raise ValidationError(
                    _("%(where)s: the choice list “%(list)s” is not on the choices sheet")
                    % {"where": where, "list": list_name}
                )
            question["choices"] = lists[list_name]
        question["findings"] = _findings(row, where)
        questions.append(question)
    if groups:
        raise ValidationError(_("A “begin group” has no “end group”."))
    return questions


def _type(text: str, where: str) -> tuple[str | None, str | None]:
    """(kind, choice list) of a row's type; ("begin"/"end", None) for groups; (None, None) to pass over."""
    words = text.strip().split()
    if not words:
        raise ValidationError(_("%(where)s: the type is empty") % {"where": where})
    head = words[0].lower()
    if head in ("begin", "end") and len(words) > 1 and words[1].lower() == "group":
        return head, None
    if head in ("begin_group", "end_group"):
        return head.split("_")[0], None
    if head in ("select_one", "select_multiple") and len(words) == 2:
        return head, words[1]
    if head in TYPES and len(words) == 1:
        return TYPES[head], None
    if head in IGNORED:
        return None, None
    raise ValidationError(
        _("%(where)s: the type “%(type)s” is not supported (text, integer, decimal, select_one, select_multiple, "
          "date, geopoint, image, note, groups)") % {"where": where, "type": text}
    )  # fmt: skip


def _findings(row: dict, where: str) -> list[dict]:
    when = row.get("matter_if", "")
    category, days = row.get("matter_category", ""), row.get("follow_up_days", "")
    if not (when or category or days):
        return []
    if not when:
        raise ValidationError(
            _("%(where)s: matter_category or follow_up_days need matter_if (the answer that calls for them)")
            % {"where": where}
        )
    return [{"when": when, "category": category, "follow_up_days": days or None}]
