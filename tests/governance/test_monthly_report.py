"""The monthly report (月报): its figures against the lists they summarise, its scope, its
A4 page and workbook, and the beat task that prepares each report once."""

import datetime
import io
import uuid
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from governance.models import Assignment, MonthlyReport, Notification
from governance.reports import Place, monthly_report, prepare_monthly_reports_task
from grids.visits.fengshi import fengshi_days
from grids.visits.services import visit_record
from petitions.models import Kind, Matter
from petitions.services import matter_classify
from points import services as ps
from points.models import Entry, EntryKind, VillagePointsSettings
from tests.points.conftest import pw  # noqa: F401  (the points world fixture)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
URL = "/reports/monthly/"


@pytest.fixture
def rw(mw, pw):  # noqa: F811
    """This month: three matters in 渭沱镇 (two in 七星村), one in 小沔镇; two approved awards
    and a redemption in 七星村; a visit on the month's first 逢十 day in grid 1."""
    month = timezone.localdate().replace(day=1)
    Assignment.objects.update(valid_from=month - datetime.timedelta(days=1))
    VillagePointsSettings.objects.update(objection_days=0)
    a = mw.staff_matter(title="路灯不亮")
    mw.staff_matter(title="水管爆裂", grid=mw.q2, actor=mw.users.grid2)
    mw.staff_matter(title="化龙村道路", grid=mw.h1, actor=mw.users.other_cadre)
    matter_classify(matter=a, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    for account, rule in [(pw.acc.q1, pw.rules.volunteer), (pw.acc.q1b, pw.rules.meeting)]:
        award = ps.award_propose(actor=pw.users.grid1, account=account, rule=rule, note="入户核实")
        ps.award_approve(award=award, actor=pw.users.cadre)
    ps.points_redeem(actor=pw.users.clerk, account=pw.acc.q1, item=pw.items.soap, quantity=1)
    day = fengshi_days(month.year, month.month)[0]
    at = datetime.datetime.combine(day, datetime.time(9), tzinfo=SHANGHAI)
    visit_record(
        author=mw.users.grid1,
        client_uuid=uuid.uuid4(),
        visited_at=at,
        method="home",
        household=mw.households.q1,
        now=at,
    )
    mw.month = month
    mw.next_month_morning = datetime.datetime.combine(
        (month + datetime.timedelta(days=32)).replace(day=1), datetime.time(6), tzinfo=SHANGHAI
    )
    return mw


def _in_month(queryset, month, field="created_at"):
    return [row for row in queryset if timezone.localtime(getattr(row, field)).date().replace(day=1) == month]


def test_village_report_counts_what_the_lists_hold(rw):
    report = monthly_report(Place(rw.weituo, rw.qixing), rw.month)
    totals = report["totals"]
    assert totals["received"] == len(_in_month(Matter.objects.filter(village=rw.qixing), rw.month)) == 2
    kinds = {(row["kind"], row["state"]): row["n"] for row in report["by_kind_state"]}
    assert kinds == {("civil", "classified"): 1, ("", "submitted"): 1}
    earned = Entry.objects.filter(village=rw.qixing, kind=EntryKind.EARN)
    assert totals["points_issued"] == sum(e.points for e in earned) == 6
    assert totals["points_spent"] == 10 and totals["redemptions"] == 1 and totals["awards"] == 2
    first = report["fengshi"][0]
    assert (first["grids_visited"], first["grids_count"], first["visits"]) == (1, 2, 1)
    assert [v["name"] for v in report["villages"]] == ["七星村"]


def test_township_report_is_its_villages_side_by_side(rw):
    report = monthly_report(Place(rw.weituo), rw.month)
    assert [v["name"] for v in report["villages"]] == ["七星村", "化龙村"]
    assert report["totals"]["received"] == 3  # 李湾村 belongs to 小沔镇
    assert report["totals"]["received"] == sum(v["received"] for v in report["villages"])
    assert report["totals"]["grids_count"] == 3 * 3  # three grids on each of the three 逢十 days


def test_beat_task_prepares_each_report_once_and_tells_the_officials_once(rw):
    with time_machine.travel(rw.next_month_morning, tick=False):
        first = prepare_monthly_reports_task.delay().get()
        again = prepare_monthly_reports_task.delay().get()
    assert first["month"] == f"{rw.month:%Y-%m}"
    assert first["prepared"] == 5  # 2 townships and 3 villages
    assert first["told"] == 3  # 渭沱镇's official and leader, 小沔镇's official
    assert (again["prepared"], again["told"]) == (0, 0)
    assert MonthlyReport.objects.filter(month=rw.month).count() == 5
    told = Notification.objects.filter(url__startswith=URL)
    assert sorted(n.user.username for n in told) == ["t_leader", "t_official", "t_xiaomian"]
    assert told.filter(user=rw.users.official).get().url == f"{URL}?township={rw.weituo.pk}&month={rw.month:%Y-%m}"
    stored = MonthlyReport.objects.get(village=rw.qixing, month=rw.month)
    assert stored.data["totals"]["received"] == 2


def test_command_prepares_a_given_month(rw):
    out = io.StringIO()
    with time_machine.travel(rw.next_month_morning, tick=False):  # a month is prepared once it is over
        call_command("prepare_monthly_reports", "--month", f"{rw.month:%Y-%m}", stdout=out)
        assert f"month={rw.month:%Y-%m} prepared=5" in out.getvalue()
        call_command("prepare_monthly_reports", "--month", f"{rw.month:%Y-%m}", stdout=out)
    assert "prepared=0" in out.getvalue()


def test_beat_runs_on_the_first_at_six(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["prepare-monthly-reports"]
    assert entry["task"] == prepare_monthly_reports_task.name
    schedule = entry["schedule"]
    assert (schedule.hour, schedule.minute, schedule.day_of_month) == ({6}, {0}, {1})


@pytest.mark.parametrize(
    ("persona", "place", "status"),
    [
        ("cadre", "village", 200),
        ("official", "village", 200),
        ("leader", "village", 200),
        ("admin", "village", 200),
        ("grid1", "village", 403),  # sees the village, not its report
        ("clerk", "village", 403),
        ("supervisor", "village", 403),
        ("handler", "village", 403),  # a department sees its township's places by name
        ("other_cadre", "village", 404),
        ("other_official", "village", 404),
        ("outsider", "village", 404),
        ("official", "township", 200),
        ("leader", "township", 200),
        ("cadre", "township", 403),
        ("other_official", "township", 404),
        ("outsider", "township", 404),
    ],
)
def test_who_reads_a_monthly_report(rw, client, persona, place, status):
    client.force_login(getattr(rw.users, persona))
    query = {"village": rw.qixing.pk} if place == "village" else {"township": rw.weituo.pk}
    query["month"] = f"{rw.month:%Y-%m}"
    assert client.get(URL, query).status_code == status
    assert client.get(URL + "export.xlsx", query).status_code == status


@pytest.mark.parametrize(
    "query", [{"village": "x"}, {"village": "1", "month": "2026-13"}, {"township": "1", "month": "2026"}]
)
def test_bad_queries_are_a_400(rw, client, query):
    client.force_login(rw.users.official)
    assert client.get(URL, query).status_code == 400


def test_the_bare_address_goes_to_ones_own_report(rw, client):
    """/reports/monthly/ with no place: to the one township (or village) whose report is
    theirs, the month kept; someone with no such place gets the 400 that says what to give."""
    client.force_login(rw.users.official)
    assert client.get(URL, {"month": "2026-01"})["Location"] == f"{URL}?month=2026-01&township={rw.weituo.pk}"
    client.force_login(rw.users.cadre)
    assert client.get(URL)["Location"] == f"{URL}?village={rw.qixing.pk}"
    client.force_login(rw.users.grid1)
    assert client.get(URL).status_code == 400


def test_page_shows_the_figures_and_prints_on_a4(rw, client):
    client.force_login(rw.users.official)
    html = client.get(URL, {"township": rw.weituo.pk, "month": f"{rw.month:%Y-%m}"}).content.decode()
    assert "css/report.css" in html and "data-print" in html
    assert f"?village={rw.qixing.pk}&amp;month={rw.month:%Y-%m}" in html
    assert 'action="/reports/monthly/export/?township=' in html  # the file is made in the background


def test_workbook_matches_the_report(rw, client, settings):
    client.force_login(rw.users.official)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(URL + "export.xlsx", {"township": rw.weituo.pk, "month": f"{rw.month:%Y-%m}"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    summary, kinds, days = ([list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets)
    assert summary[0][:3] == ["Village", "Matters received", "Closed"]
    report = monthly_report(Place(rw.weituo), rw.month)
    assert [(r[0], r[1]) for r in summary[1:]] == [
        *[(v["name"], v["received"]) for v in report["villages"]],
        ("Total", report["totals"]["received"]),
    ]
    assert [d[0] for d in days[1:]] == [d.isoformat() for d in fengshi_days(rw.month.year, rw.month.month)]
    assert sum(r[-1] for r in kinds[1:]) == 3


def test_page_reads_the_prepared_report_once_prepared(rw, client):
    with time_machine.travel(rw.next_month_morning, tick=False):
        call_command("prepare_monthly_reports", "--month", f"{rw.month:%Y-%m}", stdout=io.StringIO())
    MonthlyReport.objects.filter(village=rw.qixing).update(
        data={**MonthlyReport.objects.get(village=rw.qixing).data, "name": "已存"}
    )
    client.force_login(rw.users.cadre)
    html = client.get(URL, {"village": rw.qixing.pk, "month": f"{rw.month:%Y-%m}"}).content.decode()
    assert "已存" in html


def test_township_page_queries_stay_flat_as_matters_grow(rw, client):
    client.force_login(rw.users.official)
    query = {"township": rw.weituo.pk, "month": f"{rw.month:%Y-%m}"}
    client.get(URL, query)
    with CaptureQueriesContext(connection) as few:
        client.get(URL, query)
    for _ in range(5):
        rw.staff_matter(title="更多", grid=rw.q2, actor=rw.users.grid2)
    client.get(URL, query)  # the menu's queue is read again once (petitions.queue), as before `few`
    with CaptureQueriesContext(connection) as many:
        client.get(URL, query)
    assert len(many) == len(few)


def test_admin_lists_reports_read_only_and_a_deleted_one_is_prepared_again(rw, client):
    # A month is prepared once it is over: the clock moves to the next month's first morning.
    with time_machine.travel(rw.next_month_morning, tick=False):
        _admin_deletes_and_the_month_is_prepared_again(rw, client)


def _admin_deletes_and_the_month_is_prepared_again(rw, client):
    from django.contrib.auth import get_user_model

    month = f"{rw.month:%Y-%m}"
    call_command("prepare_monthly_reports", "--month", month, stdout=io.StringIO())
    admin = get_user_model().objects.create_superuser("t_root", password="x" * 12)
    client.force_login(admin)
    page = client.get("/admin/governance/monthlyreport/")
    assert page.status_code == 200 and "七星村" in page.content.decode()
    stored = MonthlyReport.objects.get(village=rw.qixing, month=rw.month)
    assert client.get(f"/admin/governance/monthlyreport/{stored.pk}/change/").status_code == 200
    assert client.post(f"/admin/governance/monthlyreport/{stored.pk}/change/", {}).status_code == 403
    assert client.get("/admin/governance/monthlyreport/add/").status_code == 403
    client.post(f"/admin/governance/monthlyreport/{stored.pk}/delete/", {"post": "yes"})
    assert not MonthlyReport.objects.filter(pk=stored.pk).exists()
    out = io.StringIO()
    call_command("prepare_monthly_reports", "--month", month, stdout=out)
    assert "prepared=1" in out.getvalue()
