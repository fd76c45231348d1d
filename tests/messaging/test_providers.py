"""Each SMS SDK and 企业微信 against a local server that checks the request as the provider
documents it: success, a refusal, a 5xx with retries and backoff, the provider's answer kept."""

import datetime
import json

import pytest
import time_machine
from django.utils import timezone

from governance.messaging.models import Delivery, Kind
from governance.messaging.services import MAX_ATTEMPTS, deliveries_sweep, delivery_send
from governance.services import notify
from tests.messaging.conftest import TEMPLATES, give_phone

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def _supervise(user, title="督办：七星村路灯不亮已超期"):
    notify(user=user, title=title, body="请尽快办理", url="/matters/1/", kind=Kind.SUPERVISION)
    return Delivery.objects.get(user=user, channel="sms")


@pytest.mark.parametrize("name", ["aliyun", "tencent"])
def test_sms_goes_through_the_sdk_with_template_signature_and_parameters(world, sms, name):
    provider = sms(name)
    give_phone(world.users.grid1, "13800000001")
    with time_machine.travel(NOON, tick=False):
        delivery = _supervise(world.users.grid1)
        assert delivery_send(delivery_id=delivery.pk).status == "sent"
    [request] = provider.requests
    if name == "aliyun":
        assert request["PhoneNumbers"] == "13800000001" and request["SignName"] == "村治平台"
        assert request["TemplateCode"] == TEMPLATES["supervision"]["code"]
        assert json.loads(request["TemplateParam"]) == {"title": "督办：七星村路灯不亮已超期"}
    else:
        assert request["PhoneNumberSet"] == ["+8613800000001"] and request["SmsSdkAppId"] == "1400900001"
        assert request["SignName"] == "村治平台" and request["TemplateId"] == TEMPLATES["supervision"]["code"]
        assert request["TemplateParamSet"] == ["督办：七星村路灯不亮已超期"]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and delivery.provider == name and delivery.attempts == 1
    assert delivery.provider_message_id in {"900^1", "2028:1"} and delivery.provider_answer


@pytest.mark.parametrize("name", ["aliyun", "tencent"])
def test_a_refusal_is_given_up_at_once_and_the_answer_kept(world, sms, name):
    provider = sms(name)
    provider.script = ["error"]
    give_phone(world.users.grid1, "13800000001")
    with time_machine.travel(NOON, tick=False):
        delivery = _supervise(world.users.grid1)
        assert delivery_send(delivery_id=delivery.pk).status == "gave_up"
        assert deliveries_sweep(older_than=datetime.timedelta(0)) == 0
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.GAVE_UP and delivery.attempts == 1 and len(provider.requests) == 1
    assert "MOBILE_NUMBER_ILLEGAL" in json.dumps(delivery.provider_answer) or "Template" in json.dumps(
        delivery.provider_answer
    )


@pytest.mark.parametrize("name", ["aliyun", "tencent"])
@pytest.mark.parametrize("failure", ["5xx", "limit"])
def test_a_transient_failure_is_retried_after_its_backoff_and_then_sent_once(world, sms, name, failure):
    provider = sms(name)
    provider.script = [failure, failure]
    give_phone(world.users.grid1, "13800000001")
    with time_machine.travel(NOON, tick=False) as clock:
        delivery = _supervise(world.users.grid1)
        first = delivery_send(delivery_id=delivery.pk)
        assert first.status == "retry" and first.retry_at == timezone.now() + datetime.timedelta(minutes=1)
        # Not before its backoff: neither the task nor the sweep sends it.
        assert delivery_send(delivery_id=delivery.pk).status == "not_due"
        assert deliveries_sweep(older_than=datetime.timedelta(0)) == 0
        clock.shift(datetime.timedelta(minutes=1))
        assert delivery_send(delivery_id=delivery.pk).retry_at == timezone.now() + datetime.timedelta(minutes=2)
        clock.shift(datetime.timedelta(minutes=2))
        assert deliveries_sweep(older_than=datetime.timedelta(0)) == 1
        assert deliveries_sweep(older_than=datetime.timedelta(0)) == 0
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and delivery.attempts == 3 and len(provider.requests) == 3


def test_retries_stop_after_the_last_attempt(world, sms):
    provider = sms("aliyun")
    provider.script = ["5xx"] * MAX_ATTEMPTS
    give_phone(world.users.grid1, "13800000001")
    with time_machine.travel(NOON, tick=False) as clock:
        delivery = _supervise(world.users.grid1)
        for _ in range(MAX_ATTEMPTS):
            delivery_send(delivery_id=delivery.pk)
            clock.shift(datetime.timedelta(hours=1))
        assert delivery_send(delivery_id=delivery.pk).status == "not_due"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.GAVE_UP and delivery.attempts == MAX_ATTEMPTS
    assert delivery.provider_answer["status"] == 503


def test_an_unreachable_provider_is_a_transient_failure(world, sms, settings):
    sms("tencent")
    settings.CUNZHI_SMS_ENDPOINT = "http://127.0.0.1:1"  # refuses connections
    give_phone(world.users.grid1, "13800000001")
    with time_machine.travel(NOON, tick=False):
        delivery = _supervise(world.users.grid1)
        assert delivery_send(delivery_id=delivery.pk).status == "retry"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED and delivery.provider == "tencent"


def test_wecom_message_goes_to_the_userid_with_a_cached_token(world, wecom):
    from governance.messaging.models import Contact

    Contact.objects.create(user=world.users.grid1, wecom_userid="ZhangSan")
    wecom.script = ["ok", "expired", "ok"]
    for title in ("新事项", "又一件"):
        notify(user=world.users.grid1, title=title, body="七星村", kind=Kind.ASSIGNMENT)
    for delivery in Delivery.objects.filter(channel="wecom").order_by("pk"):
        assert delivery_send(delivery_id=delivery.pk).status == "sent"
    first, expired, retried = wecom.requests
    assert first["touser"] == "ZhangSan" and first["text"]["content"] == "新事项\n七星村"
    # The token was reused, and fetched again once the API said it had expired.
    assert first["token"] == expired["token"] == "token-1" and retried["token"] == "token-2"
    assert wecom.tokens_issued == 2
    assert set(Delivery.objects.filter(channel="wecom").values_list("status", flat=True)) == {"sent"}


def test_wecom_refusal_and_outage(world, wecom):
    from governance.messaging.models import Contact

    Contact.objects.create(user=world.users.grid1, wecom_userid="NoSuchUser")
    wecom.script = ["error", "5xx"]
    notify(user=world.users.grid1, title="甲", kind=Kind.ASSIGNMENT)
    notify(user=world.users.grid1, title="乙", kind=Kind.ASSIGNMENT)
    refused, down = Delivery.objects.filter(channel="wecom").order_by("pk")
    assert delivery_send(delivery_id=refused.pk).status == "gave_up"
    assert delivery_send(delivery_id=down.pk).status == "retry"
    refused.refresh_from_db()
    assert refused.provider_answer["errcode"] == 81013
