"""A campaign's form (问卷): its questions, the conditions that show them, and the answers' checks.

A form is a list of questions kept as JSON on the campaign (`Form.to_json()`), read back with
`Form.from_json()`, which checks it as thoroughly as an upload: a form that loads is a form that
can be filled. Conditions use the XLSForm expression language that ODK, KoboToolbox and CommCare
read, in the subset a door-to-door form needs:

    ${gas} = 'yes'   ${age} >= 70 and ${lives_alone} = 'yes'   selected(${risks}, 'pipe')
    not(${a} = '')   . >= 0 and . <= 120   string-length(.) <= 200

They are parsed once into a small tree (lists, kept in the JSON beside the text) that both this
module and the offline page's script evaluate; nothing is ever passed to `eval`.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

KINDS = (
    "text",
    "integer",
    "decimal",
    "select_one",
    "select_multiple",
    "yes_no",
    "date",
    "geopoint",
    "photo",
    "note",
)
CHOICE_KINDS = ("select_one", "select_multiple")
YES_NO = (("yes", "是"), ("no", "否"))

MAX_QUESTIONS = 200
MAX_CHOICES = 100
MAX_TEXT = 2000
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def kind_labels() -> dict[str, str]:
    """The kinds as a builder page and an error name them."""
    return {
        "text": _("written answer"),
        "integer": _("whole number"),
        "decimal": _("number"),
        "select_one": _("one choice"),
        "select_multiple": _("several choices"),
        "yes_no": _("yes or no"),
        "date": _("date"),
        "geopoint": _("location"),
        "photo": _("photo"),
        "note": _("note (no answer)"),
    }


# ---------------------------------------------------------------------------------------------
# Expressions


class ExpressionError(ValueError):
    """An expression that cannot be read; the message says where."""


_TOKEN = re.compile(
    r"\s*(?:(?P<ref>\$\{[A-Za-z_][A-Za-z0-9_]*\})|(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'[^']*'|\"[^\"]*\")"
    r"|(?P<op>!=|>=|<=|=|>|<)|(?P<punct>[(),])|(?P<word>string-length|[A-Za-z_][A-Za-z0-9_-]*)|(?P<dot>\.))"
)


# The parser and `evaluate` recurse once per bracket: a form's conditions nest a few deep, and a
# bound keeps "((((…" (typed or uploaded) from exhausting Python's stack.
MAX_NESTING = 20


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position, depth = [], 0, 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionError(_("cannot read the expression at “%(rest)s”") % {"rest": text[position:][:20]})
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
        if tokens[-1] == ("punct", "("):
            depth += 1
            if depth > MAX_NESTING:
                raise ExpressionError(_("brackets nested more than %(count)d deep") % {"count": MAX_NESTING})
        elif tokens[-1] == ("punct", ")"):
            depth -= 1
    return tokens


class _Parser:
    """Recursive descent over: or → and ('or' and)*, and → unary ('and' unary)*,
    unary → 'not' '(' or ')' | '(' or ')' | 'selected' '(' ref ',' string ')' | operand op operand."""

    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.at = 0

    def parse(self):
        if not self.tokens:
            raise ExpressionError(_("the expression is empty"))
        tree = self._or()
        if self.at != len(self.tokens):
            raise ExpressionError(_("unexpected “%(token)s”") % {"token": self.tokens[self.at][1]})
        return tree

    def _peek(self, value=None, kind=None):
        if self.at >= len(self.tokens):
            return False
        token_kind, token = self.tokens[self.at]
        return (value is None or token == value) and (kind is None or token_kind == kind)

    def _take(self, value=None, kind=None) -> str:
        if not self._peek(value, kind):
            found = self.tokens[self.at][1] if self.at < len(self.tokens) else _("the end")
            raise ExpressionError(_("expected “%(want)s”, found “%(found)s”") % {"want": value or kind, "found": found})
        self.at += 1
        return self.tokens[self.at - 1][1]

    def _or(self):
        parts = [self._and()]
        while self._peek("or", "word"):
            self.at += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else ["or", *parts]

    def _and(self):
        parts = [self._unary()]
        while self._peek("and", "word"):
            self.at += 1
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else ["and", *parts]

    def _unary(self):
        if self._peek("not", "word"):
            self.at += 1
            self._take("(")
            inner = self._or()
            self._take(")")
            return ["not", inner]
        if self._peek("("):
            self.at += 1
            inner = self._or()
            self._take(")")
            return inner
        if self._peek("selected", "word"):
            self.at += 1
            self._take("(")
            ref = self._operand()
            if ref[0] not in ("ref", "self"):
                raise ExpressionError(_("selected() asks about a question: ${name}"))
            self._take(",")
            value = self._operand()
            if value[0] != "lit":
                raise ExpressionError(_("selected() compares with a choice in quotes"))
            self._take(")")
            return ["selected", ref, str(value[1])]
        left = self._operand()
        if not self._peek(kind="op"):
            raise ExpressionError(_("expected a comparison (=, !=, >, <, >=, <=)"))
        op = self._take(kind="op")
        return ["cmp", op, left, self._operand()]

    def _operand(self):
        if self._peek(kind="ref"):
            return ["ref", self._take(kind="ref")[2:-1]]
        if self._peek(kind="dot"):
            self.at += 1
            return ["self"]
        if self._peek(kind="num"):
            return ["lit", self._take(kind="num")]
        if self._peek(kind="str"):
            return ["lit", self._take(kind="str")[1:-1]]
        if self._peek("string-length", "word"):
            self.at += 1
            self._take("(")
            inner = self._operand()
            self._take(")")
            return ["len", inner]
        if self._peek("true", "word") or self._peek("false", "word"):
            word = self._take(kind="word")
            self._take("(")
            self._take(")")
            return ["lit", "yes" if word == "true" else "no"]
        found = self.tokens[self.at][1] if self.at < len(self.tokens) else _("the end")
        raise ExpressionError(_("expected a question, a value or “.”, found “%(found)s”") % {"found": found})


def parse_expression(text: str) -> list:
    """The tree of an expression; ExpressionError with a readable message when it is not one."""
    return _Parser(text).parse()


def references(tree) -> set[str]:
    """The question names an expression reads."""
    if not isinstance(tree, list):
        return set()
    if tree[0] == "ref":
        return {tree[1]}
    found = set()
    for part in tree[1:]:
        found |= references(part)
    return found


def _number(value):
    if isinstance(value, bool) or value in (None, "") or isinstance(value, list):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _value(operand, answers: dict, current):
    kind = operand[0]
    if kind == "lit":
        return operand[1]
    if kind == "self":
        return current
    if kind == "ref":
        return answers.get(operand[1])
    value = _value(operand[1], answers, current)  # "len"
    return len(value) if isinstance(value, str | list) else 0


_COMPARE = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}


def evaluate(tree, answers: dict, current=None) -> bool:
    """Whether the expression holds for these answers (`current`: the answer `.` names).

    As in XLSForm, an unanswered question reads as the empty string, two values that both read
    as numbers compare as numbers, and anything else as text."""
    head = tree[0]
    if head == "or":
        return any(evaluate(part, answers, current) for part in tree[1:])
    if head == "and":
        return all(evaluate(part, answers, current) for part in tree[1:])
    if head == "not":
        return not evaluate(tree[1], answers, current)
    if head == "selected":
        value = _value(tree[1], answers, current)
        return tree[2] in value if isinstance(value, list) else value == tree[2]
    left, right = _value(tree[2], answers, current), _value(tree[3], answers, current)
    left_number, right_number = _number(left), _number(right)
    if left_number is not None and right_number is not None:
        return _COMPARE[tree[1]](left_number, right_number)
    left_text = " ".join(left) if isinstance(left, list) else ("" if left is None else str(left))
    right_text = "" if right is None else str(right)
    if tree[1] in ("=", "!="):
        return _COMPARE[tree[1]](left_text, right_text)
    return False  # an order between texts (or a blank) is never true: nothing to compare yet


# ---------------------------------------------------------------------------------------------
# Questions and forms


@dataclass(frozen=True)
class Finding:
    """What an answer leads to: a matter of a category (its code), a follow-up task after some
    days, or both."""

    when: str
    category: str = ""
    follow_up_days: int | None = None

    def to_json(self) -> dict:
        return {"when": self.when, "category": self.category, "follow_up_days": self.follow_up_days}


@dataclass(frozen=True)
class Question:
    name: str
    kind: str
    label: str
    hint: str = ""
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    relevant: str = ""
    constraint: str = ""
    constraint_message: str = ""
    findings: tuple[Finding, ...] = ()
    relevant_tree: list | None = field(default=None, compare=False)
    constraint_tree: list | None = field(default=None, compare=False)

    @property
    def answerable(self) -> bool:
        return self.kind != "note"

    def all_choices(self) -> tuple[tuple[str, str], ...]:
        return YES_NO if self.kind == "yes_no" else self.choices

    def choice_label(self, value: str) -> str:
        return dict(self.all_choices()).get(value, value)

    def to_json(self) -> dict:
        data = {"name": self.name, "kind": self.kind, "label": self.label}
        if self.hint:
            data["hint"] = self.hint
        if self.required:
            data["required"] = True
        if self.choices:
            data["choices"] = [[value, label] for value, label in self.choices]
        if self.relevant:
            data["relevant"], data["relevant_tree"] = self.relevant, self.relevant_tree
        if self.constraint:
            data["constraint"], data["constraint_tree"] = self.constraint, self.constraint_tree
            if self.constraint_message:
                data["constraint_message"] = self.constraint_message
        if self.findings:
            data["findings"] = [finding.to_json() for finding in self.findings]
        return data


def _text(value, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _question(data: dict, seen: dict[str, "Question"], where: str) -> Question:
    """One question from its JSON (or an uploaded row), checked against those before it."""
    if not isinstance(data, dict):
        raise ValidationError(_("%(where)s: not a question") % {"where": where})
    name, kind = _text(data.get("name"), 100), _text(data.get("kind"), 40)
    if not NAME.match(name):
        raise ValidationError(
            _("%(where)s: the name “%(name)s” must be letters, digits and _ (a letter first, 64 at most)")
            % {"where": where, "name": name}
        )
    if name in seen:
        raise ValidationError(_("%(where)s: the name “%(name)s” is used twice") % {"where": where, "name": name})
    if kind not in KINDS:
        raise ValidationError(_("%(where)s: unknown question kind “%(kind)s”") % {"where": where, "kind": kind})
    label = _text(data.get("label"), 500)
    if not label:
        raise ValidationError(_("%(where)s: the question has no wording") % {"where": where})
    choices = _choices(data.get("choices") or [], kind, where)
    relevant, relevant_tree = _condition(data.get("relevant"), seen, where, _("the condition"))
    constraint, constraint_tree = _condition(data.get("constraint"), seen, where, _("the check"))
    if constraint and kind in ("note", "photo", "geopoint"):
        raise ValidationError(_("%(where)s: this kind of question takes no check") % {"where": where})
    question = Question(
        name=name,
        kind=kind,
        label=label,
        hint=_text(data.get("hint"), 500),
        required=bool(data.get("required")) and kind != "note",
        choices=choices,
        relevant=relevant,
        constraint=constraint,
        constraint_message=_text(data.get("constraint_message"), 200),
        relevant_tree=relevant_tree,
        constraint_tree=constraint_tree,
    )
    return _with_findings(question, data.get("findings") or [], where)


def _choices(raw, kind: str, where: str) -> tuple[tuple[str, str], ...]:
    if kind not in CHOICE_KINDS:
        return ()
    if not isinstance(raw, list) or not raw:
        raise ValidationError(_("%(where)s: a choice question needs its choices") % {"where": where})
    if len(raw) > MAX_CHOICES:
        raise ValidationError(_("%(where)s: at most %(count)d choices") % {"where": where, "count": MAX_CHOICES})
    choices = []
    for item in raw:
        value, label = (item[0], item[1]) if isinstance(item, list | tuple) and len(item) == 2 else (None, None)
        value, label = _text(value, 64), _text(label, 200)
        if not value or " " in value or not label:
            raise ValidationError(
                _("%(where)s: every choice needs a value without spaces and a wording") % {"where": where}
            )
        if value in dict(choices):
            raise ValidationError(
                _("%(where)s: the choice “%(value)s” is listed twice") % {"where": where, "value": value}
            )
        choices.append((value, label))
    return tuple(choices)


def _condition(text, seen: dict, where: str, what: str) -> tuple[str, list | None]:
    text = _text(text, 500)
    if not text:
        return "", None
    try:
        tree = parse_expression(text)
    except ExpressionError as error:
        raise ValidationError(
            _("%(where)s: %(what)s cannot be read: %(error)s") % {"where": where, "what": what, "error": error}
        )
    unknown = sorted(references(tree) - set(seen))
    if unknown:
        raise ValidationError(
            _("%(where)s: %(what)s names “%(name)s”, which is not an earlier question")
            % {"where": where, "what": what, "name": unknown[0]}
        )
    return text, tree


def _with_findings(question: Question, raw, where: str) -> Question:
    if not raw:
        return question
    if not isinstance(raw, list):
        raise ValidationError(_("%(where)s: findings must be a list") % {"where": where})
    if question.kind not in (*CHOICE_KINDS, "yes_no"):
        raise ValidationError(
            _("%(where)s: only a choice or yes/no question can raise a matter or a follow-up") % {"where": where}
        )
    findings = []
    for item in raw:
        item = item if isinstance(item, dict) else {}
        when = _text(item.get("when"), 64)
        if when not in dict(question.all_choices()):
            raise ValidationError(
                _("%(where)s: “%(value)s” is not one of the question's choices") % {"where": where, "value": when}
            )
        category = _text(item.get("category"), 40)
        days = item.get("follow_up_days")
        if days in (None, ""):
            days = None
        else:
            try:
                days = int(days)
            except (TypeError, ValueError):
                days = -1
            if not 1 <= days <= 365:
                raise ValidationError(_("%(where)s: a follow-up comes 1 to 365 days later") % {"where": where})
        if not category and days is None:
            raise ValidationError(_("%(where)s: a finding raises a matter, a follow-up, or both") % {"where": where})
        findings.append(Finding(when=when, category=category, follow_up_days=days))
    return Question(**{**question.__dict__, "findings": tuple(findings)})


@dataclass(frozen=True)
class Form:
    questions: tuple[Question, ...]

    @classmethod
    def from_json(cls, data) -> "Form":
        """The form these questions make; ValidationError (the first problem, with its question's
        number) when they do not make one."""
        if not isinstance(data, list) or not data:
            raise ValidationError(_("A form needs at least one question."))
        if len(data) > MAX_QUESTIONS:
            raise ValidationError(_("A form has at most %(count)d questions.") % {"count": MAX_QUESTIONS})
        seen: dict[str, Question] = {}
        for number, item in enumerate(data, start=1):
            question = _question(item, seen, _("Question %(number)d") % {"number": number})
            seen[question.name] = question
        if not any(question.answerable for question in seen.values()):
            raise ValidationError(_("A form needs at least one question that takes an answer."))
        return cls(questions=tuple(seen.values()))

    def to_json(self) -> list:
        return [question.to_json() for question in self.questions]

    def __getitem__(self, name: str) -> Question:
        return next(question for question in self.questions if question.name == name)

    def category_codes(self) -> set[str]:
        return {finding.category for q in self.questions for finding in q.findings if finding.category}

    def clean(self, raw: dict) -> dict:
        """The answers as they are kept: each converted to its kind, questions whose condition
        does not hold dropped, required and checked ones enforced. ValidationError names every
        question whose answer is wrong (its name is the field)."""
        if not isinstance(raw, dict):
            raise ValidationError({"answers": _("The answers must be an object of question names.")})
        unknown = sorted(set(raw) - {q.name for q in self.questions if q.answerable})
        if unknown:
            raise ValidationError({"answers": _("No question is named “%(name)s”.") % {"name": unknown[0]}})
        answers, errors = {}, {}
        for question in self.questions:
            if not question.answerable:
                continue
            if question.relevant_tree and not evaluate(question.relevant_tree, answers):
                continue
            try:
                value = _convert(question, raw.get(question.name))
            except ValidationError as error:
                errors[question.name] = error.messages[0]
                continue
            if value is None:
                if question.required:
                    errors[question.name] = _("This question must be answered.")
                continue
            if question.constraint_tree and not evaluate(question.constraint_tree, answers, value):
                errors[question.name] = question.constraint_message or _("This answer is outside what is allowed.")
                continue
            answers[question.name] = value
        if errors:
            raise ValidationError(errors)
        return answers

    def findings_in(self, answers: dict) -> list[tuple[Question, Finding]]:
        """The findings these (clean) answers call for, in the form's order."""
        found = []
        for question in self.questions:
            value = answers.get(question.name)
            for finding in question.findings:
                if value == finding.when or (isinstance(value, list) and finding.when in value):
                    found.append((question, finding))
        return found

    def display(self, question: Question, value) -> str:
        """An answer as a person reads it (choices by their wording, in the form's language)."""
        if value is None:
            return ""
        if isinstance(value, list):
            return "、".join(question.choice_label(item) for item in value)
        if question.kind in (*CHOICE_KINDS, "yes_no"):
            return question.choice_label(value)
        return str(value)


