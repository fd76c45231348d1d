"""People's mediation (人民调解): the record, the agreement, the failure, the return visit,
the number, the matter's mediation record, and every refusal."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from governance.civic import mediations as m
from governance.civic import teams as t
from governance.civic.models import Mediation, MediationStatus, TeamKind
from governance.errors import Conflict, Forbidden
from grids.models import Village
from petitions.models import Deliberation, Kind
from petitions.services import matter_classify
from tests.civic import mediation_fixtures
from tests.civic.mediation_fixtures import PARTIES, days

cw = mediation_fixtures.cw  # the fixture

pytestmark = pytest.mark.django_db


def test_a_mediation_is_numbered_per_village_and_year(cw):
    first, second = cw.opened(), cw.opened()
    year = days(-3).year
    assert first.number == f"七星调〔{year}〕1号" and second.number == f"七星调〔{year}〕2号"
    other = cw.opened(actor=cw.users.other_cadre, village=cw.hualong, mediators=[cw.hualong_member], held_on=days(-3))
    assert other.number == f"化龙调〔{year}〕1号"
    assert first.status == MediationStatus.OPEN and first.team == cw.veterans


def test_a_township_lawyer_may_mediate_in_the_village(cw):
    mediation = cw.opened(mediators=[cw.vets[0], cw.lawyer])
    assert set(mediation.mediators.all()) == {cw.vets[0], cw.lawyer}


def test_who_records_a_mediation(cw):
    u = cw.users
    for actor in (u.cadre, u.grid1, u.grid2, u.official, u.leader):
        assert cw.opened(actor=actor).recorded_by == actor
    for actor in (u.helper, u.clerk, u.supervisor, u.other_cadre, u.other_official, u.handler, u.outsider):
        with pytest.raises(Forbidden):
            cw.opened(actor=actor)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"mediators": []}, "mediators"),
        ({"parties": [{"name": "张某"}]}, "parties"),
        ({"parties": [{"name": "张某"}, {"name": "  "}]}, "parties"),
        ({"parties": [{"name": "张某", "phone": "12345"}, {"name": "马某"}]}, "parties"),
        ({"facts": " "}, "facts"),
        ({"held_on": days(1)}, "held_on"),
        ({"dispute_kind": "war"}, "dispute_kind"),
    ],
    ids=["no mediator", "one party", "a party without a name", "a bad phone", "no facts", "in the future", "kind"],
)
def test_mediation_open_refuses_bad_input(cw, overrides, field):
    with pytest.raises(ValidationError) as refused:
        cw.opened(**overrides)
    assert field in refused.value.message_dict
    assert not Mediation.objects.exists()


def test_a_mediator_from_another_village_or_one_who_left_is_refused(cw):
    with pytest.raises(ValidationError) as refused:
        cw.opened(mediators=[cw.hualong_member])
    assert "mediators" in refused.value.message_dict
    t.member_leave(member=cw.vets[1], actor=cw.users.cadre, left_on=days(-10))
    with pytest.raises(ValidationError):
        cw.opened(mediators=[cw.vets[1]])


def test_the_team_must_be_one_of_the_village(cw):
    with pytest.raises(ValidationError) as refused:
        cw.opened(team=cw.hualong_team)
    assert "team" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        cw.opened(team=cw.committee)
    assert "team" in refused.value.message_dict


def test_a_matter_of_another_village_is_refused(cw, mw):
    matter = mw.staff_matter(grid=mw.h1, actor=mw.users.other_cadre)
    with pytest.raises(ValidationError) as refused:
        cw.opened(matter=matter)
    assert "matter" in refused.value.message_dict


def test_phones_are_shown_masked(cw):
    shown = m.parties_shown(cw.opened())
    assert shown[0]["phone"] == "158****1234" and shown[1]["phone"] == ""


def test_the_agreement_sets_the_return_visit_a_month_later(cw):
    mediation = cw.agreed()
    assert mediation.status == MediationStatus.AGREED
    assert mediation.return_visit_due == days(-1) + datetime.timedelta(days=30)
    assert mediation.confirmation_until == days(29)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"terms": ""}, "terms"),
        ({"agreed_on": days(1)}, "agreed_on"),
        ({"agreed_on": days(-10)}, "agreed_on"),
        ({"perform_by": days(-2)}, "perform_by"),
    ],
    ids=["no terms", "signed in the future", "signed before the mediation", "carried out before signing"],
)
def test_mediation_agree_refuses_bad_input(cw, overrides, field):
    mediation = cw.opened()
    with pytest.raises(ValidationError) as refused:
        cw.agreed(mediation, **overrides)
    assert field in refused.value.message_dict
    assert Mediation.objects.get(pk=mediation.pk).status == MediationStatus.OPEN


def test_only_an_open_mediation_is_agreed_or_failed(cw):
    agreed = cw.agreed()
    with pytest.raises(Conflict):
        cw.agreed(agreed)
    with pytest.raises(Conflict):
        cw.failed(agreed)
    failed = cw.failed()
    with pytest.raises(Conflict):
        cw.agreed(failed)


def test_role_before_state(cw):
    agreed = cw.agreed()
    with pytest.raises(Forbidden):
        cw.agreed(agreed, actor=cw.users.other_cadre)
    with pytest.raises(Forbidden):
        m.mediation_revisit(mediation=cw.opened(), actor=cw.users.clerk, performance="performed")


def test_a_failure_says_where_the_parties_were_guided(cw):
    mediation = cw.opened()
    with pytest.raises(ValidationError) as refused:
        m.mediation_fail(mediation=mediation, actor=cw.users.cadre, guided_to="", note="x")
    assert "guided_to" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        m.mediation_fail(mediation=mediation, actor=cw.users.cadre, guided_to="petition", note=" ")
    assert "note" in refused.value.message_dict
    with pytest.raises(ValidationError):
        m.mediation_fail(mediation=mediation, actor=cw.users.cadre, guided_to="petition", note="x", failed_on=days(-9))
    failed = m.mediation_fail(mediation=mediation, actor=cw.users.grid1, guided_to="petition", note="引导信访")
    assert failed.status == MediationStatus.FAILED and failed.guided_to == "petition"


def test_the_return_visit_only_on_an_agreement_once_and_not_before_it(cw):
    with pytest.raises(Conflict):
        m.mediation_revisit(mediation=cw.opened(), actor=cw.users.cadre, performance="performed")
    agreed = cw.agreed()
    with pytest.raises(ValidationError) as refused:
        m.mediation_revisit(mediation=agreed, actor=cw.users.cadre, performance="performed", revisited_on=days(-2))
    assert "revisited_on" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        m.mediation_revisit(mediation=agreed, actor=cw.users.cadre, performance="maybe")
    assert "performance" in refused.value.message_dict
    done = m.mediation_revisit(mediation=agreed, actor=cw.users.grid1, performance="performed", note="已付清")
    assert done.revisited_on == days(0) and done.revisited_by == cw.users.grid1
    with pytest.raises(Conflict):
        m.mediation_revisit(mediation=agreed, actor=cw.users.cadre, performance="performed")


def test_next_step(cw):
    assert m.next_step(cw.opened()) == "agree_or_fail"
    agreed = cw.agreed()
    assert m.next_step(agreed) == "revisit"
    assert m.next_step(agreed, days(40)) == "revisit_due"
    assert m.next_step(cw.failed()) == ""
    assert m.next_actions(cw.users.cadre, agreed) == ["revisit"]
    assert m.next_actions(cw.users.other_cadre, agreed) == []


def _civil(mw):
    matter = mw.staff_matter()
    return matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)


def test_the_agreement_is_the_civil_matters_mediation_record(cw, mw):
    matter = _civil(mw)
    mediation = cw.agreed(cw.opened(matter=matter), actor=cw.users.grid1)
    record = Deliberation.objects.get(matter=matter, kind=Deliberation.Kind.MEDIATION)
    assert record.parties == ["张某", "马某"] and record.signed_by == ["张某", "马某"]
    assert record.agreed_terms == mediation.terms and record.facts == mediation.facts
    assert m.matter_link(mediation) == "recorded"


def test_the_matter_is_left_alone_when_the_recorder_does_not_own_it(cw, mw):
    matter = _civil(mw)
    mediation = cw.agreed(cw.opened(matter=matter, actor=cw.users.official), actor=cw.users.official)
    assert mediation.status == MediationStatus.AGREED
    assert not Deliberation.objects.filter(matter=matter).exists()
    assert m.matter_link(mediation) == "not_owner"


def test_the_matter_is_left_alone_when_it_is_not_being_deliberated(cw, mw):
    matter = mw.staff_matter()
    mediation = cw.agreed(cw.opened(matter=matter))
    assert not Deliberation.objects.filter(matter=matter).exists()
    assert m.matter_link(mediation) == "not_civil"


@pytest.mark.django_db(transaction=True)
def test_two_recorders_at_once_draw_different_numbers(world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (set DATABASE_URL)")
    from tests.civic.mediation_fixtures import cw as make

    world_cw = make.__wrapped__(world)
    errors, numbers = [], []

    def record():
        try:
            numbers.append(world_cw.opened().number)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(numbers)) == 4


def test_villages_of_one_name_in_two_townships_each_number_their_own_mediations(cw):
    """Numbers are per village: 七星村 of 小沔镇 has its 七星调〔year〕1号 beside 渭沱镇's, no 500."""
    Village.objects.filter(pk=cw.liwan.pk).update(name="七星村")
    twin = Village.objects.get(pk=cw.liwan.pk)
    team = t.team_create(actor=cw.users.admin, kind=TeamKind.RESIDENT_MEDIATORS, name="调解队", village=twin)
    member = t.member_add(team=team, actor=cw.users.admin, name="调解员", joined_on=days(-30))
    first = cw.opened()
    second = m.mediation_open(
        actor=cw.users.admin,
        village=twin,
        mediators=[member],
        dispute_kind="neighbours",
        parties=PARTIES,
        facts="邻里排水纠纷。",
        held_on=days(-3),
    )
    assert first.number == second.number
    assert first.village_id != second.village_id
