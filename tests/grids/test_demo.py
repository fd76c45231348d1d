import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from governance.models import Assignment
from governance.scoping import scope_for
from grids.idnumbers import decrypt_id_number, validate_id_number
from grids.models import Courtyard, Grid, Household, Resident, Township, Village
from tests.demo_snapshot import load_demo
from tests.factories import CONTRACT_ACCOUNTS


@pytest.fixture
def demo(db):
    load_demo()


def counts():
    return [m.objects.count() for m in (Township, Village, Grid, Courtyard, Household, Resident, Assignment)]


def test_seed_demo_is_idempotent(demo):
    before = counts()
    call_command("seed_demo", force=True, stdout=io.StringIO())
    assert counts() == before


def test_demo_has_the_contract_places_and_accounts(demo):
    assert set(Township.objects.values_list("name", flat=True)) == {"渭沱镇", "小沔镇"}
    assert {"七星村", "化龙村", "金山村", "渭沱社区", "李湾村"} <= set(Village.objects.values_list("name", flat=True))
    assert Courtyard.objects.filter(name="方溪还房", village__name="渭沱社区").exists()
    for username in CONTRACT_ACCOUNTS:
        user = get_user_model().objects.get(username=username)
        assert user.is_active and user.check_password("demo12345"), username
    assert Resident.objects.count() >= 300


def test_demo_id_numbers_are_valid_and_from_hechuan(demo):
    for resident in Resident.objects.exclude(id_number_encrypted="")[:100]:
        number = decrypt_id_number(resident.id_number_encrypted)
        assert validate_id_number(number) == number
        assert number.startswith("500117")


def test_demo_accounts_see_only_their_places(demo):
    from django.contrib.auth import get_user_model

    User = get_user_model()

    def villages_seen(username):
        user = User.objects.get(username=username)
        rows = scope_for(user).filter(Household.objects.all(), "household")
        return set(rows.values_list("village__name", flat=True))

    assert villages_seen("qixing_grid1") == {"七星村"}
    grid1 = User.objects.get(username="qixing_grid1")
    assert set(
        scope_for(grid1).filter(Household.objects.all(), "household").values_list("grid__number", flat=True)
    ) == {1}
    assert villages_seen("weituo_official") == {"七星村", "化龙村", "金山村", "渭沱社区"}
    assert villages_seen("liwan_cadre") == {"李湾村"}
    assert villages_seen("weituo_sifasuo") == set()


def test_seed_demo_refuses_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not Township.objects.exists()


def test_demo_has_matters_in_every_state_and_kind(demo):
    from petitions.models import Kind, Matter, State

    assert set(Matter.objects.values_list("state", flat=True)) == set(State.values)
    assert {Kind.CIVIL, Kind.VILLAGE, Kind.GOVERNMENT} <= set(Matter.objects.values_list("kind", flat=True))
    handled = Matter.objects.get(tracking_code="demo-sifasuo-wage")
    assert handled.state == State.HANDLING and handled.department.name == "司法所"
    lights = Matter.objects.get(title="方溪还房楼道路灯停电不亮")
    assert lights.state == State.CLOSED and lights.events.count() == 7
    # 回访 by the township, independent of the work; a pending extension; a matter under review.
    assert lights.evaluation_method == "phone" and lights.verified_by.username == "weituo_community_cadre"
    request = handled.pending_extension
    assert request.status == "pending" and request.requested_by.username == "weituo_sifasuo"
    reviewing = Matter.objects.get(tracking_code="demo-qixing-sewage")
    assert reviewing.state == State.REVIEWING and reviewing.rating == "unsatisfied"


