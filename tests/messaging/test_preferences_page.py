"""Each person's message settings page: choose channels per kind within what is allowed."""

import pytest
from django.urls import reverse

from governance.messaging.models import Delivery, Kind, Preference, TownshipChannel
from governance.services import notify
from tests.messaging.conftest import give_phone

pytestmark = pytest.mark.django_db

URL = "/notifications/settings/"


def test_the_notifications_page_links_to_the_settings(client, world):
    client.force_login(world.users.grid1)
    assert URL in client.get(reverse("governance:notification-list")).content.decode()


def test_page_shows_each_kind_with_supervision_sms_always_on_and_the_masked_number(client, world):
    give_phone(world.users.grid1, "13800000001", township=world.weituo)
    TownshipChannel.objects.create(township=world.weituo, kind=Kind.APPROVAL, channel="email", allowed=False)
    client.force_login(world.users.grid1)
    html = client.get(URL).content.decode()
    assert "138****0001" in html and "13800000001" not in html
    assert 'value="supervision:sms" checked disabled' in html
    assert 'value="approval:email" disabled' in html
    assert 'value="reminder:sms"' in html and 'value="reminder:sms" checked' not in html


def test_saving_turns_sms_reminders_on_and_email_assignments_off(client, world):
    user = world.users.cadre
    give_phone(user, "13800000002")
    client.force_login(user)
    # A forged value (a kind that does not exist, a forced cell switched off) changes nothing.
    response = client.post(URL, {"on": ["reminder:sms", "reminder:email", "bogus:sms", "approval:email"]})
    assert response.status_code == 302
    chosen = {(p.kind, p.channel): p.enabled for p in Preference.objects.filter(user=user)}
    assert chosen[("reminder", "sms")] and not chosen[("assignment", "email")]
    assert ("supervision", "sms") not in chosen and ("bogus", "sms") not in chosen
    notify(user=user, title="逢十提醒", kind=Kind.REMINDER)
    notify(user=user, title="新事项", kind=Kind.ASSIGNMENT)
    notify(user=user, title="督办", kind=Kind.SUPERVISION)
    assert sorted(Delivery.objects.values_list("kind", "channel")) == [
        ("reminder", "email"),
        ("reminder", "sms"),
        ("supervision", "sms"),
    ]


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]
