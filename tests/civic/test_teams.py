"""Teams (治委会, 协商议事团, the mediation teams): who keeps them, and every refusal."""

import pytest
from django.core.exceptions import ValidationError

from governance.civic import teams as t
from governance.civic.models import ConsultationMembers, Team, TeamKind, TeamRole
from governance.errors import Conflict, Forbidden
from petitions.models import Deliberation, Kind
from petitions.services import matter_classify, matter_deliberate
from tests.civic import mediation_fixtures
from tests.civic.mediation_fixtures import days

cw = mediation_fixtures.cw  # the fixture

pytestmark = pytest.mark.django_db


def test_a_village_cadre_keeps_the_village_teams_and_the_township_its_own(cw):
    assert t.may_keep(cw.users.cadre, cw.veterans)
    assert not t.may_keep(cw.users.cadre, cw.lawyers)
    assert t.may_keep(cw.users.official, cw.lawyers)
    assert not t.may_keep(cw.users.grid1, cw.veterans)
    assert not t.may_keep(cw.users.other_cadre, cw.veterans)


def test_grid_staff_cannot_create_a_team(cw):
    with pytest.raises(Forbidden):
        t.team_create(actor=cw.users.grid1, kind=TeamKind.VETERANS, name="x", village=cw.qixing)


def test_a_cadre_cannot_create_a_township_team(cw):
    with pytest.raises(Forbidden):
        t.team_create(actor=cw.users.cadre, kind=TeamKind.LAWYERS, name="x", township=cw.weituo)


def test_a_cadre_of_another_village_cannot_create_a_team_here(cw):
    with pytest.raises(Forbidden):
        t.team_create(actor=cw.users.other_cadre, kind=TeamKind.VETERANS, name="x", village=cw.qixing)


def test_a_village_has_one_active_committee(cw):
    with pytest.raises(Conflict) as refused:
        t.team_create(actor=cw.users.cadre, kind=TeamKind.COMMITTEE, name="第二个", village=cw.qixing)
    assert refused.value.code == "team_exists"


def test_a_grid_has_one_consultation_group_and_it_needs_its_grid(cw):
    group = t.team_create(actor=cw.users.cadre, kind=TeamKind.CONSULTATION, name="一网格议事团", grid=cw.q1)
    assert group.village_id == cw.qixing.pk and group.township_id == cw.weituo.pk
    with pytest.raises(Conflict):
        t.team_create(actor=cw.users.cadre, kind=TeamKind.CONSULTATION, name="又一个", grid=cw.q1)
    with pytest.raises(ValidationError) as refused:
        t.team_create(actor=cw.users.cadre, kind=TeamKind.CONSULTATION, name="无网格", village=cw.qixing)
    assert "grid" in refused.value.message_dict


def test_a_committee_needs_a_village_and_a_name(cw):
    with pytest.raises(ValidationError) as refused:
        t.team_create(actor=cw.users.official, kind=TeamKind.COMMITTEE, name="x", township=cw.weituo)
    assert "village" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        t.team_create(actor=cw.users.cadre, kind=TeamKind.RESIDENT_MEDIATORS, name="  ", village=cw.qixing)
    assert "name" in refused.value.message_dict


def test_standing_down_a_team_keeps_it_and_lets_a_new_committee_form(cw):
    t.team_update(team=cw.committee, actor=cw.users.cadre, is_active=False)
    assert Team.objects.get(pk=cw.committee.pk).is_active is False
    t.team_create(actor=cw.users.cadre, kind=TeamKind.COMMITTEE, name="新治委会", village=cw.qixing)
    with pytest.raises(Conflict):
        t.team_update(team=cw.committee, actor=cw.users.cadre, is_active=True)


