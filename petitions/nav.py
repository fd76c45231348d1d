"""The matters' entries in the navigation bar (see governance.nav)."""

from governance.nav import register_badges
from governance.roles import COMPACT_READERS
from petitions.selectors import waiting_ids


@register_badges
def matter_badges(request, scope) -> dict:
    # The shop clerk keeps passbooks and the shop: no register, matters or visits. The
    # supervision committee sees its village's 村事.
    sees = scope.reads_matters
    return {
        "sees_matters": sees,
        # The menu's count of matters waiting for the user (their ids, read once per request).
        "matters_waiting": len(waiting_ids(request)) if sees and not scope.is_superuser else 0,
        # The village compact (村规民约): its cadres and supervision committee, the township.
        "sees_compact": scope.has_any_role(COMPACT_READERS),
    }
