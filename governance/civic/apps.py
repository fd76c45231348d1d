from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CivicConfig(AppConfig):
    """三治 in practice (自治·法治·德治): the four councils (四会), the teams (治委会, 协商议事团,
    the mediation teams), people's mediation (人民调解), the 最美 selections and the village's
    activities. Nested under governance as the layer above every app: it raises matters, rates
    pledges and proposes points, and nothing below it knows it."""

    name = "governance.civic"
    label = "civic"
    verbose_name = _("Civic life (三治)")
