"""The outbox and the residents' SMS under attack: forged settings, the public endpoints with
bad input, races between a withdrawal and a transition, the clock at the edges of the quiet
hours and of the per-number limit, and what the provider's answer may keep."""

import datetime
import json
import zoneinfo

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from governance.messaging.models import Delivery, Kind, Preference, TownshipChannel
from governance.messaging.services import deliveries_sweep, delivery_send, sms_queue
from governance.services import notify
from petitions.models import Matter, SmsSubscription
from petitions.resident_sms import consent_wording
from tests.governance.test_notifications import broker
from tests.messaging.conftest import give_phone
from tests.messaging.test_residents import FORM, PHONE, TOKEN, aliyun_push, classify, public, resident_sms

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2027, 11, 20)  # after the fixtures' assignments begin


def local(hour: int, minute: int = 0, *, day: datetime.date = DAY) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


# ---------------------------------------------------------------- the settings page


def test_a_forged_post_changes_only_the_senders_own_choices(client, world):
    give_phone(world.users.cadre, "13800000002", township=world.weituo)
    TownshipChannel.objects.create(township=world.weituo, kind=Kind.REMINDER, channel="sms", allowed=False)
    client.force_login(world.users.cadre)
    forged = {
        "on": ["reminder:sms", "supervision", ":", "x" * 5000, "assignment:sms:extra"],
        "user": world.users.grid1.pk,
    }
    assert client.post("/notifications/settings/", forged).status_code == 302
    assert not Preference.objects.filter(user=world.users.grid1).exists()
    mine = {(p.kind, p.channel): p.enabled for p in Preference.objects.filter(user=world.users.cadre)}
    # Not allowed by the township, and 督办 by SMS is forced: neither has a row to change.
    assert ("reminder", "sms") not in mine and ("supervision", "sms") not in mine
    assert mine[("assignment", "sms")] is False
    notify(user=world.users.cadre, title="逢十提醒", kind=Kind.REMINDER)
    assert not Delivery.objects.filter(channel="sms", kind="reminder").exists()


def test_a_form_with_more_fields_than_django_takes_is_refused_and_changes_nothing(client, world):
    client.force_login(world.users.grid1)
    response = client.post("/notifications/settings/", {"on": ["reminder:sms"] * 5000})
    assert response.status_code == 413
    assert not Preference.objects.exists()


# ---------------------------------------------------------------- the unsubscribe page


def test_get_never_withdraws_and_the_post_needs_the_csrf_token(mw):
    matter = public(mw)
    url = f"/public/sms/unsubscribe/{matter.sms_subscription.token}/"
    browser = Client(enforce_csrf_checks=True)
    for _ in range(3):
        page = browser.get(url)
        assert page.status_code == 200 and PHONE not in page.content.decode()
    assert browser.post(url).status_code == 403  # a third-party page cannot withdraw it
    assert SmsSubscription.objects.get().withdrawn_at is None
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else browser.cookies["csrftoken"].value
    assert browser.post(url, {"csrfmiddlewaretoken": token}).status_code == 302  # back to the page, withdrawn
    assert SmsSubscription.objects.get().withdrawn_via == "link"


def test_one_matters_token_withdraws_that_matter_only(client, mw):
    first, second = public(mw), public(mw)
    assert client.post(f"/public/sms/unsubscribe/{first.sms_subscription.token}/").status_code == 302
    assert SmsSubscription.objects.get(matter=first).withdrawn_at is not None
    assert SmsSubscription.objects.get(matter=second).withdrawn_at is None
    # A token differing by one character, or of another case, is nobody's.
    token = second.sms_subscription.token
    for guess in (token[:-1] + ("A" if token[-1] != "A" else "B"), token.swapcase(), token + "="):
        assert client.post(f"/public/sms/unsubscribe/{guess}/").status_code == 404
    assert SmsSubscription.objects.get(matter=second).withdrawn_at is None


# ---------------------------------------------------------------- the providers' callback


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,  # nested deeper than the parser goes
        b"\xff\xfe garbage",
        b"",
        b"null",
        b'[{"phone_number": "15900001111"}]',
        b'[{"phone_number": ["15900001111"], "content": {"TD": 1}}]',
        b'"TD"',
    ],
)
def test_a_malformed_push_is_a_400_and_withdraws_nothing(client, mw, settings, body):
    settings.CUNZHI_SMS_INBOUND_TOKEN = TOKEN
    public(mw)
    response = client.post(f"/public/sms/inbound/aliyun/{TOKEN}/", body, "application/json")
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.json()["code"] == "invalid"
    assert SmsSubscription.objects.get().withdrawn_at is None


