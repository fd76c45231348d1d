"""Replies to our SMS (上行短信), as the providers push them to a callback URL.

The provider's console is given `https://<host>/public/sms/inbound/<provider>/<token>/`, the
token being CUNZHI_SMS_INBOUND_TOKEN. Each reply is announced with the `sms_received` signal
(phone, text, sent_at); whoever cares plugs in a receiver (petitions: 回复TD withdraws a resident's
consent), so that this lower layer knows nothing of matters.

- Alibaba Cloud (SmsUp, HTTP batch push): a JSON array of
  {"phone_number", "send_time", "content", "sign_name", "dest_code", "sequence_id"};
  it expects {"code": 0, "msg": "成功"}.
- Tencent Cloud (SMS Reply callback): one JSON object
  {"extend", "mobile", "nationcode", "sign", "text", "time"}; it expects {"result": 0, "errmsg": "OK"}.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.dispatch import Signal

CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")

# sender: the provider's name; phone: 11 digits (no +86); text: as the resident typed it;
# sent_at: when they sent it (None when the push does not say).
sms_received = Signal()


@dataclass(frozen=True)
class Reply:
    phone: str
    text: str
    sent_at: datetime.datetime | None = None  # when the resident sent it, if the push says


def _aliyun_time(raw) -> datetime.datetime | None:
    """Alibaba Cloud's `send_time`, "2026-12-07 10:02:03" in China's time."""
    try:
        moment = datetime.datetime.strptime(str(raw), "%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return None
    return moment.replace(tzinfo=CHINA)


def _tencent_time(raw) -> datetime.datetime | None:
    """Tencent Cloud's `time`, seconds since the epoch."""
    try:
        return datetime.datetime.fromtimestamp(int(raw), tz=datetime.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


class BadPush(ValueError):
    """Not the shape the provider documents."""


def _phone(raw, nationcode: str = "86") -> str:
    phone = str(raw or "").strip().replace(" ", "")
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix) :]
    if len(phone) == 13 and phone.startswith("86"):
        phone = phone[2:]
    if str(nationcode or "86").lstrip("+") != "86":
        return ""  # a reply from abroad is never one of our residents' numbers
    return phone


def parse_aliyun(payload) -> list[Reply]:
    if isinstance(payload, dict):
        payload = [payload]
    if not isinstance(payload, list) or not all(isinstance(item, dict) for item in payload):
        raise BadPush("expected a JSON array of messages")
    replies = []
    for item in payload:
        if "phone_number" not in item or "content" not in item:
            raise BadPush("a message without phone_number or content")
        replies.append(Reply(_phone(item["phone_number"]), str(item["content"]), _aliyun_time(item.get("send_time"))))
    return replies


def parse_tencent(payload) -> list[Reply]:
    if not isinstance(payload, dict) or "mobile" not in payload or "text" not in payload:
        raise BadPush("expected {mobile, nationcode, text, ...}")
    phone = _phone(payload["mobile"], payload.get("nationcode", "86"))
    return [Reply(phone, str(payload["text"]), _tencent_time(payload.get("time")))]


PARSERS = {"aliyun": parse_aliyun, "tencent": parse_tencent}
ACKNOWLEDGEMENTS = {"aliyun": {"code": 0, "msg": "成功"}, "tencent": {"result": 0, "errmsg": "OK"}}


def replies_receive(*, provider: str, payload) -> int:
    """Announce each reply of a push (`sms_received`); returns how many. Raises BadPush."""
    replies = [r for r in PARSERS[provider](payload) if r.phone]
    for reply in replies:
        sms_received.send(sender=provider, phone=reply.phone, text=reply.text, sent_at=reply.sent_at)
    return len(replies)
