import datetime
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import translation

from governance.models import Role
from petitions.models import DecisionRule, Kind, MatterCategory, Source
from petitions.services import matter_submit, matter_submit_public
from tests.factories import assign, make_user


def title_prefix(title: str) -> str:
    """A notification title's words before the matter's title (`%(title)s`), in the site's
    language: notifications are written in it, so tests find them by the translated words."""
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(title).split("%(title)s")[0]


@pytest.fixture
def categories(db):
    from tests.fixture_snapshot import snapshotted

    return snapshotted("categories", _build_categories)


def _build_categories():
    rows = [
        ("neighbour_dispute", "邻里纠纷", Kind.CIVIL, DecisionRule.SIMPLE),
        ("environment", "环境卫生", Kind.CIVIL, DecisionRule.SIMPLE),
        ("village_project", "村级项目", Kind.VILLAGE, DecisionRule.SIMPLE),
        ("land_adjustment", "土地承包调整", Kind.VILLAGE, DecisionRule.LAND),
        ("village_rules", "村规民约", Kind.VILLAGE, DecisionRule.COMPACT),
        ("collective_income", "集体收益使用", Kind.VILLAGE, DecisionRule.MEMBERS_MEETING),
        ("legal_aid", "法律援助", Kind.GOVERNMENT, DecisionRule.SIMPLE),
        ("infrastructure", "基础设施", Kind.GOVERNMENT, DecisionRule.SIMPLE),
    ]
    return SimpleNamespace(
        **{
            code: MatterCategory.objects.create(code=code, name=name, default_kind=kind, decision_rule=rule)
            for code, name, kind, rule in rows
        }
    )


@pytest.fixture
def mw(world, categories):
    """The world plus a grid leader of grid 1 and a second 司法所 member, and handy makers."""
    from tests.fixture_snapshot import snapshotted

    def people():
        leader1 = make_user("t_leader1", name="网格长")
        assign(leader1, Role.GRID_LEADER, world.q1)
        handler2 = make_user("t_sifasuo2", name="司法所二")
        assign(handler2, Role.DEPARTMENT_HANDLER, department=world.sifasuo)
        return leader1, handler2

    world.users.leader1, world.users.handler2 = snapshotted("mw", people)
    world.categories = categories

    def staff_matter(grid=None, actor=None, **extra):
        defaults = {
            "title": "路灯不亮",
            "description": "楼道路灯停电不亮，出行不便",
            "grid": grid or world.q1,
            "source": Source.VISIT,
            "submitter_name": "张三",
            "submitter_phone": "15800009119",
        }
        defaults.update(extra)
        return matter_submit(actor=actor or world.users.grid1, **defaults)

    def public_matter(**extra):
        defaults = {
            "title": "土地纠纷",
            "description": "邻居修路占了耕地",
            "village": world.qixing,
            "submitter_name": "马某",
            "submitter_phone": "15900001111",
        }
        defaults.update(extra)
        return matter_submit_public(**defaults)

    world.staff_matter = staff_matter
    world.public_matter = public_matter
    world.today = datetime.date.today()
    return world
