from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = _("Matters")

    def ready(self):
        from petitions import queue, receivers  # noqa: F401 (matters follow households and merged grids; queues)
