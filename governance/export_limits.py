"""The size rule of every list export, in one place (the limit: governance.xlsx.MAX_EXPORT_ROWS)."""

from governance.errors import Refused


def refuse_past_export_limit(rows, message: str, limit: int) -> None:
    """Refuse (400 `too_many_rows`) an export of more than `limit` rows, counted before any row
    is read, so the caller narrows the filters rather than getting a truncated file. `message`
    says what to narrow, with %(count)s and %(limit)s."""
    total = rows.count()
    if total > limit:
        raise Refused(message % {"count": total, "limit": limit}, code="too_many_rows")
