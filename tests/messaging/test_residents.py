"""SMS to residents who asked for them on the public form: consent recorded as shown, 受理告知,
handling, result and the evaluation link each queued once at its transition, nothing without
consent, and a withdrawal (the link, or a reply of TD) that stops and suppresses them."""

import datetime
import json
import zoneinfo

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone, translation

from governance.messaging.models import Delivery, Kind
from governance.messaging.services import delivery_send
from petitions import services as s
from petitions.models import Kind as MatterKind
from petitions.models import Matter, MatterEvent, SmsSubscription
from petitions.resident_sms import consent_wording, resident_sms_reply, resident_told
from tests.messaging.conftest import TEMPLATES
from tests.pages.conftest import form_token

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOON = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
PHONE = "15900001111"
FORM = "/public/500117101001/new/"  # 七星村
TOKEN = "inbound-token-0123456789abcdef"
RESIDENT_TEMPLATES = {
    **TEMPLATES,
    "resident_accepted": {"code": "SMS_900011", "params": ["title", "code", "deadline"]},
    "resident_handling": {"code": "SMS_900012", "params": ["title", "code"]},
    "resident_result": {"code": "SMS_900013", "params": ["title", "code"]},
    "resident_evaluate": {"code": "SMS_900014", "params": ["title", "code"]},
}


@pytest.fixture(autouse=True)
def _noon():
    with time_machine.travel(NOON, tick=False) as clock:
        yield clock


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def resident_sms():
    return list(Delivery.objects.filter(kind=Kind.RESIDENT).order_by("pk"))


def keys():
    return [d.dedupe_key for d in resident_sms()]


def public(mw, *, consent=True) -> Matter:
    return mw.public_matter(grid=mw.q1, sms_consent=consent_wording() if consent else "")


def classify(mw, matter):
    s.matter_classify(matter=matter, actor=mw.users.cadre, kind=MatterKind.CIVIL, category=mw.categories.environment)


def to_the_end(mw, matter, *, from_classify=True):
    """分议办督 for a 民事 of grid 1: classified, discussed, handled, reported, verified."""
    u = mw.users
    if from_classify:
        classify(mw, matter)
    s.matter_deliberate(matter=matter, actor=u.grid1, kind="meeting", held_on=NOON.date(), summary="院坝会")
    s.matter_handle(matter=matter, actor=u.grid1, handler=u.grid1)
    s.matter_report(matter=matter, actor=u.grid1, result="已更换灯泡")
    s.matter_verify(matter=matter, actor=u.cadre, passed=True)
    return Matter.objects.get(pk=matter.pk)


def test_with_consent_one_acceptance_sms_once_accepted_and_none_before(mw):
    matter = public(mw)
    assert resident_sms() == []
    classify(mw, matter)
    [sms] = resident_sms()
    assert (sms.channel, sms.user, sms.notification, sms.address) == ("sms", None, None, PHONE)
    assert (sms.template_key, sms.status, sms.urgent) == ("resident_accepted", Delivery.Status.QUEUED, False)
    assert sms.dedupe_key == f"resident:{matter.pk}:accepted:sms"
    assert sms.params["code"] == matter.tracking_code and sms.params["title"] == "土地纠纷"
    assert sms.params["link"].endswith(f"/public/matters/{matter.tracking_code}/")
    assert sms.params["deadline"] and sms.params["by"]
    assert sms.params["unsubscribe"].endswith(f"/public/sms/unsubscribe/{matter.sms_subscription.token}/")
    assert "TD" in sms.body and matter.tracking_code in sms.body


def test_without_consent_no_sms_for_the_whole_life_of_the_matter(mw):
    matter = to_the_end(mw, public(mw, consent=False))
    s.matter_evaluate(matter=matter, actor=None, rating="satisfied", comment="")
    assert not SmsSubscription.objects.exists()
    assert resident_sms() == [] and not Delivery.objects.filter(user=None).exists()


