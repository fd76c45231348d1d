"""Attacks on what issue 14 added: the dashboards, the homes, the monthly report, the
exports, the matter list's figure filters, the household panels and the duplicate checks,
as every role, with malformed input and with races."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from governance.errors import Refused
from governance.models import MonthlyReport, Notification
from governance.reports import prepare_monthly_reports
from petitions.models import Deliberation
from tests.petitions.test_duplicates import MINUTES, _meeting_matter

pytestmark = pytest.mark.django_db

BAD = [
    "2026-13",
    "0000-00",
    "9999-12",
    "0001-01",
    "2026-12..2026-01",
    "2026Q5",
    str(2**63),
    str(2**64),
    "-1",
    "0",
    "²",
    "١٢",
    "七",
    "x" * 3000,
    "\x00",
    "2026-01\x00",
    "",
    " 12 ",
    "1e3",
    "true",
]
FILTER_BAD = {"2026-13", "2026-12..2026-01", str(2**64), "-1", "²", "x" * 3000, "\x00", "true"}


def _client(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _paths(mw):
    v, t = mw.qixing.pk, mw.weituo.pk
    paths = []
    for bad in BAD:
        paths += [
            ("/reports/monthly/", {"village": v, "month": bad}),
            ("/reports/monthly/", {"township": t, "month": bad}),
            ("/reports/monthly/", {"village": bad, "month": "2026-01"}),
            ("/reports/monthly/", {"township": bad}),
            ("/reports/monthly/export.xlsx", {"village": v, "month": bad}),
            ("/reports/monthly/export.xlsx", {"township": bad}),
            ("/visits/compliance/export.xlsx", {"month": bad}),
            ("/visits/compliance/export.xlsx", {"cycle": bad}),
            ("/points/ledger.xlsx", {"village": bad}),
            ("/points/ledger.xlsx", {"village": v, "month": bad}),
            ("/matters/new/duplicates/", {"grid": bad, "title": "路灯"}),
            ("/matters/new/duplicates/", {"grid": mw.q1.pk, "title": bad, "description": bad, "category": bad}),
            ("/visits/log/", {"household": bad}),
            ("/matters/", {"q": bad}),
            ("/matters/", {"q": "#" + bad}),
            ("/matters/export.xlsx", {"q": "#" + bad}),
        ]
        for name in (
            "village",
            "township",
            "department",
            "step_group",
            "overdue",
            "accept_overdue",
            "awaiting_sign",
            "mine",
            "unsigned",
            "signed_on_time",
            "escalated",
            "supervised",
            "returned_by",
            "created",
            "closed",
            "due",
            "timeliness",
            "rating",
            "state",
            "kind",
            "grid",
            "category",
            "search",
            "page",
        ):
            if bad in FILTER_BAD:  # the export reads the list's own filters (petitions.views._filtered)
                paths += [("/matters/", {name: bad}), ("/api/v1/matters/", {name: bad})]
    for big in (2**63, 2**64, 10**30):
        paths += [(f"/dashboard/villages/{big}/", {}), (f"/points/boards/{big}/export.xlsx", {})]
    return paths


def test_no_malformed_parameter_is_a_server_error(mw):
    errors = []
    paths = _paths(mw)
    # The superuser reaches every view past its scope checks.
    for user in [mw.users.admin]:
        client = _client(user)
        for path, params in paths:
            try:
                response = client.get(path, params)
            except Exception as error:  # noqa: BLE001
                errors.append(f"{user} {path} {params!r:.80}: {type(error).__name__} {error!s:.100}")
                continue
            if response.status_code >= 500:
                errors.append(f"{user} {path} {params!r:.80}: {response.status_code}")
    assert errors == [], "\n".join(errors[:80])


# ---------------------------------------------------------------- the monthly report's month


def _month(offset: int) -> str:
    """This month moved by `offset` months, as YYYY-MM."""
    first = timezone.localdate().replace(day=1)
    index = first.year * 12 + first.month - 1 + offset
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@pytest.mark.parametrize("month", ["9999-12", "1999-12", "0001-01", "+1"])
def test_a_month_out_of_range_is_a_400_not_a_server_error(mw, client, month):
    client.force_login(mw.users.official)
    month = _month(1) if month == "+1" else month
    for url in ("/reports/monthly/", "/reports/monthly/export.xlsx"):
        response = client.get(url, {"township": mw.weituo.pk, "month": month})
        assert response.status_code == 400, (url, month)
    assert client.get("/reports/monthly/", {"township": mw.weituo.pk, "month": _month(0)}).status_code == 200


def test_a_month_out_of_range_of_a_place_out_of_scope_is_still_a_404(mw, client):
    client.force_login(mw.users.other_official)
    assert client.get("/reports/monthly/", {"township": mw.weituo.pk, "month": "9999-12"}).status_code == 404


def test_a_month_not_over_is_never_prepared(mw):
    """A prepared report is final: preparing this month (or a later one) would freeze half
    a month's figures, and tell the officials, for good."""
    this_month = timezone.localdate().replace(day=1)
    for month in (this_month, (this_month + datetime.timedelta(days=40)).replace(day=1)):
        with pytest.raises(Refused) as refused:
            prepare_monthly_reports(month=month)
        assert refused.value.code == "month_out_of_range"
        with pytest.raises(CommandError):
            call_command("prepare_monthly_reports", "--month", f"{month:%Y-%m}", stdout=io.StringIO())
    assert not MonthlyReport.objects.exists() and not Notification.objects.exists()


