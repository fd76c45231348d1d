"""A local stand-in for the SMS providers and 企业微信: a threading HTTP server on 127.0.0.1
that checks each request the way the provider documents it (action, parameters, signature)
and answers as scripted: success, a provider error, or a 5xx. Nothing leaves the machine."""

import datetime
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from governance.models import StaffAccount

KEY_ID, KEY_SECRET = "test-key-id", "test-key-secret"
TEMPLATES = {
    "supervision": {"code": "SMS_900001", "params": ["title"]},
    "reminder": {"code": "SMS_900002", "params": ["title"]},
}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def check_aliyun(method, path, headers, body) -> dict:
    """Dysmsapi SendSms, RPC style, V3 signature (ACS3-HMAC-SHA256) over the documented
    canonical request; returns the request's parameters."""
    assert headers["x-acs-action"] == "SendSms" and headers["x-acs-version"] == "2017-05-25"
    split = urllib.parse.urlsplit(path)
    query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
    assert {"PhoneNumbers", "SignName", "TemplateCode", "TemplateParam"} <= set(query)
    json.loads(query["TemplateParam"])
    algorithm, _, rest = headers["authorization"].partition(" ")
    assert algorithm == "ACS3-HMAC-SHA256"
    parts = dict(item.split("=", 1) for item in rest.split(","))
    assert parts["Credential"] == KEY_ID
    signed = parts["SignedHeaders"].split(";")
    assert {"host", "x-acs-action", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"} <= set(signed)
    assert headers["x-acs-content-sha256"] == _sha(body)
    quote = lambda s: urllib.parse.quote(s, safe="-_.~")  # noqa: E731
    canonical_query = "&".join(f"{quote(k)}={quote(v)}" for k, v in sorted(query.items()))
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    canonical = "\n".join([method, split.path or "/", canonical_query, canonical_headers, ";".join(signed), _sha(body)])
    to_sign = f"ACS3-HMAC-SHA256\n{_sha(canonical.encode())}"
    assert parts["Signature"] == hmac.new(KEY_SECRET.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return query


def check_tencent(method, path, headers, body) -> dict:
    """SMS 2021-01-11 SendSms: X-TC-Action, a JSON body, TC3-HMAC-SHA256 signed as documented."""
    assert method == "POST" and headers["x-tc-action"] == "SendSms" and headers["x-tc-version"] == "2021-01-11"
    payload = json.loads(body)
    assert {"PhoneNumberSet", "SmsSdkAppId", "SignName", "TemplateId", "TemplateParamSet"} <= set(payload)
    algorithm, _, rest = headers["authorization"].partition(" ")
    assert algorithm == "TC3-HMAC-SHA256"
    parts = dict(item.strip().split("=", 1) for item in rest.split(","))
    key_id, day, service, terminator = parts["Credential"].split("/")
    assert (key_id, service, terminator) == (KEY_ID, "sms", "tc3_request")
    timestamp = int(headers["x-tc-timestamp"])
    assert day == datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%d")
    signed = parts["SignedHeaders"].split(";")
    canonical_headers = "".join(f"{name}:{headers[name].strip().lower()}\n" for name in signed)
    canonical = "\n".join([method, "/", "", canonical_headers, ";".join(signed), _sha(body)])
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{day}/sms/tc3_request\n{_sha(canonical.encode())}"
    key = _hmac(_hmac(_hmac(f"TC3{KEY_SECRET}".encode(), day), "sms"), "tc3_request")
    assert parts["Signature"] == hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return payload


class Handler(BaseHTTPRequestHandler):
    """The provider's side: `self.server.provider` is the FakeProvider."""

    def log_message(self, *args):
        pass

    def _reply(self, status: int, payload: dict):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._serve("GET", b"")

    def do_POST(self):
        self._serve("POST", self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _serve(self, method, body):
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            if "x-acs-action" in headers:
                self.server.provider.requests.append(
                    {"provider": "aliyun", **check_aliyun(method, self.path, headers, body)}
                )
                return self._aliyun(self.server.provider.next_answer())
            if "x-tc-action" in headers:
                self.server.provider.requests.append(
                    {"provider": "tencent", **check_tencent(method, self.path, headers, body)}
                )
                return self._tencent(self.server.provider.next_answer())
            return self._wecom(method, body)
        except AssertionError as exc:  # a request the provider would refuse: the test fails
            self.server.provider.failures.append(f"{self.path}: {exc!r}")
            return self._reply(400, {"error": "bad request"})

    def _aliyun(self, answer):
        if answer == "5xx":
            return self._reply(503, {"Code": "ServiceUnavailable", "Message": "busy", "RequestId": "r-5xx"})
        if answer == "error":
            return self._reply(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "bad number", "RequestId": "r-e"})
        if answer == "limit":
            return self._reply(200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "flow", "RequestId": "r-l"})
        return self._reply(200, {"Code": "OK", "Message": "OK", "BizId": "900^1", "RequestId": "r-ok"})

    def _tencent(self, answer):
        if answer == "5xx":
            return self._reply(502, {"message": "bad gateway"})
        if answer == "error":
            error = {"Code": "FailedOperation.TemplateIncorrectOrUnapproved", "Message": "template"}
            return self._reply(200, {"Response": {"Error": error, "RequestId": "r-e"}})
        code = "LimitExceeded.PhoneNumberThirtySecondLimit" if answer == "limit" else "Ok"
        status = {
            "SerialNo": "2028:1",
            "PhoneNumber": "+8613800000000",
            "Fee": 1,
            "Code": code,
            "Message": code,
        }
        return self._reply(200, {"Response": {"SendStatusSet": [status], "RequestId": "r-ok"}})

    def _wecom(self, method, body):
        split = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(split.query))
        if split.path == "/cgi-bin/gettoken":
            assert method == "GET" and query == {"corpid": "ww-corp", "corpsecret": "wecom-secret"}
            self.server.provider.tokens_issued += 1
            token = f"token-{self.server.provider.tokens_issued}"
            return self._reply(200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})
        assert split.path == "/cgi-bin/message/send" and method == "POST"
        payload = json.loads(body)
        assert payload["msgtype"] == "text" and payload["agentid"] == 1000002 and payload["text"]["content"]
        self.server.provider.requests.append({"provider": "wecom", "token": query["access_token"], **payload})
        answer = self.server.provider.next_answer()
        if answer == "expired":
            return self._reply(200, {"errcode": 42001, "errmsg": "access_token expired"})
        if answer == "5xx":
            return self._reply(500, {})
        if answer == "error":
            return self._reply(200, {"errcode": 81013, "errmsg": "user & party & tag all invalid"})
        return self._reply(200, {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "wx-msg-1"})


