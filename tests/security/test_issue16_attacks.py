"""What the attack on issue 16 (三治: teams, people's mediation, the four councils, the 最美
selections, activities) found, one test per finding, named for the behaviour that holds; and
a few races that were tried and held, kept as regression tests."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from governance.civic import activities as a
from governance.civic import selections as s
from governance.civic import teams as t
from governance.civic.models import Activity, ActivityKind, Mediation, Nomination, SelectionStatus, TeamKind
from grids.models import Resident
from petitions.models import Source
from petitions.services import matter_submit
from points.models import Award, AwardBatch, Rule
from tests.civic import mediation_fixtures, selection_world

pytestmark = pytest.mark.django_db
sw = selection_world.sw
cw = mediation_fixtures.cw


def _days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def _mediation_body(cw, **changes):
    body = {
        "village": cw.qixing.pk,
        "mediators": [cw.vets[0].pk],
        "dispute_kind": "land",
        "parties": [{"name": "张某", "phone": "15800001234"}, {"name": "马某"}],
        "facts": "修路占地",
        "held_on": _days(-2).isoformat(),
    }
    body.update(changes)
    return body


# ---------------------------------------------------------------- mediation: ids out of scope


def test_a_mediator_out_of_scope_is_refused_without_revealing_their_name(cw, as_user):
    """A member of another township's mediation team (or another village's) is "does not
    exist" to the recorder, like an id that exists nowhere: the refusal names nobody."""
    u = cw.users
    elsewhere = t.team_create(actor=u.admin, kind=TeamKind.PARTY_MEDIATORS, name="李湾村调解队", village=cw.liwan)
    stranger = t.member_add(team=elsewhere, actor=u.admin, name="李湾调解员甲", joined_on=_days(-100))
    client = as_user(u.cadre)
    for member in (stranger, cw.hualong_member):
        response = client.post(
            "/api/v1/mediations/", _mediation_body(cw, mediators=[cw.vets[0].pk, member.pk]), format="json"
        )
        assert response.status_code == 400, response.json()
        assert member.name not in response.content.decode()
    assert not Mediation.objects.exists()


def test_a_matter_of_another_village_on_a_mediation_is_refused_as_if_it_did_not_exist(cw, as_user):
    """An id of a matter the recorder does not see answers exactly as an id that does not exist."""
    u = cw.users
    theirs = matter_submit(
        actor=u.other_cadre,
        title="化龙村的事",
        description="化龙村的纠纷",
        grid=cw.h1,
        source=Source.VISIT,
        submitter_name="赵六",
    )
    client = as_user(u.cadre)
    response = client.post("/api/v1/mediations/", _mediation_body(cw, matter=theirs.pk), format="json")
    assert response.status_code == 400, response.json()
    missing = theirs.pk + 1000
    nowhere = client.post("/api/v1/mediations/", _mediation_body(cw, matter=missing), format="json")
    assert nowhere.status_code == 400
    said = response.json()["matter"][0].replace(str(theirs.pk), "#")
    assert said == nowhere.json()["matter"][0].replace(str(missing), "#")
    assert not Mediation.objects.exists()


# ---------------------------------------------------------------- selections: the vote


def test_a_vote_naming_one_nomination_twice_is_refused(sw, as_user):
    """[{n1: 0}, {n1: 8}]: which one did the council give? A duplicate is a 400 on votes, not
    the last one silently winning."""
    selection = sw.nominated(sw.opened())
    first, second = Nomination.objects.filter(selection=selection).order_by("pk")
    response = as_user(sw.users.cadre).post(
        f"/api/v1/selections/{selection.pk}/decide/",
        {
            "entitled": 9,
            "present": 8,
            "votes": [
                {"nomination": first.pk, "votes_for": 0},
                {"nomination": second.pk, "votes_for": 7},
                {"nomination": first.pk, "votes_for": 8},
            ],
        },
        format="json",
    )
    assert response.status_code == 400 and "votes" in response.json(), response.json()
    selection.refresh_from_db()
    assert selection.status == SelectionStatus.NOMINATING
    assert not Nomination.objects.filter(selection=selection, selected=True).exists()


# ---------------------------------------------------------------- activities: the points batch


def test_an_activitys_participants_are_never_proposed_a_deduction(sw):
    """Taking part in a 邻里节 earns: a deducting rule (a careless pick in the list) is refused,
    as for a 最美 selection, and does not appear among the form's rules."""
    deduction = Rule.objects.create(
        village=sw.qixing,
        category="civility",
        name="乱扔垃圾",
        points=-5,
        proposer_roles=["village_cadre", "grid_leader", "grid_worker"],
        requires_evidence=False,
        is_active=True,
    )
    activity = a.activity_record(
        actor=sw.users.cadre,
        village=sw.qixing,
        kind=ActivityKind.NEIGHBOURS_FESTIVAL,
        title="邻里节",
        held_on=_days(-2),
        description="百家宴",
        participants=list(sw.households.q1.members.all()),
    )
    assert deduction not in a.activity_rules(sw.qixing.pk, sw.users.cadre)
    with pytest.raises(ValidationError) as error:
        a.activity_propose_points(activity=activity, actor=sw.users.cadre, rule=deduction)
    assert "rule" in error.value.error_dict
    assert not Award.objects.exists()


