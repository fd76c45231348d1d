"""Query-string filters for the matters API (django-filter)."""

import datetime
import re
import zoneinfo

from django.conf import settings
from django.db.models import DateTimeField, Exists, F, OuterRef, Q, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from petitions.models import OPEN_STATES, Kind, Matter, MatterCategory, MatterEvent, Rating, State
from petitions.selectors import matters_waiting_for
from petitions.serializers import category_lookup


def _id_filter(field_name: str):
    # Bounded: an id past the 64-bit column is a 400, not an overflow in the database driver.
    return filters.NumberFilter(field_name=field_name, min_value=1, max_value=2**63 - 1, decimal_places=0)


# 事前有分析 (提 分), 事中有落实 (议 办 督), 事后有监督 (评, and the review one level up).
STEP_GROUPS = {
    "before": (_("before (事前)"), [State.SUBMITTED, State.CLASSIFIED]),
    "during": (_("during (事中)"), [State.DELIBERATING, State.HANDLING, State.VERIFYING]),
    "after": (_("after (事后)"), [State.EVALUATING, State.REVIEWING]),
}


class MatterFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=State.choices, label=_("State (repeat for several)"))
    kind = filters.ChoiceFilter(choices=Kind.choices)
    category = filters.CharFilter(method="filter_category", label=_("Category id or code"))
    grid = _id_filter("grid_id")
    household = _id_filter("household_id")
    village = _id_filter("village_id")
    waiting = filters.BooleanFilter(
        method="filter_waiting",
        label=_("Only matters where the caller acts next: overdue first, then by deadline, then oldest"),
    )
    search = filters.CharFilter(field_name="title", lookup_expr="icontains", label=_("Words in the title"))
    # The dashboards' figures: each one is a link to the list these filters make.
    department = _id_filter("department_id")
    township = _id_filter("township_id")
    step_group = filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _states) in STEP_GROUPS.items()],
        method="filter_step_group",
        label=_("Stage: before (提 分), during (议 办 督) or after (评 复查)"),
    )
    overdue = filters.BooleanFilter(method="filter_overdue", label=_("Open and past its deadline"))
    accept_overdue = filters.BooleanFilter(
        method="filter_accept_overdue", label=_("Not accepted (受理) by its acceptance limit")
    )
    awaiting_sign = filters.BooleanFilter(
        method="filter_awaiting_sign", label=_("With a department, waiting for its sign-off (签收)")
    )
    mine = filters.BooleanFilter(method="filter_mine", label=_("Recorded by me"))
    unsigned = filters.BooleanFilter(
        method="filter_unsigned", label=_("With a department, not signed for (签收) by its limit")
    )
    signed_on_time = filters.BooleanFilter(method="filter_signed_on_time", label=_("Signed for (签收) in time"))
    escalated = filters.BooleanFilter(method="filter_escalated", label=_("Escalated one level up or more"))
    supervised = filters.BooleanFilter(method="filter_supervised", label=_("Given a supervision note (督办)"))
    returned_by = filters.NumberFilter(
        method="filter_returned_by", min_value=1, max_value=2**63 - 1, label=_("Sent back (退回) by this department")
    )
    created = filters.CharFilter(
        method="filter_created", label=_("Received in a period: 2026-11, 2026Q4 or 2026-01..2026-12")
    )
    closed = filters.CharFilter(method="filter_closed", label=_("Closed in a period (as for created)"))
    due = filters.CharFilter(method="filter_due", label=_("Deadline in a period (as for created)"))
    timeliness = filters.ChoiceFilter(
        choices=[("decided", _("decided (reported, or past the deadline)")), ("on_time", _("reported on time"))],
        method="filter_timeliness",
        label=_("Counted for the on-time rate (petitions.figures.on_time)"),
    )
    rating = filters.MultipleChoiceFilter(choices=Rating.choices, label=_("Resident's rating (repeat for several)"))

    class Meta:
        model = Matter
        fields = [
            "state",
            "kind",
            "category",
            "grid",
            "household",
            "village",
            "waiting",
            "search",
            "department",
            "township",
            "step_group",
            "overdue",
            "accept_overdue",
            "awaiting_sign",
            "mine",
            "unsigned",
            "signed_on_time",
            "escalated",
            "supervised",
            "returned_by",
            "created",
            "closed",
            "due",
            "timeliness",
            "rating",
        ]

    def filter_category(self, queryset, name, value):
        return queryset.filter(category__in=MatterCategory.objects.filter(**category_lookup(value.strip())))

    def filter_waiting(self, queryset, name, value):
        if not value:
            return queryset
        # The queue's order (petitions.selectors.QUEUE_ORDER) in a form the cursor paginator
        # can order by: no deadline sorts last on every database.
        return queryset.filter(pk__in=matters_waiting_for(self.request.user).values("pk")).annotate(
            queue_deadline=Coalesce("deadline", Value(NO_DEADLINE, output_field=DateTimeField()))
        )

    def filter_step_group(self, queryset, name, value):
        return queryset.filter(state__in=STEP_GROUPS[value][1])

    def filter_overdue(self, queryset, name, value):
        return _flag(queryset, value, overdue_q())

    def filter_accept_overdue(self, queryset, name, value):
        return _flag(queryset, value, accept_overdue_q())

    def filter_awaiting_sign(self, queryset, name, value):
        return _flag(queryset, value, awaiting_sign_q())

    def filter_mine(self, queryset, name, value):
        return _flag(queryset, value, Q(created_by=self.request.user))

    def filter_unsigned(self, queryset, name, value):
        return _flag(queryset, value, unsigned_q())

    def filter_signed_on_time(self, queryset, name, value):
        return _flag(queryset, value, Q(signed_at__isnull=False, sign_by__isnull=False, signed_at__lte=F("sign_by")))

    def filter_escalated(self, queryset, name, value):
        return _flag(queryset, value, Q(escalation_level__gt=0))

    def filter_supervised(self, queryset, name, value):
        return _flag(queryset, value, Q(Exists(MatterEvent.objects.filter(matter=OuterRef("pk"), action="supervise"))))

    def filter_returned_by(self, queryset, name, value):
        returned = MatterEvent.objects.filter(matter=OuterRef("pk"), action="send_back").annotate(
            by=KT("payload__department")
        )
        return queryset.filter(Exists(returned.filter(by=str(int(value)))))

    def filter_created(self, queryset, name, value):
        return _in_period(queryset, "created_at", value)

    def filter_closed(self, queryset, name, value):
        return _in_period(queryset, "closed_at", value)

    def filter_due(self, queryset, name, value):
        return _in_period(queryset, "deadline", value)

    def filter_timeliness(self, queryset, name, value):
        from petitions.figures import decided, reported_on_time

        queryset = decided(queryset)
        return reported_on_time(queryset) if value == "on_time" else queryset


