"""The points bank's catalogues and settings in the overview (governance.catalogues): each
village's own, kept by its cadres (the shop also by its clerk)."""

from django.utils.translation import gettext_lazy as _

from governance.catalogues import Catalogue, holding, register_catalogue
from governance.roles import ACCOUNT_READER_ROLES, BOARD_ROLES, SHOP_KEEPER_ROLES

register_catalogue(
    Catalogue(
        key="points-rules",
        owner="village",
        title=_("Points rules (积分细则)"),
        description=_("What earns points and what costs them: adopted, changed or retired by a resolution."),
        editors=_("The village's cadres, by a resolution that carried"),
        url_name="points:rule-list",
        reads=holding(ACCOUNT_READER_ROLES),
        edits=holding(BOARD_ROLES),
        order=20,
    )
)
register_catalogue(
    Catalogue(
        key="shop-items",
        owner="village",
        title=_("Points shop items (积分超市)"),
        description=_("The goods, their price in points and their stock."),
        editors=_("The village's cadres and its shop clerk"),
        url_name="points:item-list",
        reads=holding(SHOP_KEEPER_ROLES),
        edits=holding(SHOP_KEEPER_ROLES),
        order=30,
    )
)
register_catalogue(
    Catalogue(
        key="points-settings",
        owner="village",
        title=_("Points bank settings"),
        description=_("Opening balance, redeemable threshold, the floor and the black list, within the law."),
        editors=_("The village's cadres"),
        url_name="points:settings",
        reads=holding(BOARD_ROLES),
        edits=holding(BOARD_ROLES),
        order=40,
    )
)
