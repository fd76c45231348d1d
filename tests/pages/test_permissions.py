"""Who may open which page: (persona, method, page) -> status.

Out of scope answers 404 (the household's existence is not revealed); in scope but not
allowed answers 403; anonymous visitors are sent to the login page. Households: q1 (grid 1
of 七星村, in 老院子), q1b (grid 1), q2 (grid 2), h1 (化龙村), l1 (小沔镇李湾村).
"""

import pytest

from governance.models import Notification
from grids.models import Household, IdNumberReveal
from tests.matrix import PAGE_PERSONAS, Case, matrix_params, page_login, page_problems, page_send, run_matrix

PERSONAS = PAGE_PERSONAS


def _everyone(status):
    return {p: (302 if p == "anonymous" else status) for p in PERSONAS}


def _row(**statuses):
    """Statuses by persona; unlisted personas get 404 (out of scope), anonymous 302."""
    row = dict.fromkeys(PERSONAS, 404)
    row["anonymous"] = 302
    row.update(statuses)
    return row


# Who sees q1: its grid worker, its courtyard helper, the village's cadre, the township's
# staff, the superuser (not the shop clerk: passbooks and the shop only, a 404 like a stranger).
# Who edits it: grid1, cadre, admin. Who moves it: cadre.
SEES_Q1 = {"grid1": 200, "helper": 200, "cadre": 200, "official": 200, "leader": 200, "admin": 200}
EDITS_Q1 = {**SEES_Q1, "helper": 403, "official": 403, "leader": 403}
MOVES_Q1 = {**EDITS_Q1, "grid1": 403}
REVEALS_Q1 = {**SEES_Q1, "grid1": 403, "helper": 403}
SEES_Q1B = {**SEES_Q1}
SEES_Q1B.pop("helper")  # q1b is not in the helper's courtyard
EDITORS = {"grid1", "grid2", "cadre", "other_cadre", "admin"}

MATRIX = {
    # The shop clerk (and nothing else) starts at the counter (governance.homes.counter_only).
    ("GET", "home"): {**_everyone(200), "clerk": 302},
    # The clerk: passbooks and the shop; the supervision committee (村务监督委员会): 村事 only.
    ("GET", "household-list"): {**_everyone(200), "clerk": 403, "supervisor": 403},
    ("GET", "notification-list"): _everyone(200),
    ("GET", "notification-preferences"): _everyone(200),
    ("GET", "household-create"): {p: (302 if p == "anonymous" else 200 if p in EDITORS else 403) for p in PERSONAS},
    ("GET", "household-detail-q1"): _row(**SEES_Q1),
    ("GET", "household-detail-q1b"): _row(**SEES_Q1B),
    ("GET", "household-detail-q2"): _row(grid2=200, cadre=200, official=200, leader=200, admin=200),
    ("GET", "household-detail-h1"): _row(other_cadre=200, official=200, leader=200, admin=200),
    ("GET", "household-detail-l1"): _row(other_official=200, admin=200),
    ("GET", "household-update-q1"): _row(**EDITS_Q1),
    ("POST", "household-update-q1"): _row(**EDITS_Q1),
    ("GET", "household-move-q1"): _row(**MOVES_Q1),
    ("POST", "household-move-q1"): _row(**MOVES_Q1),
    ("GET", "resident-create-q1"): _row(**EDITS_Q1),
    ("POST", "resident-create-q1"): _row(**EDITS_Q1),
    ("GET", "resident-detail-q1"): _row(**SEES_Q1),
    ("GET", "resident-update-q1"): _row(**EDITS_Q1),
    ("POST", "resident-update-q1"): _row(**EDITS_Q1),
    ("POST", "resident-reveal-q1"): _row(**REVEALS_Q1),
    ("GET", "resident-detail-q2"): _row(grid2=200, cadre=200, official=200, leader=200, admin=200),
    ("POST", "resident-reveal-l1"): _row(other_official=200, admin=200),
    # 七星村's dashboard (村级驾驶舱): its cadre, its township (drilling down), the superuser; to
    # everyone else it does not exist.
    ("GET", "village-dashboard"): _row(cadre=200, official=200, leader=200, admin=200),
    # 渭沱镇's dashboard (镇街驾驶舱): its staff and the superuser (drilling down from the
    # townships side by side); to everyone else, 小沔镇's official included, it does not exist.
    ("GET", "township-dashboard"): _row(official=200, leader=200, admin=200),
    # The 月报: a village's for its cadres and its township; a township's for its staff. Who sees
    # the place but may not read its report is refused (403); who does not see it, 404.
    ("GET", "monthly-report"): _row(
        **dict.fromkeys(("grid1", "grid2", "helper", "clerk", "supervisor", "handler"), 403),
        cadre=200,
        official=200,
        leader=200,
        admin=200,
    ),
    ("GET", "monthly-report-township"): _row(
        **dict.fromkeys(("grid1", "grid2", "helper", "clerk", "supervisor", "cadre", "other_cadre", "handler"), 403),
        official=200,
        leader=200,
        admin=200,
    ),
    ("GET", "monthly-report-export"): _row(
        **dict.fromkeys(("grid1", "grid2", "helper", "clerk", "supervisor", "handler"), 403),
        cadre=200,
        official=200,
        leader=200,
        admin=200,
    ),
}


