"""The places' pages (/manage/places/): who may open and send them, and what they do.

Keepers: 七星村's cadre, 渭沱镇's administrator (镇街管理员) and the superuser. A place out of
the reader's sight is a 404; a place the reader sees but does not keep is a 403; a place merged
into another is a 409 (the page again, with the message); bad input a 400 next to the field.
"""

import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext

from grids.models import Courtyard, Grid, Household, HouseholdMove
from grids.places import grid_merge
from grids.services import courtyard_create, grid_create
from tests.matrix import PAGE_PERSONAS, Case, matrix_params, page_login, page_problems, page_send, run_matrix
from tests.pages.conftest import field_block

PERSONAS = [*PAGE_PERSONAS, "township_admin"]
KEEPERS = {"cadre", "admin", "township_admin"}


def _row(ok: int, *, sees: set[str]) -> dict[str, int]:
    """`ok` for the keepers, 403 for the others who see the place, 404 for the rest."""
    row = {p: (ok if p in KEEPERS else 403 if p in sees else 404) for p in PERSONAS}
    row["anonymous"] = 302
    return row


# Who sees 七星村 grid 1 (q1) by name: its worker, the courtyard helper inside it, the village's
# cadre and shop clerk, the township (its staff, its department, its administrator), the superuser.
SEES_Q1 = {"grid1", "helper", "clerk", "official", "leader", "handler"}
# Who sees 七星村 by name: everyone assigned in it (its supervision committee too), and its township.
SEES_QIXING = {"grid1", "grid2", "helper", "clerk", "supervisor", "official", "leader", "handler"}

# 化龙村's cadre keeps 化龙村's places.
LIST = {p: (200 if p in KEEPERS | {"other_cadre"} else 403) for p in PERSONAS} | {"anonymous": 302}

MATRIX = [
    ("GET", "place-list", None, LIST),
    ("GET", "place-grid-create", None, _row(200, sees=SEES_QIXING)),
    ("POST", "place-grid-create", {"name": "第三网格"}, _row(302, sees=SEES_QIXING)),
    ("GET", "place-grid", None, _row(200, sees=SEES_Q1)),
    ("POST", "place-grid-action-rename", {"name": "河坝网格", "number": "7"}, _row(302, sees=SEES_Q1)),
    ("POST", "place-grid-action-add-courtyard", {"name": "竹林院子"}, _row(302, sees=SEES_Q1)),
    ("POST", "place-grid-action-merge", {"into": "{q2}"}, _row(302, sees=SEES_Q1)),
    ("GET", "place-grid-split", None, _row(200, sees=SEES_Q1)),
    ("POST", "place-grid-split", {"name": "第三网格", "households": "{hh_q1b}"}, _row(302, sees=SEES_Q1)),
    ("GET", "place-courtyard", None, _row(200, sees=SEES_Q1)),
    ("POST", "place-courtyard-action-rename", {"name": "新院子"}, _row(302, sees=SEES_Q1)),
    ("POST", "place-courtyard-action-merge", {"into": "{yard2}"}, _row(302, sees=SEES_Q1)),
]
# The URL names these pages have (tests/pages/test_permissions.py checks every page is covered).
COVERED_URL_NAMES = {
    "place-list",
    "place-grid-create",
    "place-grid",
    "place-grid-action",
    "place-grid-split",
    "place-courtyard",
    "place-courtyard-action",
}
CASES = [Case(method, name, expected, data) for method, name, data, expected in MATRIX]


def _urls(world, yard2) -> dict[str, str]:
    q1, yard = world.q1.pk, world.yard.pk
    return {
        "place-list": "/manage/places/",
        "place-grid-create": f"/manage/places/villages/{world.qixing.pk}/grids/new/",
        "place-grid": f"/manage/places/grids/{q1}/",
        "place-grid-action-rename": f"/manage/places/grids/{q1}/rename/",
        "place-grid-action-add-courtyard": f"/manage/places/grids/{q1}/add-courtyard/",
        "place-grid-action-merge": f"/manage/places/grids/{q1}/merge/",
        "place-grid-split": f"/manage/places/grids/{q1}/split/",
        "place-courtyard": f"/manage/places/courtyards/{yard}/",
        "place-courtyard-action-rename": f"/manage/places/courtyards/{yard}/rename/",
        "place-courtyard-action-merge": f"/manage/places/courtyards/{yard}/merge/",
    }


