"""The outbox: who gets what on which channel, quiet hours, the per-phone limit, one send per
delivery however many workers, and the 逢十 eve batch to a district queued once and paced."""

import datetime
import threading
import zoneinfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection

from governance.messaging.models import Delivery, Kind, Preference, TownshipChannel
from governance.messaging.services import deliveries_sweep, delivery_send
from governance.models import Assignment, Notification, Role, StaffAccount
from governance.services import notify, notify_many
from grids.visits.fengshi import send_fengshi_reminders
from tests.messaging.conftest import give_phone

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


DAY = datetime.date(2026, 11, 20)


def _sms(user):
    return Delivery.objects.get(user=user, channel="sms")


def test_supervision_goes_by_sms_wherever_a_phone_is_known_and_other_kinds_only_if_chosen(world):
    give_phone(world.users.grid1, "13800000001")
    Preference.objects.create(user=world.users.grid1, kind=Kind.SUPERVISION, channel="sms", enabled=False)
    notify(user=world.users.grid1, title="督办", kind=Kind.SUPERVISION)
    notify(user=world.users.grid1, title="新事项", kind=Kind.ASSIGNMENT)
    notify(user=world.users.grid2, title="督办", kind=Kind.SUPERVISION)  # no phone
    assert list(Delivery.objects.values_list("user__username", "kind", "channel")) == [
        ("t_grid1", "supervision", "sms")
    ]
    Preference.objects.create(user=world.users.grid1, kind=Kind.ASSIGNMENT, channel="sms", enabled=True)
    notify(user=world.users.grid1, title="又一件", kind=Kind.ASSIGNMENT)
    assert Delivery.objects.filter(kind="assignment", channel="sms").count() == 1


def test_the_township_can_switch_a_channel_off_for_a_kind_but_not_supervision_sms(world):
    give_phone(world.users.cadre, "13800000002", township=world.weituo)
    for kind in (Kind.ASSIGNMENT, Kind.SUPERVISION):
        Preference.objects.create(user=world.users.cadre, kind=kind, channel="sms", enabled=True)
        TownshipChannel.objects.create(township=world.weituo, kind=kind, channel="sms", allowed=False)
    TownshipChannel.objects.create(township=world.weituo, kind=Kind.ASSIGNMENT, channel="email", allowed=False)
    notify(user=world.users.cadre, title="新事项", kind=Kind.ASSIGNMENT)
    notify(user=world.users.cadre, title="督办", kind=Kind.SUPERVISION)
    assert sorted(Delivery.objects.values_list("kind", "channel")) == [
        ("supervision", "email"),
        ("supervision", "sms"),
    ]


