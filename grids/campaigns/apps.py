from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Campaigns (专项排查): forms of their own, sent down to the grids as household tasks."""

    name = "grids.campaigns"
    label = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        from grids.campaigns import scoping_rules  # noqa: F401 (registers how departments see tasks)
