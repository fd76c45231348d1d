"""XLSForms built in the tests, as ODK, KoboToolbox and CommCare users write them."""

import io

from openpyxl import Workbook

GAS_SURVEY = [
    ["type", "name", "label::Chinese (zh)", "label::English (en)", "required", "relevant", "constraint",
     "constraint_message::Chinese (zh)", "matter_if", "matter_category", "follow_up_days"],
    ["start", "start", "", "", "", "", "", "", "", "", ""],
    ["select_one yn", "uses_gas", "是否使用燃气", "Uses gas", "yes", "", "", "", "", "", ""],
    ["begin group", "check", "检查", "Check", "", "${uses_gas} = 'y'", "", "", "", "", ""],
    ["select_one gas", "gas_kind", "燃气类型", "Gas", "true()", "", "", "", "", "", ""],
    ["select_one yn", "hazard", "是否有隐患", "Hazard", "yes", "", "", "", "y", "public_security", "7"],
    ["text", "detail", "隐患情况", "Detail", "yes", "${hazard} = 'y'", "string-length(.) <= 200", "200字以内",
     "", "", ""],
    ["image", "photo", "照片", "Photo", "", "${hazard} = 'y'", "", "", "", "", ""],
    ["end group", "", "", "", "", "", "", "", "", "", ""],
    ["integer", "people", "常住人数", "People", "", "", ". >= 0 and . <= 30", "0到30", "", "", ""],
]  # fmt: skip
GAS_CHOICES = [
    ["list_name", "name", "label::Chinese (zh)", "label::English (en)"],
    ["yn", "y", "是", "Yes"],
    ["yn", "n", "否", "No"],
    ["gas", "pipe", "管道天然气", "Piped"],
    ["gas", "lpg", "瓶装液化气", "Bottled"],
]


def xlsform(survey=GAS_SURVEY, choices=GAS_CHOICES, title="燃气安全排查", extra=None) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if choices is not None:
        sheet = workbook.create_sheet("choices")
        for row in choices:
            sheet.append(row)
    if title:
        settings = workbook.create_sheet("settings")
        settings.append(["form_title", "form_id"])
        settings.append([title, "gas_2026"])
    for name, rows in (extra or {}).items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    data.name = "gas.xlsx"
    return data
