"""Writes for the outbox: queue a notification's messages on the channels its person and
township allow, send one delivery, sweep what is due, keep a person's choices."""

import datetime
import logging
import time
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from governance.locks import serialise
from governance.messaging.backends import SendError, backend_for
from governance.messaging.models import STAFF_KINDS, Channel, Contact, Delivery, Kind, Preference, TownshipChannel
from governance.models import Assignment, StaffAccount

logger = logging.getLogger(__name__)

# What each person gets when they have chosen nothing: e-mail and 企业微信 for everything (where
# they have an address), SMS only for 督办, which always goes by SMS where a phone is known.
DEFAULTS = {
    Channel.EMAIL: set(STAFF_KINDS),
    Channel.WECOM: set(STAFF_KINDS),
    Channel.SMS: {Kind.SUPERVISION},
}
FORCED = {(Channel.SMS, Kind.SUPERVISION)}
SMS_TITLE_LENGTH = 20  # a template variable's limit is about this long at both providers
MAX_ATTEMPTS = 5
SWEEP_BATCH = 500
SENDABLE = (Delivery.Status.QUEUED, Delivery.Status.HELD, Delivery.Status.FAILED)
# A delivery still `sending` this long after its claim lost its worker; it is tried again.
STALE_CLAIM = datetime.timedelta(minutes=10)
# Tasks are queued with an eta only this far ahead; the sweep takes whatever is held longer.
ETA_HORIZON = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class Message:
    user: object
    notification: object
    title: str
    body: str
    key: str = ""


def channel_available(channel: str, kind: str) -> bool:
    """Whether this deployment can send `kind` on `channel` at all."""
    if channel == Channel.WECOM:
        return bool(settings.CUNZHI_WECOM_CORP_ID)
    if channel == Channel.SMS:
        return settings.CUNZHI_SMS_PROVIDER == "console" or kind in settings.CUNZHI_SMS_TEMPLATES
    return True


def wanted(*, channel: str, kind: str, chosen: bool | None, township_allows: bool | None) -> bool:
    """One person's one channel for one kind: forced, or allowed by the township (no row:
    allowed) and chosen by the person (no row: the default)."""
    if (channel, kind) in FORCED:
        return True
    if township_allows is False:
        return False
    return chosen if chosen is not None else kind in DEFAULTS[channel]


def townships_of(user_ids, *, kept_by: dict | None = None) -> dict[int, int]:
    """The township whose channel rules apply to each person: the one that keeps their staff
    account, or else (an account opened before staff accounts were kept, or by the superuser)
    the township of a post they hold today. `kept_by`: the staff accounts' townships, when the
    caller has read them already. Two queries at most, whatever the number of people."""
    if kept_by is None:
        kept_by = dict(StaffAccount.objects.filter(user_id__in=user_ids).values_list("user_id", "township_id"))
    townships = {user_id: township_id for user_id, township_id in kept_by.items() if township_id}
    rest = set(user_ids) - set(townships)
    if rest:
        today = timezone.localdate()
        posts = (
            Assignment.objects.filter(user_id__in=rest, valid_from__lte=today)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
            .order_by("user_id", "pk")
            .values_list("user_id", "township_id")
        )
        for user_id, township_id in posts:
            townships.setdefault(user_id, township_id)
    return townships


