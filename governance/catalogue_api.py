"""The district catalogues' API base (docs/administration.md): /api/v1/matter-categories/,
/api/v1/time-limits/, /api/v1/calendar-days/ (petitions.api) and /api/v1/tags/ (grids.api)."""

from django.utils.translation import gettext_lazy
from rest_framework import mixins, viewsets

from governance.api_common import IdempotentCreateMixin
from governance.permissions import ActionPolicy, Policy
from governance.roles import DISTRICT_CATALOGUE_EDITORS


class CatalogueViewSet(
    IdempotentCreateMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """A district catalogue (docs/administration.md): every signed-in caller reads it, the
    superuser writes it (DISTRICT_CATALOGUE_EDITORS; anyone else 403 before the body is read).
    Writes go through the app's services: `create_row(**data)`, `update_row(row, **data)`,
    `delete_row(row)`, each called with the caller as `actor` and refusing in the contract's
    order (a row in use is a 409). The input serializer renders the row with the output one."""

    permission_classes = [ActionPolicy]
    pagination_class = None
    input_serializer_class = None
    policies = dict.fromkeys(
        ("create", "update", "partial_update", "destroy"),
        Policy(
            roles=DISTRICT_CATALOGUE_EDITORS,
            message=gettext_lazy("Only the district's administrator edits the district's catalogues."),
        ),
    )

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return self.input_serializer_class
        return self.serializer_class

    def perform_create(self, serializer):
        serializer.instance = self.create_row(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self.update_row(serializer.instance, actor=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        self.delete_row(instance, actor=self.request.user)

    def create_row(self, *, actor, **data):
        raise NotImplementedError

    def update_row(self, row, *, actor, **data):
        raise NotImplementedError

    def delete_row(self, row, *, actor):
        raise NotImplementedError
