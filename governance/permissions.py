"""One DRF permission class for every API view: it reads the view's policy for the action.

A viewset over people's data (households, residents, matters, visits) sets
`people_data = True`: a caller whose roles read none of them gets a 403 on its lists, as on
the pages (a single row stays a 404: it is out of their scope). The matters' viewset sets
`people_data = "matters"`: the supervision committee, which reads matters only, passes there.
A viewset names, per action, who may call it (`policies = {"create": Policy(...)}`); an
action without a policy needs only a signed-in caller (what it may see is then the
selectors' business: an object out of scope is a 404). The role check comes before the
body is read, so a caller without the role gets a 403 whatever it sent. The services check
again under the row lock: the policy is the early, cheap answer, not the only one.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import IsAuthenticated

from governance.scoping import not_a_reader_message, reads_people, scope_for


@dataclass(frozen=True)
class Policy:
    """Who may call one action: one of `roles` held somewhere; on an object, one of
    `object_roles` covering it, or `allows(user, obj)` true."""

    roles: frozenset | None = None
    message: str = _("Your role may not do this.")
    object_roles: frozenset | None = None
    allows: Callable | None = None


class ActionPolicy(IsAuthenticated):
    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        people_data = getattr(view, "people_data", False)
        if (
            people_data
            and not getattr(view, "detail", False)
            and not reads_people(request.user, matters=people_data == "matters")
        ):
            # Lists (and list-level actions) over households, residents, matters or visits: the
            # shop clerk is refused, as on the pages (governance.scoping.people_reader_required);
            # one row is out of the clerk's scope, a 404 like any other.
            self.message = not_a_reader_message(request.user)
            return False
        policy = _policy(view)
        if policy is None or policy.roles is None or scope_for(request.user).has_any_role(policy.roles):
            return True
        self.message = policy.message
        return False

    def has_object_permission(self, request, view, obj):
        policy = _policy(view)
        if policy is None:
            return True
        if policy.object_roles is not None and not scope_for(request.user).covers(obj, policy.object_roles):
            self.message = policy.message
            return False
        if policy.allows is not None and not policy.allows(request.user, obj):
            self.message = policy.message
            return False
        return True


def _policy(view) -> Policy | None:
    return getattr(view, "policies", {}).get(getattr(view, "action", None))
