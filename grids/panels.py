"""The household page's sections from the apps above grids (governance.panels: the one
registry; modules `household_panels.py`)."""

from governance.panels import Panel, panel, panels

__all__ = ["Panel", "household_panel", "household_panels"]

household_panel = panel("household")


def household_panels(request, household) -> list[Panel]:
    """The sections the registered apps show on this household's page, in order."""
    return panels("household", request, household)