PREFIXES = {
    "place-grid-create": "create",
    "place-grid-split": "split",
    "place-grid-action-rename": "rename",
    "place-grid-action-add-courtyard": "add-courtyard",
    "place-grid-action-merge": "merge",
    "place-courtyard-action-rename": "rename",
    "place-courtyard-action-merge": "merge",
}


def _form_data(case: Case, ids: dict) -> dict:
    """The case's fields under the form's prefix, with a fresh token (a form sent once)."""
    if case.data is None:
        return {}
    _url, data = case.resolve(ids)
    prefix = PREFIXES[case.url]
    return {f"{prefix}-{k}": v for k, v in {**data, "form_token": str(uuid.uuid4())}.items()}


def _problems(persona, response) -> list[str]:
    """The pages' checks; a form saved goes on to a place's page, not to the login page."""
    if response.status_code == 302 and response["Location"].startswith("/manage/places/"):
        return []
    return page_problems(persona, response)


def _state():
    return (
        list(Grid.objects.order_by("pk").values_list("pk", "name", "number", "retired_on")),
        list(Courtyard.objects.order_by("pk").values_list("pk", "name", "grid_id", "retired_on")),
        list(Household.objects.order_by("pk").values_list("pk", "grid_id", "courtyard_id")),
        HouseholdMove.objects.count(),
    )


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_place_page_permissions(client, pk_world, case):
    yard2 = courtyard_create(grid=pk_world.q1, name="二号院子")
    ids = {"q2": pk_world.q2.pk, "hh_q1b": pk_world.households.q1b.pk, "yard2": yard2.pk}
    url = _urls(pk_world, yard2)[case.url]
    data = _form_data(case, ids)
    run_matrix(
        case,
        personas=list(case.expected),
        login=page_login(client, pk_world.users),
        send=page_send(client, case.method, url, data),
        snapshot=_state,
        checks=[_problems],
    )


# ---------------------------------------------------------------- the list


def test_the_list_shows_each_village_its_grids_staff_courtyards_and_history_links(client, pk_world):
    client.force_login(pk_world.users.township_admin)

    page = client.get("/manage/places/").content.decode()

    for village in ("七星村", "化龙村"):
        assert village in page
    assert "李湾村" not in page  # another township's
    assert f'href="/manage/places/grids/{pk_world.q1.pk}/"' in page
    assert f'href="/history/grid/{pk_world.q1.pk}/"' in page
    assert f'href="/history/village/{pk_world.qixing.pk}/"' in page
    assert f'href="/manage/places/courtyards/{pk_world.yard.pk}/"' in page
    assert "网格员一" in page and "老院子" in page
    # Household counts, not people: the administrator reads no register.
    assert "张三" not in page


def test_the_cadre_keeps_only_the_own_village(client, pk_world):
    client.force_login(pk_world.users.cadre)

    page = client.get("/manage/places/").content.decode()

    assert "七星村" in page and "化龙村" not in page


def test_the_list_costs_the_same_queries_with_more_places(client, pk_world):
    client.force_login(pk_world.users.township_admin)
    client.get("/manage/places/")  # warm the session and caches

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/manage/places/").status_code == 200
        return len(captured)

    before = queries()
    for n in range(3, 8):
        grid = grid_create(village=pk_world.hualong, name=f"第{n}网格")
        courtyard_create(grid=grid, name=f"院子{n}")
    grid_merge(grid=pk_world.h1, into=grid, actor=pk_world.users.admin)
    assert queries() == before


# ---------------------------------------------------------------- writing through the pages


def _token(client, url: str, prefix: str) -> str:
    """The form token of the form `prefix` on the page at `url`, as rendered."""
    page = client.get(url).content.decode()
    return re.search(rf'name="{prefix}-form_token" value="([^"]+)"', page).group(1)


