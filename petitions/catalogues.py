"""The matters' catalogues and settings in the overview (governance.catalogues)."""

from django.utils.translation import gettext_lazy as _

from governance.catalogues import Catalogue, holding, register_catalogue, register_district_catalogue
from governance.roles import MATTER_SETTINGS_EDITORS, MATTER_SETTINGS_READERS

register_district_catalogue(
    key="matter-categories",
    title=_("Matter categories"),
    description=_(
        "邻里纠纷, 土地承包调整 ...: the kind each usually is, and for a village matter the rule it is decided by."
    ),
    url_name="catalogues:category-list",
    order=10,
)
register_district_catalogue(
    key="time-limits",
    title=_("Time limits"),
    description=_("Working days for handling each kind (and category) of matter, and for a review one level up."),
    url_name="catalogues:time-limit-list",
    order=20,
)
register_district_catalogue(
    key="clock-limits",
    title=_("Acceptance and sign-off clocks"),
    description=_("Working days for acceptance (受理) by the village and the township, and a department's sign-off."),
    url_name="catalogues:clock-limit-list",
    order=30,
)
register_district_catalogue(
    key="calendar",
    title=_("Working-day calendar"),
    description=_("Holidays and make-up working days (调休) that every deadline counts with."),
    url_name="catalogues:calendar",
    order=40,
)
register_catalogue(
    Catalogue(
        key="matter-settings",
        owner="township",
        title=_("Who verifies a village's matters (村事)"),
        description=_("The township, the village's supervision committee (村务监督委员会), or either."),
        editors=_("The township's leaders, officials and administrator"),
        url_name="catalogues:matter-settings",
        reads=holding(MATTER_SETTINGS_READERS),
        edits=holding(MATTER_SETTINGS_EDITORS),
        order=10,
    )
)