def test_handling_result_and_evaluation_link_at_their_transitions(mw):
    matter = public(mw)
    classify(mw, matter)
    u = mw.users
    s.matter_deliberate(matter=matter, actor=u.grid1, kind="meeting", held_on=NOON.date(), summary="院坝会")
    assert len(resident_sms()) == 1  # deliberation alone tells nothing
    s.matter_handle(matter=matter, actor=u.grid1, handler=u.grid1)
    assert resident_sms()[-1].template_key == "resident_handling"
    s.matter_report(matter=matter, actor=u.grid1, result="已更换灯泡")
    assert resident_sms()[-1].template_key == "resident_result"
    s.matter_verify(matter=matter, actor=u.cadre, passed=True)
    assert resident_sms()[-1].template_key == "resident_evaluate"
    s.matter_evaluate(matter=matter, actor=None, rating="satisfied", comment="")
    assert [d.template_key for d in resident_sms()] == [
        "resident_accepted",
        "resident_handling",
        "resident_result",
        "resident_evaluate",
    ]
    assert {d.address for d in resident_sms()} == {PHONE}


def test_a_rerun_of_the_transitions_hook_or_a_second_acceptance_never_doubles(mw):
    matter = public(mw)
    s.matter_classify(matter=matter, actor=mw.users.cadre, kind=MatterKind.GOVERNMENT, category=mw.categories.legal_aid)
    # The township's review of a 政事 is a second acceptance (受理): the resident was told once.
    s.matter_deliberate(matter=matter, actor=mw.users.official, kind="review", held_on=NOON.date(), summary="受理")
    assert keys() == [f"resident:{matter.pk}:accepted:sms"]
    for event in MatterEvent.objects.filter(matter=matter):
        assert resident_told(matter, event) is False
    assert len(resident_sms()) == 1


def test_a_failed_verification_does_not_tell_the_result_twice_but_a_reopened_matter_tells_the_new_one(mw):
    matter = public(mw)
    classify(mw, matter)
    u = mw.users
    s.matter_deliberate(matter=matter, actor=u.grid1, kind="meeting", held_on=NOON.date(), summary="院坝会")
    s.matter_handle(matter=matter, actor=u.grid1, handler=u.grid1)
    s.matter_report(matter=matter, actor=u.grid1, result="第一次")
    s.matter_verify(matter=matter, actor=u.cadre, passed=False, note="没修好")
    s.matter_report(matter=matter, actor=u.grid1, result="第二次")
    assert [d.template_key for d in resident_sms()].count("resident_result") == 1
    Matter.objects.filter(pk=matter.pk).update(reopen_count=1)
    matter.refresh_from_db()
    s.matter_verify(matter=matter, actor=u.cadre, passed=True)
    assert keys()[-1] == f"resident:{matter.pk}:evaluate:r1:sms"


def test_resident_sms_in_quiet_hours_are_held_until_seven(mw, _noon):
    matter = public(mw)
    _noon.move_to(datetime.datetime(2026, 11, 20, 23, 0, tzinfo=SHANGHAI))
    classify(mw, matter)
    [sms] = resident_sms()
    assert sms.status == Delivery.Status.HELD
    assert sms.not_before == datetime.datetime(2026, 11, 21, 7, 0, tzinfo=SHANGHAI)


def test_the_public_form_records_the_consent_as_shown_and_when(client, mw):
    html = client.get(FORM).content.decode()
    assert 'name="sms_updates"' in html and "checked" not in html.split('name="sms_updates"')[1].split(">")[0]
    data = {
        "form_token": form_token(html),
        "title": "路灯不亮",
        "description": "村口桥头的路灯坏了一个月",
        "grid": "",
        "submitter_name": "马大姐",
        "submitter_phone": "159 0000 1111",
        "sms_updates": "on",
    }
    assert client.post(FORM, data).status_code == 302
    subscription = SmsSubscription.objects.get()
    with translation.override("zh-hans"):
        assert subscription.consent_text == consent_wording()
    assert subscription.consent_language == "zh-hans"
    assert (subscription.phone, subscription.consented_at, subscription.withdrawn_at) == (PHONE, NOON, None)
    assert len(subscription.token) >= 40
    # Without the tick: no consent, no row.
    data = {**data, "form_token": form_token(client.get(FORM).content.decode())}
    del data["sms_updates"]
    assert client.post(FORM, data).status_code == 302
    assert SmsSubscription.objects.count() == 1 and Matter.objects.count() == 2


