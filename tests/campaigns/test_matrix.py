"""The campaigns' permission matrix: (persona, method, url) -> status for every endpoint of
/api/v1/campaigns/, /api/v1/campaign-tasks/, /api/v1/campaign-photos/,
/api/v1/campaign-templates/ and every page under /campaigns/.

The records: the township's started gas campaign for 七星村 ("started", a task in 第一网格 and
one in 第二网格), a township draft ("draft"), and 化龙村's own started campaign ("hualong").
Out of scope is a 404; a role that has no business with campaigns is a 403 before the lookup.
"""

import datetime
import re
import uuid

import pytest
from django.urls import resolve
from django.utils import timezone

from grids.campaigns.library import GAS
from grids.campaigns.models import AnswerPhoto, Campaign, Task
from grids.campaigns.services import answer_photo_upload, campaign_create, campaign_start
from tests.matrix import (
    API_PERSONAS,
    PAGE_PERSONAS,
    Case,
    api_expect,
    api_login,
    api_problems,
    api_send,
    matrix_params,
    page_login,
    page_problems,
    page_send,
    run_matrix,
    statuses,
)
from tests.pledge_fixtures import jpeg

pytestmark = pytest.mark.django_db

expect = api_expect

# Who reads 七星村's township campaign: the township, the village cadre and the grid staff
# whose grids have its tasks; the superuser.
READS_STARTED = ("grid1", "grid2", "helper", "cadre", "official", "leader", "admin")
# Who reads a task of 第一网格 and its answer (scope kind "task"): the grid worker, the courtyard
# helper, the village cadre and the township.
READS_Q1_TASK = ("grid1", "helper", "cadre", "official", "leader", "admin")
# Roles with no business with campaigns (the shop clerk, a department handler, no role at all):
# 403 on the list and on an organiser's action, before any lookup; a campaign by id is "does not
# exist" to them.
NO_CAMPAIGNS = {"clerk": 403, "handler": 403, "outsider": 403}
NO_CAMPAIGN_BY_ID = {"clerk": 404, "handler": 404, "outsider": 404}
# Roles that do not organise: 403 on an organiser's action, wherever the campaign is.
NOT_ORGANISERS = {"grid1": 403, "grid2": 403, "helper": 403, "supervisor": 403, **NO_CAMPAIGNS}
# Roles that do not visit households: 403 on an answer.
NOT_ANSWERERS = {"official": 403, "leader": 403, "other_official": 403, "supervisor": 403, **NO_CAMPAIGNS}
# The to-do list is for those who visit households, as its page: 403 for everyone else (the
# township, the shop clerk, the supervisor, a department handler, no role).
TODO_REFUSED = NOT_ANSWERERS


def _day(n: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=n)).isoformat()


def _answer(**extra) -> dict:
    return {"client_uuid": str(uuid.UUID(int=7)), "answers": {"uses_gas": "no"}, **extra}


API_MATRIX = [
    ("GET", "/api/v1/campaigns/", None, expect(200, supervisor=403, **NO_CAMPAIGNS), ""),
    (
        "GET",
        "/api/v1/campaigns/{started}/",
        None,
        expect(404, **dict.fromkeys(READS_STARTED, 200), **NO_CAMPAIGN_BY_ID),
        "",
    ),
    (
        "GET",
        "/api/v1/campaigns/{draft}/",
        None,
        expect(404, official=200, leader=200, admin=200, **NO_CAMPAIGN_BY_ID),
        "",
    ),
    (
        "GET",
        "/api/v1/campaigns/{hualong}/",
        None,
        expect(404, other_cadre=200, official=200, leader=200, admin=200, **NO_CAMPAIGN_BY_ID),
        "",
    ),
    (
        "POST",
        "/api/v1/campaigns/",
        {
            "village": "{qixing}",
            "title": "防汛排查",
            "starts_on": "{today}",
            "due_on": "{later}",
            "template": "gas_safety",
        },
        expect(403, official=201, leader=201, cadre=201, admin=201, other_cadre=400, other_official=400),
        "",
    ),
    (
        "PATCH",
        "/api/v1/campaigns/{draft}/",
        {"title": "燃气排查（改）"},
        expect(404, **NOT_ORGANISERS, official=200, leader=200, admin=200),
        "",
    ),
    (
        "PATCH",
        "/api/v1/campaigns/{started}/",
        {"title": "燃气排查（改）"},
        expect(404, **NOT_ORGANISERS, official=409, leader=409, admin=409, cadre=403),
        "",
    ),
    (
        "POST",
        "/api/v1/campaigns/{draft}/form/",
        {"template": "gas_safety"},
        expect(404, **NOT_ORGANISERS, official=200, leader=200, admin=200),
        "",
    ),
    (
        "POST",
        "/api/v1/campaigns/{draft}/start/",
        None,
        expect(404, **NOT_ORGANISERS, official=200, leader=200, admin=200),
        "",
    ),
    (
        "POST",
        "/api/v1/campaigns/{started}/start/",
        None,
        expect(404, **NOT_ORGANISERS, official=409, leader=409, admin=409, cadre=403),
        "",
    ),
    (
        "POST",
        "/api/v1/campaigns/{started}/close/",
        None,
        expect(404, **NOT_ORGANISERS, official=200, leader=200, admin=200, cadre=403),
        "",
    ),
    (
        "POST",
        "/api/v1/campaigns/{hualong}/close/",
        None,
        expect(404, **NOT_ORGANISERS, other_cadre=200, official=200, leader=200, admin=200),
        "",
    ),
    (
        "GET",
        "/api/v1/campaigns/{started}/progress/",
        None,
        expect(404, **dict.fromkeys(READS_STARTED, 200), **NO_CAMPAIGN_BY_ID),
        "",
    ),
    (
        "GET",
        "/api/v1/campaigns/{started}/export/",
        None,
        expect(404, **dict.fromkeys(READS_STARTED, 200), **NO_CAMPAIGN_BY_ID),
        "",
    ),
    ("GET", "/api/v1/campaign-tasks/", None, expect(200, **TODO_REFUSED), ""),
    ("GET", "/api/v1/campaign-tasks/{task_q1}/", None, expect(404, **dict.fromkeys(READS_Q1_TASK, 200)), ""),
    (
        "POST",
        "/api/v1/campaign-tasks/{task_q1}/answer/",
        _answer(),
        expect(404, **NOT_ANSWERERS, grid1=201, helper=201, cadre=201, admin=201),
        "",
    ),
    (
        "POST",
        "/api/v1/campaign-tasks/batch/",
        {"answers": [{"task": "{task_q1}", **_answer()}]},
        expect(200, **NOT_ANSWERERS),
        "",
    ),
    ("GET", "/api/v1/campaign-templates/", None, expect(200), ""),
]

