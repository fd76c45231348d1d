"""Matters brought to a given state through the services, for the API tests.

`civil(mw, state)`: a 民事 of 七星村 grid 1 recorded by grid 1's worker for 张三's household
(in the courtyard 老院子), handled by that worker. `government(mw, state)`: a 政事 from the
public form in 七星村 (no grid), reviewed by the township and handled by 司法所.
`village(mw, state)`: a 村事 of 七星村 grid 1 recorded by its cadre, through the seven steps
(the vote carried), handled and reported by the cadre.
"""

import datetime

from django.db.models import Count
from django.utils import timezone

from governance.models import IdempotencyRecord, Notification
from petitions import services as s
from petitions.models import (
    Deliberation,
    Kind,
    Matter,
    MatterEvent,
    MatterGroupObjectPermission,
    MatterUserObjectPermission,
    State,
)

TODAY = timezone.localdate()  # the app's day (Asia/Shanghai), not the machine's

CIVIL_STEPS = [State.SUBMITTED, State.CLASSIFIED, State.DELIBERATING, State.HANDLING, State.VERIFYING, State.EVALUATING]


def civil(mw, state=State.SUBMITTED) -> Matter:
    u = mw.users
    matter = mw.staff_matter(household=mw.households.q1)
    target = CIVIL_STEPS.index(state)
    if target >= 1:
        s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    if target >= 2:
        s.matter_deliberate(matter=matter, actor=u.grid1, kind="meeting", held_on=TODAY, summary="院坝会：同意修灯")
    if target >= 3:
        s.matter_handle(matter=matter, actor=u.grid1, handler=u.grid1)
    if target >= 4:
        s.matter_report(matter=matter, actor=u.grid1, result="已更换灯泡")
    if target >= 5:
        s.matter_verify(matter=matter, actor=u.cadre, passed=True)
    return Matter.objects.get(pk=matter.pk)


def government(mw, state=State.HANDLING) -> Matter:
    u = mw.users
    matter = mw.public_matter()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid)
    s.matter_deliberate(matter=matter, actor=u.official, kind="review", held_on=TODAY, summary="镇综治中心受理")
    s.matter_handle(matter=matter, actor=u.official, department=mw.sifasuo)
    if state in (State.VERIFYING, State.EVALUATING):
        s.matter_report(matter=matter, actor=u.handler, result="司法所调解，双方达成协议")
    if state == State.EVALUATING:
        s.matter_verify(matter=matter, actor=u.official, passed=True)
    return Matter.objects.get(pk=matter.pk)


def _steps_one_to_six(matter, cadre, *, in_favour, entitled, present) -> None:
    """Steps 1 to 4 (with the party members' attendance), a villagers' meeting announced ten
    days ahead that voted `in_favour` of `entitled` (`present` came), and the published resolution."""
    for n in (1, 2, 3, 4):
        party = {"entitled": 30, "present": 25} if n == 4 else {}
        s.matter_deliberate(matter=matter, actor=cadre, kind="step", step=n, held_on=TODAY, summary=f"第{n}步", **party)
    s.matter_deliberate(
        matter=matter,
        actor=cadre,
        kind="step",
        step=5,
        held_on=TODAY,
        announced_on=TODAY - datetime.timedelta(days=10),
        summary="村民会议表决",
        body="villagers_meeting",
        entitled=entitled,
        present=present,
        in_favour=in_favour,
        against=present - in_favour,
        abstain=0,
    )
    s.matter_deliberate(matter=matter, actor=cadre, kind="step", step=6, held_on=TODAY, summary="决议公开")


def village_voted(mw, category="land_adjustment", *, in_favour=70, entitled=100, present=90) -> Matter:
    """A 村事 of 七星村 grid 1 (no household) of `category`, recorded by the village cadre,
    through steps 1 to 6 (`_steps_one_to_six`)."""
    u = mw.users
    matter = mw.staff_matter(title="二组土地承包调整方案", actor=u.cadre)
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.VILLAGE, category=getattr(mw.categories, category))
    _steps_one_to_six(matter, u.cadre, in_favour=in_favour, entitled=entitled, present=present)
    return Matter.objects.get(pk=matter.pk)


def village(mw, state=State.VERIFYING, *, household=None, grid=None, cadre=None) -> Matter:
    """A 村事 of 七星村 grid 1 (or of `grid`'s village, with its `cadre`), for `household`."""
    cadre = cadre or mw.users.cadre
    matter = mw.staff_matter(title="村道硬化方案", grid=grid or mw.q1, actor=cadre, household=household)
    s.matter_classify(matter=matter, actor=cadre, kind=Kind.VILLAGE, category=mw.categories.village_project)
    if state == State.CLASSIFIED:
        return Matter.objects.get(pk=matter.pk)
    _steps_one_to_six(matter, cadre, in_favour=45, entitled=100, present=60)
    if state == State.DELIBERATING:
        return Matter.objects.get(pk=matter.pk)
    s.matter_handle(matter=matter, actor=cadre, handler=cadre)
    if state in (State.VERIFYING, State.EVALUATING):
        s.matter_report(matter=matter, actor=cadre, result="实施结果公开：村道已硬化 800 米")
    if state == State.EVALUATING:
        s.matter_verify(matter=matter, actor=mw.users.official, passed=True)
    return Matter.objects.get(pk=matter.pk)


def database_state():
    """Everything a refused request must leave untouched."""
    return (
        list(
            Matter.objects.order_by("pk").values_list(
                "pk",
                "state",
                "kind",
                "category_id",
                "handler_id",
                "department_id",
                "result",
                "rating",
                "reopen_count",
                "reject_reason",
                "duplicate_of_id",
                "township_approval",
                "filed_on",
                "filing_returned_at",
            )
        ),
        list(MatterEvent.objects.values("matter_id").annotate(n=Count("id")).order_by("matter_id")),
        Deliberation.objects.count(),
        MatterUserObjectPermission.objects.count(),
        MatterGroupObjectPermission.objects.count(),
        Notification.objects.count(),
        IdempotencyRecord.objects.count(),
    )