def deliveries_queue(messages: list[Message], *, kind: str, urgent: bool = False, paced: bool = False) -> int:
    """Write each message's deliveries on the channels its person gets for `kind`, in the
    caller's transaction, and queue their sends after commit. `paced` spreads the SMS under the
    provider's rate (a batch such as the 逢十 eve reminders). A message's `key` names it across
    reruns: a delivery whose key exists already is not written again. Returns how many were written."""
    if not messages:
        return 0
    user_ids = {m.user.pk for m in messages}
    phones, kept_by = {}, {}
    for user_id, phone, township_id in StaffAccount.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "phone", "township_id"
    ):
        phones[user_id], kept_by[user_id] = phone, township_id
    townships = townships_of(user_ids, kept_by=kept_by)
    wecom = {}
    if channel_available(Channel.WECOM, kind):
        wecom = dict(
            Contact.objects.filter(user_id__in=user_ids).exclude(wecom_userid="").values_list("user_id", "wecom_userid")
        )
    chosen = {
        (user_id, channel): enabled
        for user_id, channel, enabled in Preference.objects.filter(user_id__in=user_ids, kind=kind).values_list(
            "user_id", "channel", "enabled"
        )
    }
    allows = {
        (township_id, channel): allowed
        for township_id, channel, allowed in TownshipChannel.objects.filter(
            township_id__in={t for t in townships.values() if t}, kind=kind
        ).values_list("township_id", "channel", "allowed")
    }
    now = timezone.now()
    rows = []
    for m in messages:
        addresses = {
            Channel.EMAIL: m.user.email,
            Channel.SMS: phones.get(m.user.pk, ""),
            Channel.WECOM: wecom.get(m.user.pk, ""),
        }
        for channel, address in addresses.items():
            if not address or not channel_available(channel, kind):
                continue
            township_allows = allows.get((townships.get(m.user.pk), channel))
            if not wanted(
                channel=channel, kind=kind, chosen=chosen.get((m.user.pk, channel)), township_allows=township_allows
            ):
                continue
            key = m.key or f"n{m.notification.pk}"
            rows.append(
                Delivery(
                    channel=channel,
                    kind=kind,
                    user=m.user,
                    notification=m.notification,
                    address=address,
                    template_key=kind if channel == Channel.SMS else "",
                    params={"title": _short(m.title)} if channel == Channel.SMS else {},
                    subject=m.title,
                    body=m.title if channel == Channel.SMS else m.body,
                    urgent=urgent,
                    paced=paced and channel == Channel.SMS,
                    not_before=now,
                    dedupe_key=f"{key}:{channel}",
                    created_at=now,
                )
            )
    if not rows:
        return 0
    if any(m.key for m in messages):
        # Named messages may come again (a rerun): leave out what is queued already. Unnamed
        # ones are keyed by their new notification and cannot exist yet.
        existing = set(
            Delivery.objects.filter(dedupe_key__in=[r.dedupe_key for r in rows]).values_list("dedupe_key", flat=True)
        )
        rows = [r for r in rows if r.dedupe_key not in existing]
    sms = [r for r in rows if r.channel == Channel.SMS]
    if paced and sms:
        _pace(sms, now=now)
    for row in sms:
        if not row.urgent and in_quiet_hours(row.not_before):
            row.status, row.not_before = Delivery.Status.HELD, quiet_hours_end(row.not_before)
    # A concurrent writer of the same key loses quietly: the unique key keeps one row.
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    keys = [r.dedupe_key for r in rows if r.status == Delivery.Status.QUEUED]
    if keys:
        transaction.on_commit(lambda: _queue_sends(keys))
    return len(rows)


def sms_queue(*, address: str, kind: str, template_key: str, params: dict, body: str, key: str) -> bool:
    """One SMS to a number that belongs to no account (a resident who asked for updates), in
    the caller's transaction: never urgent, so held in quiet hours (and, like every SMS, under
    the per-number limit when it is sent); sent after commit. `key`
    names the message: a rerun with the same key writes nothing. False when the deployment has
    no template for `template_key` (the console backend sends any) or the key exists already."""
    if not address or not (settings.CUNZHI_SMS_PROVIDER == "console" or template_key in settings.CUNZHI_SMS_TEMPLATES):
        return False
    now = timezone.now()
    row = Delivery(
        channel=Channel.SMS,
        kind=kind,
        address=address,
        template_key=template_key,
        params={name: _short(str(value)) if name == "title" else str(value) for name, value in params.items()},
        subject=body[:200],
        body=body,
        not_before=now,
        dedupe_key=f"{key}:{Channel.SMS}",
        created_at=now,
    )
    if in_quiet_hours(now):
        row.status, row.not_before = Delivery.Status.HELD, quiet_hours_end(now)
    if Delivery.objects.filter(dedupe_key=row.dedupe_key).exists():
        return False
    # A concurrent writer of the same key loses quietly: the unique key keeps one row (and
    # the send that both queue claims it once).
    Delivery.objects.bulk_create([row], ignore_conflicts=True)
    if row.status == Delivery.Status.QUEUED:
        transaction.on_commit(lambda: _queue_sends([row.dedupe_key]))
    return True


