"""The API permission matrix: one row per (method, url, payload), giving each persona's status.

Out of scope answers 404, a role that may not act 403, anonymous 401 (token authentication
comes first, so DRF answers NotAuthenticated with 401 and a WWW-Authenticate header).
A refused write leaves the database exactly as it was.
"""

import pytest

from governance.models import Notification
from governance.services import notify
from grids.models import Household, HouseholdMove, IdNumberReveal, Resident
from tests.matrix import API_PERSONAS, Case, api_expect, api_login, api_problems, api_send, matrix_params, run_matrix

PERSONAS, expect = API_PERSONAS, api_expect


# Who sees a household or resident of 七星村 grid 1 (q1, in the courtyard 老院子). Not the
# shop clerk: passbooks and the shop only, so the register is a 404 as for a stranger.
SEES_Q1 = {"grid1": 200, "helper": 200, "cadre": 200, "official": 200, "leader": 200, "admin": 200}
# Who sees a 七星村 grid 1 household outside the courtyard (q1b).
SEES_Q1B = {**SEES_Q1, "helper": 404}
# Who edits grid 1's register.
EDITS_Q1 = {"grid1": 200, "helper": 403, "cadre": 200, "official": 403, "leader": 403, "admin": 200}
# A create in grid 1: roles that edit the register elsewhere see no grid 1 (400 on the field);
# roles without register rights at all are refused before anything is read (403).
CREATES_IN_Q1 = expect(403, grid1=201, cadre=201, admin=201, grid2=400, other_cadre=400)
EVERYONE = expect(200)
# The lists of people: everyone gets their scope's rows, but the shop clerk and the village
# supervision committee (村务监督委员会: 村事 only), whose roles read no people, are refused
# (403), as on the pages; one row of theirs is a 404 like a stranger's.
PEOPLE_LISTS = expect(200, clerk=403, supervisor=403)
TOWNSHIP_WEITUO = expect(200, other_official=404, outsider=404)

MATRIX = [
    # (method, url, payload, expected statuses)
    # places
    ("GET", "/api/v1/townships/", None, EVERYONE),
    ("GET", "/api/v1/townships/{weituo}/", None, TOWNSHIP_WEITUO),
    ("GET", "/api/v1/townships/{xiaomian}/", None, expect(404, other_official=200, admin=200)),
    ("GET", "/api/v1/villages/", None, EVERYONE),
    ("GET", "/api/v1/villages/{qixing}/", None, expect(200, other_cadre=404, other_official=404, outsider=404)),
    ("GET", "/api/v1/villages/{liwan}/", None, expect(404, other_official=200, admin=200)),
    ("GET", "/api/v1/grids/", None, EVERYONE),
    # The supervision committee sees its village by name, not its grids and courtyards.
    (
        "GET",
        "/api/v1/grids/{q1}/",
        None,
        expect(200, grid2=404, supervisor=404, other_cadre=404, other_official=404, outsider=404),
    ),
    ("GET", "/api/v1/courtyards/", None, EVERYONE),
    (
        "GET",
        "/api/v1/courtyards/{yard}/",
        None,
        expect(200, grid2=404, supervisor=404, other_cadre=404, other_official=404, outsider=404),
    ),
    ("GET", "/api/v1/departments/", None, EVERYONE),
    ("GET", "/api/v1/departments/{sifasuo}/", None, TOWNSHIP_WEITUO),
    # people and responsibility
    ("GET", "/api/v1/me/", None, EVERYONE),
    ("GET", "/api/v1/assignments/", None, EVERYONE),
    (
        "GET",
        "/api/v1/assignments/{asg_grid1}/",
        None,
        expect(404, grid1=200, cadre=200, official=200, leader=200, admin=200),
    ),
    # the household register: reads
    ("GET", "/api/v1/households/", None, PEOPLE_LISTS),
    ("GET", "/api/v1/households/{hh_q1}/", None, expect(404, **SEES_Q1)),
    ("GET", "/api/v1/households/{hh_q1b}/", None, expect(404, **SEES_Q1B)),
    (
        "GET",
        "/api/v1/households/{hh_q2}/",
        None,
        expect(404, grid2=200, cadre=200, official=200, leader=200, admin=200),
    ),
    ("GET", "/api/v1/households/{hh_l1}/", None, expect(404, other_official=200, admin=200)),
    ("GET", "/api/v1/residents/", None, PEOPLE_LISTS),
    ("GET", "/api/v1/residents/{res_q1}/", None, expect(404, **SEES_Q1)),
    ("GET", "/api/v1/residents/{res_q1b}/", None, expect(404, **SEES_Q1B)),
    # the household register: writes
    ("POST", "/api/v1/households/", {"grid": "{q1}", "number": "N-900"}, CREATES_IN_Q1),
    ("PATCH", "/api/v1/households/{hh_q1}/", {"address": "新地址 8 号"}, expect(404, **EDITS_Q1)),
    (
        "PUT",
        "/api/v1/households/{hh_q1b}/",
        {"number": "N-901", "address": "新地址", "phone": "15800009119"},
        expect(404, **{**EDITS_Q1, "helper": 404}),
    ),
    (
        "POST",
        "/api/v1/households/{hh_q1b}/move/",
        {"to_grid": "{q2}", "reason": "新房在二组"},
        expect(404, grid1=403, cadre=200, official=403, leader=403, admin=200),
    ),
    (
        "POST",
        "/api/v1/residents/",
        {"household": "{hh_q1}", "name": "张小三", "relation_to_head": "grandchild", "gender": "male"},
        CREATES_IN_Q1,
    ),
    ("PATCH", "/api/v1/residents/{res_q1}/", {"notes": "腿脚不便"}, expect(404, **EDITS_Q1)),
    (
        "POST",
        "/api/v1/residents/{res_q1}/reveal-id-number/",
        None,
        expect(404, grid1=403, helper=403, cadre=200, official=200, leader=200, admin=200),
    ),
    # notifications: only one's own, even for a superuser
    ("GET", "/api/v1/notifications/", None, EVERYONE),
    ("GET", "/api/v1/notifications/unread-count/", None, EVERYONE),
    ("GET", "/api/v1/notifications/{note_grid1}/", None, expect(404, grid1=200)),
    ("POST", "/api/v1/notifications/{note_grid1}/mark-read/", None, expect(404, grid1=200)),
    ("POST", "/api/v1/notifications/mark-all-read/", None, EVERYONE),
]


CASES = [Case(method, url, expected, data) for method, url, data, expected in MATRIX]


def database_state():
    """Everything a refused write (or a read) must leave untouched."""
    return (
        list(Household.objects.order_by("pk").values_list("pk", "grid_id", "number", "address", "phone", "notes")),
        list(Resident.objects.order_by("pk").values_list("pk", "grid_id", "name", "notes")),
        HouseholdMove.objects.count(),
        IdNumberReveal.objects.count(),
        Notification.objects.filter(read_at__isnull=True).count(),
    )


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_permission_matrix(world, ids, api_client, case):
    ids = {
        **ids,
        "liwan": world.liwan.pk,
        "asg_grid1": world.users.grid1.assignments.get().pk,
        "note_grid1": notify(user=world.users.grid1, title="逢十提醒").pk,
    }
    url, data = case.resolve(ids)
    run_matrix(
        case,
        personas=PERSONAS,
        login=api_login(api_client, world.users),
        send=api_send(api_client, case.method, url, data),
        snapshot=database_state,
        checks=[api_problems],
    )
