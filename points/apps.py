from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("Points bank")

    def ready(self):
        from points import receivers  # noqa: F401 (connects the passbook receiver)
