"""The household register in Excel: all-or-nothing import, idempotent re-import, round trip."""

import datetime
import io

import pytest
from openpyxl import Workbook, load_workbook

from grids.idnumbers import hash_id_number
from grids.models import Household, HouseholdMove, RegisterExport, Resident
from grids.register import COLUMNS, RegisterImportError, register_export, register_import, register_template
from tests.factories import make_id_number

HEADERS = [c.header for c in COLUMNS]


def xlsx(rows: list[dict], headers=HEADERS) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h, "") for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def person(household="Q-100", name="刘大山", relation="户主", gender="男", id_number=None, **extra):
    row = {
        "村（社区）": "七星村",
        "网格": 1,
        "户号": household,
        "家庭住址": "七星村1组",
        "姓名": name,
        "与户主关系": relation,
        "性别": gender,
        "公民身份号码": id_number if id_number is not None else make_id_number(datetime.date(1970, 1, 2), 11),
        "联系电话": "15800009119",
    }
    row.update(extra)
    return row


def family():
    return [
        person(id_number=make_id_number(datetime.date(1970, 1, 2), 11), 户标签="困难户"),
        person(name="周小花", relation="配偶", gender="女", id_number=make_id_number(datetime.date(1972, 3, 4), 12)),
        person(name="刘小明", relation="子女", id_number="", 出生日期="2015-06-01", 人员标签="留守儿童"),
    ]


def snapshot():
    return (
        sorted(Household.objects.values_list("number", "grid_id", "head_name", "address", "phone")),
        sorted(
            Resident.objects.values_list("name", "relation_to_head", "birth_date", "id_number_hash", "phone", "grid_id")
        ),
        sorted(Resident.tags.through.objects.values_list("resident_id", "tag_id")),
    )


@pytest.fixture
def tags(db):
    from grids.models import Tag

    Tag.objects.create(code="hardship", name="困难户", is_key_group=True)
    Tag.objects.create(code="left_behind_child", name="留守儿童", is_key_group=True)


def test_correct_file_imports_once_and_only_once(world, tags):
    cadre = world.users.cadre
    result = register_import(user=cadre, file=xlsx(family()), village_ids={world.qixing.pk})
    assert (result.households_created, result.residents_created) == (1, 3)
    household = Household.objects.get(number="Q-100")
    assert household.head_name == "刘大山" and household.grid == world.q1
    assert [t.name for t in household.tags.all()] == ["困难户"]
    child = Resident.objects.get(name="刘小明")
    assert child.birth_date == datetime.date(2015, 6, 1) and [t.name for t in child.tags.all()] == ["留守儿童"]
    assert child.name_initials == "lxm"
    before = snapshot()
    again = register_import(user=cadre, file=xlsx(family()), village_ids={world.qixing.pk})
    assert (again.households_created, again.residents_created, again.residents_updated) == (0, 0, 0)
    assert again.residents_unchanged == 3
    assert snapshot() == before


def test_file_with_errors_lists_every_error_and_writes_nothing(world, tags):
    existing = world.households.q1.members.get(relation_to_head="head")
    from grids.idnumbers import decrypt_id_number

    taken = decrypt_id_number(existing.id_number_encrypted)
    good = make_id_number(datetime.date(1980, 5, 5), 21)
    rows = [
        person(household="E-1", relation="配偶", id_number=good),  # no head in E-1
        person(household="E-2", id_number=good[:17] + ("0" if good[17] != "0" else "1")),  # bad check digit
        person(household="E-3", 网格=9),  # unknown grid
        person(household="E-4", id_number=taken),  # ID of someone in another household
        person(household="E-5", id_number=make_id_number(datetime.date(1981, 1, 1), 31), 出生日期="1981-02-30"),
        person(household="E-6", id_number=make_id_number(datetime.date(1982, 1, 1), 41), 联系电话="12345"),
        person(household="E-7", id_number=make_id_number(datetime.date(1983, 1, 1), 51)),
        person(household="E-7", name="重复", relation="子女", id_number=make_id_number(datetime.date(1983, 1, 1), 51)),
        person(household="E-8", id_number=make_id_number(datetime.date(1984, 1, 1), 61), 院落="不存在的院子"),
        person(household="E-9", id_number=make_id_number(datetime.date(1985, 1, 1), 71), **{"村（社区）": "李湾村"}),
        person(household="", name="", id_number=make_id_number(datetime.date(1986, 1, 1), 81)),
    ]
    before = snapshot()
    with pytest.raises(RegisterImportError) as caught:
        register_import(user=world.users.cadre, file=xlsx(rows), village_ids={world.qixing.pk})
    found = {(e.row, e.column) for e in caught.value.errors}
    assert (2, "与户主关系") in found
    assert (3, "公民身份号码") in found
    assert (4, "网格") in found
    assert (5, "公民身份号码") in found
    assert (6, "出生日期") in found
    assert (7, "联系电话") in found
    assert (9, "公民身份号码") in found  # the same ID as row 8
    assert (10, "院落") in found
    assert (11, "村（社区）") in found
    assert (12, "户号") in found and (12, "姓名") in found
    assert all(e.message for e in caught.value.errors)
    assert snapshot() == before


