"""最美 selections' services (governance.civic.selections): every refusal (role 403, state 409,
input 400), the 道德评议会's vote computed, publication on the public board with masked names,
and the points batch through the maker-checker to the ledger."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext

from governance.civic import selections as s
from governance.civic.models import CouncilKind, Meeting, MeetingStatus, Nomination, SelectionKind, SelectionStatus
from governance.errors import Conflict, Forbidden
from points import services as points
from points.models import Award, AwardStatus, Entry
from points.policy import PointsPermissionError, PointsStateError
from tests.civic import selection_world
from tests.factories import make_household

pytestmark = pytest.mark.django_db
sw = selection_world.sw


# ---------------------------------------------------------------- open


def test_cadre_opens_a_selection_taking_nominations(sw):
    selection = sw.opened()
    assert selection.status == SelectionStatus.NOMINATING
    assert (selection.village, selection.township_id) == (sw.qixing, sw.weituo.pk)


@pytest.mark.parametrize("persona", ["grid1", "helper", "clerk", "supervisor", "official", "other_cadre", "outsider"])
def test_only_a_cadre_of_the_village_opens_a_selection(sw, persona):
    with pytest.raises(Forbidden):
        sw.opened(actor=getattr(sw.users, persona))


def test_opening_needs_a_title_and_a_near_year(sw):
    with pytest.raises(ValidationError) as error:
        sw.opened(title=" ")
    assert "title" in error.value.error_dict
    with pytest.raises(ValidationError) as error:
        s.selection_open(actor=sw.users.cadre, village=sw.qixing, kind="family", title="x", year=sw.year - 5)
    assert "year" in error.value.error_dict


# ---------------------------------------------------------------- nominate, withdraw


def test_grid_worker_nominates_a_household_of_their_own_grid_only(sw):
    selection = sw.opened()
    nomination = s.nomination_add(selection=selection, actor=sw.users.grid1, household=sw.households.q1, reason="孝老")
    assert nomination.nominated_by == sw.users.grid1
    with pytest.raises(Forbidden) as error:
        s.nomination_add(selection=selection, actor=sw.users.grid1, household=sw.households.q2, reason="孝老")
    assert error.value.code == "not_your_grid"


@pytest.mark.parametrize("persona", ["helper", "clerk", "supervisor", "official", "other_cadre", "outsider"])
def test_who_may_not_nominate(sw, persona):
    with pytest.raises(Forbidden):
        s.nomination_add(
            selection=sw.opened(), actor=getattr(sw.users, persona), household=sw.households.q1, reason="孝老"
        )


def test_nominee_must_match_the_kind_the_village_and_be_new(sw):
    selection = sw.opened()
    with pytest.raises(ValidationError) as error:
        s.nomination_add(selection=selection, actor=sw.users.cadre, grid=sw.q1, reason="整洁")
    assert "household" in error.value.error_dict
    with pytest.raises(ValidationError) as error:
        s.nomination_add(selection=selection, actor=sw.users.cadre, household=sw.households.h1, reason="孝老")
    assert "household" in error.value.error_dict
    s.nomination_add(selection=selection, actor=sw.users.cadre, household=sw.households.q1, reason="孝老")
    with pytest.raises(ValidationError, match=re.escape(gettext("Already nominated for this selection."))):
        s.nomination_add(selection=selection, actor=sw.users.cadre, household=sw.households.q1, reason="again")
    with pytest.raises(ValidationError) as error:
        s.nomination_add(selection=selection, actor=sw.users.cadre, household=sw.households.q1b, reason=" ")
    assert "reason" in error.value.error_dict


def test_grid_and_courtyard_selections_take_their_own_nominees(sw):
    grids = sw.opened(kind=SelectionKind.GRID, title="最美网格")
    s.nomination_add(selection=grids, actor=sw.users.cadre, grid=sw.q2, reason="干净")
    with pytest.raises(Forbidden):
        s.nomination_add(selection=grids, actor=sw.users.grid1, grid=sw.q2, reason="干净")
    yards = sw.opened(kind=SelectionKind.COURTYARD, title="最美院落")
    s.nomination_add(selection=yards, actor=sw.users.grid1, courtyard=sw.yard, reason="和睦")
    assert yards.nominations.count() == 1


def test_withdraw_by_the_nominator_or_a_cadre_while_nominating(sw):
    selection = sw.opened()
    mine = s.nomination_add(selection=selection, actor=sw.users.grid1, household=sw.households.q1, reason="孝老")
    theirs = s.nomination_add(selection=selection, actor=sw.users.cadre, household=sw.households.q1b, reason="和睦")
    with pytest.raises(Forbidden):
        s.nomination_withdraw(nomination=theirs, actor=sw.users.grid1)
    s.nomination_withdraw(nomination=mine, actor=sw.users.grid1)
    s.nomination_withdraw(nomination=theirs, actor=sw.users.cadre2)
    assert not selection.nominations.exists()


def test_no_nominating_or_withdrawing_once_decided(sw):
    selection = sw.decided()
    with pytest.raises(Conflict):
        s.nomination_add(selection=selection, actor=sw.users.cadre, household=sw.households.q2, reason="迟到")
    with pytest.raises(Conflict):
        s.nomination_withdraw(nomination=selection.nominations.first(), actor=sw.users.cadre)


# ---------------------------------------------------------------- decide


def _meeting(sw, status=MeetingStatus.HELD, village=None):
    return Meeting.objects.create(
        township=sw.weituo,
        village=village or sw.qixing,
        kind=CouncilKind.MORAL,
        title="道德评议会",
        held_on=timezone.localdate(),
        place="村委会",
        agenda="评议最美家庭",
        status=status,
        created_by=sw.users.cadre,
    )


def test_decision_names_only_a_held_moral_meeting_of_the_village(sw):
    selection = sw.nominated()
    ids = [n.pk for n in selection.nominations.order_by("pk")]
    for meeting in (_meeting(sw, MeetingStatus.PLANNED), _meeting(sw, village=sw.hualong)):
        with pytest.raises(ValidationError) as error:
            s.selection_decide(
                selection=selection,
                actor=sw.users.cadre,
                entitled=9,
                present=8,
                votes={ids[0]: 8, ids[1]: 1},
                meeting=meeting,
            )
        assert "meeting" in error.value.error_dict


def test_vote_selects_those_with_more_than_half_of_those_present(sw):
    selection = sw.nominated()
    first, second = selection.nominations.order_by("pk")
    meeting = _meeting(sw)
    s.selection_decide(
        selection=selection,
        actor=sw.users.cadre,
        entitled=9,
        present=8,
        votes={first.pk: 5, second.pk: 4},
        meeting=meeting,
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.votes_for, first.selected) == (5, True)
    assert (second.votes_for, second.selected) == (4, False)  # 4 of 8 is not more than half
    selection.refresh_from_db()
    assert (selection.status, selection.entitled, selection.present) == (SelectionStatus.DECIDED, 9, 8)


@pytest.mark.parametrize(
    ("entitled", "present", "votes", "field"),
    [
        (9, 4, (3, 3), "present"),  # no quorum: 4 of 9
        (9, 10, (3, 3), "present"),
        (0, 0, (0, 0), "entitled"),
        (9, 8, (9, 1), "votes"),  # more votes than members present
        (9, 8, (4, 4), "votes"),  # nobody has more than half
    ],
)
def test_vote_refusals_say_what_is_wrong(sw, entitled, present, votes, field):
    selection = sw.nominated()
    ids = [n.pk for n in selection.nominations.order_by("pk")]
    with pytest.raises(ValidationError) as error:
        s.selection_decide(
            selection=selection,
            actor=sw.users.cadre,
            entitled=entitled,
            present=present,
            votes=dict(zip(ids, votes, strict=True)),
        )
    assert field in error.value.error_dict
    selection.refresh_from_db()
    assert selection.status == SelectionStatus.NOMINATING
    assert not Nomination.objects.filter(selection=selection, votes_for__isnull=False).exists()


def test_vote_must_cover_every_nomination_and_no_other(sw):
    selection = sw.nominated()
    first = selection.nominations.order_by("pk").first()
    with pytest.raises(
        ValidationError,
        match=re.escape(gettext("Give the votes for each nomination of this selection, and only those.")),
    ):
        s.selection_decide(selection=selection, actor=sw.users.cadre, entitled=9, present=8, votes={first.pk: 8})


def test_vote_needs_nominations_a_cadre_and_the_nominating_status(sw):
    with pytest.raises(Conflict):
        s.selection_decide(selection=sw.opened(), actor=sw.users.cadre, entitled=9, present=8, votes={})
    selection = sw.nominated()
    for persona in ("grid1", "official", "other_cadre"):
        with pytest.raises(Forbidden):
            s.selection_decide(selection=selection, actor=getattr(sw.users, persona), entitled=9, present=8, votes={})
    sw.decided(selection)
    with pytest.raises(Conflict):
        sw.decided(selection)


# ---------------------------------------------------------------- publish


def test_publish_without_points_shows_it_on_the_board_masked(sw, client):
    selection = sw.published()
    assert selection.status == SelectionStatus.PUBLISHED and selection.award_batch is None
    page = client.get(f"/public/{sw.qixing.code}/")
    text = page.content.decode()
    assert f"{sw.year}年度最美家庭" in text
    assert "Z.S." in text  # 张三's family as initials
    assert "张三" not in text and "李四" not in text  # the reason's names are masked, the loser is not shown
    assert "张某" in text


def test_publish_refusals(sw):
    selection = sw.decided()
    with pytest.raises(Forbidden):
        s.selection_publish(selection=selection, actor=sw.users.grid1)
    for bad in (sw.rules.evidence, sw.rules.inactive, sw.rules.hualong):
        with pytest.raises(ValidationError) as error:
            s.selection_publish(selection=selection, actor=sw.users.cadre, rule=bad)
        assert "rule" in error.value.error_dict
    with pytest.raises(Conflict):
        s.selection_publish(selection=sw.nominated(sw.opened(title="未决")), actor=sw.users.cadre)
    grids = sw.opened(kind=SelectionKind.GRID, title="最美网格")
    s.nomination_add(selection=grids, actor=sw.users.cadre, grid=sw.q1, reason="干净")
    ids = [n.pk for n in grids.nominations.all()]
    s.selection_decide(selection=grids, actor=sw.users.cadre, entitled=5, present=5, votes={ids[0]: 5})
    with pytest.raises(ValidationError):
        s.selection_publish(selection=grids, actor=sw.users.cadre, rule=sw.rules.family)
    assert Award.objects.count() == 0


def test_family_points_go_through_the_maker_checker_to_the_ledger(sw):
    now = timezone.now()
    selection = sw.published(rule=sw.rules.family, now=now)
    batch = selection.award_batch
    assert batch is not None and batch.rule == sw.rules.family
    awards = list(batch.awards.select_related("account").order_by("pk"))
    assert [a.account.household for a in awards] == [sw.households.q1]  # only the selected family
    assert all(a.status == AwardStatus.PENDING for a in awards)
    assert not Entry.objects.filter(account=awards[0].account, kind="earn").exists()
    # The proposer cannot approve their own proposal.
    with pytest.raises(PointsPermissionError):
        points.award_approve(award=awards[0], actor=sw.users.cadre, now=now + datetime.timedelta(days=4))
    # Another cadre, inside the objection window: not yet.
    with pytest.raises(PointsStateError):
        points.award_approve(award=awards[0], actor=sw.users.cadre2, now=now + datetime.timedelta(days=1))
    balance = awards[0].account.balance
    points.award_approve(award=awards[0], actor=sw.users.cadre2, now=now + datetime.timedelta(days=4))
    account = awards[0].account
    account.refresh_from_db()
    assert account.balance == balance + 50
    entry = Entry.objects.get(account=account, kind="earn")
    assert entry.points == 50


def test_publishing_a_family_selection_twice_is_refused(sw):
    selection = sw.published(rule=sw.rules.family)
    with pytest.raises(Conflict):
        s.selection_publish(selection=selection, actor=sw.users.cadre, rule=sw.rules.family)
    assert Award.objects.count() == 1


def test_public_board_queries_stay_flat_as_selections_grow(sw, client):
    sw.published()
    url = f"/public/{sw.qixing.code}/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(3):
        extra = [make_household(sw.q1, head_name=f"陈{n}"), make_household(sw.q1, head_name=f"刘{n}")]
        sw.published(sw.decided(sw.nominated(sw.opened(title=f"第{n}届"), extra)))
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_a_rule_no_cadre_proposes_is_refused_for_the_selection(sw):
    grid_only = sw.rules.family.__class__.objects.create(
        village=sw.qixing, category="civility", name="网格员申报的好人好事", points=5, proposer_roles=["grid_worker"]
    )
    with pytest.raises(ValidationError) as error:
        s.selection_publish(selection=sw.decided(), actor=sw.users.cadre, rule=grid_only)
    assert "rule" in error.value.error_dict


def test_the_board_shows_only_published_selections_and_only_the_selected(sw, client):
    sw.decided(sw.nominated(sw.opened(title="尚未公布的评选")))
    published = sw.published(sw.decided(sw.nominated(sw.opened(title="已公布的评选"), [sw.households.q2])))
    text = client.get(f"/public/{sw.qixing.code}/").content.decode()
    assert "尚未公布的评选" not in text
    assert published.title in text and "W.W." in text  # 王五's family by initials