# ---------------------------------------------------------------- races that held


def _at_once(target, count=2):
    results, errors = [], []

    def run():
        try:
            results.append(target())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_publishes_at_once_propose_one_points_batch(sw):
    selection = sw.decided(sw.nominated(sw.opened()))
    results, errors = _at_once(
        lambda: s.selection_publish(selection=selection, actor=sw.users.cadre, rule=sw.rules.family)
    )
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], s.SelectionStateError)
    assert AwardBatch.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_points_proposals_for_one_activity_at_once_make_one_batch(sw):
    activity = a.activity_record(
        actor=sw.users.cadre,
        village=sw.qixing,
        kind=ActivityKind.NEIGHBOURS_FESTIVAL,
        title="邻里节",
        held_on=_days(-2),
        description="百家宴",
        participants=list(sw.households.q1.members.all()),
    )
    results, errors = _at_once(
        lambda: a.activity_propose_points(activity=activity, actor=sw.users.cadre, rule=sw.rules.festival)
    )
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], a.ActivityStateError)
    assert AwardBatch.objects.count() == 1


def _civil_matter_of_grid_2(cw):
    return matter_submit(
        actor=cw.users.grid2,
        title="第二网格邻里纠纷",
        description="两家因宅基地边界争执",
        grid=cw.q2,
        source=Source.VISIT,
        submitter_name="王五",
    )


def test_grid_staff_link_a_mediation_only_to_a_matter_they_see(cw, as_user):
    """A grid worker sees their grid's matters only: another grid's matter is "does not exist" on
    the API and is not offered (its title unlisted) on the page."""
    theirs = _civil_matter_of_grid_2(cw)
    response = as_user(cw.users.grid1).post("/api/v1/mediations/", _mediation_body(cw, matter=theirs.pk), format="json")
    assert response.status_code == 400 and "matter" in response.json(), response.json()
    assert not Mediation.objects.exists()
    from governance.civic.mediation_views import _create_form

    form, _village = _create_form(cw.users.grid1)
    assert theirs not in form.fields["matter"].queryset


def test_a_mediations_grid_is_the_grid_of_the_matter_it_settles(cw):
    """Filed under grid 1 but settling grid 2's matter: refused on the grid, nothing written."""
    theirs = _civil_matter_of_grid_2(cw)
    with pytest.raises(ValidationError) as error:
        cw.opened(matter=theirs, grid=cw.q1)
    assert "grid" in error.value.error_dict
    assert not Mediation.objects.exists()
    assert cw.opened(matter=theirs).grid == cw.q2


# ---------------------------------------------------------------- tried and held: the board, the paper


def test_the_board_names_a_small_grid_as_some_grid_and_escapes_the_reasons(sw, client):
    grids = sw.opened(kind="grid", title="最美网格<script>alert(1)</script>")
    s.nomination_add(selection=grids, actor=sw.users.cadre, grid=sw.q1, reason="第一网格<img src=x onerror=alert(1)>")
    (nomination,) = grids.nominations.all()
    s.selection_decide(selection=grids, actor=sw.users.cadre, entitled=5, present=5, votes={nomination.pk: 5})
    s.selection_publish(selection=grids, actor=sw.users.cadre)
    text = client.get(f"/public/{sw.qixing.code}/").content.decode()
    assert "第一网格" not in text and "某网格" in text
    assert "<script>alert(1)" not in text and "<img src=x" not in text


def test_the_printable_agreement_escapes_what_was_typed(cw, client):
    mediation = cw.agreed(
        cw.opened(
            parties=[{"name": "<script>alert(1)</script>", "phone": "15800001234"}, {"name": "马某"}],
            facts="<img src=x onerror=alert(1)>",
        ),
        terms="<svg onload=alert(1)>",
    )
    client.force_login(cw.users.cadre)
    text = client.get(f"/civic/mediations/{mediation.pk}/agreement/").content.decode()
    assert "<script>alert(1)" not in text and "<img src=x" not in text and "<svg onload" not in text
    assert "15800001234" not in text


# ---------------------------------------------------------------- tried and held: the councils


@pytest.fixture
def councils(mw, plw):
    from tests.civic import council_fixtures

    return council_fixtures.cw.__wrapped__(mw, plw)