class FakeProvider:
    """Answers from `script` in order (then "ok"): "ok", "error" (the provider refuses),
    "limit" (its flow control: try later) or "5xx". `requests` keeps what arrived, checked."""

    def __init__(self):
        self.script: list[str] = []
        self.requests: list[dict] = []
        self.failures: list[str] = []
        self.tokens_issued = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.provider = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next_answer(self) -> str:
        return self.script.pop(0) if self.script else "ok"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider():
    fake = FakeProvider()
    yield fake
    fake.close()
    assert fake.failures == []


@pytest.fixture
def sms(settings, provider):
    """Configure an SMS provider against the local server: sms("aliyun") or sms("tencent")."""

    def configure(name: str):
        settings.CUNZHI_SMS_PROVIDER = name
        settings.CUNZHI_SMS_ACCESS_KEY_ID, settings.CUNZHI_SMS_ACCESS_KEY_SECRET = KEY_ID, KEY_SECRET
        settings.CUNZHI_SMS_SIGN_NAME = "村治平台"
        settings.CUNZHI_SMS_SDK_APP_ID = "1400900001"
        settings.CUNZHI_SMS_ENDPOINT = provider.url
        settings.CUNZHI_SMS_TEMPLATES = TEMPLATES
        return provider

    return configure


@pytest.fixture
def wecom(settings, provider):
    from django.core.cache import cache

    settings.CUNZHI_WECOM_CORP_ID, settings.CUNZHI_WECOM_SECRET = "ww-corp", "wecom-secret"
    settings.CUNZHI_WECOM_AGENT_ID, settings.CUNZHI_WECOM_API_BASE = 1000002, provider.url
    cache.delete("messaging:wecom-token")
    return provider


def give_phone(user, phone: str, township=None) -> None:
    StaffAccount.objects.update_or_create(user=user, defaults={"phone": phone, "township": township})