def _blank(value) -> bool:
    return value is None or value == "" or value == []


def _convert(question: Question, value):
    """One raw answer (from a form post or the phone's JSON) as its kind keeps it, None when blank."""
    if _blank(value):
        return None
    return _CONVERTERS[question.kind](question, value)


def _as_text(question: Question, value):
    if isinstance(value, list | dict):  # kept as its Python repr ("[{'a': 1}]") otherwise
        raise ValidationError(_("Write the answer as text."))
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise ValidationError(_("At most %(count)d characters.") % {"count": MAX_TEXT})
    return text or None


def _as_number(question: Question, value):
    number = _number(value)
    if number is None or not number.is_finite() or abs(number) >= 10**9:
        raise ValidationError(_("Enter a number."))
    if question.kind == "integer":
        if number != number.to_integral_value():
            raise ValidationError(_("Enter a whole number."))
        return int(number)
    return str(number.quantize(Decimal("0.01")) if number.as_tuple().exponent < -2 else number)


def _as_choice(question: Question, value):
    if str(value) not in dict(question.all_choices()):
        raise ValidationError(_("Choose one of the choices."))
    return str(value)


def _as_choices(question: Question, value):
    values = value.split() if isinstance(value, str) else value
    if not isinstance(values, list) or any(str(item) not in dict(question.choices) for item in values):
        raise ValidationError(_("Choose among the choices."))
    chosen = {str(item) for item in values}
    return [choice for choice, _label in question.choices if choice in chosen]


