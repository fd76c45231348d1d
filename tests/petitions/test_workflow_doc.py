"""docs/workflow.md is the transition table's own description, never a stale copy."""

from petitions.management.commands.workflow_doc import DOC
from petitions.workflow import TRANSITIONS
from petitions.workflow_doc import markdown, who


def test_the_reference_page_is_current():
    assert DOC.read_text(encoding="utf-8") == markdown(), "run: python manage.py workflow_doc"


def test_every_action_says_who_may_take_it():
    for action, t in TRANSITIONS.items():
        assert who(t), f"{action}: its predicate needs a docstring (the reference page's 'who may')"
