"""The campaign form: expressions, checking a form, cleaning answers, findings, the library."""

import pytest
from django.core.exceptions import ValidationError

from grids.campaigns.library import TEMPLATES, template_form
from grids.campaigns.questionnaire import ExpressionError, Form, evaluate, parse_expression, references

pytestmark = pytest.mark.usefixtures("english")

FORM = [
    {"name": "uses_gas", "kind": "yes_no", "label": "是否使用燃气", "required": True},
    {
        "name": "kind",
        "kind": "select_one",
        "label": "类型",
        "required": True,
        "relevant": "${uses_gas} = 'yes'",
        "choices": [["pipe", "管道气"], ["lpg", "液化气"]],
    },
    {
        "name": "risks",
        "kind": "select_multiple",
        "label": "隐患",
        "relevant": "${uses_gas} = 'yes'",
        "choices": [["hose", "软管老化"], ["alarm", "无报警器"], ["valve", "阀门漏气"]],
        "findings": [{"when": "valve", "category": "public_security", "follow_up_days": 7}],
    },
    {"name": "people", "kind": "integer", "label": "人数", "constraint": ". >= 1 and . <= 30",
     "constraint_message": "1到30人"},
    {"name": "note", "kind": "note", "label": "请提醒住户开窗通风"},
    {"name": "detail", "kind": "text", "label": "情况", "relevant": "selected(${risks}, 'valve')", "required": True},
    {"name": "checked_on", "kind": "date", "label": "日期"},
    {"name": "where", "kind": "geopoint", "label": "位置"},
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "answers", "expected"),
    [
        ("${a} = 'yes'", {"a": "yes"}, True),
        ("${a} = 'yes'", {}, False),
        ("${a} != 'yes'", {}, True),
        ("${a} >= 70 and ${b} = 'yes'", {"a": 75, "b": "yes"}, True),
        ("${a} >= 70 and ${b} = 'yes'", {"a": 69, "b": "yes"}, False),
        ("${a} > 9", {"a": 10}, True),  # numbers compare as numbers, not as text ("10" < "9")
        ("${a} > 9", {}, False),  # a blank is never more or less than anything
        ("${a} = 'x' or (${b} = 'y' and not(${c} = 'z'))", {"b": "y", "c": "w"}, True),
        ("selected(${m}, 'b')", {"m": ["a", "b"]}, True),
        ("selected(${m}, 'c')", {"m": ["a", "b"]}, False),
        ("${d} = true()", {"d": "yes"}, True),
        ("string-length(${t}) <= 3", {"t": "四个字符"}, False),
    ],
)
def test_expressions(text, answers, expected):
    assert evaluate(parse_expression(text), answers) is expected


def test_an_expression_reads_its_references_and_the_current_answer():
    tree = parse_expression(". >= 1 and . <= ${most}")
    assert references(tree) == {"most"}
    assert evaluate(tree, {"most": 5}, 3) is True
    assert evaluate(tree, {"most": 5}, 6) is False


@pytest.mark.parametrize("text", ["", "${a} =", "${a} = 'x' and", "__import__('os')", "${a} == 'x'", "(${a} = 'x'"])
def test_bad_expressions_are_refused_with_a_reason(text):
    with pytest.raises(ExpressionError) as error:
        parse_expression(text)
    assert str(error.value)