def test_a_supervision_at_23_is_held_until_7_unless_urgent(world, django_capture_on_commit_callbacks, capsys):
    give_phone(world.users.grid1, "13800000001")
    give_phone(world.users.grid2, "13800000002")
    with time_machine.travel(local(DAY, 23), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            notify(user=world.users.grid1, title="督办：超期", kind=Kind.SUPERVISION)
            notify(user=world.users.grid2, title="督办：升级", kind=Kind.SUPERVISION, urgent=True)
        held, urgent = _sms(world.users.grid1), _sms(world.users.grid2)
        assert held.status == Delivery.Status.HELD and held.not_before == local(DAY + datetime.timedelta(days=1), 7)
        assert urgent.status == Delivery.Status.SENT
        assert "[SMS 138****0002] 督办：升级" in capsys.readouterr().out
        assert delivery_send(delivery_id=held.pk).status == "not_due"
        assert deliveries_sweep(older_than=datetime.timedelta(0)) == 0
    with time_machine.travel(local(DAY + datetime.timedelta(days=1), 6, 59), tick=False):
        assert deliveries_sweep(older_than=datetime.timedelta(0)) == 0
    with time_machine.travel(local(DAY + datetime.timedelta(days=1), 7), tick=False):
        assert deliveries_sweep(older_than=datetime.timedelta(0)) == 1
    held.refresh_from_db()
    assert held.status == Delivery.Status.SENT


def test_a_queued_sms_that_reaches_quiet_hours_is_held_at_send_time(world):
    give_phone(world.users.grid1, "13800000001")
    with time_machine.travel(local(DAY, 21, 59), tick=False):
        notify(user=world.users.grid1, title="督办", kind=Kind.SUPERVISION)
    with time_machine.travel(local(DAY, 22, 5), tick=False):
        assert deliveries_sweep(older_than=datetime.timedelta(0)) == 0
    sms = _sms(world.users.grid1)
    assert sms.status == Delivery.Status.HELD and sms.not_before == local(DAY + datetime.timedelta(days=1), 7)
    # E-mail knows no quiet hours.
    assert Delivery.objects.filter(channel="email").count() == 0


def test_one_number_gets_at_most_its_hourly_limit_and_the_rest_wait(world, settings):
    settings.CUNZHI_SMS_PER_PHONE_PER_HOUR = 2
    give_phone(world.users.grid1, "13800000001")
    with time_machine.travel(local(DAY, 10), tick=False) as clock:
        for i in range(3):
            notify(user=world.users.grid1, title=f"督办{i}", kind=Kind.SUPERVISION)
            clock.shift(datetime.timedelta(minutes=1))
        assert deliveries_sweep(older_than=datetime.timedelta(0)) == 2
        last = Delivery.objects.get(subject="督办2")
        assert last.status == Delivery.Status.HELD and last.not_before == local(DAY, 11, 3)
    with time_machine.travel(local(DAY, 11, 3), tick=False):
        assert deliveries_sweep(older_than=datetime.timedelta(0)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_a_delivery_once(world, capsys):
    # Written directly: with autocommit, notify's after-commit task would send it at once.
    delivery = Delivery.objects.create(
        channel="sms",
        kind=Kind.SUPERVISION,
        user=world.users.grid1,
        address="13800000001",
        template_key="supervision",
        body="督办",
        not_before=local(DAY, 10),
        dedupe_key="race",
    )
    barrier, outcomes = threading.Barrier(4), []

    def worker():
        try:
            barrier.wait()
            outcomes.append(delivery_send(delivery_id=delivery.pk).status)
        finally:
            connection.close()

    with time_machine.travel(local(DAY, 10, 1), tick=False):
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(outcomes).count("sent") == 1
    assert capsys.readouterr().out.count("[SMS 138****0001]") == 1


def test_a_rerun_with_the_same_key_queues_nothing_more(world):
    give_phone(world.users.grid1, "13800000001")
    for _ in range(3):
        notify(user=world.users.grid1, title="督办", kind=Kind.SUPERVISION, key="matter-7-supervise-1")
    assert Delivery.objects.filter(channel="sms").count() == 1


def test_notify_many_costs_the_same_queries_for_two_people_and_for_twenty(world, django_assert_num_queries):
    users = [world.users.grid1, world.users.grid2] + [
        get_user_model().objects.create_user(f"many{i}", email=f"m{i}@example.com") for i in range(18)
    ]
    for user in users:
        give_phone(user, f"139{user.pk:08d}")
    # the inbox rows, the people's numbers, the townships of their posts (their staff accounts
    # name none), their township's rules, their choices, their deliveries
    for batch in (users[:2], users):
        with django_assert_num_queries(6):
            notify_many([(u, "提醒", "", "") for u in batch], kind=Kind.SUPERVISION)


def test_fengshi_eve_run_to_3000_staff_queues_3000_sms_once_paced_under_the_rate(world, settings):
    """The district's 3 000 grid staff, each with a phone and SMS reminders on: the eve run
    queues one SMS each, spread at the configured rate, however often it runs."""
    settings.CUNZHI_SMS_RATE_PER_SECOND = 50
    User = get_user_model()
    User.objects.bulk_create([User(username=f"gw{i:04d}", first_name=f"网格员{i}") for i in range(3000)])
    staff = list(User.objects.filter(username__startswith="gw").order_by("pk"))
    grids = [world.q1, world.q2, world.h1, world.l1]
    since = datetime.date(2026, 1, 1)
    Assignment.objects.bulk_create(
        [
            Assignment(
                user=u,
                role=Role.GRID_WORKER,
                township_id=grids[i % 4].village.township_id,
                village=grids[i % 4].village,
                grid=grids[i % 4],
                valid_from=since,
            )
            for i, u in enumerate(staff)
        ]
    )
    StaffAccount.objects.bulk_create([StaffAccount(user=u, phone=f"137{u.pk:08d}") for u in staff])
    Preference.objects.bulk_create([Preference(user=u, kind=Kind.REMINDER, channel="sms", enabled=True) for u in staff])
    Assignment.objects.update(valid_from=since)
    eve = datetime.date(2026, 11, 29)
    with time_machine.travel(local(eve, 19), tick=False):
        for _ in range(3):
            send_fengshi_reminders(on=eve, kind="eve")
    deliveries = Delivery.objects.filter(channel="sms", kind="reminder", user__in=staff)
    assert deliveries.count() == 3000
    assert Notification.objects.filter(user__in=staff).count() == 3000
    slots = sorted(deliveries.values_list("not_before", flat=True))
    assert slots[0] == local(eve, 19) and slots[-1] == local(eve, 19) + datetime.timedelta(seconds=2999 / 50)
    assert len(set(slots)) == 3000
    assert set(deliveries.values_list("status", flat=True)) == {"queued"}


def test_every_matter_action_with_a_kind_of_message_exists_and_escalations_are_urgent_supervision():
    from petitions.workflow import MESSAGE_KINDS, TRANSITIONS, URGENT_ACTIONS

    assert set(MESSAGE_KINDS) - set(TRANSITIONS) == {"submit"}
    assert {a for a, k in MESSAGE_KINDS.items() if k == Kind.SUPERVISION} >= URGENT_ACTIONS
    assert MESSAGE_KINDS["supervise"] == Kind.SUPERVISION and "supervise" not in URGENT_ACTIONS


def test_a_delivery_whose_worker_died_mid_send_is_tried_again_by_the_sweep(world, capsys):
    give_phone(world.users.grid1, "13800000001")
    with time_machine.travel(local(DAY, 10), tick=False):
        notify(user=world.users.grid1, title="督办", kind=Kind.SUPERVISION)
        Delivery.objects.update(status=Delivery.Status.SENDING, claimed_at=local(DAY, 10), attempts=1)
    with time_machine.travel(local(DAY, 10, 5), tick=False):
        assert deliveries_sweep(older_than=datetime.timedelta(0)) == 0  # it may still be sending
    with time_machine.travel(local(DAY, 10, 11), tick=False):
        assert deliveries_sweep(older_than=datetime.timedelta(0)) == 1
    assert _sms(world.users.grid1).attempts == 2 and capsys.readouterr().out.count("[SMS 138****0001]") == 1
