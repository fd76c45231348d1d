"""村务监督委员会: the village affairs supervision committee sees its village's 村事 and nothing
else, verifies them with or instead of the township as the village chose, supervises (督办)
them, and takes no handling action."""

import pytest
from django.utils import timezone

from governance.models import Notification, Role
from governance.roles import REVISIT_ROLES_BY_KIND
from governance.scoping import scope_for
from petitions import services as s
from petitions.models import Kind, Matter, MatterEvent, State, VillageAffairsVerifiers, VillageMatterSettings
from petitions.selectors import matters_visible_to, matters_waiting_for
from petitions.workflow import MatterPermissionError, available_actions, may
from tests.api.matter_states import village
from tests.factories import assign, make_user

TODAY = timezone.localdate()  # the app's day (Asia/Shanghai), not the machine's


def village_matter(mw, state=State.VERIFYING, *, grid=None, cadre=None) -> Matter:
    """A 村事 of 七星村 (or of `grid`'s village, with its `cadre`), for 张三's household (when
    in 七星村), through the seven steps to `state`; handled and reported by the cadre."""
    household = mw.households.q1 if grid is None else None
    return village(mw, state, household=household, grid=grid, cadre=cadre)


def civil_matter(mw) -> Matter:
    matter = mw.staff_matter(title="邻里噪音", household=mw.households.q1)
    s.matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    return matter


def government_matter(mw) -> Matter:
    matter = mw.public_matter()
    s.matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid)
    return matter


def set_verifiers(village, value) -> None:
    VillageMatterSettings.objects.update_or_create(village=village, defaults={"village_affairs_verifiers": value})


@pytest.fixture
def matters(mw):
    """The 七星村 村事 the committee sees, and the rows it must not: a 民事 and a 政事 of 七星村,
    an unclassified matter of 七星村 and a 村事 of 化龙村."""
    return {
        "ours": village_matter(mw, State.DELIBERATING),
        "civil": civil_matter(mw),
        "government": government_matter(mw),
        "unclassified": mw.staff_matter(title="未分流"),
        "other_village": village_matter(mw, State.DELIBERATING, grid=mw.h1, cadre=mw.users.other_cadre),
    }


def test_supervisor_sees_their_villages_village_matters_and_nothing_else(mw, matters):
    supervisor = mw.users.supervisor
    assert set(matters_visible_to(supervisor)) == {matters["ours"]}
    assert not scope_for(supervisor).reads_people and scope_for(supervisor).reads_matters