def test_a_form_round_trips_through_its_json():
    form = Form.from_json(FORM)
    assert Form.from_json(form.to_json()) == form
    assert [q.name for q in form.questions] == [q["name"] for q in FORM]
    assert form.category_codes() == {"public_security"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "1bad"}, "must be letters"),
        ({"name": "uses_gas"}, "used twice"),
        ({"kind": "audio"}, "unknown question kind"),
        ({"label": ""}, "no wording"),
        ({"relevant": "${later} = 'x'"}, "not an earlier question"),
        ({"relevant": "${uses_gas} = "}, "cannot be read"),
        ({"kind": "select_one", "choices": []}, "needs its choices"),
        ({"kind": "select_one", "choices": [["a", "甲"], ["a", "乙"]]}, "listed twice"),
        ({"kind": "yes_no", "findings": [{"when": "maybe", "category": "x"}]}, "not one of the question's choices"),
        ({"kind": "yes_no", "findings": [{"when": "yes"}]}, "a matter, a follow-up, or both"),
        ({"kind": "yes_no", "findings": [{"when": "yes", "follow_up_days": 0}]}, "1 to 365"),
        ({"kind": "text", "findings": [{"when": "yes", "category": "x"}]}, "only a choice"),
        ({"kind": "photo", "constraint": ". > 1"}, "takes no check"),
    ],
)
def test_a_bad_question_is_refused_naming_its_number(change, message):
    question = {"name": "extra", "kind": "text", "label": "额外", **change}
    with pytest.raises(ValidationError) as error:
        Form.from_json([FORM[0], question])
    assert "2" in error.value.messages[0] and message in error.value.messages[0]


def test_a_form_needs_an_answerable_question():
    with pytest.raises(ValidationError):
        Form.from_json([])
    with pytest.raises(ValidationError):
        Form.from_json([{"name": "n", "kind": "note", "label": "说明"}])


def test_answers_are_converted_and_irrelevant_ones_dropped():
    form = Form.from_json(FORM)
    assert form.clean({"uses_gas": "no", "kind": "pipe", "people": "3"}) == {"uses_gas": "no", "people": 3}
    cleaned = form.clean(
        {
            "uses_gas": "yes",
            "kind": "lpg",
            "risks": "valve hose",
            "detail": " 阀门处有气味 ",
            "checked_on": "2026-12-01",
            "where": "30.1 106.2",
        }
    )
    assert cleaned == {
        "uses_gas": "yes",
        "kind": "lpg",
        "risks": ["hose", "valve"],
        "detail": "阀门处有气味",
        "checked_on": "2026-12-01",
        "where": "30.100000 106.200000",
    }
    assert [(q.name, f.category) for q, f in form.findings_in(cleaned)] == [("risks", "public_security")]
    assert form.display(form["risks"], cleaned["risks"]) == "软管老化、阀门漏气"


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({}, {"uses_gas"}),
        ({"uses_gas": "yes"}, {"kind"}),
        ({"uses_gas": "maybe"}, {"uses_gas"}),
        ({"uses_gas": "no", "people": "0"}, {"people"}),
        ({"uses_gas": "no", "people": "2.5"}, {"people"}),
        ({"uses_gas": "yes", "kind": "pipe", "risks": ["valve"]}, {"detail"}),
        ({"uses_gas": "yes", "kind": "pipe", "risks": ["gold"]}, {"risks"}),
        ({"uses_gas": "no", "checked_on": "2026-13-01"}, {"checked_on"}),
        ({"uses_gas": "no", "where": "91 10"}, {"where"}),
        # Not a number, not finite (a comparison with NaN raised InvalidOperation: a 500), not a point.
        ({"uses_gas": "no", "where": "NaN 10"}, {"where"}),
        ({"uses_gas": "no", "where": "30 Infinity"}, {"where"}),
        ({"uses_gas": "no", "where": {"0": 30, "1": 106}}, {"where"}),
        ({"uses_gas": "no", "where": [True, 106]}, {"where"}),
        ({"uses_gas": "no", "ghost": "x"}, {"answers"}),
    ],
)
def test_bad_answers_name_their_questions(answers, errors):
    with pytest.raises(ValidationError) as error:
        Form.from_json(FORM).clean(answers)
    assert set(error.value.message_dict) == errors


def test_a_check_says_its_own_message():
    with pytest.raises(ValidationError) as error:
        Form.from_json(FORM).clean({"uses_gas": "no", "people": 31})
    assert error.value.message_dict == {"people": ["1到30人"]}


@pytest.mark.parametrize("code", sorted(TEMPLATES))
def test_every_template_in_the_library_is_a_valid_form(code):
    form = template_form(code)
    assert form.questions and TEMPLATES[code].title
    assert Form.from_json(form.to_json()) == form
