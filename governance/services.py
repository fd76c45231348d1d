"""Writes for responsibility and notifications."""

import contextlib
import datetime
import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.errors import Conflict
from governance.messaging.models import Kind
from governance.messaging.services import Message, deliveries_queue
from governance.models import ROLE_LEVEL, Assignment, Department, IdempotencyRecord, Notification
from governance.roles import SENT_DOWN_ROLES, TOWNSHIP_ROLES
from grids.models import Area, Township

ALREADY_ENDED = gettext_lazy("This assignment has already ended.")

logger = logging.getLogger(__name__)


def enqueue(task, *args, eta=None) -> None:
    """Schedule a Celery task after commit; never let a broker outage fail the request.

    What could not be queued stays marked unsent in the database, and a periodic sweep
    picks it up once Redis and the worker are back.
    """
    transaction.on_commit(lambda: enqueue_now(task, *args, eta=eta))


def enqueue_now(task, *args, eta=None) -> None:
    """Queue a Celery task now (outside a transaction, or from an on-commit callback)."""
    try:
        task.apply_async(args=args, eta=eta, retry=False)
    except Exception:  # the broker is down or unreachable: the sweep will deliver
        logger.warning("could not queue %s%r; the sweep will retry", task.name, args, exc_info=True)


def department_create(*, township: Township, name: str) -> Department:
    """A township department and its auth Group (the holder of per-matter permissions)."""
    group, _created = Group.objects.get_or_create(name=f"dept:{township.code}:{name}")
    return Department.objects.create(township=township, name=name, group=group)


@transaction.atomic
def assignment_create(
    *,
    user,
    role: str,
    place=None,
    department: Department | None = None,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    title: str = "",
) -> Assignment:
    """Give `user` a role on a place (township, village, grid, courtyard) or a department."""
    level = ROLE_LEVEL[role]
    fields = {"township": None, "village": None, "grid": None, "courtyard": None, "department": None}
    if level == "department":
        if department is None:
            raise ValidationError({"department": _("A department handler needs a department.")})
        fields.update(department=department, township=department.township)
    elif level == "area":
        if type(place).__name__ != "Area":
            raise ValidationError({"place": _("This role is assigned to a place of another level.")})
        fields.update(area=place, township_id=place.township_id)
        fields.pop("township")
    else:
        expected = {"township": "Township", "village": "Village", "grid": "Grid", "courtyard": "Courtyard"}[level]
        if place is None or type(place).__name__ != expected:
            raise ValidationError({"place": _("This role is assigned to a place of another level.")})
        fields[level] = place
        if level == "township":
            fields["township"] = place
        else:
            fields["township_id"] = place.township_id
            fields.pop("township")
            if level != "village":
                fields["village_id"] = place.village_id
                fields.pop("village")
            if level == "courtyard":
                fields["grid_id"] = place.grid_id
                fields.pop("grid")
    day = valid_from or timezone.localdate()
    if valid_to is not None and valid_to < day:
        raise ValidationError({"valid_to": _("An assignment cannot end before it starts.")})
    # One writer at a time per person: two sends of one assignment cannot both pass the check below.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    _refuse_overlap(user=user, role=role, fields=fields, valid_from=day, valid_to=valid_to)
    if role in SENT_DOWN_ROLES:
        _require_township_role(user, township_id=fields.get("township_id") or fields["township"].pk, on=day)
    assignment = Assignment.objects.create(
        user=user,
        role=role,
        valid_from=day,
        valid_to=valid_to,
        title=title,
        **fields,
    )
    if department is not None:
        user.groups.add(department.group)
    return assignment


def _refuse_overlap(*, user, role: str, fields: dict, valid_from: datetime.date, valid_to) -> None:
    """The same person in the same role at the same place twice over the same days is a mistake
    (a double entry), not a second duty: Conflict (409)."""
    same = Assignment.objects.filter(user=user, role=role, **fields).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    if valid_to is not None:
        same = same.filter(valid_from__lte=valid_to)
    first = same.order_by("valid_from").first()
    if first is not None:
        raise Conflict(
            _("%(name)s already holds this role here from %(day)s.")
            % {"name": user.get_full_name() or user.username, "day": first.valid_from.isoformat()},
            code="already_assigned",
        )


