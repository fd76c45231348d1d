"""The shop clerk keeps the village's passbooks and shop, not its register, matters or visits
(DESIGN §2 roles). Regression: through the API `qixing_clerk` read the village's households,
residents, matters with their events, and visits, while the pages refused them."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from governance.models import Role
from governance.roles import PEOPLE_READERS
from governance.scoping import scope_for
from grids.models import Household, Resident, Village
from grids.visits.models import Visit
from petitions.models import Matter
from points.models import Account
from points.selectors import passbook_members_visible_to
from tests.demo_snapshot import load_demo


@pytest.fixture
def demo(db):
    load_demo()
    return get_user_model().objects.get(username="qixing_clerk")


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_clerk_is_no_people_reader():
    assert Role.SHOP_CLERK not in PEOPLE_READERS
    assert Role.VILLAGE_CADRE in PEOPLE_READERS


def test_the_clerk_reads_no_person_matter_or_visit_through_the_api(demo):
    clerk = demo
    qixing = Village.objects.get(name="七星村")
    client = _client(clerk)
    household = Household.objects.filter(village=qixing).first()
    resident = Resident.objects.filter(village=qixing).first()
    matter = Matter.objects.filter(village=qixing).first()
    visit = Visit.objects.filter(grid__village=qixing).first()
    assert household and resident and matter and visit
    # Every list and list-level action over people is refused, as the pages refuse them.
    for url in (
        "/api/v1/households/",
        "/api/v1/residents/",
        "/api/v1/matters/",
        "/api/v1/matters/?waiting=1",
        "/api/v1/matters/figures/",
        "/api/v1/visits/",
        "/api/v1/visits/todo/",
        "/api/v1/households/export/",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json()["code"] == "permission_denied", url
    assert client.post("/api/v1/visits/", {}, format="json").status_code == 403
    for url in (
        f"/api/v1/households/{household.pk}/",
        f"/api/v1/residents/{resident.pk}/",
        f"/api/v1/matters/{matter.pk}/",
        f"/api/v1/matters/{matter.pk}/events/",
        f"/api/v1/visits/{visit.pk}/",
    ):
        assert client.get(url).status_code in (403, 404), url


def test_the_clerk_keeps_the_passbooks_and_their_members(demo):
    clerk = demo
    qixing = Village.objects.get(name="七星村")
    accounts = _client(clerk).get("/api/v1/points/accounts/")
    assert accounts.status_code == 200
    assert accounts.json()["results"], "the clerk sees the village's passbooks"
    account = Account.objects.filter(village=qixing).select_related("household").first()
    member = account.household.members.first()
    # A redemption names the member who came: read through the passbook, not the register.
    assert passbook_members_visible_to(clerk).filter(pk=member.pk).exists()
    assert not passbook_members_visible_to(clerk).exclude(village=qixing).exists()
    assert scope_for(clerk).filter(Resident.objects.all(), "resident").count() == 0


def test_the_clerk_pages_show_no_register_compliance_or_village_totals(demo, client):
    client.force_login(demo)
    # The clerk's home is the counter (governance.homes.counter_only): no register, no matters.
    assert client.get("/").url == "/points/shop/"
    home = client.get("/points/shop/")
    assert home.status_code == 200
    assert "villages" not in home.context and "fengshi" not in home.context
    assert not home.context["nav"]["sees_households"] and not home.context["nav"]["sees_matters"]
    assert client.get("/visits/compliance/").status_code == 403
    assert client.get("/points/").status_code == 200


def test_the_clerks_passbook_page_does_not_link_to_the_register(demo, client):
    account = Account.objects.filter(village__name="七星村").first()
    client.force_login(demo)
    page = client.get(f"/points/accounts/{account.pk}/")
    assert page.status_code == 200
    assert f'href="/households/{account.household_id}/"' not in page.content.decode()


def test_the_clerk_gets_403_on_the_register_and_matter_lists_and_no_matter_queue(demo, client):
    """Regression: /matters/, /matters/waiting/ and /households/ answered 200 with an empty list
    and the village's grid filters, and the home page offered a matter queue and 全部事项."""
    client.force_login(demo)
    for url in ("/households/", "/matters/", "/matters/waiting/", "/households/export/"):
        assert client.get(url).status_code == 403, url
    home = client.get("/", follow=True)
    assert home.redirect_chain == [("/points/shop/", 302)]
    assert "waiting" not in home.context
    assert 'href="/matters/"' not in home.content.decode()
