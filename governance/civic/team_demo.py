"""Demo teams and a mediation of 李湾村 (小沔镇), through the real services.

From the source article: 李湾村's "3+X" — its 治委会, a 协商议事团 in grid 1, the 老兵说法营 (five
veteran party members who give law talks and mediate) and, at 小沔镇 township level, the
公益律师团. In 2020-06 张某 hardened the path to his house; his neighbour 马某 said it took his
farmland and blocked the works; the 老兵说法营 talked both round from 情、理、法 and they agreed
on compensation. Here the mediation is dated relative to today (three weeks ago), its return
visit still ahead. Idempotent: teams are looked up by place, kind and name, members by name,
the mediation by its village and facts.
"""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from governance.civic import mediations as m
from governance.civic import teams as t
from governance.civic.models import Mediation, Team, TeamKind, TeamRole
from grids.models import Grid, Township, Village

LIWAN_CODE = "500117102001"
XIAOMIAN_CODE = "500117102"
USERNAMES = ("liwan_cadre", "xiaomian_official", "liwan_veteran")

VETERANS = [
    ("马德明", TeamRole.LEADER, "退役军人、党员，老兵说法营营长"),
    ("李国强", TeamRole.DEPUTY, "退役军人、党员"),
    ("张建华", TeamRole.MEMBER, "退役军人、党员"),
    ("王志文", TeamRole.MEMBER, "退役军人、党员"),
    ("刘福贵", TeamRole.MEMBER, "退役军人、党员"),
]
FACTS = (
    "张某自费硬化通往自家的入户路，邻居马某认为道路占用其承包耕地，阻止施工，双方发生争执。"
    "张某请求继续施工；马某请求恢复耕地或给予补偿。"
)
TERMS = (
    "一、马某同意张某按现线路完成入户路硬化；\n"
    "二、张某就占用马某耕地约12平方米一次性补偿马某人民币1200元（含青苗费）；\n"
    "三、双方今后互谅互让，不再因此事发生争执。"
)


def _team(actor, *, kind, name, description, village=None, township=None, grid=None) -> Team:
    if grid is not None:
        place = {"grid": grid}
    elif village is not None:
        place = {"village": village}
    else:
        place = {"village": None, "township": township}
    existing = Team.objects.filter(kind=kind, name=name, **place).first()
    if existing:
        return existing
    return t.team_create(
        actor=actor, kind=kind, name=name, description=description, village=village, township=township, grid=grid
    )


def _members(team, actor, people, joined_on) -> list:
    made = []
    for name, role, title in people:
        member = team.members.filter(name=name, left_on__isnull=True).first()
        made.append(
            member or t.member_add(team=team, actor=actor, name=name, role=role, title=title, joined_on=joined_on)
        )
    return made


def seed(log=print) -> None:
    village = Village.objects.filter(code=LIWAN_CODE).first()
    township = Township.objects.filter(code=XIAOMIAN_CODE).first()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=USERNAMES)}
    if village is None or township is None or set(users) != set(USERNAMES):
        log("civic teams: 李湾村, 小沔镇 or their demo accounts are missing; skipped")
        return
    cadre, official = users["liwan_cadre"], users["xiaomian_official"]
    today = timezone.localdate()
    long_ago = today - datetime.timedelta(days=2 * 365)
    before = Team.objects.count(), Mediation.objects.count()

    committee = _team(
        cadre,
        kind=TeamKind.COMMITTEE,
        name="李湾村治委会",
        description="村党组织领导，统筹自治、法治、德治工作。",
        village=village,
    )
    _members(committee, cadre, [("马书记", TeamRole.LEADER, "村党支部书记")], long_ago)
    grid = Grid.objects.filter(village=village).order_by("number").first()
    if grid is not None:
        group = _team(
            cadre,
            kind=TeamKind.CONSULTATION,
            name=f"李湾村{grid.name}协商议事团",
            description="网格内民事协商议事：院坝会、民情恳谈。",
            grid=grid,
        )
        _members(
            group,
            cadre,
            [("周大成", TeamRole.LEADER, "网格长"), ("何秀英", TeamRole.MEMBER, "村民代表")],
            long_ago,
        )
    veterans = _team(
        cadre,
        kind=TeamKind.VETERANS,
        name="李湾村老兵说法营",
        description="5名退役军人党员开展法治宣讲、参与矛盾纠纷调解。",
        village=village,
    )
    vets = _members(veterans, cadre, VETERANS, long_ago)
    lawyers = _team(
        official,
        kind=TeamKind.LAWYERS,
        name="小沔镇公益律师团",
        description="镇级公益律师，为村民提供法律咨询，参与疑难纠纷调解。",
        township=township,
    )
    _members(lawyers, official, [("陈律师", TeamRole.LEADER, "律师")], long_ago)

    if not Mediation.objects.filter(village=village, facts=FACTS).exists():
        held_on = today - datetime.timedelta(days=21)
        mediation = m.mediation_open(
            actor=users["liwan_veteran"],
            village=village,
            team=veterans,
            mediators=vets[:3],
            dispute_kind="land",
            parties=[
                {"name": "张某", "side": "applicant", "address": "李湾村一组"},
                {"name": "马某", "side": "respondent", "address": "李湾村一组"},
            ],
            facts=FACTS,
            held_on=held_on,
            place="李湾村便民服务中心调解室",
            grid=grid,
        )
        m.mediation_agree(
            mediation=mediation,
            actor=users["liwan_veteran"],
            terms=TERMS,
            agreed_on=held_on,
            perform_by=held_on + datetime.timedelta(days=15),
        )
    after = Team.objects.count(), Mediation.objects.count()
    log(f"civic teams: {after[0] - before[0]} new teams, {after[1] - before[1]} new mediations in 李湾村 and 小沔镇")