def overdue_q() -> Q:
    """Open and marked overdue by the sweep (its deadline passed)."""
    return Q(is_overdue=True, state__in=sorted(OPEN_STATES))


def accept_overdue_q(now: datetime.datetime | None = None) -> Q:
    """Still waiting for acceptance (受理) after its limit: accept_by is cleared on acceptance."""
    return Q(accept_by__isnull=False, accept_by__lt=now or timezone.now())


def awaiting_sign_q() -> Q:
    """Open, with a department that has not signed for it (签收) yet, late or not."""
    return Q(sign_by__isnull=False, signed_at__isnull=True, state__in=sorted(OPEN_STATES))


def unsigned_q(now: datetime.datetime | None = None) -> Q:
    """With a department that has not signed for it (签收) by its limit."""
    return Q(sign_by__isnull=False, signed_at__isnull=True, sign_by__lt=now or timezone.now())


def _flag(queryset, value, condition: Q):
    if value is None:
        return queryset
    return queryset.filter(condition) if value else queryset.exclude(condition)


PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})|Q([1-4]))$")


def period_bounds(value: str) -> tuple[datetime.datetime, datetime.datetime] | None:
    """[start, end) of "2026-11", "2026Q4" or "2026-01..2026-12", local midnights; None if not one."""
    first, _sep, last = value.strip().partition("..")
    start, end = _month_span(first), _month_span(last or first)
    if start is None or end is None or end[1] <= start[0]:
        return None
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return (
        datetime.datetime.combine(start[0], datetime.time(), tz),
        datetime.datetime.combine(end[1], datetime.time(), tz),
    )


def _month_span(text: str) -> tuple[datetime.date, datetime.date] | None:
    match = PERIOD.match(text)
    if not match:
        return None
    year, month, quarter = int(match[1]), match[2], match[3]
    if not 2000 <= year <= 2999:
        return None
    if quarter:
        first_month, months = 3 * int(quarter) - 2, 3
    else:
        first_month, months = int(month), 1
        if not 1 <= first_month <= 12:
            return None
    start = datetime.date(year, first_month, 1)
    after = first_month - 1 + months
    return start, datetime.date(year + after // 12, after % 12 + 1, 1)


def _in_period(queryset, field: str, value: str):
    bounds = period_bounds(value)
    if bounds is None:
        return queryset.none()
    return queryset.filter(**{f"{field}__gte": bounds[0], f"{field}__lt": bounds[1]})


NO_DEADLINE = datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC)
QUEUE_ORDERING = ("-is_overdue", "queue_deadline", "created_at", "id")
