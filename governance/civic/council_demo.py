"""Demo meetings of 李湾村's four councils (四会), through the real services, by liwan_cadre.

- a 民情恳谈会 held ten days ago, whose two concerns became two matters of the village;
- a 事务协调会 held five days ago on the second of those matters (the 水渠), with its parties;
- a 道德评议会 that decided last quarter's 红黑榜 (the board the points demo compiled and
  decided; linked here only), held on the board's meeting day or twenty days ago;
- a 成效评议会 held two days ago that rated the village's handled matters (the 老兵说法营's
  便道 dispute, from the petitions demo);
- a 民情恳谈会 planned two weeks ahead, on the calendar.

Run after the petitions and points demos. Idempotent: each meeting is looked up by its village
and title, each concern by its matter's title.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from governance.civic import councils as c
from governance.civic.models import Concern, CouncilKind, Meeting
from grids.demo import LIWAN
from grids.models import Grid, Village
from points.models import Board

CONCERNS_TITLE = "李湾村冬季民情恳谈会"
COORDINATION_TITLE = "二组水渠清淤事务协调会"
MORAL_TITLE = "李湾村道德评议会（评定红黑榜）"
RESULTS_TITLE = "李湾村成效评议会"
PLANNED_TITLE = "李湾村春耕前民情恳谈会"

ATTENDEES = ["马书记", "李主任", "老兵说法营 王某", "群众代表 张某", "群众代表 刘某", "群众代表 陈某", "网格长 赵某"]
CONCERNS = [
    ("张某", "一组村道路灯损坏", "一组村道的三盏路灯坏了一个多月，晚上老人出行不便，希望尽快修好。"),
    ("刘某", "二组灌溉水渠淤塞", "二组灌溉水渠被泥沙和杂草堵塞，开春放水前需要清淤，涉及五户承包地。"),
]


def seed(log=print) -> None:
    """Add 李湾村's council meetings that are missing."""
    village = Village.objects.filter(code=LIWAN).first()
    cadre = get_user_model().objects.filter(username="liwan_cadre").first()
    if village is None or cadre is None:
        log("councils: 李湾村 or liwan_cadre is missing; skipped")
        return
    today = timezone.localdate()
    with transaction.atomic():
        made = [
            _concerns(village, cadre, today),
            _coordination(village, cadre, today),
            _moral(village, cadre, today),
            _results(village, cadre, today),
            _planned(village, cadre, today),
        ]
    log(f"councils: {sum(made)} meetings added in 李湾村, {Meeting.objects.filter(village=village).count()} in all")


def _meeting(village, title) -> Meeting | None:
    return Meeting.objects.filter(village=village, title=title).first()


def _held(village, cadre, kind, title, day, agenda, minutes, decisions, boards=(), **plan) -> Meeting:
    meeting = c.meeting_plan(
        actor=cadre,
        village=village,
        kind=kind,
        title=title,
        held_on=day,
        starts_at=datetime.time(9, 30),
        place="李湾村便民服务中心会议室",
        agenda=agenda,
        **plan,
    )
    return c.meeting_record(
        meeting=meeting,
        actor=cadre,
        chaired_by="马书记",
        attendees=ATTENDEES,
        decisions=decisions,
        minutes=minutes,
        parties=plan.get("parties"),
        boards=boards,
    )


def _concerns(village, cadre, today) -> bool:
    if _meeting(village, CONCERNS_TITLE):
        return False
    meeting = _held(
        village,
        cadre,
        CouncilKind.CONCERNS,
        CONCERNS_TITLE,
        today - datetime.timedelta(days=10),
        "听取群众对村道、水利和冬季安全的意见建议。",
        "群众代表张某反映一组村道路灯损坏；刘某反映二组灌溉水渠淤塞。两件事当场登记为事项，按程序办理。",
        "两件诉求转为事项办理，限时回复。",
    )
    grids = list(Grid.objects.filter(village=village).order_by("number"))
    for index, (who, title, description) in enumerate(CONCERNS):
        c.concern_raise(
            meeting=meeting,
            actor=cadre,
            raised_by=who,
            title=title,
            description=description,
            grid=grids[min(index, len(grids) - 1)],
        )
    return True


def _coordination(village, cadre, today) -> bool:
    if _meeting(village, COORDINATION_TITLE):
        return False
    concern = (
        Concern.objects.filter(meeting__village=village, matter__title=CONCERNS[1][1]).select_related("matter").first()
    )
    if concern is None or concern.matter.state not in c.OPEN_STATES:
        return False
    _held(
        village,
        cadre,
        CouncilKind.COORDINATION,
        COORDINATION_TITLE,
        today - datetime.timedelta(days=5),
        "协调二组水渠清淤的分工、用工和费用分摊。",
        "五户承包户与村委会协商：村里出机械，各户按承包面积出工；清淤在开春放水前完成。",
        "村委会负责机械，五户按面积出工，三月一日前完工。",
        matter=concern.matter,
        parties=["刘某", "二组承包户代表 周某", "二组承包户代表 吴某", "村委会"],
    )
    return True


def _moral(village, cadre, today) -> bool:
    if _meeting(village, MORAL_TITLE):
        return False
    board = Board.objects.filter(village=village, decided_at__isnull=False).order_by("-year", "-quarter").first()
    day = board.meeting_date if board is not None and board.meeting_date else today - datetime.timedelta(days=20)
    _held(
        village,
        cadre,
        CouncilKind.MORAL,
        MORAL_TITLE,
        day,
        "评议上季度道德红黑榜。",
        "评议会成员逐一评议积分台账：照顾独居老人、调解纠纷等事迹上红榜；大操大办酒席者上黑榜。",
        "红榜予以公开褒扬；黑榜按村规民约约束。",
        boards=[board] if board is not None else (),
    )
    return True


def _results(village, cadre, today) -> bool:
    if _meeting(village, RESULTS_TITLE):
        return False
    meeting = _held(
        village,
        cadre,
        CouncilKind.RESULTS,
        RESULTS_TITLE,
        today - datetime.timedelta(days=2),
        "评议已办结事项的办理成效。",
        "群众代表对老兵说法营调解的便道纠纷逐项评议，认为补偿到位、双方和好。",
        "便道纠纷办理成效：满意。",
    )
    for matter in c.ratable_matters(village)[:3]:
        c.rating_record(
            meeting=meeting, actor=cadre, matter=matter, raters=7, satisfied=6, basically_satisfied=1, unsatisfied=0
        )
    for pledge in c.ratable_pledges(village)[:3]:
        if c.pledge_rules.may(cadre, "rate", pledge):
            c.rating_record(
                meeting=meeting, actor=cadre, pledge=pledge, raters=7, satisfied=5, basically_satisfied=2, unsatisfied=0
            )
    return True


def _planned(village, cadre, today) -> bool:
    if _meeting(village, PLANNED_TITLE):
        return False
    c.meeting_plan(
        actor=cadre,
        village=village,
        kind=CouncilKind.CONCERNS,
        title=PLANNED_TITLE,
        held_on=today + datetime.timedelta(days=14),
        starts_at=datetime.time(14, 30),
        place="李湾村院坝（三组）",
        agenda="春耕前听取群众对农资、水利和道路的意见建议。",
    )
    return True
