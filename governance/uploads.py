"""Bounds on every uploaded .xlsx, checked before and while it is read.

An .xlsx is a zip of XML: ten megabytes can unpack to gigabytes, or hold millions of blank
rows that a reader walks through one by one. `check_xlsx` refuses a file on its size, its
number of zip entries and the declared uncompressed size of its XML (zipfile never reads past
the declared size, so the declaration bounds the work) before openpyxl sees it; `xlsx_rows`
then refuses a sheet whose declared dimension is too large, counts every row it yields (blank
ones included) and stops at a time budget.
"""

import contextlib
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

from governance.errors import DomainError, Invalid, Refused


class UploadRefused(Refused):
    """The upload was refused before or while it was read; `code` says why, `message` to whom."""

    def __init__(self, code: str, message: str):
        super().__init__(message, code)


def _size(file) -> int:
    size = getattr(file, "size", None)
    if size is not None:
        return size
    position = file.tell()
    file.seek(0, 2)
    size = file.tell()
    file.seek(position)
    return size


def check_xlsx(file, *, max_bytes: int | None = None) -> None:
    """Refuse `file` (a seekable binary file) unless it is a bounded .xlsx zip."""
    max_bytes = settings.UPLOAD_MAX_XLSX_BYTES if max_bytes is None else max_bytes
    if _size(file) > max_bytes:
        raise UploadRefused(
            "file_too_large",
            _("The file is larger than %(size)d MB.") % {"size": max(max_bytes // (1024 * 1024), 1)},
        )
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UploadRefused("not_xlsx", _("The file is not an Excel .xlsx workbook.")) from None
    finally:
        file.seek(0)
    if len(entries) > settings.UPLOAD_MAX_XLSX_ENTRIES:
        raise UploadRefused("xlsx_too_many_parts", _("The workbook has too many parts to be read."))
    xml = sum(e.file_size for e in entries if e.filename.endswith((".xml", ".rels")))
    if xml > settings.UPLOAD_MAX_XLSX_XML_BYTES:
        raise _too_large_unpacked()
    sheets = [e for e in entries if e.filename.startswith("xl/worksheets/") and e.filename.endswith(".xml")]
    try:
        with zipfile.ZipFile(file) as archive:
            for entry in sheets:
                if entry.file_size <= settings.UPLOAD_MAX_XLSX_UNSIZED_SHEET_BYTES:
                    continue
                with archive.open(entry) as stream:
                    head = stream.read(_HEAD_BYTES)
                # Without a <dimension>, openpyxl parses the whole sheet just to size it,
                # before any bound of ours can stop it: only a small sheet may lack one.
                if not _DIMENSION.search(head):
                    raise _too_large_unpacked()
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError):
        raise UploadRefused("not_xlsx", _("The file is not an Excel .xlsx workbook.")) from None
    finally:
        file.seek(0)


_HEAD_BYTES = 64 * 1024
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=")


def _too_large_unpacked() -> UploadRefused:
    return UploadRefused(
        "xlsx_too_large_unpacked",
        _(
            "The workbook unpacks to more data than a register holds; remove empty rows and other sheets, "
            "and save it again in Excel or WPS."
        ),
    )


def open_xlsx(file):
    """A read-only workbook from a file `check_xlsx` accepted (raises UploadRefused otherwise)."""
    check_xlsx(file)
    try:
        return load_workbook(file, read_only=True, data_only=True)
    except Exception:
        raise UploadRefused("not_xlsx", _("The file is not an Excel .xlsx workbook.")) from None


@contextlib.contextmanager
def xlsx_opened(file):
    """The workbook of an uploaded .xlsx (`open_xlsx`), closed when the block is done."""
    workbook = open_xlsx(file)
    try:
        yield workbook
    finally:
        workbook.close()


def cell_text(value) -> str:
    """A cell as text: empty for a blank cell, a whole number without its ".0", trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


@dataclass
class RowError:
    """One problem of an uploaded list: its row (0: the file as a whole), its column's header,
    what is wrong, and a code for programs."""

    row: int
    column: str
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": str(self.message), "code": self.code}


@dataclass(frozen=True)
class Column:
    """A column of a list's template: its key, its header, its width, whether a row must fill
    it, and the other headers that name it in the lists people bring."""

    key: str
    header: str
    width: int
    required: bool = False
    aliases: tuple[str, ...] = ()


def missing_columns(columns, positions, row: int) -> RowError | None:
    """The header row's error (on `row`) when it lacks a required column of `columns` (none
    found: `positions` empty), else None."""
    missing = [c.header for c in columns if c.required and c.key not in positions]
    if not missing:
        return None
    message = _("The header row lacks these columns: %(columns)s. Download the template.") % {
        "columns": "、".join(missing)
    }
    return RowError(row, "", message, "missing_columns")


def unheaded_column(row: int, index: int) -> RowError:
    """Data in the column at `index` (from 0), which has no header."""
    letter = get_column_letter(index + 1)
    message = _("Column %(letter)s has data but no header; give it a template header or delete it.") % {
        "letter": letter
    }
    return RowError(row, letter, message, "unknown_column")


class RowsRefused(Invalid):
    """An uploaded list refused whole, nothing written; `errors` holds every problem by row and
    column. The API answers it with a 400 whose body is `as_body()`; `summary()` is its detail."""

    def __init__(self, errors: list[RowError], *, code: str):
        DomainError.__init__(self, f"{len(errors)} errors", code)
        self.errors = errors

    def summary(self) -> str:
        raise NotImplementedError

    def as_body(self) -> dict:
        return {"detail": self.summary(), "code": self.code, "errors": [e.as_dict() for e in self.errors]}


def _declared_dimension(sheet) -> tuple[int, int] | None:
    """(rows, columns) from the sheet's <dimension>, without reading its rows."""
    try:
        ref = sheet.calculate_dimension(force=False)
    except Exception:
        return None
    try:
        _min_col, _min_row, max_col, max_row = range_boundaries(ref)
    except (TypeError, ValueError):
        return None
    return (max_row or 0, max_col or 0)


