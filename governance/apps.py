from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Responsibility and notifications")

    def ready(self):
        # System checks, the failed-login receiver, and the login receiver that remembers an
        # issued password must be changed.
        from governance import checks, login, passwords  # noqa: F401

        # The apps above governance plug themselves in: their navigation entries and counts
        # (`<app>/nav.py`, governance.nav) and how a department sees people
        # (`<app>/scoping_rules.py`, governance.scoping), and the changes they keep on record
        # (`<app>/audited.py`, governance.history), and their catalogues and settings in the
        # overview (`<app>/catalogues.py`, governance.catalogues), and the work they do in the
        # background (`<app>/job_kinds.py`, governance.jobs).
        autodiscover_modules("nav", "scoping_rules", "audited", "catalogues", "job_kinds")
