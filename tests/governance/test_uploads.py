"""Every .xlsx upload is bounded before and while it is read (governance.uploads), and the
register import answers each refusal in the import's 400 shape."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from governance import uploads
from governance.uploads import UploadRefused, check_xlsx
from grids.register import RegisterImportError, register_import
from tests.grids.test_register import family, tags, xlsx  # noqa: F401 (tags is a fixture)

IMPORT = "/api/v1/households/import/"


def _sheet_xml(data: bytes, change) -> bytes:
    """The workbook with its first sheet's XML passed through `change`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            target.writestr(item.filename, content)
    return out.getvalue()


def blank_rows_register(blank: int, *, dimension: bool) -> bytes:
    """The template's header and a family, then `blank` empty rows written out (as Excel
    does for formatted rows), and one more person far below; optionally without <dimension>."""
    data = xlsx(family()).getvalue()

    def change(xml: bytes) -> bytes:
        rows = "".join(f'<row r="{n}"/>' for n in range(5, 5 + blank)).encode()
        last = 5 + blank
        person = f'<row r="{last}"><c r="F{last}" t="inlineStr"><is><t>远处</t></is></c></row>'.encode()
        xml = xml.replace(b"</sheetData>", rows + person + b"</sheetData>")
        if dimension:
            return re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:P{last}"/>'.encode(), xml)
        return re.sub(rb"<dimension [^>]*/>", b"", xml)

    return _sheet_xml(data, change)


def refused(world, data) -> RegisterImportError:
    with pytest.raises(RegisterImportError) as caught:
        register_import(user=world.users.cadre, file=io.BytesIO(data), village_ids={world.qixing.pk})
    return caught.value


def test_declared_dimension_past_the_row_limit_is_refused_before_reading(world, settings):
    settings.REGISTER_MAX_ROWS = 20
    error = refused(world, blank_rows_register(100, dimension=True))
    assert error.code == "too_many_rows"


def test_blank_rows_count_towards_the_limit_when_the_sheet_hides_its_size(world, settings, monkeypatch):
    settings.REGISTER_MAX_ROWS = 20
    seen = []
    real = uploads.xlsx_rows

    def counting(*args, **kwargs):
        for values in real(*args, **kwargs):
            seen.append(values)
            yield values

    monkeypatch.setattr("grids.register.imports.xlsx_rows", counting)
    error = refused(world, blank_rows_register(100, dimension=False))
    assert error.code == "too_many_rows"
    assert len(seen) <= 20 + 10  # stopped at the bound, not at the end of the sheet


@pytest.mark.usefixtures("tags")
def test_rows_within_the_limit_still_import_when_blank_rows_are_few(world, settings):
    settings.REGISTER_MAX_ROWS = 50
    with pytest.raises(RegisterImportError) as caught:  # the far person lacks their other columns
        register_import(
            user=world.users.cadre,
            file=io.BytesIO(blank_rows_register(10, dimension=False)),
            village_ids={world.qixing.pk},
        )
    assert caught.value.code == "invalid_register"
    assert {e.row for e in caught.value.errors} == {15}


def test_columns_past_the_limit_are_refused(world, settings):
    settings.REGISTER_MAX_COLUMNS = 10
    assert refused(world, xlsx(family()).getvalue()).code == "too_many_columns"


def test_unpacked_size_and_entry_count_are_bounded_before_parsing(settings):
    data = xlsx(family()).getvalue()
    settings.UPLOAD_MAX_XLSX_XML_BYTES = 1000
    with pytest.raises(UploadRefused) as caught:
        check_xlsx(io.BytesIO(data))
    assert caught.value.code == "xlsx_too_large_unpacked"
    settings.UPLOAD_MAX_XLSX_XML_BYTES = 10**8
    settings.UPLOAD_MAX_XLSX_ENTRIES = 3
    with pytest.raises(UploadRefused) as caught:
        check_xlsx(io.BytesIO(data))
    assert caught.value.code == "xlsx_too_many_parts"


def test_a_large_sheet_without_a_dimension_is_refused_before_openpyxl_sizes_it(world, settings, monkeypatch):
    settings.UPLOAD_MAX_XLSX_UNSIZED_SHEET_BYTES = 2000
    monkeypatch.setattr("governance.uploads.load_workbook", lambda *a, **k: pytest.fail("the sheet was parsed"))
    with pytest.raises(UploadRefused) as caught:
        check_xlsx(io.BytesIO(blank_rows_register(100, dimension=False)))
    assert caught.value.code == "xlsx_too_large_unpacked"
    check_xlsx(io.BytesIO(blank_rows_register(100, dimension=True)))  # sized: read, and bounded by rows


def test_not_a_zip_is_refused():
    with pytest.raises(UploadRefused) as caught:
        check_xlsx(io.BytesIO(b"PK but not really"))
    assert caught.value.code == "not_xlsx"


def test_reading_stops_at_the_time_budget(world, settings, monkeypatch):
    settings.REGISTER_MAX_ROWS = 10_000
    settings.UPLOAD_XLSX_SECONDS = 5
    clock = iter(range(0, 10**6, 3))  # each look at the clock is 3 seconds later
    monkeypatch.setattr(uploads.time, "monotonic", lambda: next(clock))
    assert refused(world, blank_rows_register(1200, dimension=False)).code == "upload_too_slow"


@pytest.mark.parametrize(
    ("setting", "value", "code", "error_code"),
    [
        ("UPLOAD_MAX_XLSX_BYTES", 100, "invalid_file", "file_too_large"),
        ("REGISTER_MAX_COLUMNS", 5, "too_many_columns", "too_many_columns"),
        ("UPLOAD_MAX_XLSX_XML_BYTES", 1000, "invalid_file", "xlsx_too_large_unpacked"),
    ],
)
def test_api_refusals_have_the_import_error_shape(world, as_user, settings, setting, value, code, error_code):
    setattr(settings, setting, value)
    upload = SimpleUploadedFile("register.xlsx", xlsx(family()).getvalue())

    response = as_user(world.users.cadre).post(IMPORT, {"file": upload}, format="multipart")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code", "errors"} and body["code"] == code
    assert [set(e) for e in body["errors"]] == [{"row", "column", "message", "code"}]
    assert body["errors"][0]["code"] == error_code


def test_every_openpyxl_read_goes_through_the_bounds():
    """A new xlsx upload must use governance.uploads, not load_workbook directly."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    readers = [
        str(path.relative_to(root))
        for folder in ("governance", "grids", "petitions", "points")
        for path in (root / folder).rglob("*.py")
        if "load_workbook" in path.read_text(encoding="utf-8")
    ]
    assert readers == ["governance/uploads.py"]