def _as_date(question: Question, value):
    try:
        return datetime.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValidationError(_("Enter a date as YYYY-MM-DD."))


def _as_photo(question: Question, value):
    """The token the phone was given when it uploaded the photo."""
    token = str(value)
    if not re.fullmatch(r"[0-9a-f]{24}", token):
        raise ValidationError(_("The photo did not arrive; take it again."))
    return token


def _as_geopoint(question: Question, value) -> str:
    """ "latitude longitude" (ODK's geopoint; an altitude and accuracy after them are dropped)
    or a list of the two numbers."""
    parts = value.split() if isinstance(value, str) else value
    if not isinstance(parts, list) or len(parts) < 2 or any(isinstance(p, bool) for p in parts[:2]):
        raise ValidationError(_("Not a valid location."))
    try:
        latitude, longitude = Decimal(str(parts[0])), Decimal(str(parts[1]))
    except InvalidOperation:
        raise ValidationError(_("Not a valid location."))
    if not (latitude.is_finite() and longitude.is_finite()):
        raise ValidationError(_("Not a valid location."))
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValidationError(_("Not a valid location."))
    q = Decimal("0.000001")
    return f"{latitude.quantize(q)} {longitude.quantize(q)}"


_CONVERTERS = {
    "text": _as_text,
    "integer": _as_number,
    "decimal": _as_number,
    "select_one": _as_choice,
    "yes_no": _as_choice,
    "select_multiple": _as_choices,
    "date": _as_date,
    "geopoint": _as_geopoint,
    "photo": _as_photo,
}