def test_the_public_api_takes_the_consent_and_defaults_to_none(api_client, mw):
    form = {
        "title": "修路占地纠纷",
        "description": "邻居硬化便道占了我家耕地",
        "village": mw.qixing.pk,
        "submitter_name": "马某",
        "submitter_phone": PHONE,
    }
    assert api_client.post("/api/v1/public/matters/", form, format="json").status_code == 201
    assert not SmsSubscription.objects.exists()
    response = api_client.post("/api/v1/public/matters/", {**form, "sms_updates": True}, format="json")
    assert response.status_code == 201
    subscription = SmsSubscription.objects.get()
    assert subscription.matter.tracking_code == response.json()["code"] and subscription.consent_text


def test_unsubscribe_by_link_stops_further_sms_and_suppresses_queued_ones(client, mw, _noon):
    matter = public(mw)
    _noon.move_to(datetime.datetime(2026, 11, 20, 23, 0, tzinfo=SHANGHAI))
    classify(mw, matter)  # held until 07:00
    token = matter.sms_subscription.token
    page = client.get(f"/public/sms/unsubscribe/{token}/")
    html = page.content.decode()
    assert page.status_code == 200 and "159****1111" in html and PHONE not in html
    # Withdrawn, then back to the page by GET (a reload sends nothing again).
    response = client.post(f"/public/sms/unsubscribe/{token}/")
    assert response.status_code == 302 and response["Location"] == f"/public/sms/unsubscribe/{token}/"
    subscription = SmsSubscription.objects.get()
    assert subscription.withdrawn_at == datetime.datetime(2026, 11, 20, 23, 0, tzinfo=SHANGHAI)
    assert subscription.withdrawn_via == "link"
    [held] = resident_sms()
    assert held.status == Delivery.Status.SUPPRESSED
    _noon.move_to(datetime.datetime(2026, 11, 21, 7, 0, tzinfo=SHANGHAI))
    assert delivery_send(delivery_id=held.pk).status == "not_due"
    to_the_end(mw, matter, from_classify=False)
    assert len(resident_sms()) == 1
    # A second POST changes nothing; the status page says the SMS are off.
    assert client.post(f"/public/sms/unsubscribe/{token}/").status_code == 302
    assert SmsSubscription.objects.get().withdrawn_at == subscription.withdrawn_at
    assert "sms-updates" in client.get(f"/public/matters/{matter.tracking_code}/").content.decode()


@pytest.mark.parametrize("token", ["nope", "x" * 80, "A" * 43])
def test_an_unknown_unsubscribe_token_is_a_404(client, mw, token):
    public(mw)
    assert client.get(f"/public/sms/unsubscribe/{token}/").status_code == 404
    assert client.post(f"/public/sms/unsubscribe/{token}/").status_code == 404
    assert SmsSubscription.objects.get().withdrawn_at is None


def aliyun_push(sent: datetime.datetime | None = None) -> list[dict]:
    """Alibaba Cloud's SmsUp push of a TD reply sent at `sent` (now), as its documentation shows it."""
    sent = timezone.localtime(sent or timezone.now())
    return [
        {
            "phone_number": PHONE,
            "send_time": sent.strftime("%Y-%m-%d %H:%M:%S"),
            "content": "TD",
            "sign_name": "【村治平台】",
            "dest_code": "1234",
            "sequence_id": 1234567,
        }
    ]


def tencent_push(sent: datetime.datetime | None = None) -> dict:
    """Tencent Cloud's reply callback of a 退订 sent at `sent` (now)."""
    sent = sent or timezone.now()
    return {
        "extend": "",
        "mobile": PHONE,
        "nationcode": "86",
        "sign": "村治平台",
        "text": "退订",
        "time": int(sent.timestamp()),
    }