def _urls(world):
    hh = world.households

    def member(household):
        return household.members.order_by("id").first().pk

    return {
        "home": "/",
        "household-list": "/households/",
        "notification-list": "/notifications/",
        "notification-preferences": "/notifications/settings/",
        "household-create": "/households/new/",
        "household-detail-q1": f"/households/{hh.q1.pk}/",
        "household-detail-q1b": f"/households/{hh.q1b.pk}/",
        "household-detail-q2": f"/households/{hh.q2.pk}/",
        "household-detail-h1": f"/households/{hh.h1.pk}/",
        "household-detail-l1": f"/households/{hh.l1.pk}/",
        "household-update-q1": f"/households/{hh.q1.pk}/edit/",
        "household-move-q1": f"/households/{hh.q1.pk}/move/",
        "resident-create-q1": f"/households/{hh.q1.pk}/residents/new/",
        "resident-detail-q1": f"/residents/{member(hh.q1)}/",
        "resident-update-q1": f"/residents/{member(hh.q1)}/edit/",
        "resident-reveal-q1": f"/residents/{member(hh.q1)}/reveal-id-number/",
        "resident-detail-q2": f"/residents/{member(hh.q2)}/",
        "resident-reveal-l1": f"/residents/{member(hh.l1)}/reveal-id-number/",
        "village-dashboard": f"/dashboard/villages/{world.qixing.pk}/",
        "township-dashboard": f"/dashboard/townships/{world.weituo.pk}/",
        "monthly-report": f"/reports/monthly/?village={world.qixing.pk}",
        "monthly-report-township": f"/reports/monthly/?township={world.weituo.pk}",
        "monthly-report-export": f"/reports/monthly/export.xlsx?village={world.qixing.pk}",
    }


CASES = [Case(method, page_name, row) for (method, page_name), row in MATRIX.items()]


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_page_permissions(client, world, case):
    url = _urls(world)[case.url]
    run_matrix(
        case,
        personas=list(case.expected),
        login=page_login(client, world.users),
        send=page_send(client, case.method, url),
        checks=[page_problems],
    )