def test_a_cadre_merges_a_grid_and_it_is_no_longer_offered(client, pk_world):
    client.force_login(pk_world.users.cadre)
    q1, q2 = pk_world.q1, pk_world.q2

    token = _token(client, f"/manage/places/grids/{q1.pk}/", "merge")

    response = client.post(f"/manage/places/grids/{q1.pk}/merge/", {"merge-into": q2.pk, "merge-form_token": token})

    assert response.status_code == 302 and response["Location"] == f"/manage/places/grids/{q2.pk}/"
    q1.refresh_from_db()
    assert q1.merged_into_id == q2.pk
    assert set(Household.objects.filter(grid=q2).values_list("pk", flat=True)) == {
        pk_world.households.q1.pk,
        pk_world.households.q1b.pk,
        pk_world.households.q2.pk,
    }
    # Listed apart as merged, with its history; offered nowhere as a place to put households.
    listing = client.get("/manage/places/").content.decode()
    retired = listing.split('class="retired-places"')[1]
    assert "第一网格" in retired and f"/history/grid/{q1.pk}/" in retired
    grid_page = client.get(f"/manage/places/grids/{q2.pk}/").content.decode()
    assert f'<option value="{q1.pk}"' not in grid_page
    new_household = client.get("/households/new/").content.decode()
    grid_choices = new_household.split('name="grid"')[1].split("</select>")[0]  # ids of other tables may equal q1's
    assert f'<option value="{q2.pk}"' in grid_choices and f'<option value="{q1.pk}"' not in grid_choices
    # Its own page says so and offers no change.
    own = client.get(f"/manage/places/grids/{q1.pk}/").content.decode()
    assert 'id="action-rename"' not in own and f'href="/manage/places/grids/{q2.pk}/"' in own


def test_merging_into_a_grid_merged_meanwhile_answers_409_and_writes_nothing(client, pk_world):
    extra = grid_create(village=pk_world.qixing, name="第三网格")
    client.force_login(pk_world.users.cadre)
    token = _token(client, f"/manage/places/grids/{pk_world.q1.pk}/", "merge")
    grid_merge(grid=extra, into=pk_world.q2, actor=pk_world.users.cadre)  # meanwhile, elsewhere

    response = client.post(
        f"/manage/places/grids/{pk_world.q1.pk}/merge/", {"merge-into": extra.pk, "merge-form_token": token}
    )

    assert response.status_code == 409
    assert gettext("%(grid)s was merged into another grid; choose a grid in use.") % {"grid": "第三网格"} in (
        response.content.decode()
    )
    assert pk_world.q1.households.count() == 2
    assert not HouseholdMove.objects.exists()


def test_renaming_to_a_number_in_use_is_refused_next_to_the_field(client, pk_world):
    client.force_login(pk_world.users.cadre)
    token = _token(client, f"/manage/places/grids/{pk_world.q1.pk}/", "rename")

    response = client.post(
        f"/manage/places/grids/{pk_world.q1.pk}/rename/",
        {"rename-name": "改名", "rename-number": "2", "rename-form_token": token},
    )

    assert response.status_code == 400
    assert gettext("Another grid of the village has this number.") in field_block(
        response.content.decode(), "rename-number"
    )
    pk_world.q1.refresh_from_db()
    assert pk_world.q1.name == "第一网格"


def test_the_split_page_groups_households_by_courtyard_and_moves_those_chosen(client, pk_world):
    client.force_login(pk_world.users.cadre)
    url = f"/manage/places/grids/{pk_world.q1.pk}/split/"
    page = client.get(url).content.decode()
    assert "老院子" in page and "张三" in page and 'data-filter-list="split-households"' in page
    token = re.search(r'name="split-form_token" value="([^"]+)"', page).group(1)

    response = client.post(
        url, {"split-name": "第三网格", "split-households": [pk_world.households.q1.pk], "split-form_token": token}
    )

    new = Grid.objects.get(village=pk_world.qixing, name="第三网格")
    assert response.status_code == 302 and response["Location"] == f"/manage/places/grids/{new.pk}/"
    assert list(new.households.all()) == [pk_world.households.q1]
    # Sent again (a double tap): nothing more happens.
    again = client.post(
        url, {"split-name": "第三网格", "split-households": [pk_world.households.q1.pk], "split-form_token": token}
    )
    assert again.status_code == 302
    assert Grid.objects.filter(village=pk_world.qixing).count() == 3


def test_a_split_without_households_comes_back_with_the_error(client, pk_world):
    client.force_login(pk_world.users.cadre)
    url = f"/manage/places/grids/{pk_world.q1.pk}/split/"
    token = _token(client, url, "split")

    response = client.post(url, {"split-name": "第三网格", "split-form_token": token})

    assert response.status_code == 400
    assert gettext("Choose the households that go to the new grid.") in response.content.decode()
    assert Grid.objects.filter(village=pk_world.qixing).count() == 2


def test_the_township_administrator_splits_by_household_number_without_names(client, pk_world):
    client.force_login(pk_world.users.township_admin)

    page = client.get(f"/manage/places/grids/{pk_world.q1.pk}/split/").content.decode()

    assert pk_world.households.q1.number in page
    assert "张三" not in page and "zhangsan" not in page