def test_member_add_refusals(cw):
    u = cw.users
    with pytest.raises(Forbidden):
        t.member_add(team=cw.veterans, actor=u.grid1, name="新人")
    with pytest.raises(Forbidden):
        t.member_add(team=cw.lawyers, actor=u.cadre, name="新人")
    with pytest.raises(ValidationError) as refused:
        t.member_add(team=cw.veterans, actor=u.cadre, name="新人", phone="123")
    assert "phone" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        t.member_add(team=cw.veterans, actor=u.cadre, name="新人", joined_on=days(1))
    assert "joined_on" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        t.member_add(team=cw.veterans, actor=u.cadre, name="王老兵")
    assert "name" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        t.member_add(team=cw.veterans, actor=u.cadre, name="外村人", resident=cw.households.h1.members.first())
    assert "resident" in refused.value.message_dict
    t.team_update(team=cw.veterans, actor=u.cadre, is_active=False)
    with pytest.raises(Conflict):
        t.member_add(team=cw.veterans, actor=u.cadre, name="新人")


def test_a_member_leaves_once_and_stays_on_the_record(cw):
    member = cw.vets[2]
    with pytest.raises(Forbidden):
        t.member_leave(member=member, actor=cw.users.grid1)
    with pytest.raises(ValidationError):
        t.member_leave(member=member, actor=cw.users.cadre, left_on=days(1))
    with pytest.raises(ValidationError):
        t.member_leave(member=member, actor=cw.users.cadre, left_on=days(-500))
    t.member_leave(member=member, actor=cw.users.cadre)
    with pytest.raises(Conflict):
        t.member_leave(member=member, actor=cw.users.cadre)
    assert cw.veterans.members.count() == 3
    assert member not in t.mediators_for(cw.qixing)


def test_the_phone_is_kept_whole_and_shown_masked(cw):
    member = t.member_add(team=cw.veterans, actor=cw.users.cadre, name="有电话", phone="158-0000-1234")
    assert member.phone == "15800001234" and t.member_phone(member) == "158****1234"


def test_a_village_reader_sees_its_teams_and_its_township_teams_only(cw):
    seen = set(t.teams_visible_to(cw.users.grid1).values_list("name", flat=True))
    assert seen == {"七星村治委会", "七星村老兵说法营", "渭沱镇公益律师团"}
    assert "七星村老兵说法营" not in set(t.teams_visible_to(cw.users.other_official).values_list("name", flat=True))
    assert not t.teams_visible_to(cw.users.clerk).exists()


def test_mediators_for_a_village_are_its_own_and_its_township_teams_current_members(cw):
    assert set(t.mediators_for(cw.qixing)) == {*cw.vets, cw.lawyer}
    assert set(t.mediators_for(cw.hualong)) == {cw.hualong_member, cw.lawyer}


def _consultation(cw):
    matter = cw.staff_matter()
    matter_classify(matter=matter, actor=cw.users.cadre, kind=Kind.CIVIL, category=cw.categories.environment)
    return matter_deliberate(
        matter=matter, actor=cw.users.grid1, kind="meeting", held_on=days(0), summary="院坝会商议", attendees=["张三"]
    )


def test_consultation_members_are_recorded_from_the_grid_group_and_the_mediation_teams(cw, mw):
    group = t.team_create(actor=cw.users.cadre, kind=TeamKind.CONSULTATION, name="一网格议事团", grid=cw.q1)
    sitting = t.member_add(team=group, actor=cw.users.cadre, name="议事员", role=TeamRole.LEADER, joined_on=days(-9))
    record = _consultation(mw)
    with pytest.raises(Forbidden):
        t.consultation_members_record(deliberation=record, actor=cw.users.other_cadre, members=[sitting])
    with pytest.raises(ValidationError):
        t.consultation_members_record(deliberation=record, actor=cw.users.grid1, members=[])
    with pytest.raises(ValidationError):
        t.consultation_members_record(deliberation=record, actor=cw.users.grid1, members=[cw.hualong_member])
    saved = t.consultation_members_record(deliberation=record, actor=cw.users.grid1, members=[sitting, cw.vets[0]])
    assert set(saved.members.all()) == {sitting, cw.vets[0]}
    t.consultation_members_record(deliberation=record, actor=cw.users.grid1, members=[sitting])
    assert ConsultationMembers.objects.get().members.count() == 1


def test_consultation_members_only_on_a_civil_consultation_meeting(cw, mw):
    record = _consultation(mw)
    Deliberation.objects.filter(pk=record.pk).update(kind="mediation")
    record.refresh_from_db()
    with pytest.raises(Conflict):
        t.consultation_members_record(deliberation=record, actor=cw.users.grid1, members=[cw.vets[0]])
