"""A filtered matter list as .xlsx: the list's own rows (same scope, same filters), one
row per matter, with no personal data the list does not show (no submitter, no phone)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from governance.export_limits import refuse_past_export_limit
from governance.xlsx import MAX_EXPORT_ROWS, Sheet, workbook_bytes
from petitions.models import Matter


def headers() -> list[str]:
    return [
        _("Number"),
        _("Title"),
        _("Kind"),
        _("Category"),
        _("State"),
        _("Village"),
        _("Grid"),
        _("Handled by"),
        _("Deadline"),
        _("Overdue"),
        _("Received at"),
        _("Closed at"),
        _("Rating"),
    ]


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _handled_by(matter: Matter) -> str:
    if matter.department_id:
        return matter.department.name
    if matter.handler_id:
        return matter.handler.get_full_name() or matter.handler.username
    return ""


def matter_row(matter: Matter) -> list:
    return [
        matter.pk,
        matter.title,
        matter.get_kind_display() if matter.kind else "",
        matter.category.name if matter.category_id else "",
        matter.get_state_display(),
        matter.village.name,
        matter.grid.name if matter.grid_id else "",
        _handled_by(matter),
        _local(matter.deadline),
        _("yes") if matter.is_overdue else _("no"),
        _local(matter.created_at),
        _local(matter.closed_at),
        matter.get_rating_display() if matter.rating else "",
    ]


def matters_export(matters) -> bytes:
    """The matters (already scoped and filtered by the caller) as a workbook, newest first.

    At most MAX_EXPORT_ROWS: a longer list is refused (400 `too_many_rows`) before any row
    is read, so the caller narrows the filters rather than getting a truncated file."""
    refuse_past_export_limit(
        matters,
        _("%(count)s matters match: at most %(limit)s can be exported at once. Narrow the filters."),
        MAX_EXPORT_ROWS,
    )
    rows = matters.select_related("village", "grid", "category", "department", "handler").order_by("-created_at", "-id")
    return workbook_bytes(Sheet(_("Matters"), headers(), (matter_row(m) for m in rows.iterator(chunk_size=2000))))


def export_filename() -> str:
    return f"matters-{timezone.localdate():%Y%m%d}.xlsx"
