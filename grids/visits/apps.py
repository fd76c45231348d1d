from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    """Visits (走访), 逢十 reminders and compliance: nested under grids, whose places they visit."""

    name = "grids.visits"
    label = "visits"
    verbose_name = _("Visits")

    def ready(self):
        from grids.visits import receivers  # noqa: F401 (connects the visit-target receiver)
