import datetime

import time_machine
from django.utils import timezone

from petitions import figures
from petitions import services as s
from petitions.models import Kind, Matter, MatterEvent


def _through_report(mw, title, *, days_to_report):
    u = mw.users
    matter = mw.staff_matter(title=title)
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    s.matter_deliberate(matter=matter, actor=u.grid1, kind="meeting", held_on=timezone.localdate(), summary="院坝会")
    s.matter_handle(matter=matter, actor=u.grid1, handler=u.grid1)
    s.matter_report(matter=matter, actor=u.grid1, result="done")
    matter.refresh_from_db()
    report = MatterEvent.objects.get(matter=matter, action="report")
    start = matter.clock_started_at
    # Place the report in time, as if it came `days_to_report` after the clock started.
    at = start + datetime.timedelta(days=days_to_report)
    MatterEvent.objects.filter(pk=report.pk).update(created_at=at)
    Matter.objects.filter(pk=matter.pk).update(first_reported_at=at)
    return matter


def test_on_time_rate_per_village(mw):
    _through_report(mw, "按时", days_to_report=1)
    _through_report(mw, "超时", days_to_report=40)
    mw.staff_matter(title="未分类")  # no deadline: not counted
    rows = figures.on_time(Matter.objects.all(), by="village")
    assert rows == [{"id": mw.qixing.pk, "name": "七星村", "decided": 2, "on_time": 1, "rate": 0.5}]


def test_open_matter_past_its_deadline_counts_as_late(mw):
    matter = mw.staff_matter()
    s.matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    matter.refresh_from_db()
    later = matter.deadline + datetime.timedelta(days=1)
    assert figures.on_time(Matter.objects.all(), by="village", now=later)[0]["on_time"] == 0
    assert figures.on_time(Matter.objects.all(), by="village", now=matter.deadline - datetime.timedelta(days=1)) == []


def test_average_time_per_step(mw):
    matter = _through_report(mw, "计时", days_to_report=3)
    rows = {r["state"]: r for r in figures.time_per_step(Matter.objects.filter(pk=matter.pk), by="village")}
    assert set(rows) >= {"submitted", "classified", "deliberating", "handling"}
    assert rows["handling"]["count"] == 1 and rows["handling"]["average_hours"] > 24


def test_figures_per_department(mw):
    u = mw.users
    matter = mw.public_matter()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid)
    s.matter_deliberate(matter=matter, actor=u.official, kind="review", held_on=timezone.localdate(), summary="受理")
    s.matter_handle(matter=matter, actor=u.official, department=mw.sifasuo)
    s.matter_report(matter=matter, actor=u.handler, result="done")
    rows = figures.on_time(Matter.objects.all(), by="department")
    assert rows == [{"id": mw.sifasuo.pk, "name": "司法所", "decided": 1, "on_time": 1, "rate": 1.0}]


def test_the_first_report_is_kept_when_a_matter_is_reported_again(mw):
    """A result that fails its check is reported again; the on-time rate asks when the first
    report came (Matter.first_reported_at, the time of its first `report` event)."""
    u = mw.users
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        matter = mw.staff_matter(title="两次上报")
        s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
        today = timezone.localdate()
        s.matter_deliberate(matter=matter, actor=u.grid1, kind="meeting", held_on=today, summary="院坝会")
        s.matter_handle(matter=matter, actor=u.grid1, handler=u.grid1)
        clock.shift(datetime.timedelta(days=2))
        s.matter_report(matter=matter, actor=u.grid1, result="已清理")
        first = timezone.now()
        s.matter_verify(matter=matter, actor=u.cadre, passed=False, note="未清理干净")
        clock.shift(datetime.timedelta(days=30))
        s.matter_report(matter=matter, actor=u.grid1, result="已彻底清理")
    matter.refresh_from_db()
    reports = MatterEvent.objects.filter(matter=matter, action="report").order_by("created_at")
    assert [e.created_at for e in reports][0] == first == matter.first_reported_at
    assert matter.first_reported_at < matter.deadline < reports.last().created_at
    assert figures.on_time(Matter.objects.filter(pk=matter.pk), by="village")[0]["on_time"] == 1
