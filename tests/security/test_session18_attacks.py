"""Attacks on session 18's changes: the cached 逢十 roll-up and village cards, the matter cards
and QuickSelect written in Python, the matter API's detail routes without the FilterSet, the
civic panel's first question, and the matters beyond one's places past BEYOND_INLINE."""

import datetime
import io
from types import SimpleNamespace

import pytest
from django import forms
from django.contrib.auth import get_user_model
from guardian.shortcuts import assign_perm
from openpyxl import load_workbook

from governance import dashboards
from governance.forms import QuickSelect
from governance.models import Role
from grids.models import Village
from grids.places import grid_merge
from grids.visits.fengshi import compliance_for
from grids.visits.models import Visit
from petitions import selectors
from petitions.models import Kind, Matter
from petitions.services import matter_classify
from petitions.templatetags.matters import matter_cards
from tests.factories import assign, make_household, make_user
from tests.sent_down_fixtures import SINCE, visit

pytestmark = pytest.mark.django_db

CYCLE = datetime.date(2026, 2, 10)
XSS = "<img src=x onerror=alert(1)>\"'&"


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def _grids(roll) -> set[int]:
    return {g["id"] for t in roll.townships for v in t["villages"] for g in v["grids"]}


# 1. The cached roll-up and cards -----------------------------------------------------------


def test_one_readers_roll_up_is_never_anothers(sent):
    u = sent.users
    everything = _grids(compliance_for(_fresh(u.admin), cycle=CYCLE))
    assert everything == {sent.q1.pk, sent.q2.pk, sent.h1.pk, sent.l1.pk}
    assert _grids(compliance_for(_fresh(u.official), cycle=CYCLE)) == {sent.q1.pk, sent.q2.pk, sent.h1.pk}
    assert _grids(compliance_for(_fresh(u.other_official), cycle=CYCLE)) == {sent.l1.pk}
    assert _grids(compliance_for(_fresh(u.grid1), cycle=CYCLE)) == {sent.q1.pk}
    assert _grids(compliance_for(_fresh(u.grid2), cycle=CYCLE)) == {sent.q2.pk}
    assert _grids(compliance_for(_fresh(u.other_cadre), cycle=CYCLE)) == {sent.h1.pk}
    # narrowed to a place outside one's own: nothing of it
    assert _grids(compliance_for(_fresh(u.grid1), cycle=CYCLE, village=sent.hualong.pk)) == set()
    assert compliance_for(_fresh(u.grid1), cycle=CYCLE, sent_down=True).sent_down["people"] == []


def test_a_superusers_roll_up_is_all_whatever_their_posts(sent):
    admin = sent.users.admin
    assign(admin, Role.GRID_WORKER, sent.q1)
    assert _grids(compliance_for(_fresh(admin), cycle=CYCLE)) == {sent.q1.pk, sent.q2.pk, sent.h1.pk, sent.l1.pk}
    # and a grid worker's own roll-up is not the superuser's
    assert _grids(compliance_for(_fresh(sent.users.grid1), cycle=CYCLE)) == {sent.q1.pk}


def _places_of(roll, user) -> set[int]:
    [person] = [p for p in roll.sent_down["people"] if p["id"] == user.pk]
    return {place["village"] for place in person["places"]}


def test_an_areas_villages_changed_from_either_side_refresh_the_roll_up(sent):
    official, leader = sent.users.official, sent.users.leader

    def roll():
        return compliance_for(_fresh(official), cycle=CYCLE, sent_down=True)

    assert _places_of(roll(), leader) == {sent.qixing.pk, sent.hualong.pk}
    Village.objects.get(pk=sent.hualong.pk).areas.remove(sent.area)
    assert _places_of(roll(), leader) == {sent.qixing.pk}
    sent.area.villages.add(sent.hualong)
    assert _places_of(roll(), leader) == {sent.qixing.pk, sent.hualong.pk}
    sent.area.villages.clear()
    assert leader.pk not in {p["id"] for p in roll().sent_down["people"]}


