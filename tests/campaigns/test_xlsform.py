"""Reading an XLSForm into a campaign's form."""

import io

import pytest
from django.core.exceptions import ValidationError

from grids.campaigns.questionnaire import evaluate
from grids.campaigns.xlsform import read_xlsform
from tests.campaigns.xlsforms import GAS_CHOICES, xlsform

pytestmark = pytest.mark.usefixtures("english")


def test_the_gas_form_reads_with_chinese_labels_groups_and_findings():
    form, title = read_xlsform(xlsform())
    assert title == "燃气安全排查"
    assert [q.name for q in form.questions] == ["uses_gas", "gas_kind", "hazard", "detail", "photo", "people"]
    gas_kind = form["gas_kind"]
    assert gas_kind.label == "燃气类型" and gas_kind.required
    assert gas_kind.choices == (("pipe", "管道天然气"), ("lpg", "瓶装液化气"))
    # The group's condition is joined to each of its questions'.
    detail = form["detail"]
    assert detail.relevant == "(${uses_gas} = 'y') and (${hazard} = 'y')"
    assert evaluate(detail.relevant_tree, {"uses_gas": "y", "hazard": "y"})
    assert not evaluate(detail.relevant_tree, {"uses_gas": "n", "hazard": "y"})
    assert detail.constraint_message == "200字以内"
    assert form["photo"].kind == "photo"
    (finding,) = form["hazard"].findings
    assert (finding.when, finding.category, finding.follow_up_days) == ("y", "public_security", 7)
    assert form.clean({"uses_gas": "y", "gas_kind": "lpg", "hazard": "y", "detail": "阀门漏气"})["detail"] == "阀门漏气"


def test_a_plain_label_column_and_no_settings_sheet():
    survey = [["type", "name", "label"], ["text", "name_of_head", "户主姓名"]]
    form, title = read_xlsform(xlsform(survey=survey, choices=None, title=None))
    assert title == "" and form["name_of_head"].label == "户主姓名"


@pytest.mark.parametrize(
    ("survey", "choices", "message"),
    [
        ([["type", "name", "label"], ["begin repeat", "r", "重复"]], None, "row 2"),
        ([["type", "name", "label"], ["audio", "a", "录音"]], None, "not supported"),
        ([["type", "name", "label"], ["select_one nolist", "a", "选"]], GAS_CHOICES, "not on the choices sheet"),
        ([["type", "name", "label"], ["begin group", "g", "组"], ["text", "a", "甲"]], None, "no “end group”"),
        ([["type", "name", "label"], ["end group", "", ""]], None, "without “begin group”"),
        ([["type", "name", "label"], ["text", "a", "甲"], ["text", "a", "乙"]], None, "used twice"),
        ([["type", "name", "label", "relevant"], ["text", "a", "甲", "${b} = 'x'"]], None, "not an earlier question"),
        ([["type", "name", "label", "follow_up_days"], ["text", "a", "甲", "3"]], None, "need matter_if"),
        ([["type", "name", "label"], ["", "a", "甲"]], None, "type is empty"),
    ],
)
def test_a_form_that_cannot_be_read_says_where(survey, choices, message):
    with pytest.raises(ValidationError) as error:
        read_xlsform(xlsform(survey=survey, choices=choices, title=None))
    assert message in error.value.messages[0]


def test_a_file_that_is_not_an_xlsform():
    with pytest.raises(ValidationError, match="not an .xlsx"):
        read_xlsform(io.BytesIO(b"type,name,label\ntext,a,b\n"))
    with pytest.raises(ValidationError, match="no “survey” sheet"):
        read_xlsform(_no_survey())


def _no_survey():
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "questions"
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    return data


def test_an_oversized_file_is_refused_before_it_is_read():
    with pytest.raises(ValidationError, match="larger than 2 MB"):
        read_xlsform(io.BytesIO(b"x" * (2 * 1024 * 1024 + 1)))