def test_a_push_larger_than_the_request_limit_is_refused(client, mw, settings):
    settings.CUNZHI_SMS_INBOUND_TOKEN = TOKEN
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    public(mw)
    huge = json.dumps([{**aliyun_push()[0], "content": "x" * 20_000}, aliyun_push()[0]])
    response = client.post(f"/public/sms/inbound/aliyun/{TOKEN}/", huge, "application/json")
    assert 400 <= response.status_code < 500
    assert SmsSubscription.objects.get().withdrawn_at is None


def test_a_replayed_td_push_changes_nothing_more(client, mw, settings):
    settings.CUNZHI_SMS_INBOUND_TOKEN = TOKEN
    public(mw)
    url, body = f"/public/sms/inbound/aliyun/{TOKEN}/", json.dumps(aliyun_push())
    assert client.post(url, body, "application/json").status_code == 200
    withdrawn = SmsSubscription.objects.get().withdrawn_at
    assert client.post(url, body, "application/json").status_code == 200
    assert SmsSubscription.objects.get().withdrawn_at == withdrawn


def test_a_td_from_a_number_with_several_consents_withdraws_only_that_numbers(client, mw, settings):
    settings.CUNZHI_SMS_INBOUND_TOKEN = TOKEN
    mine, also_mine = public(mw), public(mw)
    theirs = mw.public_matter(grid=mw.q1, sms_consent=consent_wording())
    Matter.objects.filter(pk=theirs.pk).update(submitter_phone="15900002222")
    SmsSubscription.objects.filter(matter=theirs).update(phone="15900002222")
    push = [{**aliyun_push()[0], "phone_number": "8615900001111"}]
    assert client.post(f"/public/sms/inbound/aliyun/{TOKEN}/", json.dumps(push), "application/json").status_code == 200
    withdrawn = dict(SmsSubscription.objects.values_list("matter_id", "withdrawn_via"))
    assert withdrawn == {mine.pk: "reply", also_mine.pk: "reply", theirs.pk: ""}


# ---------------------------------------------------------------- the public form's consent


def _form(client) -> dict:
    from tests.pages.conftest import form_token

    return {
        "form_token": form_token(client.get(FORM).content.decode()),
        "title": "路灯不亮",
        "description": "村口桥头的路灯坏了一个月",
        "grid": "",
        "submitter_name": "马大姐",
    }


@pytest.mark.parametrize("phone", ["", "12345", "1590000111x", "159000011112"])
def test_consent_with_a_missing_or_malformed_number_saves_nothing_and_says_so(client, mw, phone):
    response = client.post(FORM, {**_form(client), "submitter_phone": phone, "sms_updates": "on"})
    assert response.status_code == 200
    assert 'name="submitter_phone"' in response.content.decode() and "errorlist" in response.content.decode()
    assert not Matter.objects.exists() and not SmsSubscription.objects.exists()


def test_the_recorded_wording_is_the_servers_whatever_the_client_sends(client, api_client, mw):
    data = {**_form(client), "submitter_phone": PHONE, "sms_updates": "on", "consent_text": "我同意每天发广告"}
    assert client.post(FORM, data).status_code == 302
    body = {
        "title": "修路占地纠纷",
        "description": "邻居硬化便道占了我家耕地",
        "village": mw.qixing.pk,
        "submitter_name": "马某",
        "submitter_phone": PHONE,
        "sms_updates": True,
        "sms_consent": "我同意每天发广告",
    }
    response = api_client.post("/api/v1/public/matters/", body, format="json")
    if response.status_code == 201:
        assert SmsSubscription.objects.count() == 2
    else:
        assert response.status_code == 400 and SmsSubscription.objects.count() == 1
    assert all("广告" not in text for text in SmsSubscription.objects.values_list("consent_text", flat=True))


@pytest.mark.parametrize("value", ["maybe", 2, None, [True], {"on": True}])
def test_the_api_refuses_a_consent_that_is_not_a_boolean_and_saves_nothing(api_client, mw, value):
    body = {
        "title": "修路占地纠纷",
        "description": "邻居硬化便道占了我家耕地",
        "village": mw.qixing.pk,
        "submitter_name": "马某",
        "submitter_phone": PHONE,
        "sms_updates": value,
    }
    response = api_client.post("/api/v1/public/matters/", body, format="json")
    assert response.status_code == 400 and "sms_updates" in response.json().get("errors", response.json())
    assert not Matter.objects.exists() and not SmsSubscription.objects.exists()


# ---------------------------------------------------------------- no consent, no SMS


# ---------------------------------------------------------------- never twice, never lost


