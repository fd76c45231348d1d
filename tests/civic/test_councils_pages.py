# ruff: noqa: F811 (the `cw` fixture is imported, then named by each test)
"""The councils' pages: the permission matrix over every persona, the calendar and the list
(flat query counts), planning and recording through the forms, a concern that becomes a
matter, a rating, and the printable minutes."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.civic import councils as c
from governance.civic.models import Concern, CouncilKind, Meeting, MeetingStatus, ResultRating
from petitions.models import Source
from tests.civic.council_fixtures import cw  # noqa: F401
from tests.matrix import PAGE_PERSONAS, Case, matrix_params, page_login, page_problems, page_send, run_matrix

pytestmark = pytest.mark.django_db

READERS = ("grid1", "grid2", "cadre", "official", "leader", "admin")
NON_READERS = dict.fromkeys(("helper", "clerk", "supervisor", "handler", "outsider"), 403)
OTHERS = dict.fromkeys(("other_cadre", "other_official"), 404)
NOT_RUNNERS = dict.fromkeys(("grid1", "grid2", "official", "leader"), 403)


def _row(default, **statuses):
    row = dict.fromkeys(PAGE_PERSONAS, default)
    row["anonymous"] = 302
    row.update(statuses)
    return row


PAGE_MATRIX = {
    ("GET", "meeting-calendar", "/civic/councils/"): _row(200, **NON_READERS),
    ("GET", "meeting-list", "/civic/councils/meetings/"): _row(200, **NON_READERS),
    ("GET", "meeting-create", "/civic/councils/meetings/new/"): _row(403, cadre=200, other_cadre=200, admin=200),
    ("GET", "meeting-detail", "/civic/councils/meetings/{held}/"): _row(
        404, **NON_READERS, **dict.fromkeys(READERS, 200)
    ),
    ("GET", "meeting-minutes", "/civic/councils/meetings/{held}/minutes/"): _row(
        404, **NON_READERS, **dict.fromkeys(READERS, 200)
    ),
    # The record form sent empty: the runner gets it back with its errors (400).
    ("POST", "meeting-action", "/civic/councils/meetings/{planned}/record/"): _row(
        404, **NON_READERS, **NOT_RUNNERS, cadre=400, admin=400
    ),
}
# The page names this matrix covers (for tests/pages/test_permissions.py's coverage check).
COVERED_URL_NAMES = {name for _method, name, _url in PAGE_MATRIX}
PAGE_CASES = [Case(method, url, row, note=name) for (method, name, url), row in PAGE_MATRIX.items()]
PAGE_CASES.append(
    Case(
        "POST",
        "/civic/councils/meetings/{held}/concerns/",
        _row(404),
        note="unknown step",
    )
)
PAGE_CASES.append(
    Case(
        "POST",
        "/civic/councils/meetings/{held}/record/",
        _row(404, **NON_READERS, **NOT_RUNNERS, cadre=409, admin=409),
        note="held",
    )
)


def _state():
    return list(Meeting.objects.order_by("pk").values_list("status", "minutes")), Concern.objects.count()


# One test per case, every persona in it (each in a rolled-back savepoint): the world is
# built once per case, not once per persona.
@pytest.mark.parametrize("case", matrix_params(PAGE_CASES))
def test_council_page_permissions(cw, client, case):
    ids = {"held": cw.held().pk, "planned": cw.plan().pk}
    url, _data = case.resolve(ids)
    run_matrix(
        case,
        personas=list(case.expected),
        login=page_login(client, cw.users),
        send=page_send(client, case.method, url),
        snapshot=_state,
        checks=[page_problems],
    )


def _form_token(response, prefix=""):
    import re

    name = f"{prefix}-form_token" if prefix else "form_token"
    return re.search(rf'name="{name}" value="([^"]+)"', response.content.decode()).group(1)


def test_a_cadre_plans_records_and_raises_two_concerns_through_the_pages(cw, client):
    client.force_login(cw.users.cadre)
    form = client.get("/civic/councils/meetings/new/?kind=concerns")
    response = client.post(
        "/civic/councils/meetings/new/",
        {
            "form_token": _form_token(form),
            "village": cw.qixing.pk,
            "kind": "concerns",
            "held_on": cw.today.isoformat(),
            "starts_at": "09:30",
            "place": "村委会议室",
            "agenda": "听取群众意见",
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/civic/councils/meetings/{meeting.pk}/"
    detail = client.get(response["Location"])
    url = f"/civic/councils/meetings/{meeting.pk}/"
    record = {
        "record-form_token": _form_token(detail, "record"),
        "record-chaired_by": "陈书记",
        "record-attendees": "张三、李四、王五",
        "record-minutes": "群众反映两件事",
    }
    assert client.post(url + "record/", record).status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    for who, title in (("张三", "路灯坏了"), ("王五", "水渠堵了")):
        page = client.get(url)
        data = {
            "concern-form_token": _form_token(page, "concern"),
            "concern-raised_by": who,
            "concern-title": title,
            "concern-description": f"{who}反映{title}",
            "concern-grid": cw.q1.pk,
        }
        assert client.post(url + "concern/", data).status_code == 302
    concerns = list(meeting.concerns.select_related("matter"))
    assert [(x.raised_by, x.matter.title, x.matter.source) for x in concerns] == [
        ("张三", "路灯坏了", Source.MEETING),
        ("王五", "水渠堵了", Source.MEETING),
    ]
    page = client.get(url).content.decode()
    for concern in concerns:
        assert f'href="/matters/{concern.matter_id}/"' in page


def test_a_record_with_errors_keeps_what_was_typed_and_says_what_is_wrong(cw, client):
    meeting = cw.plan()
    client.force_login(cw.users.cadre)
    url = f"/civic/councils/meetings/{meeting.pk}/"
    token = _form_token(client.get(url), "record")
    response = client.post(url + "record/", {"record-form_token": token, "record-chaired_by": "陈书记"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="陈书记"' in body and 'id="id_record-attendees_error"' in body


def test_a_meeting_ahead_offers_no_record_form_and_says_when(cw, client):
    meeting = cw.plan(held_on=cw.tomorrow)
    client.force_login(cw.users.cadre)
    body = client.get(f"/civic/councils/meetings/{meeting.pk}/").content.decode()
    assert "record-chaired_by" not in body and cw.tomorrow.isoformat() in body


def test_a_results_council_rates_a_matter_through_its_page(cw, client):
    meeting, matter = cw.held(CouncilKind.RESULTS), cw.handled_matter()
    client.force_login(cw.users.cadre)
    url = f"/civic/councils/meetings/{meeting.pk}/"
    data = {
        "rating-form_token": _form_token(client.get(url), "rating"),
        "rating-subject": f"matter-{matter.pk}",
        "rating-raters": 9,
        "rating-satisfied": 6,
        "rating-basically_satisfied": 2,
        "rating-unsatisfied": 1,
    }
    assert client.post(url + "rating/", data).status_code == 302
    assert ResultRating.objects.get().verdict == "satisfied"


def test_the_minutes_carry_what_paper_needs(cw, client):
    meeting = cw.held(starts_at=datetime.time(9, 30))
    concern = c.concern_raise(
        meeting=meeting, actor=cw.users.cadre, raised_by="张三", title="路灯坏了", description="三组", grid=cw.q1
    )
    client.force_login(cw.users.grid1)
    body = client.get(f"/civic/councils/meetings/{meeting.pk}/minutes/").content.decode()
    for text in (
        "七星村",
        "09:30",
        "村委会议室",
        "陈书记",
        "张三、李四、王五",
        "听取群众意见",
        "会议纪要",
        f"#{concern.matter_id}",
    ):
        assert text in body, text
    assert "sign-line" in body and "councils.css" in body


def test_the_calendar_moves_by_month_and_shows_the_meetings_of_that_month(cw, client):
    ahead = cw.today.replace(day=1) + datetime.timedelta(days=40)
    cw.plan(held_on=ahead, title="下月恳谈会")
    cw.held(title="本月恳谈会")
    client.force_login(cw.users.official)
    this = client.get("/civic/councils/").content.decode()
    assert "本月恳谈会" in this and "下月恳谈会" not in this
    assert f"?month={ahead.strftime('%Y-%m')}" in this
    later = client.get(f"/civic/councils/?month={ahead.strftime('%Y-%m')}").content.decode()
    assert "下月恳谈会" in later and "本月恳谈会" not in later
    assert "本月恳谈会" not in client.get(f"/civic/councils/?village={cw.hualong.pk}").content.decode()


def test_the_list_filters_by_council(cw, client):
    cw.plan(title="议题甲")
    cw.plan(CouncilKind.MORAL, title="议题乙")
    client.force_login(cw.users.cadre)
    body = client.get("/civic/councils/meetings/?kind=moral").content.decode()
    assert "议题乙" in body and "议题甲" not in body


@pytest.mark.parametrize("url", ["/civic/councils/", "/civic/councils/meetings/"])
def test_the_calendar_and_the_list_cost_the_same_queries_for_more_meetings(cw, client, url):
    client.force_login(cw.users.cadre)
    cw.held()

    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    measure()
    few = measure()
    for kind in CouncilKind.values:
        cw.held(kind)
        cw.plan(kind)
    measure()  # a new matter renews the menu's cached queue (petitions.queue): read once, as before `few`
    assert measure() == few


def test_a_planned_meeting_is_moved_then_cancelled_through_its_page(cw, client):
    meeting = cw.plan(held_on=cw.tomorrow)
    client.force_login(cw.users.cadre)
    url = f"/civic/councils/meetings/{meeting.pk}/"
    page = client.get(url)
    body = page.content.decode()
    assert 'name="update-matter"' not in body  # only a coordination meeting names a matter
    later = cw.tomorrow + datetime.timedelta(days=7)
    data = {
        "update-form_token": _form_token(page, "update"),
        "update-held_on": later.isoformat(),
        "update-place": "三组院坝",
        "update-agenda": "听取三组意见",
    }
    assert client.post(url + "update/", data).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.place) == (later, "三组院坝")
    page = client.get(url)
    data = {"cancel-form_token": _form_token(page, "cancel"), "cancel-reason": "暴雨改期"}
    assert client.post(url + "cancel/", data).status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    again = client.post(url + "cancel/", {"cancel-form_token": _form_token(page, "update"), "cancel-reason": "x"})
    assert again.status_code == 409
