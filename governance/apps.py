from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Responsibility and notifications")

    def ready(self):
        from governance import checks, login  # noqa: F401  (system checks, the failed-login receiver)
