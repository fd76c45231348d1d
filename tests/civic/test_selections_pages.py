"""The 最美 selection and activity pages: the permission matrix over every persona, a selection
run through the pages to the public board and a points batch, the activity form, and lists whose
queries do not grow with their rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext

from governance.civic import activities as a
from governance.civic.models import Activity, Nomination, Selection, SelectionStatus
from points.models import AwardStatus
from tests.civic import selection_world
from tests.matrix import PAGE_PERSONAS, Case, matrix_params, page_login, page_problems, page_send, run_matrix
from tests.pledge_fixtures import jpeg

pytestmark = pytest.mark.django_db
sw = selection_world.sw

# Who reads 七星村's civic books: its cadre and grid staff, its township.
READERS = ("grid1", "grid2", "cadre", "official", "leader", "admin")
NON_READERS = ("helper", "clerk", "supervisor", "handler", "outsider")
OTHERS = ("other_cadre", "other_official")


def _row(default, **statuses):
    row = dict.fromkeys(PAGE_PERSONAS, default)
    row["anonymous"] = 302
    row.update(statuses)
    return row


def _detail_row():
    return _row(404, **dict.fromkeys(READERS, 200), **dict.fromkeys(NON_READERS, 403))


PAGE_MATRIX = {
    ("GET", "selection-list", "/civic/selections/"): _row(200, **dict.fromkeys(NON_READERS, 403)),
    ("GET", "selection-create", "/civic/selections/new/"): _row(403, cadre=200, other_cadre=200, admin=200),
    ("GET", "selection-detail", "/civic/selections/{nominated}/"): _detail_row(),
    # The vote is the village cadre's: grid staff and the township 403; sent empty: 400.
    ("POST", "selection-action", "/civic/selections/{nominated}/decide/"): _row(
        404, grid1=403, grid2=403, official=403, leader=403, cadre=400, admin=400
    ),
    ("GET", "activity-list", "/civic/activities/"): _row(200, **dict.fromkeys(NON_READERS, 403)),
    ("GET", "activity-create", "/civic/activities/new/"): _row(
        403, grid1=200, grid2=200, cadre=200, other_cadre=200, admin=200
    ),
    ("GET", "activity-detail", "/civic/activities/{activity}/"): _detail_row(),
    ("POST", "activity-action", "/civic/activities/{activity}/points/"): _row(
        404, grid1=400, grid2=400, cadre=400, admin=400, official=403, leader=403
    ),
    ("GET", "activity-photo", "/civic/activities/photos/{photo}/"): _row(404, **dict.fromkeys(READERS, 200)),
}
# The page names this matrix covers (for tests/pages/test_permissions.py).
COVERED_URL_NAMES = {name for _method, name, _url in PAGE_MATRIX}
PAGE_CASES = [Case(method, url, row, note=name) for (method, name, url), row in PAGE_MATRIX.items()]


def _activity(sw, **extra):
    data = {
        "kind": "neighbours_festival",
        "title": "邻里节",
        "held_on": timezone.localdate() - datetime.timedelta(days=1),
        "description": "百家宴",
        "participants": list(sw.households.q1.members.all()),
        "photos": [jpeg()],
    }
    data.update(extra)
    return a.activity_record(actor=sw.users.cadre, village=sw.qixing, **data)


# One test per case, every persona in it (each in a rolled-back savepoint): the world is
# built once per case, not once per persona.
@pytest.mark.parametrize("case", matrix_params(PAGE_CASES))
def test_civic_selection_and_activity_page_permissions(sw, client, case):
    activity = _activity(sw)
    ids = {"nominated": sw.nominated().pk, "activity": activity.pk, "photo": activity.photos.get().pk}
    url, _data = case.resolve(ids)

    def snapshot():
        return (
            list(Selection.objects.order_by("pk").values_list("status", flat=True)),
            Nomination.objects.count(),
            list(Activity.objects.order_by("pk").values_list("award_batch", flat=True)),
        )

    run_matrix(
        case,
        personas=list(case.expected),
        login=page_login(client, sw.users),
        send=page_send(client, case.method, url),
        snapshot=snapshot,
        checks=[page_problems],
    )


def test_a_family_selection_through_the_pages_to_the_board_and_points(sw, client):
    client.force_login(sw.users.cadre)
    page = client.get("/civic/selections/new/")
    token = page.context["form"]["form_token"].value()
    response = client.post(
        "/civic/selections/new/",
        {"form_token": token, "village": sw.qixing.pk, "kind": "family", "title": "最美家庭评选", "year": sw.year},
    )
    selection = Selection.objects.get()
    detail = f"/civic/selections/{selection.pk}/"
    assert response.status_code == 302 and response["Location"] == detail
    for household in (sw.households.q1, sw.households.q1b):
        page = client.get(detail)
        token = page.context["forms"]["nominate"]["form_token"].value()
        response = client.post(
            f"{detail}nominate/",
            {"nominate-form_token": token, "nominate-household": household.pk, "nominate-reason": "孝老爱亲"},
        )
        assert response.status_code == 302
    first, second = selection.nominations.order_by("pk")
    page = client.get(detail)
    token = page.context["forms"]["decide"]["form_token"].value()
    votes = {f"decide-votes_{first.pk}": 6, f"decide-votes_{second.pk}": 1}
    # No quorum: the form comes back with the message next to the field, and what was typed.
    response = client.post(
        f"{detail}decide/", {"decide-form_token": token, "decide-entitled": 9, "decide-present": 4, **votes}
    )
    assert response.status_code == 400
    assert response.context["forms"]["decide"].errors["present"][0] == gettext(
        "No quorum: more than half of the council's %(entitled)d members must be present to decide."
    ) % {"entitled": 9}
    response = client.post(
        f"{detail}decide/", {"decide-form_token": token, "decide-entitled": 9, "decide-present": 7, **votes}
    )
    assert response.status_code == 302
    page = client.get(detail)
    token = page.context["forms"]["publish"]["form_token"].value()
    response = client.post(f"{detail}publish/", {"publish-form_token": token, "publish-rule": sw.rules.family.pk})
    assert response.status_code == 302
    selection.refresh_from_db()
    assert selection.status == SelectionStatus.PUBLISHED
    assert [a.status for a in selection.award_batch.awards.all()] == [AwardStatus.PENDING]
    # Sent again (a double tap): nothing twice.
    response = client.post(f"{detail}publish/", {"publish-form_token": token, "publish-rule": sw.rules.family.pk})
    assert response.status_code == 302 and selection.award_batch.awards.count() == 1
    board = client.get(f"/public/{sw.qixing.code}/").content.decode()
    assert "最美家庭评选" in board and "Z.S." in board


def test_recording_an_activity_through_the_page_keeps_what_was_typed(sw, client):
    client.force_login(sw.users.grid1)
    page = client.get("/civic/activities/new/")
    token = page.context["form"]["form_token"].value()
    member = sw.households.q1.members.first()
    data = {
        "form_token": token,
        "village": sw.qixing.pk,
        "grid": sw.q1.pk,
        "kind": "neighbours_festival",
        "title": "邻里节",
        "held_on": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        "description": "百家宴",
        "participants": [member.pk],
    }
    response = client.post("/civic/activities/new/", data)
    assert response.status_code == 400
    assert response.context["form"].errors["held_on"]
    assert response.context["form"]["title"].value() == "邻里节"
    data["held_on"] = timezone.localdate().isoformat()
    response = client.post("/civic/activities/new/", {**data, "photos": jpeg()})
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert list(activity.participants.all()) == [member] and activity.photos.count() == 1
    page = client.get(response["Location"])
    token = page.context["forms"]["points"]["form_token"].value()
    response = client.post(
        f"/civic/activities/{activity.pk}/points/", {"points-form_token": token, "points-rule": sw.rules.festival.pk}
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.award_batch is not None


def _count(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_lists_cost_the_same_queries_for_more_rows(sw, client):
    client.force_login(sw.users.cadre)
    sw.nominated()
    _activity(sw)
    few = (_count(client, "/civic/selections/"), _count(client, "/civic/activities/"))
    for n in range(4):
        sw.published(sw.decided(sw.nominated(sw.opened(title=f"第{n}届"))))
        _activity(sw, title=f"走访{n}")
    many = (_count(client, "/civic/selections/"), _count(client, "/civic/activities/"))
    assert many == few


def test_a_selection_without_nominations_asks_for_a_nomination_not_the_vote(sw, client):
    client.force_login(sw.users.cadre)
    selection = sw.opened()
    page = client.get(f"/civic/selections/{selection.pk}/")
    assert page.context["selection"].next_label == gettext("Nominate")
    assert "decide" not in page.context["forms"] and "nominate" in page.context["forms"]
    listed = client.get("/civic/selections/").context["rows"]
    assert [row.next_label for row in listed] == [gettext("Nominate")]
    sw.nominated(selection)
    page = client.get(f"/civic/selections/{selection.pk}/")
    assert page.context["selection"].next_label == gettext("Record the 道德评议会's vote")
    assert "decide" in page.context["forms"]


def test_grid_staff_record_an_activity_on_their_own_grid_and_are_not_offered_the_whole_village(sw, client):
    client.force_login(sw.users.grid2)
    grid = client.get("/civic/activities/new/").context["form"]["grid"]
    assert grid.field.empty_label is None
    assert grid.value() == sw.users.grid2.assignments.get().grid_id
    client.force_login(sw.users.cadre)
    grid = client.get("/civic/activities/new/").context["form"]["grid"]
    assert grid.field.empty_label == gettext("The whole village") and grid.value() is None


def test_an_activity_form_sent_back_asks_for_the_photos_again(sw, client):
    client.force_login(sw.users.cadre)
    token = client.get("/civic/activities/new/").context["form"]["form_token"].value()
    data = {"form_token": token, "village": sw.qixing.pk, "kind": "neighbours_festival", "description": "百家宴"}
    response = client.post("/civic/activities/new/", {**data, "held_on": timezone.localdate().isoformat()})
    assert response.status_code == 400
    again = gettext("If you had chosen a photo, choose it again: a browser does not keep it when a form comes back.")
    assert again in response.content.decode()
