"""Lower never imports higher (STYLE.md, Layers).

- governance's core modules import nothing of grids, petitions or points but `grids.models`
  (the places assignments point at); only its project files (settings, URL conf, Celery app,
  the home pages, the bench and demo commands) import every app;
- grids (places and the register) imports neither petitions nor points, nor its own sub-app
  grids.visits (it announces changes through grids.signals; only grids/urls.py lists the visit
  pages in the grids: namespace); grids.visits may raise
  a matter (`petitions.services`, and `petitions.models` for the matter it links and its
  source), nothing else of petitions; grids.campaigns (专项排查) sits above visits: it may
  use visits and raise matters the same way, and nothing below it imports it;
- petitions does not import points;
- governance.civic (三治: councils, teams, mediation, selections, activities) is the layer above
  every app: it raises matters, rates pledges and proposes points. Nothing else imports it
  but the project files (URL confs, demo, the public board that composes every app).

Every import counts, including those inside functions. Where a page or an event spans apps,
the higher app plugs itself in (governance.nav, scoping.register_department_rule, signals).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("governance", "grids", "petitions", "points")

GOVERNANCE_PROJECT_FILES = {
    "governance/settings.py",
    "governance/urls.py",
    "governance/api_urls.py",
    "governance/page_urls.py",
    "governance/celery.py",
    "governance/wsgi.py",
    "governance/views.py",
    "governance/reports.py",
    "governance/report_views.py",
    "governance/management/commands/prepare_monthly_reports.py",
    "governance/job_kinds.py",
    "governance/dashboards.py",
    "governance/tallies.py",
    "governance/homes.py",
    "governance/public_board.py",
    "governance/management/commands/bench.py",
    "governance/management/commands/bench_http.py",
    "governance/bench_settings.py",
    "governance/bench_urls.py",
    "governance/management/commands/bench_import_job.py",
    "governance/management/commands/bench_campaigns.py",
    "governance/management/commands/generate_scale.py",
    "governance/management/commands/seed_demo.py",
    "governance/demo.py",
}

# Today's violations, which the refactoring of issue 12 removes: (file, imported module).
# A fixed violation must leave this set (the test says so).
KNOWN: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(source: str, module_of_file: str, is_package: bool = False):
    """(line, module) for every import in the source, at any depth; `from a import b` is `a.b`."""
    package = module_of_file.split(".") if is_package else module_of_file.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *([node.module] if node.module else [])])
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def _under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _broken_rule(file: str, module_of_file: str, imported: str) -> str | None:
    app = file.split("/")[0]
    if _under(imported, "governance.civic") and not _under(module_of_file, "governance.civic"):
        if file in GOVERNANCE_PROJECT_FILES:
            return None
        return "only the project files know governance.civic, the layer above every app"
    if app == "governance":
        if _under(module_of_file, "governance.civic"):
            return None
        if file in GOVERNANCE_PROJECT_FILES or _under(imported, "grids.models"):
            return None
        if _under(imported, "grids", "petitions", "points"):
            return "governance's core imports only grids.models of the apps"
    elif app == "grids":
        field_work = _under(module_of_file, "grids.visits", "grids.campaigns")
        if field_work and _under(imported, "petitions.services", "petitions.models"):
            return None
        if _under(imported, "grids.campaigns") and not _under(module_of_file, "grids.campaigns"):
            if file == "grids/urls.py" and _under(imported, "grids.campaigns.urls"):
                return None
            return "places, the register and visits do not know campaigns (campaigns plug in)"
        if not field_work and _under(imported, "grids.visits"):
            # The URL conf lists the visit pages in the grids: namespace they have always had.
            if file == "grids/urls.py" and _under(imported, "grids.visits.urls"):
                return None
            return "places and the register do not know visits (grids.signals tells them)"
        if _under(imported, "petitions", "points"):
            return "grids imports neither petitions nor points"
    elif app == "petitions" and _under(imported, "points"):
        return "petitions does not import points"
    return None


def _violations() -> dict[tuple[str, str], list[str]]:
    """(file, app.module) -> the offending lines, for every import that breaks a rule."""
    found: dict[tuple[str, str], list[str]] = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            file = path.relative_to(ROOT).as_posix()
            module_of_file = _module_name(path)
            source = path.read_text(encoding="utf-8")
            for line, imported in _imports(source, module_of_file, path.name == "__init__.py"):
                rule = _broken_rule(file, module_of_file, imported)
                if rule:
                    key = (file, ".".join(imported.split(".")[:2]))
                    found.setdefault(key, []).append(f"{file}:{line} imports {imported}: {rule}")
    return found


def test_layers_hold():
    found = _violations()
    new = [line for key, lines in sorted(found.items()) if key not in KNOWN for line in lines]
    assert not new, "Lower layers import higher ones:\n" + "\n".join(new)


def test_known_violations_still_exist():
    gone = sorted(KNOWN - set(_violations()))
    assert not gone, "Fixed, remove from KNOWN in tests/test_layers.py:\n" + "\n".join(f"{f} -> {m}" for f, m in gone)


def test_the_walk_sees_every_kind_of_import():
    source = (
        "from . import models\n"
        "def f():\n"
        "    from points.selectors import awards_waiting_for\n"
        "    import petitions.models\n"
        "    from ..petitions import services\n"
    )
    assert list(_imports(source, "grids.visits.services")) == [
        (1, "grids.visits.models"),
        (3, "points.selectors.awards_waiting_for"),
        (4, "petitions.models"),
        (5, "grids.petitions.services"),
    ]


def test_the_rules():
    assert _broken_rule("grids/x.py", "grids.x", "points.selectors.awards_waiting_for")
    assert _broken_rule("grids/visits/services.py", "grids.visits.services", "petitions.services.matter_create") is None
    assert _broken_rule("grids/visits/services.py", "grids.visits.services", "petitions.models.Source") is None
    assert _broken_rule("grids/visits/views.py", "grids.visits.views", "petitions.selectors.matters_visible_to")
    assert _broken_rule("grids/services.py", "grids.services", "petitions.services.matter_create")
    assert _broken_rule("grids/services.py", "grids.services", "grids.visits.services.households_refresh_visit_due")
    assert _broken_rule("grids/urls.py", "grids.urls", "grids.visits.urls.urlpatterns") is None
    assert _broken_rule("grids/campaigns/services.py", "grids.campaigns.services", "grids.visits.models.Visit") is None
    assert _broken_rule("grids/campaigns/services.py", "grids.campaigns.services", "petitions.services.x") is None
    assert _broken_rule("grids/campaigns/views.py", "grids.campaigns.views", "points.services.x")
    assert _broken_rule("grids/visits/views.py", "grids.visits.views", "grids.campaigns.selectors.x")
    assert _broken_rule("governance/scoping.py", "governance.scoping", "grids.models.Household") is None
    assert _broken_rule("governance/scoping.py", "governance.scoping", "grids.selectors.households_visible_to")
    assert _broken_rule("governance/views.py", "governance.views", "petitions.views") is None
    assert _broken_rule("petitions/views.py", "petitions.views", "points.policy.PROPOSER_ROLES")
    assert _broken_rule("points/views.py", "points.views", "petitions.models.Matter") is None
    assert _broken_rule("governance/civic/services.py", "governance.civic.services", "points.services.x") is None
    assert _broken_rule("points/views.py", "points.views", "governance.civic.models.Selection")
    assert _broken_rule("governance/api_urls.py", "governance.api_urls", "governance.civic.api") is None


# ---------------------------------------------------------------- where the apps plug in

NAV_KEYS = {
    "unread",
    "sees_campaigns",
    "is_township",
    "is_village",
    "is_grid",
    "sees_affairs",
    "can_edit_register",
    "can_import_register",
    "sees_households",
    "visits",
    "visit_log",
    "keeps_places",
    "sees_matters",
    "matters_waiting",
    "sees_compact",
    "sees_points",
    "points_waiting",
    "sees_pledges",
    "sees_civic",
    "sees_catalogues",
    "assigns",
    "manages",
}


@pytest.mark.parametrize("persona", ["cadre", "grid1", "clerk", "handler", "admin"])
def test_every_app_plugs_its_entries_into_the_navigation(world, rf, persona):
    from governance.context_processors import navigation

    request = rf.get("/")
    request.user = getattr(world.users, persona)
    assert set(navigation(request)["nav"]) == NAV_KEYS


def test_petitions_tells_scoping_how_a_department_sees_people():
    from governance.scoping import PERSON_FIELDS, _department_rules

    assert set(_department_rules) == set(PERSON_FIELDS)