def test_header_without_required_columns_is_refused(world):
    with pytest.raises(RegisterImportError) as caught:
        register_import(user=world.users.cadre, file=xlsx([{"姓名": "x"}], headers=["姓名"]), village_ids=None)
    assert caught.value.errors[0].row == 1 and "户号" in caught.value.errors[0].message


def test_not_an_xlsx_is_refused(world):
    with pytest.raises(RegisterImportError):
        register_import(user=world.users.cadre, file=io.BytesIO(b"not a workbook"), village_ids=None)


def test_export_edit_import_round_trips_with_masked_ids(world, tags):
    cadre = world.users.cadre
    households = Household.objects.filter(village=world.qixing)
    data = register_export(user=cadre, households=households, reveal=False)
    assert RegisterExport.objects.get().revealed is False
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [dict(zip(HEADERS, r, strict=False)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(rows) == Resident.objects.filter(village=world.qixing).count()
    assert all("*" in (r["公民身份号码"] or "*") for r in rows)
    # Unchanged, it imports as no change at all.
    before = snapshot()
    result = register_import(user=cadre, file=xlsx(rows), village_ids={world.qixing.pk})
    assert result.residents_created == 0 and result.residents_updated == 0
    assert snapshot() == before
    # Edit: a new address and a new member; the masked numbers stay as they were.
    target = rows[0]["户号"]
    for r in rows:
        if r["户号"] == target:
            r["家庭住址"] = "七星村新址8号"
    rows.append(person(household=target, name="新成员", relation="子女", id_number=""))
    result = register_import(user=cadre, file=xlsx(rows), village_ids={world.qixing.pk})
    assert result.residents_created == 1 and result.households_updated == 1
    household = Household.objects.get(village=world.qixing, number=target)
    assert household.address == "七星村新址8号"
    assert household.members.filter(name="新成员").exists()


def test_revealed_export_contains_full_numbers_and_is_audited(world):
    data = register_export(
        user=world.users.cadre, households=Household.objects.filter(pk=world.households.q1.pk), reveal=True
    )
    sheet = load_workbook(io.BytesIO(data)).active
    numbers = [r[9] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(hash_id_number(n) for n in numbers) and all("*" not in n for n in numbers)
    assert RegisterExport.objects.get().revealed is True


def test_changing_grid_in_the_file_moves_the_household_on_the_record(world, tags):
    register_import(user=world.users.cadre, file=xlsx(family()), village_ids={world.qixing.pk})
    moved = [dict(r, 网格=2) for r in family()]
    register_import(user=world.users.cadre, file=xlsx(moved), village_ids={world.qixing.pk})
    household = Household.objects.get(number="Q-100")
    assert household.grid == world.q2
    assert set(household.members.values_list("grid_id", flat=True)) == {world.q2.pk}
    assert HouseholdMove.objects.get(household=household).moved_by == world.users.cadre


def test_head_handed_over_inside_a_household(world, tags):
    register_import(user=world.users.cadre, file=xlsx(family()), village_ids={world.qixing.pk})
    rows = family()
    rows[0]["与户主关系"], rows[1]["与户主关系"] = "配偶", "户主"
    register_import(user=world.users.cadre, file=xlsx(rows), village_ids={world.qixing.pk})
    household = Household.objects.get(number="Q-100")
    assert household.head_name == "周小花"


def test_template_has_the_headers(db):
    sheet = load_workbook(io.BytesIO(register_template())).active
    assert [c.value for c in sheet[1]] == HEADERS


def test_township_import_command(world, tags, tmp_path):
    from django.core.management import CommandError, call_command

    rows = family() + [dict(r, **{"村（社区）": "化龙村", "户号": "H-9"}) for r in family()[:1]]
    rows[-1]["公民身份号码"] = make_id_number(datetime.date(1960, 7, 7), 91)
    path = tmp_path / "register.xlsx"
    path.write_bytes(xlsx(rows).getvalue())
    out = io.StringIO()
    call_command("import_register", str(path), township=world.weituo.code, user="t_official", stdout=out)
    assert "residents_created=4" in out.getvalue()
    outside = [dict(r, **{"村（社区）": "李湾村", "户号": "L-1"}) for r in family()]
    for i, r in enumerate(outside):
        r["公民身份号码"] = make_id_number(datetime.date(1961, 1, 1 + i), 95) if r["公民身份号码"] else ""
    path.write_bytes(xlsx(outside).getvalue())
    before = snapshot()
    with pytest.raises(CommandError):
        call_command("import_register", str(path), township=world.weituo.code, user="t_official", stderr=io.StringIO())
    assert snapshot() == before


def test_imported_households_get_their_passbook_once(world, tags):
    from points.models import Account, Entry

    register_import(user=world.users.cadre, file=xlsx(family()), village_ids={world.qixing.pk})
    account = Account.objects.get(household__number="Q-100")
    assert list(Entry.objects.filter(account=account).values_list("kind", "points")) == [("opening", account.balance)]
    register_import(user=world.users.cadre, file=xlsx(family()), village_ids={world.qixing.pk})
    assert Account.objects.filter(household__number="Q-100").count() == 1


@pytest.mark.parametrize("years", [-1, 131])
def test_birth_date_outside_a_lifetime_is_refused_like_the_form(world, tags, years):
    """The import checks birth dates with the same rule as the resident form and the API."""
    from django.utils import timezone

    born = timezone.localdate() - datetime.timedelta(days=round(365.25 * years))
    row = person(household="B-1", id_number="", 出生日期=born.isoformat())
    before = snapshot()
    with pytest.raises(RegisterImportError) as caught:
        register_import(user=world.users.cadre, file=xlsx([row]), village_ids={world.qixing.pk})
    assert [(e.row, e.column) for e in caught.value.errors] == [(2, "出生日期")]
    assert snapshot() == before


def test_an_export_keeps_id_numbers_and_phones_as_text_under_a_frozen_styled_header(world):
    data = register_export(
        user=world.users.cadre, households=Household.objects.filter(village=world.qixing), reveal=True
    )
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    assert book.sheetnames == ["登记表", "填写说明"] or book.sheetnames[1] == "填写说明"
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(row=1, column=1).font.bold
    rows = list(sheet.iter_rows(min_row=2))
    assert rows
    for row in rows:
        assert row[9].number_format == "@" and row[10].number_format == "@"
        assert row[5].number_format == "General"
    assert book["填写说明"].cell(row=1, column=1).font.bold


def test_more_people_than_a_sheet_holds_are_refused_before_anything_is_written(world, monkeypatch, client, settings):
    """One sheet holds 1 048 575 people (Excel, WPS): a district's register is refused with
    what to narrow it to, on the page, in the API and as a job; nothing is recorded."""
    from governance.errors import Refused
    from governance.jobs import job_run, job_submit
    from grids import job_kinds
    from grids.register import exports

    monkeypatch.setattr(exports, "MAX_SHEET_ROWS", 2)
    settings.MEDIA_ROOT = settings.BASE_DIR / "test-artifacts" / "media-too-many"
    households = Household.objects.filter(village=world.qixing)
    with pytest.raises(Refused) as refused:
        register_export(user=world.users.cadre, households=households, reveal=False)
    assert refused.value.code == "too_many_rows"
    client.force_login(world.users.cadre)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/households/export/", follow=True)
    assert page.redirect_chain[-1][0] == "/households/"
    assert "Export one township or village at a time" in page.content.decode()
    job = job_submit(
        owner=world.users.cadre, kind=job_kinds.EXPORT, parameters={"reveal": False, "query": "", "via": "page"}
    )
    job_run(job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and "more than one sheet holds" in job.error
    assert not RegisterExport.objects.exists()
