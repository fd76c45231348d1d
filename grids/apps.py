from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Places and people")

    def ready(self):
        from grids import receivers  # noqa: F401 (the places' generation for the boards)
