"""Registers as villages keep them: title rows, their own column names, GB/T 4761 relations,
and no column ever dropped without a word."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from grids.idnumbers import decrypt_id_number
from grids.models import Resident
from grids.register import GB_T_4761, RELATIONS, RegisterImportError, register_import
from tests.factories import make_id_number

IMPORT = "/api/v1/households/import/"
VILLAGE_HEADER = ["序号", "村", "网格", "户号", "姓名", "与户主的关系", "性别", "身份证号码", "手机号码", "住址"]


def village_register(rows, header=VILLAGE_HEADER, titles=("七星村户籍人口台账", "填报单位：七星村村委会")) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for title in titles:
        sheet.append([title])
    if titles:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def family_rows():
    return [
        [
            1,
            "七星村",
            1,
            "Q-700",
            "邓大河",
            "户主",
            "男",
            make_id_number(datetime.date(1968, 2, 3), 71),
            "15800001111",
            "七星村3组",
        ],
        [2, "七星村", 1, "Q-700", "陈秀英", "妻子", "女", make_id_number(datetime.date(1970, 4, 5), 72), "", ""],
        [3, "七星村", 1, "Q-700", "邓小川", "长子", "男", make_id_number(datetime.date(1992, 6, 7), 73), "", ""],
        [4, "七星村", 1, "Q-700", "王丽", "儿媳", "女", make_id_number(datetime.date(1994, 8, 9), 74), "", ""],
        [5, "七星村", 1, "Q-700", "邓乐乐", "41", "男", "", "", ""],
    ]


def test_village_register_with_title_rows_aliases_and_family_relations_imports(world, as_user):
    data = village_register(family_rows())

    response = as_user(world.users.cadre).post(
        IMPORT, {"file": SimpleUploadedFile("台账.xlsx", data)}, format="multipart"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["residents_created"] == 5
    members = {r.name: r for r in Resident.objects.filter(household__number="Q-700")}
    assert {n: r.relation_to_head for n, r in members.items()} == {
        "邓大河": "head",
        "陈秀英": "spouse",
        "邓小川": "child",
        "王丽": "child_in_law",
        "邓乐乐": "grandchild",
    }
    # 身份证号码 is the template's 公民身份号码: never silently dropped.
    assert decrypt_id_number(members["陈秀英"].id_number_encrypted) == family_rows()[1][7]
    assert members["邓大河"].phone == "15800001111"
    assert members["邓大河"].household.address == "七星村3组"


def test_errors_keep_the_sheet_row_numbers_below_title_rows(world):
    rows = family_rows()
    rows[2][5] = "邻居家的"
    with pytest.raises(RegisterImportError) as refused:
        register_import(user=world.users.cadre, file=io.BytesIO(village_register(rows)), village_ids={world.qixing.pk})
    assert [(e.row, e.column) for e in refused.value.errors] == [(6, "与户主关系")]


def test_unknown_column_refuses_the_file_and_names_it(world, as_user):
    header = [*VILLAGE_HEADER, "文化程度", "婚姻状况"]
    rows = [[*r, "初中", "已婚"] for r in family_rows()]

    response = as_user(world.users.cadre).post(
        IMPORT, {"file": SimpleUploadedFile("台账.xlsx", village_register(rows, header))}, format="multipart"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_column"
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (3, "文化程度", "unknown_column"),
        (3, "婚姻状况", "unknown_column"),
    ]
    assert "K" in body["errors"][0]["message"]
    assert not Resident.objects.filter(household__number="Q-700").exists()


def test_data_under_a_blank_header_is_not_dropped(world):
    rows = [[*r, "看这里"] for r in family_rows()]
    with pytest.raises(RegisterImportError) as refused:
        register_import(user=world.users.cadre, file=io.BytesIO(village_register(rows)), village_ids={world.qixing.pk})
    assert refused.value.code == "unknown_column"
    assert refused.value.errors[0].column == "K"


def test_two_columns_for_one_field_are_refused(world):
    header = [*VILLAGE_HEADER, "公民身份号码"]
    rows = [[*r, ""] for r in family_rows()]
    with pytest.raises(RegisterImportError) as refused:
        register_import(
            user=world.users.cadre, file=io.BytesIO(village_register(rows, header)), village_ids={world.qixing.pk}
        )
    assert [e.code for e in refused.value.errors] == ["duplicate_column"]


def test_no_header_in_the_first_rows_is_refused(world):
    data = village_register(family_rows(), titles=[f"说明第{i}行" for i in range(12)])
    with pytest.raises(RegisterImportError) as refused:
        register_import(user=world.users.cadre, file=io.BytesIO(data), village_ids={world.qixing.pk})
    assert refused.value.code == "missing_columns"


@pytest.mark.parametrize(("word", "relation"), [("妻", "spouse"), ("丈夫", "spouse"), ("次女", "child"),
    ("女婿", "child_in_law"), ("外孙女", "grandchild"), ("岳母", "parent"), ("外祖父", "grandparent"),
    ("弟", "sibling"), ("侄子", "other"), ("99", "other"), ("22", "child")])  # fmt: skip
def test_gb_t_4761_relations_map_onto_the_register(word, relation):
    assert RELATIONS[word] == relation


def test_every_gb_t_4761_code_and_name_is_read():
    assert all(RELATIONS[code] == rel and RELATIONS[name] == rel for code, (name, rel) in GB_T_4761.items())