def test_the_send_task_run_twice_sends_once(world, capsys):
    from governance.messaging.tasks import send_delivery

    give_phone(world.users.grid1, "13800000001")
    with time_machine.travel(local(10), tick=False):
        with broker("redis://127.0.0.1:1/0"):
            notify(user=world.users.grid1, title="督办", kind=Kind.SUPERVISION)
        delivery = Delivery.objects.get(channel="sms")
        assert [send_delivery(delivery.pk), send_delivery(delivery.pk)] == ["sent", "not_due"]
        assert deliveries_sweep(older_than=datetime.timedelta(0)) == 0
    assert capsys.readouterr().out.count("[SMS 138****0001]") == 1


def test_a_resident_sms_queued_while_redis_is_down_goes_by_the_sweep(mw, django_capture_on_commit_callbacks, capsys):
    with time_machine.travel(local(10), tick=False):
        matter = public(mw)
        with broker("redis://127.0.0.1:1/0"), django_capture_on_commit_callbacks(execute=True):
            classify(mw, matter)
        [sms] = resident_sms()
        assert sms.status == Delivery.Status.QUEUED
        assert deliveries_sweep() == 0  # younger than a minute: its task may still come
    with time_machine.travel(local(10, 2), tick=False):
        deliveries_sweep()
    sms.refresh_from_db()
    assert sms.status == Delivery.Status.SENT
    assert capsys.readouterr().out.count("[SMS 159****1111]") == 1


@pytest.mark.parametrize(
    ("hour", "minute", "held_until"),
    [(21, 59, None), (22, 0, local(7, day=DAY + datetime.timedelta(days=1))), (6, 59, local(7)), (7, 0, None)],
)
def test_quiet_hours_at_their_edges_for_staff_and_residents(world, hour, minute, held_until):
    give_phone(world.users.grid1, "13800000001")
    with time_machine.travel(local(hour, minute), tick=False), broker("redis://127.0.0.1:1/0"):
        notify(user=world.users.grid1, title="督办", kind=Kind.SUPERVISION)
        sms_queue(address=PHONE, kind=Kind.RESIDENT, template_key="resident_accepted", params={}, body="x", key="r")
        for delivery in Delivery.objects.filter(channel="sms"):
            if held_until is None:
                assert delivery.status == Delivery.Status.QUEUED
                assert delivery_send(delivery_id=delivery.pk).status == "sent"
            else:
                assert (delivery.status, delivery.not_before) == (Delivery.Status.HELD, held_until)


def test_the_per_number_limit_at_its_edge(world, settings):
    settings.CUNZHI_SMS_PER_PHONE_PER_HOUR = 2
    give_phone(world.users.grid1, "13800000001")
    with broker("redis://127.0.0.1:1/0"):
        with time_machine.travel(local(10), tick=False):
            for i in range(2):
                notify(user=world.users.grid1, title=f"督办{i}", kind=Kind.SUPERVISION)
            assert deliveries_sweep(older_than=datetime.timedelta(0)) == 2
            third = notify(user=world.users.grid1, title="督办2", kind=Kind.SUPERVISION).deliveries.get(channel="sms")
            assert delivery_send(delivery_id=third.pk).status == "held"
        third.refresh_from_db()
        assert third.not_before == local(11)
        with time_machine.travel(local(11) - datetime.timedelta(seconds=1), tick=False):
            assert delivery_send(delivery_id=third.pk).status == "not_due"
        with time_machine.travel(local(11), tick=False):
            assert delivery_send(delivery_id=third.pk).status == "sent"


# ---------------------------------------------------------------- privacy


def test_the_kept_answer_of_tencent_has_no_full_number(world, sms):
    provider = sms("tencent")
    give_phone(world.users.grid1, "13800000001")
    with time_machine.travel(local(10), tick=False), broker("redis://127.0.0.1:1/0"):
        notify(user=world.users.grid1, title="督办", kind=Kind.SUPERVISION)
        delivery = Delivery.objects.get(channel="sms")
        assert delivery_send(delivery_id=delivery.pk).status == "sent"
    assert provider.requests
    delivery.refresh_from_db()
    kept = json.dumps(delivery.provider_answer)
    assert "13800000000" not in kept and "13800000001" not in kept and "test-key" not in kept


def test_the_outbox_admin_shows_no_full_number(admin_client, world, sms):
    sms("tencent")
    give_phone(world.users.grid1, "13800000001")
    with time_machine.travel(local(10), tick=False), broker("redis://127.0.0.1:1/0"):
        notify(user=world.users.grid1, title="督办", kind=Kind.SUPERVISION)
        delivery = Delivery.objects.get(channel="sms")
        delivery_send(delivery_id=delivery.pk)
    for url in ("/admin/messaging/delivery/", f"/admin/messaging/delivery/{delivery.pk}/change/"):
        html = admin_client.get(url).content.decode()
        assert "13800000001" not in html and "13800000000" not in html and "test-key-secret" not in html
