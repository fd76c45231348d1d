"""The form builder's plain parts: a question as the builder page's fields show it and back,
and the whole form with one question added, replaced, moved or removed.

The page edits one question at a time, but every save is the whole form through
services.campaign_set_form, so `questionnaire.Form.from_json` judges the result exactly as it
judges an upload. Nothing here touches the database.
"""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from grids.campaigns.questionnaire import CHOICE_KINDS, MAX_CHOICES, NAME, YES_NO

# A choice line "value wording": the value is ASCII letters, digits, _ . or -, then a space.
CHOICE_LINE = re.compile(r"^(?P<value>[A-Za-z0-9_.-]{1,64})\s+(?P<label>\S.*)$")
RANGE_CHECK = re.compile(r"^\. >= (?P<min>-?\d+(?:\.\d+)?) and \. <= (?P<max>-?\d+(?:\.\d+)?)$")
MIN_CHECK = re.compile(r"^\. >= (?P<min>-?\d+(?:\.\d+)?)$")
MAX_CHECK = re.compile(r"^\. <= (?P<max>-?\d+(?:\.\d+)?)$")
LENGTH_CHECK = re.compile(r"^string-length\(\.\) <= (?P<length>\d+)$")
NUMBER_KINDS = ("integer", "decimal")
FINDING_KINDS = (*CHOICE_KINDS, "yes_no")


# ---------------------------------------------------------------- choices


def parse_choices(text: str) -> list[list[str]]:
    """The choices typed one per line: "value wording", or just the wording (its value is then
    the first unused number). ValidationError when a value repeats or there are too many."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) > MAX_CHOICES:
        raise ValidationError(_("At most %(count)d choices.") % {"count": MAX_CHOICES})
    parsed = []
    for line in lines:
        match = CHOICE_LINE.match(line)
        parsed.append((match["value"], match["label"].strip()) if match else (None, line[:200]))
    given = [value for value, _label in parsed if value]
    repeated = sorted({value for value in given if given.count(value) > 1})
    if repeated:
        raise ValidationError(_("The value “%(value)s” is given to two choices.") % {"value": repeated[0]})
    used, counter, choices = set(given), 0, []
    for value, label in parsed:
        if value is None:
            counter += 1
            while str(counter) in used:
                counter += 1
            value = str(counter)
            used.add(value)
        choices.append([value, label])
    return choices


def choices_text(choices) -> str:
    """The choices as the builder's text box shows them: every value written out."""
    return "\n".join(f"{value} {label}" for value, label in choices or [])


def _quoted(value: str) -> str:
    return f'"{value}"' if "'" in value else f"'{value}'"


# ---------------------------------------------------------------- conditions and checks


def picker_options(earlier: list[dict]) -> list[tuple[str, str]]:
    """The simple condition picker: each earlier question with each of its answers (a choice
    question) or "answered" (any other that takes an answer), as (expression, words)."""
    options = []
    for question in earlier:
        name, kind, label = question["name"], question["kind"], question["label"]
        if kind == "note":
            continue
        if kind in FINDING_KINDS:
            choices = YES_NO if kind == "yes_no" else question.get("choices") or []
            for value, choice in choices:
                if "'" in value and '"' in value:
                    continue
                if kind == "select_multiple":
                    expression = f"selected(${{{name}}}, {_quoted(value)})"
                else:
                    expression = f"${{{name}}} = {_quoted(value)}"
                options.append((expression, f"{label}：{choice}"))
        else:
            options.append((f"${{{name}}} != ''", _("%(question)s: answered") % {"question": label}))
    return options


def _unwrapped(expression: str) -> str:
    """An expression without the one pair of brackets around the whole of it, as an XLSForm's
    upload writes a single condition ("(${q} = 'y')"); the expression itself otherwise."""
    text = (expression or "").strip()
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth = 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and index < len(text) - 1:
            return text  # "(a) and (b)": the first bracket closes before the end
    return text[1:-1].strip()


def picked_condition(earlier: list[dict], relevant: str) -> str:
    """The picker's expression that is `relevant` (in brackets or not), "" when it is none of them."""
    options = dict(picker_options(earlier))
    for text in (relevant or "", _unwrapped(relevant)):
        if text and text in options:
            return text
    return ""


def _conjuncts(expression: str) -> list[str]:
    """The parts of "a and b and c" joined at the top level (outside brackets and quotes)."""
    parts, depth, quote, start = [], 0, "", 0
    text = _unwrapped(expression)
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif depth == 0 and text.startswith(" and ", index):
            parts.append(text[start:index])
            start = index + len(" and ")
    return [*parts, text[start:]]


def condition_words(earlier: list[dict], relevant: str) -> str:
    """A condition the picker can make, in its words ("是否使用燃气：是"), or several of them
    joined by "and" (an XLSForm's group condition with the question's own); "" for any other."""
    options = dict(picker_options(earlier))
    words = [options.get(picked_condition(earlier, part), "") for part in _conjuncts(relevant or "")]
    return _("; and ").join(words) if all(words) else ""