API_CASES = [Case(method, url, expected, data, note=note) for method, url, data, expected, note in API_MATRIX]


@pytest.fixture
def records(world, safety):
    u = world.users
    today = timezone.localdate()
    common = {"starts_on": today, "due_on": today + datetime.timedelta(days=20), "form": GAS.form}
    started = campaign_create(
        actor=u.official, township=world.weituo, title="燃气安全排查", villages=[world.qixing], **common
    )
    started = campaign_start(campaign=started, actor=u.official)
    draft = campaign_create(actor=u.official, township=world.weituo, title="草稿", villages=[world.qixing], **common)
    hualong = campaign_create(
        actor=u.other_cadre,
        township=world.weituo,
        village=world.hualong,
        title="化龙村排查",
        villages=[world.hualong],
        **common,
    )
    hualong = campaign_start(campaign=hualong, actor=u.other_cadre)
    task_q1 = Task.objects.filter(campaign=started, household=world.households.q1).get()
    photo = answer_photo_upload(actor=u.grid1, upload=jpeg())
    AnswerPhoto.objects.filter(pk=photo.pk).update(task=task_q1)
    return {
        "photo_q1": photo.pk,
        "qixing": world.qixing.pk,
        "today": today.isoformat(),
        "later": (today + datetime.timedelta(days=14)).isoformat(),
        "started": started.pk,
        "draft": draft.pk,
        "hualong": hualong.pk,
        "task_q1": task_q1.pk,
    }


def _state():
    return (
        list(Campaign.objects.order_by("pk").values_list("pk", "state", "title", "form_source", "task_count")),
        list(Task.objects.order_by("pk").values_list("pk", "state", "client_uuid", "answers")),
        AnswerPhoto.objects.count(),
    )


@pytest.mark.parametrize("case", matrix_params(API_CASES))
def test_campaign_api_permission_matrix(world, records, api_client, case):
    url, data = case.resolve(records)
    run_matrix(
        case,
        personas=API_PERSONAS,
        login=api_login(api_client, world.users),
        send=api_send(api_client, case.method, url, data),
        snapshot=_state,
        checks=[_api_problems],
    )


def _api_problems(persona, response):
    """The export's download is a workbook; an error from it is JSON like any other."""
    if response.status_code == 200 and not response["Content-Type"].startswith("application/json"):
        return []
    return api_problems(persona, response)


def test_campaign_photo_upload_matrix(world, api_client):
    """A photo for a photo question: whoever answers; the multipart upload goes through the
    same runner (a fresh image for each persona)."""
    case = Case("POST", "/api/v1/campaign-photos/", expect(201, **NOT_ANSWERERS))
    run_matrix(
        case,
        personas=API_PERSONAS,
        login=api_login(api_client, world.users),
        send=lambda: api_client.post(case.url, {"image": jpeg()}, format="multipart"),
        snapshot=_state,
        checks=[api_problems],
    )


def page(default, *, sees=None, **overrides):
    return statuses(PAGE_PERSONAS, default, sees=sees, anonymous=302, **overrides)


# The pages refuse the roles that have no business with campaigns (the supervision committee
# among them) with 403.html; a campaign by id is then "does not exist" on its actions.
PAGE_NO_CAMPAIGNS = {"clerk": 403, "supervisor": 403, "handler": 403, "outsider": 403}
ORGANISERS_FORM = {
    "official": 200,
    "leader": 200,
    "cadre": 200,
    "other_cadre": 200,
    "other_official": 200,
    "admin": 200,
}