def test_supervisor_api_list_and_detail_agree_with_the_scope(mw, matters, as_user):
    client = as_user(mw.users.supervisor)
    listed = client.get("/api/v1/matters/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [matters["ours"].pk]
    assert client.get(f"/api/v1/matters/{matters['ours'].pk}/").status_code == 200
    for name in ("civil", "government", "unclassified", "other_village"):
        response = client.get(f"/api/v1/matters/{matters[name].pk}/")
        assert response.status_code == 404, name
        assert response.json()["code"] == "not_found"


def test_supervisor_pages_show_the_village_matter_and_404_elsewhere(mw, matters, client):
    client.force_login(mw.users.supervisor)
    page = client.get("/matters/")
    assert page.status_code == 200
    assert f'href="/matters/{matters["ours"].pk}/"' in page.content.decode()
    for name in ("civil", "government", "other_village"):
        assert f'href="/matters/{matters[name].pk}/"' not in page.content.decode()
        assert client.get(f"/matters/{matters[name].pk}/").status_code == 404, name
    detail = client.get(f"/matters/{matters['ours'].pk}/")
    assert detail.status_code == 200
    # The submitter's phone stays masked: the committee neither recorded nor acts on the matter.
    assert "15800009119" not in detail.content.decode()


def test_supervisor_reads_no_household_resident_or_visit(mw, matters, as_user, client):
    household = mw.households.q1  # named by the 村事 the committee sees
    api = as_user(mw.users.supervisor)
    assert api.get(f"/api/v1/households/{household.pk}/").status_code == 404
    assert api.get(f"/api/v1/residents/{household.members.first().pk}/").status_code == 404
    for url in ("/api/v1/households/", "/api/v1/residents/", "/api/v1/visits/"):
        response = api.get(url)
        assert response.status_code == 403, url
        assert "村事" in response.json()["detail"]
    client.force_login(mw.users.supervisor)
    assert client.get(f"/households/{household.pk}/").status_code == 404
    assert client.get("/households/").status_code == 403


@pytest.mark.parametrize(
    ("setting", "supervisor_verifies", "township_verifies"),
    [
        (None, True, True),  # no settings row: the default, either of them
        (VillageAffairsVerifiers.SUPERVISORS_AND_TOWNSHIP, True, True),
        (VillageAffairsVerifiers.TOWNSHIP, False, True),
        (VillageAffairsVerifiers.SUPERVISORS, True, False),
    ],
)
def test_who_verifies_a_village_matter_follows_the_village_setting(mw, setting, supervisor_verifies, township_verifies):
    u = mw.users
    matter = village_matter(mw)
    if setting is not None:
        set_verifiers(mw.qixing, setting)
    assert may(u.supervisor, "verify", matter) is supervisor_verifies
    assert may(u.official, "verify", matter) is township_verifies
    assert may(u.leader, "verify", matter) is township_verifies
    assert (matter in matters_waiting_for(u.supervisor)) is supervisor_verifies
    assert (matter in matters_waiting_for(u.official)) is township_verifies
    assert not may(u.other_cadre, "verify", matter) and not may(u.cadre, "verify", matter)


@pytest.mark.parametrize(
    ("setting", "status"),
    [
        (VillageAffairsVerifiers.SUPERVISORS_AND_TOWNSHIP, 200),
        (VillageAffairsVerifiers.TOWNSHIP, 403),
        (VillageAffairsVerifiers.SUPERVISORS, 200),
    ],
)
def test_supervisor_verifies_through_the_api_per_setting(mw, as_user, setting, status):
    matter = village_matter(mw)
    set_verifiers(mw.qixing, setting)
    response = as_user(mw.users.supervisor).post(
        f"/api/v1/matters/{matter.pk}/verify/", {"passed": True, "note": "监委会现场查看，账目公开"}, format="json"
    )
    assert response.status_code == status, response.content
    matter.refresh_from_db()
    if status == 200:
        assert matter.state == State.EVALUATING
        event = MatterEvent.objects.get(matter=matter, action="verify")
        assert event.actor == mw.users.supervisor
    else:
        assert response.json()["code"] == "permission_denied"
        assert matter.state == State.VERIFYING
        assert not MatterEvent.objects.filter(matter=matter, action="verify").exists()


def test_supervisors_only_refuses_the_township(mw, as_user):
    matter = village_matter(mw)
    set_verifiers(mw.qixing, VillageAffairsVerifiers.SUPERVISORS)
    response = as_user(mw.users.official).post(
        f"/api/v1/matters/{matter.pk}/verify/", {"passed": True, "note": "镇里看过"}, format="json"
    )
    assert response.status_code == 403
    with pytest.raises(MatterPermissionError):
        s.matter_verify(matter=matter, actor=mw.users.leader, passed=True)
    matter.refresh_from_db()
    assert matter.state == State.VERIFYING


def test_a_failed_check_by_the_committee_returns_the_matter_to_its_handler(mw):
    matter = village_matter(mw)
    s.matter_verify(matter=matter, actor=mw.users.supervisor, passed=False, note="公开栏未张贴结果")
    matter.refresh_from_db()
    assert matter.state == State.HANDLING
    assert Notification.objects.filter(user=mw.users.cadre, body="公开栏未张贴结果").exists()


@pytest.mark.parametrize(
    ("setting", "supervisor_told", "official_told"),
    [
        (VillageAffairsVerifiers.SUPERVISORS_AND_TOWNSHIP, True, True),
        (VillageAffairsVerifiers.TOWNSHIP, False, True),
        (VillageAffairsVerifiers.SUPERVISORS, True, False),
    ],
)
def test_the_report_tells_the_verifiers_the_village_chose(mw, setting, supervisor_told, official_told):
    set_verifiers(mw.qixing, setting)
    village_matter(mw)
    # Neither the committee nor the township is told anything else about this matter.
    told_users = {n.user for n in Notification.objects.filter(title__contains="村道硬化方案")}
    assert (mw.users.supervisor in told_users) is supervisor_told
    assert (mw.users.official in told_users) is official_told


@pytest.mark.parametrize(
    ("action", "state", "data"),
    [
        ("deliberate", State.CLASSIFIED, {"kind": "step", "step": 1, "held_on": str(TODAY), "summary": "收集"}),
        ("reclassify", State.CLASSIFIED, {"kind": "civil", "category": None, "reason": "不是村事"}),
        ("reject", State.CLASSIFIED, {"reason": "不办"}),
        ("withdraw", State.CLASSIFIED, {"reason": "撤回"}),
        ("handle", State.DELIBERATING, {"handler": None}),
        ("report", State.HANDLING, {"result": "办好了"}),
        # The committee watches the village's affairs; it does not keep their clock.
        ("pause", State.HANDLING, {"reason": "等群众"}),
        ("grant", State.HANDLING, {"user": None}),
    ],
)
def test_supervisor_is_refused_handling_actions(mw, as_user, action, state, data):
    matter = village_matter(mw, state)
    before = list(MatterEvent.objects.filter(matter=matter).values_list("pk", flat=True))
    response = as_user(mw.users.supervisor).post(f"/api/v1/matters/{matter.pk}/{action}/", data, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["code"] == ("pause_needs_approval" if action == "pause" else "permission_denied")
    assert list(MatterEvent.objects.filter(matter=matter).values_list("pk", flat=True)) == before
    assert Matter.objects.get(pk=matter.pk).state == state


def test_supervisor_records_the_return_visit_of_a_village_matter_it_did_not_verify(mw, as_user):
    # The township verified it (village_matter): the committee is independent of the work.
    matter = village_matter(mw, State.EVALUATING)
    response = as_user(mw.users.supervisor).post(
        f"/api/v1/matters/{matter.pk}/evaluate/", {"rating": "satisfied", "method": "visit"}, format="json"
    )
    assert response.status_code == 200, response.content
    matter.refresh_from_db()
    assert (matter.state, matter.rating, matter.evaluation_method) == (State.CLOSED, "satisfied", "visit")


def test_supervisor_who_verified_may_not_record_the_return_visit(mw, as_user):
    matter = village_matter(mw, State.VERIFYING)
    s.matter_verify(matter=matter, actor=mw.users.supervisor, passed=True)
    response = as_user(mw.users.supervisor).post(
        f"/api/v1/matters/{matter.pk}/evaluate/", {"rating": "satisfied", "method": "visit"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_independent"
    assert Matter.objects.get(pk=matter.pk).state == State.EVALUATING


def test_supervisor_may_only_verify_and_supervise(mw):
    matter = village_matter(mw)
    assert available_actions(mw.users.supervisor, matter) == ["verify", "supervise"]
    handling = village_matter(mw, State.HANDLING)
    assert available_actions(mw.users.supervisor, handling) == ["supervise"]


def test_supervisor_supervises_a_village_matter_and_the_handler_is_told(mw, as_user):
    matter = village_matter(mw, State.HANDLING)
    response = as_user(mw.users.supervisor).post(
        f"/api/v1/matters/{matter.pk}/supervise/", {"note": "请按公开的方案施工"}, format="json"
    )
    assert response.status_code == 200
    assert Matter.objects.get(pk=matter.pk).state == State.HANDLING
    assert Notification.objects.filter(user=mw.users.cadre, body="请按公开的方案施工").exists()


def test_supervisor_of_another_village_sees_and_verifies_nothing_here(mw):
    outsider = make_user("t_hualong_supervisor", name="化龙村监委会")
    assign(outsider, Role.VILLAGE_SUPERVISOR, mw.hualong)
    matter = village_matter(mw)
    assert not matters_visible_to(outsider).filter(pk=matter.pk).exists()
    with pytest.raises(MatterPermissionError):
        s.matter_verify(matter=matter, actor=outsider, passed=True)


def test_home_and_menu_show_the_villages_matters(mw, client):
    ours = village_matter(mw)
    client.force_login(mw.users.supervisor)
    home = client.get("/")
    html = home.content.decode()
    assert home.status_code == 200
    assert home.context["supervised"]["total"] == 1
    assert f'href="/matters/{ours.pk}/"' in html
    assert 'href="/matters/?kind=village"' in html
    assert home.context["nav"]["sees_matters"] and home.context["nav"]["matters_waiting"] == 1
    assert not home.context["nav"]["sees_households"]
    assert 'href="/households/"' not in html


def test_revisit_roles_of_village_affairs_are_the_committee_and_the_township():
    expected = {Role.VILLAGE_SUPERVISOR, Role.TOWNSHIP_LEADER, Role.TOWNSHIP_OFFICIAL}
    assert expected == REVISIT_ROLES_BY_KIND["village"]