def test_demo_has_a_season_of_qixing_visits_with_gaps(demo):
    from django.utils import timezone

    from grids.visits.fengshi import compliance, cycles_between, latest_cycle
    from grids.visits.models import Visit

    visits = Visit.objects.filter(village__name="七星村")
    assert visits.count() >= 40
    assert not Visit.objects.exclude(village__name="七星村").exists()
    last = latest_cycle(timezone.localdate())
    cycles = cycles_between(last - datetime.timedelta(days=95), last)[-9:]
    missed = set()
    for cycle in cycles:
        roll = compliance(
            cycle=cycle, village_ids=list(Village.objects.filter(name="七星村").values_list("pk", flat=True))
        )
        grids = roll.townships[0]["villages"][0]["grids"]
        missed |= {p["username"] for g in grids for p in g["people"] if not p["visited"]}
    assert {"qixing_grid1", "qixing_grid2"} <= missed
    before = Visit.objects.count()
    call_command("seed_demo", force=True, stdout=io.StringIO())
    assert Visit.objects.count() == before


def test_demo_supervision_committee_sees_qixing_village_affairs_only(demo):
    """qixing_supervisor (七星村 村务监督委员会): the village's 村事 (the 风貌改造 plan), no
    household, and the password of every demo account."""
    from petitions.models import Kind
    from petitions.selectors import matters_visible_to

    user = get_user_model().objects.get(username="qixing_supervisor")
    assert user.is_active and user.check_password("demo12345")
    matters = matters_visible_to(user)
    assert "风貌改造续建项目方案" in set(matters.values_list("title", flat=True))
    assert set(matters.values_list("kind", "village__name")) == {(Kind.VILLAGE, "七星村")}
    assert not scope_for(user).filter(Household.objects.all(), "household").exists()


def test_demo_work_order_matters_wait_for_the_right_people(demo):
    """The pond repair waits for its check by 七星村's 村务监督委员会 (or the township); the
    sewage review waits for 渭沱镇, not for the cadre who verified the work; the compact's
    revision waits for 渭沱镇 to file it (备案), version 1 being in force."""
    from petitions.models import Matter, State
    from petitions.selectors import matters_waiting_for

    def queue(username):
        return set(matters_waiting_for(get_user_model().objects.get(username=username)).values_list("title", flat=True))

    assert Matter.objects.get(title="一组山坪塘清淤整治").state == State.VERIFYING
    assert "一组山坪塘清淤整治" in queue("qixing_supervisor") & queue("weituo_official")
    assert "村道边排污管破裂" in queue("weituo_official") and "村道边排污管破裂" not in queue("qixing_cadre")
    compact = Matter.objects.get(title="修订村规民约（红白喜事简办）")
    assert compact.state == State.DELIBERATING and compact.filed_on is None
    assert compact.title in queue("weituo_official")
    from petitions.models import CompactStatus

    assert compact.compact_version.status == CompactStatus.AWAITING_FILING
    first = Matter.objects.get(title="制定七星村村规民约")
    assert first.state == State.CLOSED and first.compact_version.status == CompactStatus.IN_FORCE
    assert first.compact_version.articles.count() == 12 == compact.compact_version.articles.count() - 1


def test_demo_official_is_qixings_liaison_and_went_down_on_the_last_fengshi_day(demo):
    """力量沉底 in the demo: weituo_official 包村 七星村 since some months back; the compliance
    page's section apart shows their visits on the last 逢十 day, and a rerun adds none."""
    from django.utils import timezone

    from governance.models import Role
    from grids.visits.fengshi import compliance_for, latest_cycle
    from grids.visits.models import Visit

    official = get_user_model().objects.get(username="weituo_official")
    liaison = Assignment.objects.get(user=official, role=Role.VILLAGE_LIAISON)
    assert liaison.village.name == "七星村"
    cycle = latest_cycle(timezone.localdate())
    assert liaison.valid_from < latest_cycle(cycle - datetime.timedelta(days=1))  # both visit days
    roll = compliance_for(official, cycle=cycle, sent_down=True)
    people = {p["username"]: p for p in roll.sent_down["people"]}
    assert people["weituo_official"]["visited"] and people["weituo_official"]["visits"] == 2
    assert "qixing_cadre" in people
    before = Visit.objects.filter(author=official).count()
    call_command("seed_demo", force=True, stdout=io.StringIO())
    assert Visit.objects.filter(author=official).count() == before == 3