# Who builds the township's draft: its organisers (no one else sees a draft with no tasks).
DRAFT_ORGANISERS = ("official", "leader", "admin")
# Who reads the township's started campaign but does not organise it.
NOT_BUILDERS = {"grid1": 403, "grid2": 403, "helper": 403, "cadre": 403}

PAGE_MATRIX = [
    ("GET", "/campaigns/", page(200, **PAGE_NO_CAMPAIGNS)),
    ("GET", "/campaigns/new/", page(403, **ORGANISERS_FORM)),
    # An empty form comes back with its errors; a task's form without its token too.
    ("POST", "/campaigns/new/", page(403, **dict.fromkeys(ORGANISERS_FORM, 400))),
    ("GET", "/campaigns/tasks/", page(200, official=403, leader=403, other_official=403, **PAGE_NO_CAMPAIGNS)),
    ("GET", "/campaigns/tasks/{task_q1}/", page(200, sees=READS_Q1_TASK)),
    ("POST", "/campaigns/tasks/{task_q1}/", page(400, sees=READS_Q1_TASK)),
    # A photo answer: whoever reads its task, a 404 for the rest (as the visits' photos).
    ("GET", "/campaigns/photos/{photo_q1}/", page(200, sees=READS_Q1_TASK)),
    ("GET", "/campaigns/{started}/", page(200, sees=READS_STARTED, **PAGE_NO_CAMPAIGNS)),
    (
        "GET",
        "/campaigns/{hualong}/",
        page(200, sees=("other_cadre", "official", "leader", "admin"), **PAGE_NO_CAMPAIGNS),
    ),
    # A campaign's task list (the list behind its progress figures): whoever reads the campaign;
    # each sees the tasks of the households they read (tests/campaigns/test_progress.py).
    ("GET", "/campaigns/{started}/tasks/", page(200, sees=READS_STARTED, **PAGE_NO_CAMPAIGNS)),
    (
        "GET",
        "/campaigns/{hualong}/tasks/?overdue=1",
        page(200, sees=("other_cadre", "official", "leader", "admin"), **PAGE_NO_CAMPAIGNS),
    ),
    ("POST", "/campaigns/{draft}/start/", page(302, sees=("official", "leader", "admin"))),
    ("POST", "/campaigns/{started}/close/", page(302, sees=READS_STARTED, grid1=403, grid2=403, helper=403, cadre=403)),
    ("POST", "/campaigns/{started}/start/", page(409, sees=READS_STARTED, grid1=403, grid2=403, helper=403, cadre=403)),
    ("POST", "/campaigns/{started}/delete/", page(403, sees=READS_STARTED)),
    # The form builder: the draft's organisers; a started campaign's form does not change (409),
    # and is not the grid staff's or the village cadre's to build (403). An empty post comes
    # back with its errors (400).
    *[
        (method, url, page(status, sees=DRAFT_ORGANISERS, **PAGE_NO_CAMPAIGNS))
        for method, url, status in [
            ("GET", "/campaigns/{draft}/questions/", 200),
            ("GET", "/campaigns/{draft}/new-question/", 200),
            ("POST", "/campaigns/{draft}/new-question/", 400),
            ("GET", "/campaigns/{draft}/questions/uses_gas/", 200),
            ("POST", "/campaigns/{draft}/questions/uses_gas/", 400),
            ("POST", "/campaigns/{draft}/questions/gas_kind/up/", 400),
        ]
    ],
    *[
        (method, url, page(409, sees=READS_STARTED, **NOT_BUILDERS, **PAGE_NO_CAMPAIGNS))
        for method, url in [
            ("GET", "/campaigns/{started}/questions/"),
            ("POST", "/campaigns/{started}/new-question/"),
            ("GET", "/campaigns/{started}/questions/uses_gas/"),
            ("POST", "/campaigns/{started}/questions/gas_kind/delete/"),
        ]
    ],
]

PAGE_CASES = [Case(method, url, expected) for method, url, expected in PAGE_MATRIX]
# The page names this matrix covers (tests/pages/test_permissions.py checks every page is covered).
COVERED_URL_NAMES = {
    resolve(re.sub(r"\{\w+\}", "1", url.split("?")[0])).url_name for _method, url, _expected in PAGE_MATRIX
}


@pytest.mark.parametrize("case", matrix_params(PAGE_CASES))
def test_campaign_page_permission_matrix(world, records, client, case):
    url, data = case.resolve(records)
    run_matrix(
        case,
        personas=case.expected,
        login=page_login(client, world.users),
        send=page_send(client, case.method, url, data),
        snapshot=_state,
        checks=[_page_problems],
    )


def _page_problems(persona, response):
    """A start or close that went through goes back to the campaign; the rest as every page."""
    if response.status_code == 302 and response["Location"].startswith("/campaigns/"):
        return []
    return page_problems(persona, response)
