"""How each channel leaves the machine: e-mail (Django's mail backend), SMS (console, Alibaba
Cloud or Tencent Cloud, through their official SDKs) and 企业微信 (its HTTP API).

A backend's `send(delivery)` returns (provider message id, the provider's answer) or raises
SendError, transient (retry later with backoff) or not (give up: a refused number, a template
the provider does not know)."""

import json
import logging
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from governance.masking import mask_phone
from governance.messaging.models import Channel, Delivery

logger = logging.getLogger(__name__)


class SendError(Exception):
    def __init__(self, message: str, *, transient: bool, answer=None):
        super().__init__(message)
        self.transient = transient
        # Kept as JSON on the delivery: an SDK may hand back bytes (the body of a 5xx).
        self.answer = json.loads(json.dumps(answer if answer is not None else {"error": message}, default=_text))


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class Sent:
    message_id: str
    answer: dict


def _endpoint() -> tuple[str, str | None]:
    """(protocol, host[:port]) of the SMS endpoint override, or ("https", None)."""
    override = settings.CUNZHI_SMS_ENDPOINT
    if not override:
        return "https", None
    parsed = urllib.parse.urlsplit(override if "://" in override else f"https://{override}")
    return parsed.scheme, parsed.netloc


def sms_template(delivery: Delivery) -> tuple[str, list[str]]:
    """The deployment's template code for the delivery's kind and its parameter names."""
    template = settings.CUNZHI_SMS_TEMPLATES.get(delivery.template_key)
    if not template:
        raise SendError(f"no SMS template for {delivery.template_key!r}", transient=False)
    return template["code"], list(template.get("params", []))


class ConsoleSms:
    """`make run` and tests: prints the message; nothing leaves the machine."""

    name = "console"

    def send(self, delivery: Delivery) -> Sent:
        print(f"[SMS {delivery.masked_address}] {delivery.body}", file=sys.stdout, flush=True)
        return Sent(message_id=f"console-{delivery.pk}", answer={"printed": True})


class AliyunSms:
    """Alibaba Cloud SMS (Dysmsapi 2017-05-25, SendSms), signed by the SDK."""

    name = "aliyun"

    def client(self):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.models import Config

        protocol, host = _endpoint()
        return Client(
            Config(
                access_key_id=settings.CUNZHI_SMS_ACCESS_KEY_ID,
                access_key_secret=settings.CUNZHI_SMS_ACCESS_KEY_SECRET,
                endpoint=host or "dysmsapi.aliyuncs.com",
                protocol=protocol,
                connect_timeout=3000,
                read_timeout=10000,
            )
        )

    def send(self, delivery: Delivery) -> Sent:
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest
        from alibabacloud_tea_util.models import RuntimeOptions
        from Tea.exceptions import TeaException

        code, names = sms_template(delivery)
        request = SendSmsRequest(
            phone_numbers=delivery.address,
            sign_name=settings.CUNZHI_SMS_SIGN_NAME,
            template_code=code,
            template_param=json.dumps({n: str(delivery.params.get(n, "")) for n in names}, ensure_ascii=False),
            out_id=str(delivery.pk),
        )
        try:
            # Retries are ours (the outbox's backoff), not the SDK's.
            response = self.client().send_sms_with_options(request, RuntimeOptions(autoretry=False))
        except TeaException as exc:
            status = (exc.data or {}).get("statusCode") if isinstance(exc.data, dict) else None
            answer = {"code": exc.code, "message": exc.message, "status": status}
            transient = status is None or status >= 500 or exc.code in ALIYUN_TRANSIENT
            raise SendError(f"aliyun: {exc.code}", transient=transient, answer=answer) from exc
        except Exception as exc:  # the connection: refused, reset, timed out
            raise SendError(f"aliyun: {exc}", transient=True) from exc
        body = response.body.to_map()
        if body.get("Code") != "OK":
            raise SendError(f"aliyun: {body.get('Code')}", transient=body.get("Code") in ALIYUN_TRANSIENT, answer=body)
        return Sent(message_id=body.get("BizId") or "", answer=body)