def test_posts_visits_corrections_and_deletes_refresh_the_roll_up(sent):
    official = sent.users.official

    def totals():
        return compliance_for(_fresh(official), cycle=CYCLE).totals

    before = totals()
    newcomer = make_user("t_newcomer", name="新网格员")
    assign(newcomer, Role.GRID_WORKER, sent.q2, valid_from=SINCE)
    assert totals()["people_total"] == before["people_total"] + 1
    first = visit(sent.users.grid1, sent.households.q1, CYCLE)
    assert (totals()["visits"], totals()["households_covered"]) == (before["visits"] + 1, 1)
    visit(sent.users.grid1, sent.households.q1b, CYCLE, supersedes=first)
    after = totals()
    assert (after["visits"], after["households_covered"]) == (before["visits"] + 1, 1)
    for row in Visit.objects.filter(author=sent.users.grid1).order_by("-pk"):
        row.delete()
    assert totals()["visits"] == before["visits"]


def test_village_cards_follow_a_merge_and_a_new_household(world):
    ids, townships = {world.qixing.pk}, {world.weituo.pk}
    villages, grids = dashboards.village_cards(ids, townships)
    assert {g.pk for g in grids} == {world.q1.pk, world.q2.pk}
    households = villages[0].household_count
    grid_merge(grid=world.q2, into=world.q1, actor=world.users.cadre)
    villages, grids = dashboards.village_cards(ids, townships)
    assert {g.pk for g in grids} == {world.q1.pk}
    assert villages[0].grid_count == 1
    make_household(world.q1, head_name="新户", members=0)
    assert dashboards.village_cards(ids, townships)[0][0].household_count == households + 1
    # another village's cards are another key
    other, other_grids = dashboards.village_cards({world.hualong.pk}, townships)
    assert [v.pk for v in other] == [world.hualong.pk] and {g.pk for g in other_grids} == {world.h1.pk}


def test_compliance_page_of_one_official_is_not_served_to_another(sent, client):
    client.force_login(sent.users.official)
    assert "七星村" in client.get("/visits/compliance/", {"cycle": CYCLE.isoformat()}).content.decode()
    client.force_login(sent.users.other_official)
    page = client.get("/visits/compliance/", {"cycle": CYCLE.isoformat()}).content.decode()
    assert "七星村" not in page and "化龙村" not in page


# 2. Matter cards ----------------------------------------------------------------------------


def _row(**extra):
    fields = {
        "pk": 7,
        "title": XSS,
        "state": "handling",
        "kind": "civil",
        "category_id": 1,
        "category": SimpleNamespace(name=XSS),
        "village": SimpleNamespace(name=XSS),
        "grid_id": 1,
        "grid": SimpleNamespace(name=XSS),
        "is_overdue": False,
        "is_open": True,
        "late_acceptance": False,
        "your_turn": None,
        "waiting_for": XSS,
        "age_days": 3,
        "accept_by": None,
        "deadline": None,
        "clock_running": False,
        "similarity": 0.5,
    }
    fields.update(extra)
    return SimpleNamespace(**fields)


@pytest.mark.parametrize(
    "row",
    [
        _row(),
        _row(your_turn=('accept" onmouseover="x', XSS)),
        _row(kind='<b onclick="x">'),
    ],
)
def test_matter_cards_escape_every_value(row):
    html = matter_cards([row])
    assert "<img" not in html
    assert 'onmouseover="' not in html and 'onclick="' not in html and "<b " not in html
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;&amp;" in html


def test_matter_cards_escape_their_empty_words():
    assert "<script>" not in matter_cards([], "<script>alert(1)</script>")


def test_matter_list_page_escapes_names_from_the_database(mw, client):
    matter = mw.staff_matter(title=XSS)
    category = mw.categories.environment
    category.name = XSS
    category.save()
    matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.CIVIL, category=category)
    Village.objects.filter(pk=mw.qixing.pk).update(name=XSS)
    mw.sifasuo.name = XSS
    mw.sifasuo.save()
    for user in (mw.users.cadre, mw.users.grid1, mw.users.official):
        for url in ("/matters/", "/matters/waiting/", "/"):
            client.force_login(user)
            response = client.get(url)
            assert response.status_code == 200, url
            page = response.content.decode()
            assert "<img src=x" not in page, (user, url)