def test_a_rerun_and_a_second_worker_prepare_once_and_tell_once(mw):
    last = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    first = prepare_monthly_reports(month=last)
    # The second worker finds a row another created but did not finish: it does not claim it.
    MonthlyReport.objects.filter(village=mw.qixing).update(prepared_at=None, data={})
    again = prepare_monthly_reports(month=last)
    assert first["prepared"] == 5 and again == {"month": f"{last:%Y-%m}", "prepared": 1, "told": 0}
    assert MonthlyReport.objects.count() == 5
    assert Notification.objects.filter(url__contains="/reports/monthly/").count() == first["told"] == 3


# ---------------------------------------------------------------- scope: nothing of 渭沱镇 to 小沔镇


def test_the_other_township_learns_nothing_of_weituo(mw, client):
    mw.staff_matter(title="七星村秘密事项")
    mw.staff_matter(title="化龙村秘密事项", grid=mw.h1, actor=mw.users.other_cadre)
    client.force_login(mw.users.other_official)
    month = _month(0)
    refused = {
        "/reports/monthly/": {"township": mw.weituo.pk, "month": month},
        "/reports/monthly/export.xlsx": {"village": mw.qixing.pk, "month": month},
        f"/dashboard/villages/{mw.qixing.pk}/": {},
        "/points/ledger.xlsx": {"village": mw.qixing.pk},
    }
    for url, query in refused.items():
        assert client.get(url, query).status_code == 404, url
    pages = [
        ("/", {}),
        ("/matters/", {"township": mw.weituo.pk}),
        ("/matters/", {"village": mw.qixing.pk, "step_group": "before", "created": month}),
        ("/matters/", {"department": mw.sifasuo.pk, "mine": "false"}),
        ("/reports/monthly/", {"township": mw.xiaomian.pk, "month": month}),
    ]
    for url, query in pages:
        html = client.get(url, query).content.decode()
        for name in ("秘密事项", "七星村", "化龙村", "渭沱镇"):
            assert name not in html, (url, query, name)
    for query in ({"township": mw.weituo.pk}, {"village": mw.qixing.pk}, {}):
        book = load_workbook(io.BytesIO(client.get("/matters/export.xlsx", query).content))
        assert list(book.active.iter_rows(min_row=2, values_only=True)) == []
    book = load_workbook(io.BytesIO(client.get("/visits/compliance/export.xlsx", {"month": month}).content))
    cells = " ".join(str(c) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for c in r)
    assert "七星村" not in cells and "渭沱镇" not in cells


@pytest.mark.parametrize("persona", ["grid1", "helper", "clerk", "handler", "other_cadre", "supervisor"])
def test_a_report_not_theirs_is_refused_to_every_other_role(mw, client, persona):
    client.force_login(getattr(mw.users, persona))
    for query in ({"township": mw.weituo.pk}, {"village": mw.qixing.pk}):
        assert client.get("/reports/monthly/", query).status_code in (403, 404), query
        assert client.get("/reports/monthly/export.xlsx", query).status_code in (403, 404), query
    assert client.get(f"/dashboard/villages/{mw.qixing.pk}/").status_code == 404


def test_mine_shows_only_what_the_caller_recorded(mw, client):
    mw.staff_matter(title="网格一自己的")
    mw.staff_matter(title="网格二的", grid=mw.q2, actor=mw.users.grid2)
    mw.staff_matter(title="干部记的", grid=mw.q1, actor=mw.users.cadre)
    client.force_login(mw.users.grid1)
    for query in ({"mine": "true"}, {"mine": "true", "mine ": "false"}, {"mine": ["true", "false"]}):
        html = client.get("/matters/", query).content.decode()
        assert "网格一自己的" in html and "网格二的" not in html and "干部记的" not in html
    html = client.get("/matters/", {"mine": "false", "grid": mw.q2.pk, "village": mw.qixing.pk}).content.decode()
    assert "网格二的" not in html


