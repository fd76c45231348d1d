"""Every change on record (governance.history): who, when, before and after, for people, places,
assignments, catalogues and settings; read on a page and through the API by whoever may see
the object, a 404 for anyone else."""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils.translation import gettext

from governance.history import HistoryActorMiddleware, history_of
from governance.models import Role
from governance.services import assignment_end
from grids.models import Grid
from tests.factories import assign


def test_a_rename_through_the_api_client_names_who_did_it(world, client):
    """A change made in a request records the signed-in user as its actor, the field's name in
    the site's language, and its value before and after."""
    grid = world.q1
    grid.name = "一组网格"
    grid.save()  # no request: the system
    client.force_login(world.users.cadre)
    page = client.get(reverse("governance:history", args=["grid", grid.pk]))
    assert page.status_code == 200
    changes = page.context["changes"]
    assert changes[0].actor == gettext("the system")
    assert (gettext("name"), "第一网格", "一组网格") in changes[0].fields


def test_the_actor_is_read_when_the_change_is_saved_not_when_the_request_arrives(world, api_client):
    """The API authenticates a token inside the view, after the middleware has run: DRF then
    sets the Django request's user, and the change names that user."""
    assignment = world.users.grid1.assignments.get()

    def view(request):
        request.user = world.users.cadre  # what DRF does once the token is checked
        assignment_end(assignment=assignment)
        return HttpResponse()

    request = RequestFactory().post("/")
    request.user = AnonymousUser()
    HistoryActorMiddleware(view)(request)
    latest = history_of(assignment)[0]
    assert latest.actor == world.users.cadre.first_name
    assert any(name == gettext("valid to") and before == "" and after for name, before, after in latest.fields)
    api_client.force_authenticate(world.users.cadre)
    answer = api_client.get(f"/api/v1/history/assignment/{assignment.pk}/")
    assert answer.status_code == 200
    assert answer.json()[0]["actor"] == world.users.cadre.first_name


def test_history_is_read_only_by_those_who_see_the_object(world, api_client):
    grid = Grid.objects.get(pk=world.h1.pk)  # 化龙村's grid
    grid.name = "化龙一组"
    grid.save()
    api_client.force_authenticate(world.users.cadre)  # 七星村's cadre
    assert api_client.get(f"/api/v1/history/grid/{grid.pk}/").status_code == 404
    assert api_client.get("/api/v1/history/no-such-kind/1/").status_code == 404
    api_client.force_authenticate(world.users.other_cadre)  # 化龙村's
    answer = api_client.get(f"/api/v1/history/grid/{grid.pk}/")
    assert answer.status_code == 200
    assert answer.json()[0]["fields"] == [{"field": gettext("name"), "before": "第一网格", "after": "化龙一组"}]


def test_a_households_phone_is_masked_in_its_history(world, client):
    household = world.households.q1
    household.phone = "15812349119"
    household.save()
    household.phone = "13900001111"
    household.save()
    rows = history_of(household)[0].fields
    assert (gettext("phone"), "158****9119", "139****1111") in rows
    client.force_login(world.users.grid1)
    page = client.get(reverse("governance:history", args=["household", household.pk])).content.decode()
    assert "15812349119" not in page and "158****9119" in page


def test_a_new_assignment_is_on_record_with_its_role(world):
    assignment = assign(world.users.official, Role.VILLAGE_LIAISON, world.qixing)
    created = history_of(assignment)[-1]
    assert created.action == gettext("created")
    assert (gettext("role"), "", str(Role.VILLAGE_LIAISON.label)) in created.fields