def too_many_rows(max_rows: int) -> UploadRefused:
    return UploadRefused(
        "too_many_rows",
        _("A file may hold at most %(max)d rows, empty rows included; delete the empty rows below the data.")
        % {"max": max_rows},
    )


def too_many_columns(max_columns: int) -> UploadRefused:
    return UploadRefused(
        "too_many_columns",
        _("A file may hold at most %(max)d columns; delete the columns right of the data.") % {"max": max_columns},
    )


def xlsx_rows(sheet, *, max_rows: int, max_columns: int, seconds: float | None = None) -> Iterator[tuple]:
    """The sheet's rows as value tuples, blank rows included, within the bounds.

    Raises UploadRefused when the sheet declares or holds more than `max_rows` rows or
    `max_columns` non-empty columns, or when reading takes longer than `seconds`.
    """
    seconds = settings.UPLOAD_XLSX_SECONDS if seconds is None else seconds
    declared = _declared_dimension(sheet)
    if declared is not None:
        if declared[0] > max_rows:
            raise too_many_rows(max_rows)
        if declared[1] > max_columns:
            raise too_many_columns(max_columns)
    # A wrong <dimension> (some tools write A1) would otherwise cut the rows short silently.
    sheet.reset_dimensions()
    deadline = time.monotonic() + seconds
    # One column more than allowed is read, to notice data beyond the bound without reading
    # the whole width a crafted row may claim.
    for count, values in enumerate(sheet.iter_rows(values_only=True, max_col=max_columns + 1), start=1):
        if count > max_rows:
            raise too_many_rows(max_rows)
        if count % 500 == 0 and time.monotonic() > deadline:
            raise UploadRefused("upload_too_slow", _("The file took too long to read; split it into smaller files."))
        if len(values) > max_columns and values[max_columns] not in (None, ""):
            raise too_many_columns(max_columns)
        yield values[:max_columns]