# ---------------------------------------------------------------- exports


def test_a_title_typed_as_a_formula_stays_text_in_every_export(mw, client):
    for title in ('=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)"):
        mw.staff_matter(title=title)
    client.force_login(mw.users.cadre)
    response = client.get("/matters/export.xlsx")
    cells = [row[1] for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2)]
    assert sorted(c.value for c in cells) == sorted(
        ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)"]
    )
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_a_register_name_typed_as_a_formula_stays_text(mw, client):
    from tests.factories import make_household

    make_household(mw.q1, head_name="=cmd|' /C calc'!A0")
    client.force_login(mw.users.cadre)
    book = load_workbook(io.BytesIO(client.get("/households/export/").content))
    cells = [c for row in book.worksheets[0].iter_rows(min_row=2) for c in row if c.value]
    assert any(c.value == "=cmd|' /C calc'!A0" for c in cells)
    assert not [c for c in cells if c.data_type == "f"]


def test_an_export_past_the_row_limit_refuses_before_reading_a_row(mw, client, monkeypatch):
    from petitions import exports

    monkeypatch.setattr(exports, "MAX_EXPORT_ROWS", 1)
    mw.staff_matter(title="一")
    mw.staff_matter(title="二")
    client.force_login(mw.users.cadre)
    response = client.get("/matters/export.xlsx", {"state": "submitted"})
    assert response.status_code == 302 and response["Location"] == "/matters/?state=submitted"
    assert "xlsx" not in response.get("Content-Type", "")


# ---------------------------------------------------------------- duplicates


def test_a_duplicate_out_of_sight_is_never_suggested_nor_scored(mw, client):
    mw.staff_matter(title="第二网格路灯不亮", grid=mw.q2, actor=mw.users.grid2)
    mw.staff_matter(title="化龙村路灯不亮", grid=mw.h1, actor=mw.users.other_cadre)
    client.force_login(mw.users.grid1)
    for grid in (mw.q1.pk, mw.q2.pk, mw.h1.pk):
        html = client.get("/matters/new/duplicates/", {"grid": grid, "title": "路灯不亮"}).content.decode()
        assert "第二网格" not in html and "化龙村" not in html and "%" not in html


@pytest.mark.parametrize("value", ["maybe", "2", ["yes", "no"], {"a": 1}, None])
def test_confirm_duplicate_that_is_no_boolean_is_a_400_and_writes_nothing(mw, api_client, value):
    matter = _meeting_matter(mw)
    api_client.force_authenticate(mw.users.grid1)
    url = f"/api/v1/matters/{matter.pk}/deliberate/"
    payload = {"kind": "meeting", "held_on": datetime.date.today().isoformat(), "summary": MINUTES}
    response = api_client.post(url, {**payload, "confirm_duplicate": value}, format="json")
    assert response.status_code == 400 and "confirm_duplicate" in response.json()
    assert Deliberation.objects.filter(matter=matter).count() == 1
    response = api_client.post(url, {**payload, "confirm_duplicate": "false"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "duplicate_deliberation"


# ---------------------------------------------------------------- homes and household panels


def test_the_field_and_department_homes_cost_the_same_queries_for_few_and_many(mw, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from petitions.models import State
    from tests.api.matter_states import government

    def cost(user):
        client.force_login(user)
        client.get("/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return len(queries)

    government(mw, State.HANDLING)
    mw.staff_matter()
    users = (mw.users.grid1, mw.users.handler, mw.users.helper)
    few = [cost(user) for user in users]
    for _ in range(4):
        government(mw, State.HANDLING)
        mw.staff_matter()
    assert [cost(user) for user in users] == few


def test_a_household_panel_shows_no_matter_to_a_role_that_does_not_read_them(mw, client):
    mw.staff_matter(title="张三家的事项", household=mw.households.q1)
    for persona, shown in (("clerk", False), ("grid2", None), ("other_cadre", None), ("cadre", True)):
        client.force_login(getattr(mw.users, persona))
        response = client.get(f"/households/{mw.households.q1.pk}/")
        if shown is None:
            assert response.status_code == 404, persona
            assert client.get("/visits/log/", {"household": mw.households.q1.pk}).status_code == 404, persona
            continue
        assert ("张三家的事项" in response.content.decode()) is shown, persona
