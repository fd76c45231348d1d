"""The register's and the visits' entries in the navigation bar (see governance.nav)."""

from governance.nav import register_badges
from governance.roles import REGISTER_EDITORS, REGISTER_IMPORTERS, REGISTER_READERS, VISIT_READERS, VISITOR_ROLES
from grids.selectors import PLACE_KEEPERS


@register_badges
def grids_badges(request, scope) -> dict:
    return {
        "can_edit_register": scope.has_any_role(REGISTER_EDITORS),
        "can_import_register": scope.has_any_role(REGISTER_IMPORTERS),
        "sees_households": scope.has_any_role(REGISTER_READERS),
        # 走访: visitors get the list of households to visit, township staff the log.
        "visits": scope.has_any_role(VISITOR_ROLES),
        "visit_log": scope.has_any_role(VISIT_READERS),
        # Grids and courtyards, kept at a desk by the village's cadres and the township's administrator.
        "keeps_places": scope.has_any_role(PLACE_KEEPERS),
    }