def range_check(minimum: Decimal | None, maximum: Decimal | None) -> str:
    parts = []
    if minimum is not None:
        parts.append(f". >= {_plain(minimum)}")
    if maximum is not None:
        parts.append(f". <= {_plain(maximum)}")
    return " and ".join(parts)


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


def length_check(length: int | None) -> str:
    return f"string-length(.) <= {length}" if length else ""


def split_check(kind: str, constraint: str) -> dict:
    """A stored check as the builder's fields: a range, a length, or the expression itself."""
    constraint = constraint or ""
    if kind in NUMBER_KINDS:
        for pattern in (RANGE_CHECK, MIN_CHECK, MAX_CHECK):
            match = pattern.match(constraint)
            if match:
                found = match.groupdict()
                return {
                    "minimum": Decimal(found["min"]) if found.get("min") else None,
                    "maximum": Decimal(found["max"]) if found.get("max") else None,
                }
    if kind == "text":
        match = LENGTH_CHECK.match(constraint)
        if match:
            return {"max_length": int(match["length"])}
    return {"constraint": constraint} if constraint else {}


def check_words(kind: str, constraint: str) -> str:
    """A simple check in words (a range, a length); "" for any other, shown as its expression."""
    parts = split_check(kind, constraint)
    if "max_length" in parts:
        return _("at most %(count)d characters") % {"count": parts["max_length"]}
    low, high = parts.get("minimum"), parts.get("maximum")
    if low is not None and high is not None:
        return _("from %(low)s to %(high)s") % {"low": _plain(low), "high": _plain(high)}
    if low is not None:
        return _("at least %(low)s") % {"low": _plain(low)}
    if high is not None:
        return _("at most %(high)s") % {"high": _plain(high)}
    return ""


# ---------------------------------------------------------------- one question


def question_initial(question: dict, earlier: list[dict]) -> dict:
    """The builder's fields for a stored question."""
    kind = question["kind"]
    relevant = question.get("relevant") or ""
    picked = picked_condition(earlier, relevant)
    initial = {
        "name": question["name"],
        "kind": kind,
        "label": question.get("label", ""),
        "hint": question.get("hint", ""),
        "required": bool(question.get("required")),
        "choices": choices_text(question.get("choices")),
        "relevant_pick": picked,
        "relevant": "" if picked else relevant,
        "constraint_message": question.get("constraint_message", ""),
        **split_check(kind, question.get("constraint") or ""),
    }
    words = dict(YES_NO if kind == "yes_no" else question.get("choices") or [])
    for index, finding in enumerate(question.get("findings") or []):
        initial[f"finding_{index}_when"] = words.get(finding.get("when"), finding.get("when", ""))
        initial[f"finding_{index}_category"] = finding.get("category", "")
        initial[f"finding_{index}_days"] = finding.get("follow_up_days")
    return initial


def unused_name(form: list[dict]) -> str:
    """A name for a question the organiser did not name: q1, q2, … (the first not taken)."""
    taken = {question["name"] for question in form}
    number = len(form) + 1
    while f"q{number}" in taken:
        number += 1
    return f"q{number}"


def check_name(name: str, others: list[dict]) -> None:
    if not NAME.match(name):
        raise ValidationError(_("Letters, digits and _ only, a letter first, 64 at most."))
    if name in {question["name"] for question in others}:
        raise ValidationError(_("Another question already has this name."))


def finding_when(value: str, choices) -> str | None:
    """The answer a finding row names: a choice's value or its wording."""
    value = (value or "").strip()
    for choice, label in choices:
        if value in (choice, label):
            return choice
    return None


# ---------------------------------------------------------------- the whole form


def _renamed(question: dict, old: str, new: str) -> dict:
    """A later question whose condition or check read the renamed one, reading the new name."""
    changed = dict(question)
    for key in ("relevant", "constraint"):
        text = changed.get(key) or ""
        if f"${{{old}}}" in text:
            changed[key] = text.replace(f"${{{old}}}", f"${{{new}}}")
            changed.pop(f"{key}_tree", None)
    return changed


def with_added(form: list[dict], question: dict) -> list[dict]:
    return [*form, question]


def with_replaced(form: list[dict], name: str, question: dict) -> list[dict]:
    """The form with question `name` replaced; later questions follow a change of its name."""
    index = position(form, name)
    later = form[index + 1 :]
    if question["name"] != name:
        later = [_renamed(other, name, question["name"]) for other in later]
    return [*form[:index], question, *later]


def with_moved(form: list[dict], name: str, step: int) -> list[dict]:
    """The form with question `name` one place up (step -1) or down (+1); at either end, as it was."""
    index = position(form, name)
    other = index + step
    if not 0 <= other < len(form):
        return list(form)
    moved = list(form)
    moved[index], moved[other] = moved[other], moved[index]
    return moved


def with_removed(form: list[dict], name: str) -> list[dict]:
    index = position(form, name)
    return [*form[:index], *form[index + 1 :]]


def position(form: list[dict], name: str) -> int:
    """Where question `name` is; ValueError when no question has that name."""
    for index, question in enumerate(form):
        if question.get("name") == name:
            return index
    raise ValueError(name)
