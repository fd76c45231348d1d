"""Writing .xlsx downloads: one look for every export (bold header on grey, column widths,
the header row frozen) and one way of sending them.

An export is a title (the sheet's name), its headers and its rows; `workbook_bytes` writes
one or more of them. The register's template (grids.register.exports) writes its header
with `write_header` too, marking its required columns.
"""

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.http import HttpResponse
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# At most this many rows in a list export: past it, narrow the filters (the page says so).
MAX_EXPORT_ROWS = 10_000
# A sheet holds 1 048 576 rows in Excel and WPS: the header and this many.
MAX_SHEET_ROWS = 1_048_575
# Excel refuses sheet names longer than 31 characters or with any of these.
_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


@dataclass
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence] = ()
    widths: Sequence[int] | None = None
    # Columns kept as text (phone or ID numbers), 1-based.
    text_columns: Sequence[int] = field(default_factory=tuple)


def _width(text) -> int:
    # A CJK character takes two columns of width.
    return sum(2 if ord(c) > 0x2E80 else 1 for c in str(text))


def _cell(value):
    if value is None:
        return ""
    # Lazy translations (a choice's label) are written as the text they are now.
    return str(value) if isinstance(value, Promise) else value


# A text starting with one of these is a formula to a spreadsheet (typed, or pasted on):
# written as text marked with Excel's quote prefix, so a matter's title "=HYPERLINK(...)" or
# a note "@SUM(...)" stays the words someone typed, whoever opens or edits the file.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(sheet, text: str) -> Cell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type, cell.quotePrefix = "s", True
    return cell


def append_row(sheet, values: Sequence, text_columns: Sequence[int] = ()) -> None:
    """One row of data, any text that a spreadsheet would read as a formula kept as text, and
    the `text_columns` (1-based: phone and ID numbers) formatted as text, never 5.0E+17. Works
    on a write-only sheet too (a large export streams its rows to disk)."""
    row = []
    for index, value in enumerate(values, start=1):
        if isinstance(value, str) and value.startswith(_FORMULA_START):
            value = _text_cell(sheet, value)
        if index in text_columns:
            value = value if isinstance(value, Cell) else WriteOnlyCell(sheet, value=value)
            value.number_format = "@"
        row.append(value)
    sheet.append(row)


def sheet_title(title: str) -> str:
    return str(title).translate(_SHEET_NAME_FORBIDDEN)[:31] or "Sheet"


def write_header(sheet, headers: Sequence[str], *, widths: Sequence[int] | None = None, required=()) -> None:
    """The first row: bold, on grey (required columns white on red), widths set, frozen; on a
    write-only sheet too."""
    cells = []
    for index, header in enumerate(headers, start=1):
        # A header can be someone's words too (a campaign's question): never a formula.
        text = str(header)
        cell = _text_cell(sheet, text) if text.startswith(_FORMULA_START) else WriteOnlyCell(sheet, value=text)
        marked = index in required
        cell.font = Font(bold=True, color="FFFFFF" if marked else "000000")
        cell.fill = PatternFill("solid", fgColor="B3261E" if marked else "E8E8E8")
        cell.alignment = Alignment(horizontal="center")
        cells.append(cell)
        width = widths[index - 1] if widths else max(8, _width(header) + 2)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(cells)


def write_sheet(sheet, spec: Sheet) -> int:
    """The header and rows of `spec` into `sheet`; the number of rows written."""
    sheet.title = sheet_title(spec.title)
    write_header(sheet, spec.headers, widths=spec.widths)
    widths = [max(8, _width(h) + 2) for h in spec.headers]
    count = 0
    for row in spec.rows:
        values = [_cell(value) for value in row]
        append_row(sheet, values, spec.text_columns)
        count += 1
        if count <= 200 and spec.widths is None:
            widths = [min(60, max(w, _width(v) + 2)) for w, v in zip(widths, values, strict=False)]
    if spec.widths is None:
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
    return count


def workbook_bytes(*sheets: Sheet) -> bytes:
    """A workbook of the given sheets, in order, as .xlsx bytes."""
    workbook = Workbook()
    for index, spec in enumerate(sheets):
        write_sheet(workbook.active if index == 0 else workbook.create_sheet(), spec)
    return save(workbook)


def save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    """An .xlsx download (a Chinese file name is sent RFC 6266-encoded), never cached."""
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store, private"
    return response
