from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Campaigns (专项排查): forms of their own, sent down to the grids as household tasks."""

    name = "grids.campaigns"
    label = "campaigns"
    # governance finds nav.py and scoping_rules.py here (autodiscover_modules).
    verbose_name = _("Campaigns")