def _require_township_role(user, *, township_id: int, on) -> None:
    """包村 and 包片 are duties of the township's own officials and leaders: only someone who
    holds a township role in that township on that day takes one."""
    holds = (
        Assignment.objects.filter(user=user, role__in=list(TOWNSHIP_ROLES), township_id=township_id, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .exists()
    )
    if not holds:
        raise ValidationError(
            {"user": _("Only an official or leader of the township is sent down to a village or an area (包村, 包片).")}
        )


@transaction.atomic
def assignment_end(*, assignment: Assignment, on: datetime.date | None = None) -> Assignment:
    """End an assignment (the row stays, for history). Leaving a department leaves its group."""
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.has_ended:
        raise Conflict(ALREADY_ENDED, code="assignment_ended")
    end = on or timezone.localdate()
    if end < assignment.valid_from:
        raise ValidationError({"valid_to": _("An assignment cannot end before it starts.")})
    if assignment.valid_to is not None and end > assignment.valid_to:
        raise ValidationError(
            {
                "valid_to": _("An assignment is ended earlier, never extended: it already ends on %(day)s.")
                % {"day": assignment.valid_to.isoformat()}
            }
        )
    assignment.valid_to = end
    assignment.save(update_fields=["valid_to"])
    if assignment.department_id:
        still = Assignment.objects.filter(user_id=assignment.user_id, department_id=assignment.department_id).filter(
            valid_to__isnull=True
        )
        if not still.exists():
            assignment.user.groups.remove(assignment.department.group)
    return assignment


@transaction.atomic
def area_create(*, township: Township, name: str, villages) -> Area:
    """A 片区 of the township: its name and its villages (at least one, all of that township)."""
    villages = list(villages)
    _check_area(township_id=township.pk, name=name, villages=villages)
    with _name_taken_refused():
        area = Area.objects.create(township=township, name=name)
    area.villages.set(villages)
    return area


@transaction.atomic
def area_update(*, area: Area, name: str | None = None, villages=None) -> Area:
    """Rename a 片区 or change its villages; its 包片 leaders' scope follows on their next request
    (governance.scoping expands an area into its villages as it reads the assignments)."""
    area = Area.objects.select_for_update().get(pk=area.pk)
    villages = None if villages is None else list(villages)
    _check_area(township_id=area.township_id, name=name, villages=villages, exclude_pk=area.pk)
    if name is not None and name != area.name:
        area.name = name
        with _name_taken_refused():
            area.save(update_fields=["name"])
    if villages is not None and {v.pk for v in villages} != set(area.villages.values_list("pk", flat=True)):
        area.villages.set(villages)
    return area


@contextlib.contextmanager
def _name_taken_refused():
    """The name checked free was taken meanwhile (two keepers at once): the unique constraint
    refuses the second, a field error like the check's, not a 500."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise ValidationError(
            {"name": ValidationError(_("The township already has an area of this name."), code="unique")}
        ) from None


def _check_area(*, township_id: int, name: str | None, villages: list | None, exclude_pk=None) -> None:
    errors = {}
    if name is not None and Area.objects.filter(township_id=township_id, name=name).exclude(pk=exclude_pk).exists():
        errors["name"] = ValidationError(_("The township already has an area of this name."), code="unique")
    if villages is not None:
        if not villages:
            errors["villages"] = ValidationError(_("Choose at least one village."), code="required")
        elif any(village.township_id != township_id for village in villages):
            errors["villages"] = ValidationError(
                _("An area holds villages of its own township only."), code="other_township"
            )
    if errors:
        raise ValidationError(errors)


def notify(
    *, user, title: str, body: str = "", url: str = "", kind: str = Kind.OTHER, urgent: bool = False, key: str = ""
) -> Notification:
    """Tell `user` something: an inbox row now, and a message on each channel (e-mail, SMS,
    企业微信) that they and their township allow for `kind`, sent after commit.

    The one entry point every capability uses. It joins the caller's transaction, so a
    rolled-back action notifies nobody. `urgent` lets an SMS through quiet hours (a 督办 that
    cannot wait); `key` names the message across reruns so that none is queued twice.
    """
    notification = Notification.objects.create(user=user, title=title, body=body, url=url)
    deliveries_queue([Message(user, notification, title, body, key)], kind=kind, urgent=urgent)
    return notification


def notify_many(
    items, *, kind: str = Kind.OTHER, urgent: bool = False, paced: bool = False, keys=None
) -> list[Notification]:
    """`notify` for many at once (the sweeps): items are (user, title, body, url) tuples, `keys`
    (if given) one per item. One INSERT for the inbox rows and one for their deliveries;
    `paced` spreads the SMS under the provider's rate (the 逢十 eve reminders to a district)."""
    items = list(items)
    rows = Notification.objects.bulk_create(
        [Notification(user=user, title=title, body=body, url=url) for user, title, body, url in items]
    )
    keys = list(keys) if keys is not None else [""] * len(items)
    deliveries_queue(
        [
            Message(user, row, title, body, key)
            for (user, title, body, _url), row, key in zip(items, rows, keys, strict=True)
        ],
        kind=kind,
        urgent=urgent,
        paced=paced,
    )
    return rows


def notification_mark_read(*, user, notification_ids=None) -> int:
    """Mark the user's notifications read (all unread ones when no ids are given)."""
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        rows = rows.filter(pk__in=notification_ids)
    return rows.update(read_at=timezone.now())


def idempotency_records_prune(*, now: datetime.datetime | None = None) -> int:
    """Forget stored first answers to Idempotency-Key requests after IDEMPOTENCY_KEEP_DAYS.

    A key protects the retries of one request (a dropped connection, a double tap), which
    come within minutes or days; visits carry their own client UUID and never rely on it.
    """
    from django.conf import settings

    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.IDEMPOTENCY_KEEP_DAYS)
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
