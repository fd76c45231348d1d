"""The teams' and mediations' fixture: the world (tests/conftest.py) with 七星村's 治委会 and
老兵说法营 (three veterans), the 渭沱镇 公益律师团 (a township team), 化龙村's 党员调解队, and
makers for mediations in each status."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from governance.civic import mediations as m
from governance.civic import teams as t
from governance.civic.models import TeamKind, TeamRole


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


PARTIES = [{"name": "张某", "phone": "15800001234"}, {"name": "马某", "phone": ""}]


@pytest.fixture
def cw(world):
    u = world.users
    committee = t.team_create(actor=u.cadre, kind=TeamKind.COMMITTEE, name="七星村治委会", village=world.qixing)
    veterans = t.team_create(actor=u.cadre, kind=TeamKind.VETERANS, name="七星村老兵说法营", village=world.qixing)
    vets = [
        t.member_add(team=veterans, actor=u.cadre, name=name, role=role, title="退役军人", joined_on=days(-400))
        for name, role in (("王老兵", TeamRole.LEADER), ("李老兵", TeamRole.MEMBER), ("赵老兵", TeamRole.MEMBER))
    ]
    lawyers = t.team_create(actor=u.official, kind=TeamKind.LAWYERS, name="渭沱镇公益律师团", township=world.weituo)
    lawyer = t.member_add(team=lawyers, actor=u.official, name="陈律师", title="律师", joined_on=days(-100))
    hualong_team = t.team_create(
        actor=u.other_cadre, kind=TeamKind.PARTY_MEDIATORS, name="化龙村党员调解队", village=world.hualong
    )
    hualong_member = t.member_add(team=hualong_team, actor=u.other_cadre, name="化龙党员", joined_on=days(-100))

    def opened(actor=None, **overrides):
        data = {
            "village": world.qixing,
            "mediators": vets[:2],
            "dispute_kind": "land",
            "parties": PARTIES,
            "facts": "张某硬化入户路，马某称占其耕地并阻工。",
            "held_on": days(-3),
        }
        data.update(overrides)
        return m.mediation_open(actor=actor or u.cadre, **data)

    def agreed(mediation=None, actor=None, **overrides):
        mediation = mediation or opened()
        data = {"terms": "张某补偿马某青苗费800元。", "perform_by": days(10), "agreed_on": days(-1)}
        data.update(overrides)
        return m.mediation_agree(mediation=mediation, actor=actor or u.cadre, **data)

    def failed(mediation=None):
        mediation = mediation or opened()
        return m.mediation_fail(mediation=mediation, actor=u.cadre, guided_to="litigation", note="引导起诉")

    return SimpleNamespace(
        **vars(world),
        committee=committee,
        veterans=veterans,
        vets=vets,
        lawyers=lawyers,
        lawyer=lawyer,
        hualong_team=hualong_team,
        hualong_member=hualong_member,
        opened=opened,
        agreed=agreed,
        failed=failed,
    )