# 3. QuickSelect -----------------------------------------------------------------------------


CHOICES = [
    ("", "---"),
    ("1", XSS),
    (XSS, "value"),
    ("群组" + XSS, [("2", "二"), ("3", XSS)]),
    ("2", "dup"),
]


@pytest.mark.parametrize("multiple", [False, True])
@pytest.mark.parametrize("value", [None, "", "2", ["2", "3"], [XSS], 1])
def test_quick_select_is_djangos_select(multiple, value):
    base = forms.SelectMultiple if multiple else forms.Select
    quick = type("Quick", (QuickSelect,), {"allow_multiple_selected": multiple})(choices=CHOICES)
    django = base(choices=CHOICES)
    if not multiple and isinstance(value, list):
        value = value[0]

    def norm(html):
        return " ".join(str(html).split()).replace(' selected=""', " selected").replace("> <", "><")

    got = norm(quick.render("f", value, attrs={"id": "id_f", "data-x": XSS}))
    want = norm(django.render("f", value, attrs={"id": "id_f", "data-x": XSS}))
    assert got == want
    assert "<img" not in got


# 4. The matter API's detail routes and export ------------------------------------------------


def test_detail_routes_stay_scoped_without_the_filterset(mw, as_user):
    theirs = mw.staff_matter(grid=mw.l1, actor=mw.users.other_official)
    mine = mw.staff_matter()
    client = as_user(mw.users.grid1)
    for suffix in ("", "events/"):
        assert client.get(f"/api/v1/matters/{theirs.pk}/{suffix}").status_code == 404
        # filters in the query string neither widen nor break a detail route
        assert client.get(f"/api/v1/matters/{theirs.pk}/{suffix}", {"township": mw.xiaomian.pk}).status_code == 404
        assert client.get(f"/api/v1/matters/{mine.pk}/{suffix}", {"state": "closed"}).status_code == 200
    assert client.post(f"/api/v1/matters/{theirs.pk}/accept/", {}, format="json").status_code == 404


def test_api_export_keeps_the_lists_filters(mw, as_user):
    a = mw.staff_matter(title="路灯不亮")
    mw.staff_matter(title="水管爆裂", grid=mw.q2, actor=mw.users.grid2)
    matter_classify(matter=a, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    response = as_user(mw.users.cadre).get("/api/v1/matters/export/", {"state": "classified"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))[1:]
    assert [r[0] for r in rows] == [a.pk]


# 5. The civic panel's first question ---------------------------------------------------------


def test_civic_panel_is_none_for_a_matter_nothing_names(mw, rf):
    from governance.civic.matter_panels import civic

    matter = mw.staff_matter()
    for user in (mw.users.cadre, mw.users.official, mw.users.admin):
        request = rf.get("/")
        request.user = _fresh(user)
        assert civic(request, matter) is None


# 6. Beyond one's places past BEYOND_INLINE ---------------------------------------------------


def test_many_beyond_places_sees_exactly_what_the_ids_saw(mw, monkeypatch):
    outsider = mw.users.outsider
    theirs = [mw.staff_matter(grid=mw.l1, actor=mw.users.other_official, title=f"事{n}") for n in range(3)]
    for matter in theirs[:2]:
        assign_perm("petitions.view_matter", outsider, matter)
    handler = mw.users.grid2
    Matter.objects.filter(pk=theirs[2].pk).update(handler=handler)

    def seen(user, read_ahead=True):
        return set(selectors.matters_visible_to(_fresh(user), read_ahead=read_ahead).values_list("pk", flat=True))

    inline = {u.pk: seen(u) for u in (outsider, handler, mw.users.grid1, mw.users.official)}
    assert inline[outsider.pk] == {theirs[0].pk, theirs[1].pk}
    assert theirs[2].pk in inline[handler.pk]
    monkeypatch.setattr(selectors, "BEYOND_INLINE", 1)
    for user in (outsider, handler, mw.users.grid1, mw.users.official):
        assert seen(user) == inline[user.pk] == seen(user, read_ahead=False)
    fresh = _fresh(outsider)
    assert selectors.matters_beyond_places(fresh, selectors.scope_for(fresh).condition("matter")) == selectors.MANY