# The provider's codes that mean "later", not "never" (flow control, throttling, its own failures).
ALIYUN_TRANSIENT = {"isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "isp.SYSTEM_ERROR", "ServiceUnavailable"}
TENCENT_TRANSIENT_PREFIXES = (
    "InternalError",
    "RequestLimitExceeded",
    "LimitExceeded",
    "FailedOperation.FailResolvePacket",
)


class TencentSms:
    """Tencent Cloud SMS (2021-01-11, SendSms), TC3-HMAC-SHA256 signed by the SDK."""

    name = "tencent"

    def client(self):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        protocol, host = _endpoint()
        profile = HttpProfile(protocol=protocol, endpoint=host or "sms.tencentcloudapi.com", reqTimeout=10)
        return sms_client.SmsClient(
            credential.Credential(settings.CUNZHI_SMS_ACCESS_KEY_ID, settings.CUNZHI_SMS_ACCESS_KEY_SECRET),
            settings.CUNZHI_SMS_REGION,
            ClientProfile(httpProfile=profile),
        )

    def send(self, delivery: Delivery) -> Sent:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        code, names = sms_template(delivery)
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [_e164(delivery.address)]
        request.SmsSdkAppId = settings.CUNZHI_SMS_SDK_APP_ID
        request.SignName = settings.CUNZHI_SMS_SIGN_NAME
        request.TemplateId = code
        request.TemplateParamSet = [str(delivery.params.get(n, "")) for n in names]
        request.SessionContext = str(delivery.pk)
        try:
            response = self.client().SendSms(request)
        except TencentCloudSDKException as exc:
            answer = {"code": exc.get_code(), "message": exc.get_message(), "request_id": exc.get_request_id()}
            code_ = exc.get_code() or ""
            transient = code_ in ("ServerNetworkError", "ClientNetworkError") or code_.startswith(
                TENCENT_TRANSIENT_PREFIXES
            )
            raise SendError(f"tencent: {code_}", transient=transient, answer=answer) from exc
        except Exception as exc:
            raise SendError(f"tencent: {exc}", transient=True) from exc
        answer = json.loads(response.to_json_string())
        for sent in answer.get("SendStatusSet") or []:
            # The answer is kept on the row and shown in the admin: the number only masked.
            sent["PhoneNumber"] = mask_phone(str(sent.get("PhoneNumber") or "").removeprefix("+86"))
        status = (answer.get("SendStatusSet") or [{}])[0]
        if status.get("Code") != "Ok":
            code_ = status.get("Code") or ""
            raise SendError(f"tencent: {code_}", transient=code_.startswith(TENCENT_TRANSIENT_PREFIXES), answer=answer)
        return Sent(message_id=status.get("SerialNo") or "", answer=answer)


def _e164(phone: str) -> str:
    return phone if phone.startswith("+") else f"+86{phone}"


class EmailBackend:
    name = "email"

    def send(self, delivery: Delivery) -> Sent:
        from django.core.mail import send_mail

        try:
            send_mail(
                subject=f"[村治] {delivery.subject}",
                message=delivery.body or delivery.subject,
                from_email=None,
                recipient_list=[delivery.address],
            )
        except Exception as exc:
            raise SendError(f"email: {exc}", transient=True) from exc
        return Sent(message_id="", answer={"accepted": True})


class WecomBackend:
    """企业微信 application messages: gettoken (cached until shortly before it expires), then
    message/send as text to the person's userid from the configured agent."""

    name = "wecom"
    # bandit: the cache key under which the token is kept, not a token.
    TOKEN_KEY = "messaging:wecom-token"  # nosec B105
    TOKEN_EXPIRED = {40014, 42001, 40001}

    def _call(self, path: str, *, query: dict, payload: dict | None = None) -> dict:
        base = settings.CUNZHI_WECOM_API_BASE.rstrip("/")
        if not base.startswith(("https://", "http://")):
            raise SendError("wecom: the API base must be an http(s) URL", transient=False)
        url = f"{base}{path}?{urllib.parse.urlencode(query)}"
        data = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else None
        request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})  # noqa: S310
        try:
            # The scheme is checked above: only the configured http(s) API base.
            with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310  # noqa: S310
                return json.loads(response.read().decode())
        except Exception as exc:  # refused, reset, timed out, a 5xx, not JSON
            raise SendError(f"wecom: {exc}", transient=True) from exc

    def _token(self, *, fresh: bool = False) -> str:
        token = None if fresh else cache.get(self.TOKEN_KEY)
        if token:
            return token
        answer = self._call(
            "/cgi-bin/gettoken",
            query={"corpid": settings.CUNZHI_WECOM_CORP_ID, "corpsecret": settings.CUNZHI_WECOM_SECRET},
        )
        if answer.get("errcode") != 0:
            raise SendError("wecom: gettoken refused", transient=False, answer=answer)
        cache.set(self.TOKEN_KEY, answer["access_token"], max(int(answer.get("expires_in", 7200)) - 300, 60))
        return answer["access_token"]

    def send(self, delivery: Delivery) -> Sent:
        payload = {
            "touser": delivery.address,
            "msgtype": "text",
            "agentid": settings.CUNZHI_WECOM_AGENT_ID,
            "text": {"content": f"{delivery.subject}\n{delivery.body}".strip()},
        }
        answer = self._call("/cgi-bin/message/send", query={"access_token": self._token()}, payload=payload)
        if answer.get("errcode") in self.TOKEN_EXPIRED:
            answer = self._call(
                "/cgi-bin/message/send", query={"access_token": self._token(fresh=True)}, payload=payload
            )
        if answer.get("errcode") != 0:
            # -1: the system is busy; 45009: the API's frequency limit; anything else is for good.
            raise SendError(
                f"wecom: {answer.get('errcode')}", transient=answer.get("errcode") in (-1, 45009), answer=answer
            )
        if answer.get("invaliduser"):
            raise SendError("wecom: unknown userid", transient=False, answer=answer)
        return Sent(message_id=str(answer.get("msgid", "")), answer=answer)


SMS_BACKENDS = {"console": ConsoleSms, "aliyun": AliyunSms, "tencent": TencentSms}


def backend_for(channel: str):
    if channel == Channel.SMS:
        return SMS_BACKENDS[settings.CUNZHI_SMS_PROVIDER]()
    if channel == Channel.WECOM:
        return WecomBackend()
    return EmailBackend()
