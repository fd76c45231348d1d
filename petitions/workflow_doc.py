"""The workflow's reference page (docs/workflow.md), written from the transition table.

The state table in the design document was written by hand before the table existed; this
page is its current form, generated, so it cannot fall behind: `manage.py workflow_doc`
rewrites it and tests/petitions/test_workflow_doc.py fails when it is stale. Who may take an
action is the first line of its predicate's docstring; what follows it, the target's.
"""

from django.utils import translation

from petitions.models import State
from petitions.workflow import TRANSITIONS, Transition, input_fields

HEADER = """# The matter workflow (提分议办督评)

Generated from `petitions/workflow.py` by `python manage.py workflow_doc`; do not edit by hand
(tests/petitions/test_workflow_doc.py checks that it is current). It is the current form of the
state table in the design document.
"""


def _first_line(function) -> str:
    doc = (function.__doc__ or "").strip()
    return doc.splitlines()[0].strip() if doc else ""


def who(t: Transition) -> str:
    if t.system:
        return "the deadline sweep (system)"
    people = _first_line(t.allows).rstrip(".")
    return f"{people}; or the submitter, by tracking code" if t.public else people


def leads_to(t: Transition) -> str:
    if t.target is None:
        return "(unchanged)"
    if callable(t.target):
        return _first_line(t.target)
    return f"`{t.target}`"


def _input(t: Transition) -> str:
    if not t.input:
        return ""
    return ", ".join(input_fields(t.action))


def _state_rows() -> list[str]:
    rows = ["| state | label | actions that start from it |", "|---|---|---|"]
    for state in State:
        actions = [f"`{a}`" for a, t in TRANSITIONS.items() if state.value in t.sources and not t.system]
        sweep = [f"`{a}`" for a, t in TRANSITIONS.items() if state.value in t.sources and t.system]
        cell = ", ".join(actions) or "terminal"
        if sweep:
            cell += f"; sweep: {', '.join(sweep)}"
        rows.append(f"| `{state.value}` | {state.label} | {cell} |")
    return rows


def _action_rows() -> list[str]:
    rows = [
        "| action | from | to | who may | input | API | page |",
        "|---|---|---|---|---|---|---|",
    ]
    for action, t in TRANSITIONS.items():
        sources = ", ".join(f"`{s}`" for s in State.values if s in t.sources)
        when = f" (if {_first_line(t.when)})" if t.when else ""
        api = f"`POST /api/v1/matters/{{id}}/{action}/`" if t.input else ""
        if t.public:
            api += f"; `POST /api/v1/public/matters/{{code}}/{action}/`"
        page = "panel" if t.form and t.offered else ("form" if t.form else "")
        rows.append(f"| `{action}` | {sources}{when} | {leads_to(t)} | {who(t)} | {_input(t)} | {api} | {page} |")
    return rows


def markdown() -> str:
    with translation.override("en"):
        parts = [HEADER, "## States", "", *_state_rows(), "", "## Actions", "", *_action_rows(), ""]
        return "\n".join(parts)
