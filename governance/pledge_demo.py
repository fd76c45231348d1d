"""Demo pledges of 七星村 (渭沱镇's 明责践诺: 提诺、亮诺、践诺), through the real services.

Maker-checker with the demo's one 七星村 cadre: the secretary's own pledge (qixing_cadre, 村党支部
书记) is reviewed by the township (weituo_official); a party member's pledge recorded by
qixing_cadre is reviewed by the township too (who recorded it does not review it), carried
out and done (recorded by qixing_cadre for the resident), and its 成效评议会 rating recorded by the
township (who acted for the pledger does not record the rating either);
a grid worker's pledge (qixing_grid1), reviewed by qixing_cadre, is past its due day and
flagged by the sweep. Idempotent: each pledge is looked up by its village and title.
"""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from governance import pledges as p
from governance.models import Pledge
from grids.models import Resident, Village

QIXING_CODE = "500117101001"


def _period(today: datetime.date) -> dict:
    start, end = today - datetime.timedelta(days=180), today + datetime.timedelta(days=185)
    return {"period_label": f"{start:%Y年%m月}至{end:%Y年%m月}", "period_start": start, "period_end": end}


def seed_pledges(log=print) -> None:
    village = Village.objects.filter(code=QIXING_CODE).first()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=USERNAMES)}
    if village is None or set(users) != set(USERNAMES):
        log("pledges: 七星村 or its demo accounts are missing; skipped")
        return
    today = timezone.localdate()
    made = [
        _secretary(village, users, today),
        _party_member(village, users, today),
        _overdue(village, users, today),
    ]
    p.pledges_flag_overdue()
    log(f"pledges: {sum(made)} new in 七星村")


USERNAMES = ("qixing_cadre", "weituo_official", "qixing_grid1")


def _exists(village, title) -> bool:
    return Pledge.objects.filter(village=village, title=title).exists()


def _secretary(village, users, today) -> bool:
    title = "网格580（我帮您）：每月走访全村独居老人，解决急难愁盼"
    if _exists(village, title):
        return False
    cadre, official = users["qixing_cadre"], users["weituo_official"]
    pledge = p.pledge_propose(
        actor=cadre,
        village=village,
        pledger_title="村党支部书记",
        title=title,
        description="每月逢十带头进院子、入屋子，走访全村独居老人，当场能办的当场办，办不了的三事分流、限时回复。",
        due_on=today + datetime.timedelta(days=120),
        **_period(today),
    )
    p.pledge_approve(pledge=pledge, actor=official, note="承诺具体、可检验，同意亮诺。")
    p.pledge_progress(pledge=pledge, actor=cadre, note="走访独居老人23户，代办医保续缴4件，修缮漏雨房屋1处。")
    p.pledge_progress(pledge=pledge, actor=cadre, note="联系镇卫生院上门体检，18位老人建立健康档案。")
    return True


def _party_member(village, users, today) -> bool:
    title = "带头清家六齐，包院落宣传村规民约"
    if _exists(village, title):
        return False
    residents = Resident.objects.filter(village=village).order_by("pk")
    resident = residents.filter(tags__code=p.PARTY_MEMBER_TAG).first() or residents.first()
    if resident is None:
        return False
    cadre, official = users["qixing_cadre"], users["weituo_official"]
    pledge = p.pledge_propose(
        actor=cadre,
        village=village,
        resident=resident,
        pledger_title="党员",
        title=title,
        description="亮身份、亮承诺：自家先做到清家六齐，每月到所包院落讲一次村规民约，劝导乱倒垃圾。",
        due_on=today + datetime.timedelta(days=30),
        **_period(today),
    )
    p.pledge_approve(pledge=pledge, actor=official)
    p.pledge_progress(pledge=pledge, actor=cadre, note="院坝会宣讲村规民约2次，32户签订门前三包承诺。")
    p.pledge_complete(pledge=pledge, actor=cadre, note="所包院落清家六齐检查全部达标，乱倒垃圾点清理完毕。")
    p.pledge_rate(
        pledge=pledge,
        actor=official,
        held_on=today,
        raters=25,
        satisfied=20,
        basically_satisfied=4,
        unsatisfied=1,
        note="成效评议会：村民代表和党员代表评议。",
    )
    return True


def _overdue(village, users, today) -> bool:
    title = "逢十走访网格内困难户，三天内更新台账"
    if _exists(village, title):
        return False
    grid1, cadre = users["qixing_grid1"], users["qixing_cadre"]
    proposed = timezone.now() - datetime.timedelta(days=60)
    pledge = p.pledge_propose(
        actor=grid1,
        village=village,
        pledger_title="网格员",
        title=title,
        description="每逢十走访第一网格困难户，走访后三天内把变化记入台账。",
        due_on=today - datetime.timedelta(days=5),
        now=proposed,
        **_period(today),
    )
    p.pledge_approve(pledge=pledge, actor=cadre)
    p.pledge_progress(pledge=pledge, actor=grid1, note="已走访困难户6户，台账更新4户。")
    return True
