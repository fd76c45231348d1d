"""The teams' and mediations' pages: the permission matrix over every persona, lists whose
queries stay flat, forms that keep what was typed, and the printable agreement."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext

from governance.civic import teams as t
from governance.civic.models import ConsultationMembers, Mediation, MediationStatus, TeamKind, TeamMember
from petitions.models import Kind
from petitions.services import matter_classify, matter_deliberate
from tests.civic import mediation_fixtures
from tests.civic.mediation_fixtures import days
from tests.matrix import PAGE_PERSONAS, Case, matrix_params, page_login, page_problems, page_send, run_matrix

cw = mediation_fixtures.cw  # the fixture

pytestmark = pytest.mark.django_db

READERS = ("grid1", "grid2", "cadre", "official", "leader", "admin")
NON_READERS = ("helper", "clerk", "supervisor", "handler", "outsider")


def _row(default, *bases, **statuses):
    row = dict.fromkeys(PAGE_PERSONAS, default)
    row["anonymous"] = 302
    for base in bases:
        row.update(base)
    row.update(statuses)
    return row


SEES = dict.fromkeys(READERS, 200)
REFUSED = dict.fromkeys(NON_READERS, 403)

PAGE_MATRIX = {
    ("GET", "team-list", "/civic/teams/"): _row(200, REFUSED),
    # A village's cadres or a township's staff create teams.
    ("GET", "team-create", "/civic/teams/new/"): _row(
        403, grid1=403, cadre=200, other_cadre=200, official=200, leader=200, other_official=200, admin=200
    ),
    ("GET", "team-detail", "/civic/teams/{veterans}/"): _row(404, SEES),
    # The empty form comes back with its errors (400) for the team's keepers.
    ("POST", "team-member-add", "/civic/teams/{veterans}/members/"): _row(
        404, dict.fromkeys(READERS, 403), cadre=400, admin=400
    ),
    ("POST", "team-member-leave", "/civic/teams/{veterans}/members/{vet3}/leave/"): _row(
        404, dict.fromkeys(READERS, 403), cadre=400, admin=400
    ),
    ("GET", "mediation-list", "/civic/mediations/"): _row(200, REFUSED),
    ("GET", "mediation-create", "/civic/mediations/new/"): _row(200, REFUSED),
    ("GET", "mediation-detail", "/civic/mediations/{open}/"): _row(404, SEES),
    ("GET", "mediation-agreement", "/civic/mediations/{agreed}/agreement/"): _row(404, SEES),
    ("POST", "mediation-action", "/civic/mediations/{open}/agree/"): _row(404, dict.fromkeys(READERS, 400)),
    ("GET", "consultation-list", "/civic/consultations/"): _row(200, REFUSED),
    # A consultation is seen in its matter's scope: grid staff their own grid's.
    ("GET", "consultation-members", "/civic/consultations/{consultation}/"): _row(404, SEES, grid2=404),
}
EXTRA_CASES = [
    Case("GET", "/civic/mediations/{open}/agreement/", _row(404, dict.fromkeys(READERS, 409)), note="no agreement"),
    Case("POST", "/civic/mediations/{agreed}/agree/", _row(404, dict.fromkeys(READERS, 409)), note="agreed already"),
    Case("POST", "/civic/mediations/{open}/nonsense/", _row(404), note="no such step"),
    Case("POST", "/civic/consultations/{consultation}/", _row(404, dict.fromkeys(READERS, 400), grid2=404)),
]
# The page names this matrix covers (for tests/pages/test_permissions.py).
COVERED_URL_NAMES = {name for _method, name, _url in PAGE_MATRIX}
PAGE_CASES = [Case(method, url, row, note=name) for (method, name, url), row in PAGE_MATRIX.items()] + EXTRA_CASES


def _consultation(mw):
    matter = mw.staff_matter()
    matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    return matter_deliberate(
        matter=matter, actor=mw.users.grid1, kind="meeting", held_on=days(0), summary="院坝会商议", attendees=["张三"]
    )


def _state():
    return (
        list(Mediation.objects.order_by("pk").values_list("pk", "status", "terms")),
        list(TeamMember.objects.order_by("pk").values_list("pk", "left_on")),
        list(ConsultationMembers.objects.values_list("pk", "members")),
    )


# One test per case, every persona in it (each in a rolled-back savepoint): the world is
# built once per case, not once per persona.
@pytest.mark.parametrize("case", matrix_params(PAGE_CASES))
def test_team_and_mediation_page_permissions(cw, mw, client, case):
    ids = {
        "veterans": cw.veterans.pk,
        "vet3": cw.vets[2].pk,
        "open": cw.opened().pk,
        "agreed": cw.agreed().pk,
        "consultation": _consultation(mw).pk,
    }
    url, _data = case.resolve(ids)
    run_matrix(
        case,
        personas=list(case.expected),
        login=page_login(client, cw.users),
        send=page_send(client, case.method, url),
        snapshot=_state,
        checks=[page_problems],
    )


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_lists_queries_stay_flat(cw, client):
    client.force_login(cw.users.cadre)
    cw.opened()
    _count(client, "/civic/teams/")
    before = _count(client, "/civic/teams/"), _count(client, "/civic/mediations/")
    for index in range(5):
        kind = TeamKind.RESIDENT_MEDIATORS
        team = t.team_create(actor=cw.users.cadre, kind=kind, name=f"队{index}", village=cw.qixing)
        t.member_add(team=team, actor=cw.users.cadre, name=f"人{index}", joined_on=days(-10))
        cw.agreed(cw.opened(mediators=[cw.vets[index % 3], cw.lawyer]))
    assert (_count(client, "/civic/teams/"), _count(client, "/civic/mediations/")) == before


def test_the_list_shows_the_next_step(cw, client):
    cw.opened()
    client.force_login(cw.users.grid1)
    page = client.get("/civic/mediations/").content.decode()
    assert gettext("Record the agreement or the failure") in page


def test_the_create_form_keeps_what_was_typed_and_says_what_is_wrong(cw, client):
    client.force_login(cw.users.cadre)
    form = client.get("/civic/mediations/new/")
    token = form.context["form"].initial["form_token"]
    answer = client.post(
        "/civic/mediations/new/",
        {
            "form_token": token,
            "village": cw.qixing.pk,
            "mediators": [cw.vets[0].pk],
            "dispute_kind": "land",
            "held_on": days(0).isoformat(),
            "facts": "修路占地",
            "party1_name": "张某",
            "party1_phone": "123",
            "party2_name": "",
        },
    )
    assert answer.status_code == 400
    errors = answer.context["form"].errors
    assert "party1_phone" in errors and "party2_name" in errors
    assert "修路占地" in answer.content.decode()
    assert not Mediation.objects.exists()


def test_recording_agreeing_and_printing_through_the_pages(cw, client):
    client.force_login(cw.users.cadre)
    token = client.get("/civic/mediations/new/").context["form"].initial["form_token"]
    answer = client.post(
        "/civic/mediations/new/",
        {
            "form_token": token,
            "village": cw.qixing.pk,
            "mediators": [cw.vets[0].pk, cw.lawyer.pk],
            "dispute_kind": "land",
            "held_on": days(0).isoformat(),
            "facts": "修路占地",
            "party1_name": "张某",
            "party1_phone": "15800001234",
            "party2_name": "马某",
        },
    )
    assert answer.status_code == 302
    mediation = Mediation.objects.get()
    assert answer["Location"] == f"/civic/mediations/{mediation.pk}/"
    detail = client.get(answer["Location"])
    token = detail.context["forms"]["agree"].initial["form_token"]
    agreed = client.post(
        f"/civic/mediations/{mediation.pk}/agree/",
        {
            "agree-form_token": token,
            "agree-terms": "张某补偿马某800元",
            "agree-agreed_on": days(0).isoformat(),
            "agree-perform_by": days(10).isoformat(),
        },
    )
    assert agreed.status_code == 302
    assert Mediation.objects.get().status == MediationStatus.AGREED
    paper = client.get(f"/civic/mediations/{mediation.pk}/agreement/").content.decode()
    for text in (
        "张某补偿马某800元",
        "王老兵",
        "陈律师",
        mediation.number,
        "civic/agreement.css",
        "第三十三条",
    ):
        assert text in paper, text
    assert "15800001234" not in paper
    from pathlib import Path

    from django.contrib.staticfiles import finders

    css = Path(finders.find("civic/agreement.css")).read_text(encoding="utf-8")
    assert "@page { size: A4" in css


def test_a_team_keeper_adds_a_member_and_records_one_leaving(cw, client):
    client.force_login(cw.users.cadre)
    page = client.get(f"/civic/teams/{cw.veterans.pk}/")
    token = page.context["member_form"].initial["form_token"]
    added = client.post(
        f"/civic/teams/{cw.veterans.pk}/members/",
        {"member-form_token": token, "member-name": "孙老兵", "member-role": "member", "member-phone": "15800009999"},
    )
    assert added.status_code == 302 and cw.veterans.members.filter(name="孙老兵").exists()
    page = client.get(f"/civic/teams/{cw.veterans.pk}/").content.decode()
    assert "158****9999" in page and "15800009999" not in page
    token = client.get(f"/civic/teams/{cw.veterans.pk}/").context["leave_form"].initial["form_token"]
    left = client.post(f"/civic/teams/{cw.veterans.pk}/members/{cw.vets[2].pk}/leave/", {"leave-form_token": token})
    assert left.status_code == 302
    assert TeamMember.objects.get(pk=cw.vets[2].pk).left_on == days(0)


def test_a_grid_worker_records_who_took_part_in_a_consultation(cw, mw, client):
    group = t.team_create(actor=cw.users.cadre, kind=TeamKind.CONSULTATION, name="一网格议事团", grid=cw.q1)
    sitting = t.member_add(team=group, actor=cw.users.cadre, name="议事员", joined_on=days(-9))
    record = _consultation(mw)
    client.force_login(cw.users.grid1)
    listed = client.get("/civic/consultations/").content.decode()
    assert "路灯不亮" in listed and gettext("Record the team members who took part") in listed
    page = client.get(f"/civic/consultations/{record.pk}/")
    token = page.context["form"].initial["form_token"]
    saved = client.post(
        f"/civic/consultations/{record.pk}/", {"form_token": token, "members": [sitting.pk, cw.vets[0].pk]}
    )
    assert saved.status_code == 302
    assert set(ConsultationMembers.objects.get(deliberation=record).members.all()) == {sitting, cw.vets[0]}
    assert "议事员" in client.get("/civic/consultations/").content.decode()


def test_the_consultation_list_queries_stay_flat(cw, mw, client):
    client.force_login(cw.users.cadre)
    t.consultation_members_record(deliberation=_consultation(mw), actor=cw.users.cadre, members=[cw.vets[0]])
    _count(client, "/civic/consultations/")
    before = _count(client, "/civic/consultations/")
    for _ in range(4):
        record = _consultation(mw)
        t.consultation_members_record(deliberation=record, actor=cw.users.cadre, members=[cw.vets[0], cw.lawyer])
    _count(client, "/civic/consultations/")  # new matters renew the menu's cached queue (petitions.queue)
    assert _count(client, "/civic/consultations/") == before
