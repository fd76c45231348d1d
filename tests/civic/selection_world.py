"""The fixture of the 最美 selections' and activities' tests: the world (tests/conftest.py), a
second cadre of 七星村 (the checker), the village's points settings and a 最美家庭 rule."""

from types import SimpleNamespace

import pytest
from django.utils import timezone

from governance.civic import selections as s
from governance.civic.models import SelectionKind
from governance.models import Role
from points.models import Rule, VillagePointsSettings
from tests.factories import assign, make_user


@pytest.fixture
def sw(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    u = world.users
    u.cadre2 = make_user("t_cadre2", name="七星村副书记")
    assign(u.cadre2, Role.VILLAGE_CADRE, world.qixing)
    for village in (world.qixing, world.hualong, world.liwan):
        VillagePointsSettings.objects.create(village=village, starting_balance=100, objection_days=3)

    def rule(village, name, points, evidence=False, active=True):
        return Rule.objects.create(
            village=village,
            category="civility",
            name=name,
            points=points,
            proposer_roles=["village_cadre", "grid_leader", "grid_worker"],
            requires_evidence=evidence,
            is_active=active,
        )

    world.rules = SimpleNamespace(
        family=rule(world.qixing, "评为最美家庭", 50),
        festival=rule(world.qixing, "参加邻里节", 2),
        evidence=rule(world.qixing, "带证据的最美家庭", 50, evidence=True),
        inactive=rule(world.qixing, "旧细则", 10, active=False),
        hualong=rule(world.hualong, "化龙最美家庭", 50),
    )
    world.year = timezone.localdate().year

    def opened(kind=SelectionKind.FAMILY, actor=None, village=None, **extra):
        return s.selection_open(
            actor=actor or u.cadre,
            village=village or world.qixing,
            kind=kind,
            title=extra.pop("title", f"{world.year}年度最美家庭"),
            year=world.year,
            description=extra.pop("description", "孝老爱亲、邻里和睦"),
            **extra,
        )

    def nominated(selection=None, households=None):
        selection = selection or opened()
        for household in households or (world.households.q1, world.households.q1b):
            s.nomination_add(
                selection=selection, actor=u.cadre, household=household, reason=f"{household.head_name}家孝老爱亲"
            )
        return selection

    def decided(selection=None, votes=(7, 2)):
        selection = selection or nominated()
        ids = [n.pk for n in selection.nominations.order_by("pk")]
        return s.selection_decide(
            selection=selection, actor=u.cadre, entitled=9, present=8, votes=dict(zip(ids, votes, strict=False))
        )

    def published(selection=None, rule=None, now=None):
        return s.selection_publish(selection=selection or decided(), actor=u.cadre, rule=rule, now=now)

    world.opened, world.nominated, world.decided, world.published = opened, nominated, decided, published
    return world