@pytest.mark.parametrize(
    ("provider", "push", "answer"),
    [
        ("aliyun", aliyun_push, {"code": 0, "msg": "成功"}),
        ("tencent", tencent_push, {"result": 0, "errmsg": "OK"}),
    ],
)
def test_a_td_reply_through_the_providers_callback_withdraws_and_suppresses(
    client, mw, settings, provider, push, answer
):
    settings.CUNZHI_SMS_INBOUND_TOKEN = TOKEN
    matter = public(mw)
    other = public(mw)  # the same number's other matter: a reply does not say which
    classify(mw, matter)
    response = client.post(f"/public/sms/inbound/{provider}/{TOKEN}/", json.dumps(push()), "application/json")
    assert response.status_code == 200 and response.json() == answer
    assert set(SmsSubscription.objects.values_list("withdrawn_via", flat=True)) == {"reply"}
    assert [d.status for d in resident_sms()] == [Delivery.Status.SUPPRESSED]
    classify(mw, other)
    to_the_end(mw, matter, from_classify=False)
    assert len(resident_sms()) == 1


def test_the_callback_refuses_a_wrong_token_and_is_absent_when_unset(client, mw, settings):
    public(mw)
    url = "/public/sms/inbound/aliyun/{}/"
    body = json.dumps(aliyun_push())
    assert client.post(url.format(TOKEN), body, "application/json").status_code == 404  # no token configured
    settings.CUNZHI_SMS_INBOUND_TOKEN = TOKEN
    assert client.post(url.format("wrong-token-0123456789abcd"), body, "application/json").status_code == 403
    assert client.post(f"/public/sms/inbound/other/{TOKEN}/", body, "application/json").status_code == 404
    assert client.get(url.format(TOKEN)).status_code == 405
    refused = client.post(url.format(TOKEN), '{"not": "a push"}', "application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"
    assert SmsSubscription.objects.get().withdrawn_at is None


@pytest.mark.parametrize("push", [aliyun_push, tencent_push])
def test_a_td_sent_before_a_consent_does_not_withdraw_it(client, mw, settings, push):
    """A provider may push a reply again later: a TD sent before the resident next consented
    (a new matter from the same number) leaves that consent alone."""
    settings.CUNZHI_SMS_INBOUND_TOKEN = TOKEN
    earlier = timezone.now() - datetime.timedelta(minutes=5)
    public(mw)
    provider = "aliyun" if push is aliyun_push else "tencent"
    response = client.post(f"/public/sms/inbound/{provider}/{TOKEN}/", json.dumps(push(earlier)), "application/json")
    assert response.status_code == 200
    assert SmsSubscription.objects.get().withdrawn_at is None


@pytest.mark.parametrize(
    ("text", "stops"), [("TD", True), ("td", True), ("ＴＤ", True), (" 退订。", True), ("谢谢", False)]
)
def test_only_td_or_tuiding_withdraws(mw, text, stops):
    public(mw)
    assert resident_sms_reply(phone=PHONE, text=text) == int(stops)
    assert (SmsSubscription.objects.get().withdrawn_at is not None) is stops


def test_a_resident_sms_goes_through_the_provider_with_its_own_template(mw, sms, settings):
    provider = sms("aliyun")
    settings.CUNZHI_SMS_TEMPLATES = RESIDENT_TEMPLATES
    matter = public(mw)
    classify(mw, matter)
    [delivery] = resident_sms()
    assert delivery_send(delivery_id=delivery.pk).status == "sent"
    [request] = provider.requests
    assert request["PhoneNumbers"] == PHONE and request["TemplateCode"] == "SMS_900011"
    params = json.loads(request["TemplateParam"])
    assert params["code"] == matter.tracking_code and params["title"] == "土地纠纷" and params["deadline"]


def test_no_template_for_a_resident_message_means_no_sms(mw, sms, settings):
    sms("tencent")
    settings.CUNZHI_SMS_TEMPLATES = {**TEMPLATES, "resident_accepted": RESIDENT_TEMPLATES["resident_accepted"]}
    matter = public(mw)
    to_the_end(mw, matter)
    assert [d.template_key for d in resident_sms()] == ["resident_accepted"]


def test_the_staff_settings_page_offers_no_resident_kind(client, world):
    client.force_login(world.users.grid1)
    assert "resident:" not in client.get("/notifications/settings/").content.decode()
