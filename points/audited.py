"""The changes the points bank's catalogues and settings keep (governance.history): a village's
points settings, its rules (积分细则) and its shop's items."""

from governance.history import keep_history
from governance.scoping import scope_for
from grids.models import Village
from points.models import Item, Rule, VillagePointsSettings


def _of_villages(model):
    def readable(user):
        villages = scope_for(user).filter_places(Village.objects.all(), "village")
        return model.objects.filter(village__in=villages)

    return readable


keep_history(VillagePointsSettings, kind="points-settings", readable=_of_villages(VillagePointsSettings))
keep_history(Rule, kind="points-rule", readable=_of_villages(Rule))
keep_history(Item, kind="shop-item", readable=_of_villages(Item))