def test_a_council_rating_cannot_be_the_pledgers_own_rating(councils, as_user):
    """The cadre's own pledge (and a resident's pledge the cadre recorded) rated at a 成效评议会
    the cadre runs: the pledge's maker-checker holds (403), nothing is written."""
    from governance.civic.models import ResultRating
    from governance.models import PledgeStatus

    meeting = councils.held("results")
    own = councils.done(councils.own(actor=councils.users.cadre))
    figures = {"raters": 10, "satisfied": 8, "basically_satisfied": 2, "unsatisfied": 0}
    response = as_user(councils.users.cadre).post(
        f"/api/v1/meetings/{meeting.pk}/ratings/", {"pledge": own.pk, **figures}, format="json"
    )
    assert response.status_code == 403, response.json()
    own.refresh_from_db()
    assert own.status == PledgeStatus.DONE and not ResultRating.objects.exists()


def test_a_concern_cannot_become_a_matter_of_another_village(councils, as_user):
    from petitions.models import Matter

    meeting = councils.held("concerns")
    before = Matter.objects.count()
    body = {"raised_by": "张三", "title": "路灯坏了", "description": "路灯坏了很久", "grid": councils.h1.pk}
    response = as_user(councils.users.cadre).post(f"/api/v1/meetings/{meeting.pk}/concerns/", body, format="json")
    assert response.status_code == 400 and "grid" in response.json(), response.json()
    assert Matter.objects.count() == before
    response = as_user(councils.users.other_cadre).post(
        f"/api/v1/meetings/{meeting.pk}/concerns/", {**body, "grid": councils.q1.pk}, format="json"
    )
    assert response.status_code == 404 and Matter.objects.count() == before


def test_a_mediation_with_thousands_of_parties_is_refused(cw, as_user):
    """Each party gets a copy of the agreement and a signature line: a list of 5,000 is refused
    (400 on parties), on the API and in the service, and nothing is written."""
    crowd = [{"name": f"当事人{n}", "phone": ""} for n in range(5000)]
    response = as_user(cw.users.cadre).post("/api/v1/mediations/", _mediation_body(cw, parties=crowd), format="json")
    assert response.status_code == 400 and "parties" in response.json()
    with pytest.raises(ValidationError) as error:
        cw.opened(parties=crowd)
    assert "parties" in error.value.error_dict
    assert not Mediation.objects.exists()


def test_a_mediation_or_an_activity_dated_decades_ago_is_refused(cw, sw):
    """1926 for 2026: a typo answers 400 on held_on (governance.limits.too_early), and never numbers
    a mediation 〔1926〕1号 nor dates a points batch a century back."""
    long_ago = _days(0).replace(year=_days(0).year - 100)
    with pytest.raises(ValidationError) as error:
        cw.opened(held_on=long_ago)
    assert "held_on" in error.value.error_dict
    with pytest.raises(ValidationError) as error:
        a.activity_record(
            actor=sw.users.cadre,
            village=sw.qixing,
            kind=ActivityKind.NEIGHBOURS_FESTIVAL,
            title="邻里节",
            held_on=long_ago,
            description="百家宴",
        )
    assert "held_on" in error.value.error_dict
    assert not Mediation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_decisions_of_one_selection_at_once_record_one_vote(sw):
    selection = sw.nominated(sw.opened())
    ids = list(selection.nominations.order_by("pk").values_list("pk", flat=True))
    results, errors = _at_once(
        lambda: s.selection_decide(
            selection=selection, actor=sw.users.cadre, entitled=9, present=8, votes=dict(zip(ids, (7, 2), strict=True))
        )
    )
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], s.SelectionStateError)


@pytest.mark.django_db(transaction=True)
def test_two_agreements_of_one_mediation_at_once_record_one(world):
    from governance.civic import mediations as m

    made = mediation_fixtures.cw.__wrapped__(world)
    mediation = made.opened()
    results, errors = _at_once(
        lambda: m.mediation_agree(mediation=mediation, actor=world.users.cadre, terms="补偿", perform_by=_days(5))
    )
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], m.MediationStateError)


def test_a_resident_who_moved_out_or_died_is_not_named_at_an_activity(sw):
    """The page lists only residents living in the village; the API and the service refuse the
    others too (a 邻里节's points must not go to a household through someone who has left)."""
    member = sw.households.q1.members.first()
    Resident.objects.filter(pk=member.pk).update(status=Resident.Status.MOVED_OUT)
    member.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        a.activity_record(
            actor=sw.users.cadre,
            village=sw.qixing,
            kind=ActivityKind.NEIGHBOURS_FESTIVAL,
            title="邻里节",
            held_on=_days(-2),
            description="百家宴",
            participants=[member],
        )
    assert "participants" in error.value.error_dict
    assert not Activity.objects.exists()