def deliveries_suppress(*, address: str, key_prefix: str) -> int:
    """Withdrawn consent: the SMS to `address` whose key starts with `key_prefix` and that are
    not sent yet (queued, held, failed) are never sent. Returns how many."""
    return Delivery.objects.filter(
        channel=Channel.SMS, address=address, dedupe_key__startswith=key_prefix, status__in=SENDABLE
    ).update(status=Delivery.Status.SUPPRESSED)


def _short(text: str) -> str:
    return text if len(text) <= SMS_TITLE_LENGTH else text[: SMS_TITLE_LENGTH - 1] + "…"


def _pace(rows: list[Delivery], *, now: datetime.datetime) -> None:
    """Give each SMS of a batch its own second-fraction after whatever paced SMS are already
    waiting, so that every batch together stays under the provider's rate."""
    step = datetime.timedelta(seconds=1 / settings.CUNZHI_SMS_RATE_PER_SECOND)
    serialise("messaging-pace")  # two batches queued at once would both start from the same last slot
    last = Delivery.objects.filter(
        channel=Channel.SMS, paced=True, status=Delivery.Status.QUEUED, not_before__gt=now
    ).aggregate(last=Max("not_before"))["last"]
    start = max(now, last + step) if last else now
    for i, row in enumerate(rows):
        row.not_before = start + i * step


def _queue_sends(keys: list[str]) -> None:
    from governance.messaging.tasks import send_delivery
    from governance.services import enqueue_now

    horizon = timezone.now() + ETA_HORIZON
    for pk, not_before in Delivery.objects.filter(dedupe_key__in=keys, not_before__lte=horizon).values_list(
        "pk", "not_before"
    ):
        enqueue_now(send_delivery, pk, eta=not_before)


def in_quiet_hours(moment: datetime.datetime) -> bool:
    local = timezone.localtime(moment)
    now, start, end = (local.hour, local.minute), settings.CUNZHI_QUIET_FROM, settings.CUNZHI_QUIET_TO
    return (now >= start or now < end) if start > end else start <= now < end


def quiet_hours_end(moment: datetime.datetime) -> datetime.datetime:
    """The first moment after `moment` (in quiet hours) when SMS may go again."""
    local = timezone.localtime(moment)
    end = local.replace(hour=settings.CUNZHI_QUIET_TO[0], minute=settings.CUNZHI_QUIET_TO[1], second=0, microsecond=0)
    return end if end > local else end + datetime.timedelta(days=1)


def backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4, 8 minutes … at most an hour."""
    return datetime.timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


@dataclass(frozen=True)
class Outcome:
    status: str
    retry_at: datetime.datetime | None = None


def delivery_send(*, delivery_id: int) -> Outcome:
    """Send one delivery if it is due: hold an SMS in quiet hours (unless urgent) or over its
    number's hourly limit, claim the row (a conditional UPDATE: two workers never both send),
    send, and keep the provider's answer. A transient failure is retried with backoff until
    MAX_ATTEMPTS; a refusal is given up at once."""
    now = timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.filter(pk=delivery_id, status__in=SENDABLE, not_before__lte=now).first()
        if delivery is None:
            return Outcome("not_due")
        if delivery.channel == Channel.SMS:
            held_until = _sms_held_until(delivery, now=now)
            if held_until:
                Delivery.objects.filter(pk=delivery.pk, status__in=SENDABLE).update(
                    status=Delivery.Status.HELD, not_before=held_until
                )
                return Outcome("held")
        claimed = Delivery.objects.filter(pk=delivery.pk, status__in=SENDABLE, not_before__lte=now).update(
            status=Delivery.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now
        )
    if not claimed:
        return Outcome("taken")
    backend = backend_for(delivery.channel)
    attempts = delivery.attempts + 1
    try:
        sent = backend.send(delivery)
    except SendError as exc:
        give_up = not exc.transient or attempts >= MAX_ATTEMPTS
        retry_at = None if give_up else timezone.now() + backoff(attempts)
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.GAVE_UP if give_up else Delivery.Status.FAILED,
            not_before=retry_at or F("not_before"),
            provider=backend.name,
            provider_answer=exc.answer,
        )
        logger.warning("delivery %s failed (attempt %s): %s", delivery.pk, attempts, exc)
        return Outcome("gave_up" if give_up else "retry", retry_at)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        provider=backend.name,
        provider_message_id=sent.message_id[:100],
        provider_answer=sent.answer,
    )
    return Outcome("sent")


def _sms_held_until(delivery: Delivery, *, now: datetime.datetime) -> datetime.datetime | None:
    if not delivery.urgent and in_quiet_hours(now):
        return quiet_hours_end(now)
    hour_ago = now - datetime.timedelta(hours=1)
    serialise(f"sms:{delivery.address}")  # the count and the claim: two workers cannot both pass the limit
    recent = Delivery.objects.filter(
        channel=Channel.SMS, address=delivery.address, claimed_at__gt=hour_ago, status__in=("sending", "sent")
    ).aggregate(n=Count("pk"), first=Min("claimed_at"))
    if recent["n"] >= settings.CUNZHI_SMS_PER_PHONE_PER_HOUR:
        return recent["first"] + datetime.timedelta(hours=1)
    return None


def deliveries_sweep(*, older_than: datetime.timedelta = datetime.timedelta(minutes=1)) -> int:
    """Send what is due and has no task on its way: queued rows older than `older_than` (their
    task was lost: Redis or the worker down), retries whose backoff is over, held rows whose
    hour has come, and rows whose worker died mid-send. SMS go no faster than the provider's
    rate. Returns how many were sent; a failure is kept on its row, never raised."""
    now = timezone.now()
    stale = Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    for pk in stale.values_list("pk", flat=True):
        logger.warning("delivery %s lost its worker mid-send; trying again", pk)
    stale.update(status=Delivery.Status.FAILED, not_before=now)
    cutoff = now - older_than
    due = (
        Delivery.objects.filter(status__in=SENDABLE, not_before__lte=now)
        .exclude(status=Delivery.Status.QUEUED, created_at__gt=cutoff)
        .order_by("not_before", "pk")
        .values_list("pk", "channel")[:SWEEP_BATCH]
    )
    step = 1 / settings.CUNZHI_SMS_RATE_PER_SECOND
    sent, sms_sent = 0, 0
    for pk, channel in list(due):
        if channel == Channel.SMS and sms_sent:
            time.sleep(step)
        outcome = delivery_send(delivery_id=pk)
        sent += outcome.status == "sent"
        sms_sent += channel == Channel.SMS and outcome.status == "sent"
    return sent


# ---------------------------------------------------------------- a person's choices


def preference_choices(user) -> dict[tuple[str, str], dict]:
    """For each (kind, channel) this deployment offers: whether it is on for `user`, and whether
    they may change it (not when forced or when their township does not allow it)."""
    township_id = townships_of({user.pk}).get(user.pk)
    chosen = {(p.kind, p.channel): p.enabled for p in Preference.objects.filter(user=user)}
    allows = (
        {(t.kind, t.channel): t.allowed for t in TownshipChannel.objects.filter(township_id=township_id)}
        if township_id
        else {}
    )
    choices = {}
    for kind in STAFF_KINDS:
        for channel in Channel:
            if not channel_available(channel, kind):
                continue
            township_allows = allows.get((kind, channel))
            choices[(kind, channel)] = {
                "on": wanted(
                    channel=channel, kind=kind, chosen=chosen.get((kind, channel)), township_allows=township_allows
                ),
                "fixed": (channel, kind) in FORCED or township_allows is False,
            }
    return choices


def preferences_save(*, user, on: set[tuple[str, str]]) -> int:
    """Keep `user`'s choices: every changeable (kind, channel) on if it is in `on`, off if not.
    Returns how many rows were written."""
    changeable = [key for key, choice in preference_choices(user).items() if not choice["fixed"]]
    with transaction.atomic():
        for kind, channel in changeable:
            Preference.objects.update_or_create(
                user=user, kind=kind, channel=channel, defaults={"enabled": (kind, channel) in on}
            )
    return len(changeable)


def grouped(choices: dict) -> dict:
    by_kind = defaultdict(dict)
    for (kind, channel), choice in choices.items():
        by_kind[kind][channel] = choice
    return by_kind
