"""The register's catalogue and the visit target setting in the overview (governance.catalogues)."""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.catalogues import Catalogue, register_catalogue, register_district_catalogue

register_district_catalogue(
    key="tags",
    title=gettext_lazy("Tags and visit targets"),
    description=gettext_lazy(
        "独居老人, 困难户, 留守儿童 ...: key groups, and how often a household with the tag is visited."
    ),
    url_name="catalogues:tag-list",
    order=50,
)
register_catalogue(
    Catalogue(
        key="visit-default",
        owner="deployment",
        title=gettext_lazy("Default visit target"),
        description=gettext_lazy(
            "How often a household without a tag's own target is visited (the setting VISIT_DEFAULT_EVERY_DAYS)."
        ),
        editors=gettext_lazy("Whoever runs the server"),
        edits=lambda scope: False,
        value=lambda: _("every %(days)d days") % {"days": settings.VISIT_DEFAULT_EVERY_DAYS},
        order=10,
    )
)