def test_matrix_covers_every_page_and_the_required_personas():
    from governance.page_urls import urlpatterns as page_urls
    from tests.campaigns.test_matrix import COVERED_URL_NAMES as CAMPAIGN_PAGES
    from tests.civic.test_councils_pages import COVERED_URL_NAMES as COUNCIL_PAGES
    from tests.civic.test_mediation_pages import COVERED_URL_NAMES as MEDIATION_PAGES
    from tests.civic.test_selections_pages import COVERED_URL_NAMES as CIVIC_SELECTION_PAGES
    from tests.governance.test_accounts import COVERED_URL_NAMES as STAFF_PAGES
    from tests.governance.test_assignment_pages import COVERED_URL_NAMES as ASSIGNMENT_PAGES
    from tests.governance.test_finance import COVERED_URL_NAMES as FINANCE_PAGES
    from tests.governance.test_jobs import COVERED_URL_NAMES as JOB_PAGES
    from tests.governance.test_pledges import COVERED_URL_NAMES as PLEDGE_PAGES
    from tests.pages.test_catalogue_pages import COVERED_URL_NAMES as CATALOGUE_PAGES
    from tests.pages.test_compact_pages import COVERED_URL_NAMES as COMPACT_PAGES
    from tests.pages.test_matter_extra_pages import COVERED_URL_NAMES as EXTRA_PAGES
    from tests.pages.test_matter_pages import COVERED_URL_NAMES as MATTER_PAGES
    from tests.pages.test_place_pages import COVERED_URL_NAMES as PLACE_PAGES
    from tests.pages.test_public_pages import PUBLIC_PAGES
    from tests.pages.test_register_pages import MATRIX as REGISTER_MATRIX
    from tests.pages.test_visit_pages import COVERED_URL_NAMES as VISIT_PAGES
    from tests.points.test_pages import COVERED_URL_NAMES as POINTS_PAGES

    suffixes = ("-q1", "-q1b", "-q2", "-h1", "-l1", "-township")
    pages = {name.rsplit("-", 1)[0] if name.endswith(suffixes) else name for _method, name in MATRIX}
    names = set()
    for pattern in page_urls:
        for inner in getattr(pattern, "url_patterns", [pattern]):
            names.add(inner.name)
    covered = {"resident-reveal-id-number" if p == "resident-reveal" else p for p in pages}
    covered |= {name for _method, name in REGISTER_MATRIX}
    covered |= MATTER_PAGES  # with their own matrix in test_matter_pages.py
    covered |= set(PUBLIC_PAGES)  # no login: tests/pages/test_public_pages.py
    covered |= {"matter-photo"}  # scoped photo serving: tests/petitions/test_photos.py
    covered |= {"sms-inbound"}  # the SMS providers' reply callback (a token): tests/messaging/test_residents.py
    covered |= EXTRA_PAGES  # photo and clock forms: tests/pages/test_matter_extra_pages.py
    covered |= POINTS_PAGES  # the points bank's pages: tests/points/test_pages.py
    covered |= FINANCE_PAGES  # the accounts, the 村务 hub and the public board: tests/governance/test_finance.py
    covered |= COMPACT_PAGES  # the village compact's pages: tests/pages/test_compact_pages.py
    covered |= CATALOGUE_PAGES  # the catalogues and settings: tests/pages/test_catalogue_pages.py
    covered |= {"history"}  # an object's history: tests/governance/test_history.py, tests/scope_matrix.py
    covered |= MEDIATION_PAGES  # 三治 teams and mediations: tests/civic/test_mediation_pages.py
    covered |= PLEDGE_PAGES  # pledges (提诺·亮诺·践诺·评诺): tests/governance/test_pledges.py
    covered |= COUNCIL_PAGES  # the four councils (四会): tests/civic/test_councils_pages.py
    covered |= VISIT_PAGES  # visits, their service worker and the manifest: tests/pages/test_visit_pages.py
    covered |= {"visit-compliance"}  # its own matrix: tests/pages/test_visit_compliance.py
    covered |= {"visit-compliance-export"}  # its own matrix: tests/pages/test_compliance_export.py
    covered |= {"visit-photo"}  # scoped photo serving: tests/api/test_visits.py
    covered |= CIVIC_SELECTION_PAGES  # 最美 selections and activities: tests/civic/test_selections_pages.py
    covered |= {"history"}  # every kept kind for every demo account: tests/security/test_scope_matrix.py
    covered |= PLACE_PAGES  # grids and courtyards kept by their village: tests/pages/test_place_pages.py
    covered |= ASSIGNMENT_PAGES  # 人员安排 and 片区: tests/governance/test_assignment_pages.py
    covered |= STAFF_PAGES  # 管理 and staff accounts, the password page: tests/governance/test_accounts.py
    covered |= JOB_PAGES  # background jobs, each its owner's alone: tests/governance/test_jobs.py
    covered |= CAMPAIGN_PAGES  # 专项排查: tests/campaigns/test_matrix.py
    # django-simple-captcha's own images, open to all (the login page shows them): tests/governance/test_login.py
    covered |= {"captcha-image", "captcha-image-2x", "captcha-audio", "captcha-refresh"}
    missing = names - covered - {"login", "logout", "notification-read", "notification-read-all"}
    assert not missing
    for row in [*MATRIX.values(), *REGISTER_MATRIX.values()]:
        assert {"anonymous", "grid1", "grid2", "other_cadre", "other_official", "handler"} <= set(row)


def test_nothing_written_by_refused_posts(client, world):
    q1 = world.households.q1
    member = q1.members.order_by("id").first()
    for persona in ("grid2", "other_cadre", "other_official", "handler", "official", "helper"):
        client.force_login(getattr(world.users, persona))
        client.post(f"/households/{q1.pk}/edit/", {"number": "X1", "address": "hijacked"})
        client.post(f"/households/{q1.pk}/move/", {"to_grid": world.q2.pk, "reason": "x"})
        if persona != "official":  # a township official may see ID numbers
            client.post(f"/residents/{member.pk}/reveal-id-number/")
    q1.refresh_from_db()
    assert q1.number != "X1" and q1.address != "hijacked" and q1.grid_id == world.q1.pk
    assert not IdNumberReveal.objects.exists()
    assert Household.objects.count() == 5


def test_notifications_of_another_user_are_not_found(client, world):
    other = Notification.objects.create(user=world.users.cadre, title="给村干部")
    client.force_login(world.users.grid1)
    assert client.post(f"/notifications/{other.pk}/read/").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None
    assert client.get(f"/notifications/{other.pk}/read/").status_code == 405
