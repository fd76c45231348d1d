"""The one permission-matrix runner: (persona, method, url) -> status, for the API and the pages.

A matrix is a list of `Case`s. Each case names a method, a URL (a template filled from the
test's ids: "/api/v1/households/{hh_q1}/"), the payload, the record it acts on (built by the
test: "civil_submitted") and each persona's expected status. `matrix_params` turns the cases
into pytest parameters with readable ids, one per case (every persona in one test, each in a
rolled-back savepoint: the API matrices) or one per case and persona (the page matrices).
`run_matrix` sends the request as each persona and asserts the statuses and that nothing a
refused request (or any GET) touches has changed; `api_problems` and `page_problems` are the
checks every API and page answer must pass.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction

# The world's personas (tests/conftest.py `world`): its staff, and the one who is not logged
# in ("anon" in the API's matrices, "anonymous" in the pages').
STAFF_PERSONAS = (
    "grid1",
    "grid2",
    "helper",
    "cadre",
    "clerk",
    "supervisor",
    "other_cadre",
    "official",
    "leader",
    "other_official",
    "handler",
    "outsider",
    "admin",
)
API_PERSONAS = (*STAFF_PERSONAS, "anon")
PAGE_PERSONAS = ["anonymous", *STAFF_PERSONAS]


def api_expect(default: int, **overrides) -> dict[str, int]:
    """Every API persona `default`, anonymous 401, then `overrides`."""
    statuses = dict.fromkeys(API_PERSONAS, default)
    statuses["anon"] = 401
    statuses.update(overrides)
    return statuses


@dataclass(frozen=True)
class Case:
    method: str
    url: str
    expected: Mapping[str, int] = field(repr=False)
    data: Any = None
    # The record the request acts on, built by the test (a matter's state, a page's object).
    on: str | None = None
    # What sets this row apart from a neighbour with the same URL ("bad payload").
    note: str = ""

    @property
    def id(self) -> str:
        words = [self.method, self.url]
        if self.on:
            words.append(f"on {self.on}")
        if self.note:
            words.append(f"({self.note})")
        return " ".join(words)

    def resolve(self, ids: Mapping[str, Any]) -> tuple[str, Any]:
        """The URL and payload with every `{name}` replaced from `ids`."""
        return self.url.format(**ids), fill(self.data, ids)


def fill(value, ids: Mapping[str, Any]):
    """A payload with each string "{name}" (a whole value) replaced by ids[name]."""
    if isinstance(value, dict):
        return {key: fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, ids) for item in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


def statuses(personas: Iterable[str], default: int, *, sees=None, unseen: int = 404, **overrides) -> dict[str, int]:
    """Each persona's status: `default` for those in `sees` (all when None), `unseen` for the
    rest, then `overrides` (the anonymous visitor's 401 or 302 among them)."""
    personas = list(personas)
    seen = set(personas if sees is None else sees)
    row = {p: (default if p in seen else unseen) for p in personas}
    row.update(overrides)
    return row


def matrix_params(cases: Iterable[Case], *, per_persona: bool = False) -> list:
    """pytest parameters: `case` (one test per case), or `case, persona` (one per persona)."""
    cases = list(cases)
    ids = [case.id for case in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"two cases with one id (add a note): {sorted(duplicates)}"
    if not per_persona:
        return [pytest.param(case, id=case.id) for case in cases]
    return [pytest.param(case, persona, id=f"{persona}-{case.id}") for case in cases for persona in case.expected]


def run_matrix(
    case: Case,
    *,
    personas: Iterable[str],
    login: Callable[[str], None],
    send: Callable[[], Any],
    snapshot: Callable[[], Any] | None = None,
    writes_nothing: bool = False,
    checks: Iterable[Callable[[str, Any], list[str]]] = (),
) -> dict[str, Any]:
    """Send `case` as each persona, each in a savepoint rolled back afterwards so every persona
    starts from the same database; assert the statuses and that no check found a problem.

    `login(persona)` authenticates the client, `send()` makes the request, `snapshot()` returns
    what a refused request or a GET (any request, with `writes_nothing`) must leave untouched,
    and each check `(persona, response)` returns its problems. Returns the responses by persona.
    """
    personas = list(personas)
    got, problems, responses = {}, [], {}
    for persona in personas:
        with transaction.atomic():
            login(persona)
            before = snapshot() if snapshot else None
            response = send()
            responses[persona] = response
            got[persona] = response.status_code
            for check in checks:
                problems += [f"{persona}: {problem}" for problem in check(persona, response)]
            refused = response.status_code >= 400
            if snapshot and (refused or writes_nothing or case.method == "GET") and snapshot() != before:
                problems.append(f"{persona}: {'a refused ' if refused else 'a '}{case.method} changed the database")
            transaction.set_rollback(True)
    expected = {persona: case.expected[persona] for persona in personas}
    wrong = [f"{p}: {got[p]}, expected {expected[p]}" for p in personas if got[p] != expected[p]]
    assert got == expected, f"{case.id}\n" + "\n".join(wrong)
    assert problems == []
    return responses


def api_problems(persona: str, response) -> list[str]:
    """An API refusal has the body {detail, code}; anonymous is not_authenticated."""
    problems = []
    body = response.json()
    if response.status_code in (401, 403, 404, 409) and set(body) != {"detail", "code"}:
        problems.append(f"error body {body}")
    if persona == "anon" and response.status_code == 401 and body.get("code") != "not_authenticated":
        problems.append(f"anonymous got {body}")
    return problems


def page_problems(persona: str, response, *, forbidden_templates=("403.html",)) -> list[str]:
    """A page refusal renders 403.html (or one of `forbidden_templates`) or 404.html; a
    redirect goes to the login page."""
    status = response.status_code
    templates = {t.name for t in response.templates}
    # The other redirects by design: a shop clerk's home is the counter, a township
    # administrator's the hub (governance.homes).
    if status == 302 and not response["Location"].startswith(("/accounts/login/?next=", "/points/shop/", "/manage/")):
        return [f"sent to {response['Location']}, not the login page"]
    if status == 403 and not templates & set(forbidden_templates):
        return [f"403 without {' or '.join(forbidden_templates)}: {response.content[:300]!r}"]
    if status == 404 and "404.html" not in templates:
        return [f"404 without 404.html: {response.content[:300]!r}"]
    return []


def api_send(client, method: str, url: str, data):
    return lambda: getattr(client, method.lower())(url, data, format="json")


def api_login(client, users, anonymous: str = "anon"):
    return lambda persona: client.force_authenticate(None if persona == anonymous else getattr(users, persona))


def page_send(client, method: str, url: str, data=None):
    """A page request; a POST sends `data` as a form (empty: the form comes back with its errors)."""
    return lambda: client.get(url) if method == "GET" else client.post(url, data or {})


def page_login(client, users, anonymous: str = "anonymous"):
    def login(persona):
        client.logout()
        if persona != anonymous:
            client.force_login(getattr(users, persona))

    return login
