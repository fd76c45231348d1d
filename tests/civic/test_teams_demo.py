"""The demo's teams and mediation (governance.civic.team_demo.seed): 李湾村's teams, the
老兵说法营's five veterans, the township's 公益律师团, the 张某/马某 agreement, made once."""

import pytest

from governance.civic import team_demo
from governance.civic.models import Mediation, MediationStatus, Team, TeamKind
from grids.demo import seed_demo

pytestmark = pytest.mark.django_db


def test_the_demo_holds_the_veterans_and_the_road_mediation_once():
    seed_demo(log=lambda *a: None)
    lines = []
    team_demo.seed(log=lines.append)
    team_demo.seed(log=lines.append)
    assert "0 new teams, 0 new mediations" in lines[-1]
    veterans = Team.objects.get(kind=TeamKind.VETERANS, village__name="李湾村")
    assert veterans.members.filter(left_on__isnull=True).count() == 5
    assert Team.objects.filter(kind=TeamKind.LAWYERS, village__isnull=True, township__name="小沔镇").exists()
    assert Team.objects.filter(kind=TeamKind.COMMITTEE, village__name="李湾村").count() == 1
    assert Team.objects.filter(kind=TeamKind.CONSULTATION, village__name="李湾村").count() == 1
    mediation = Mediation.objects.get()
    assert mediation.status == MediationStatus.AGREED and mediation.number.startswith("李湾调〔")
    assert [p["name"] for p in mediation.parties] == ["张某", "马某"]
    assert mediation.mediators.count() == 3 and mediation.team == veterans


def test_the_demo_skips_without_its_village():
    lines = []
    team_demo.seed(log=lines.append)
    assert "skipped" in lines[0] and not Team.objects.exists()
