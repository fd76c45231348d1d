"""A village's points ledger and a 红黑榜 as .xlsx, from the same selectors as their pages:
the caller's own scope, staff output (household numbers and heads' names, as the pages
show them to staff; never ID numbers or phones)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from governance.export_limits import refuse_past_export_limit
from governance.xlsx import MAX_EXPORT_ROWS, Sheet, workbook_bytes
from points.models import Board, BoardSide
from points.selectors import public_initials


def _household(household) -> str:
    return f"{household.number} {household.head_name}".strip()


def ledger_export(entries, *, title: str) -> bytes:
    """The ledger lines (already scoped), oldest first, each with its balance after.

    At most MAX_EXPORT_ROWS, else 400 `too_many_rows` before any row is read."""
    refuse_past_export_limit(
        entries,
        _("%(count)s ledger lines match: at most %(limit)s can be exported at once. Choose a month."),
        MAX_EXPORT_ROWS,
    )
    rows = entries.select_related("account__household__grid", "rule").order_by("occurred_on", "id")
    return workbook_bytes(
        Sheet(
            title,
            [
                _("Date"),
                _("Household"),
                _("Grid"),
                _("Kind"),
                _("Rule"),
                _("Points"),
                _("Balance after"),
                _("Note"),
            ],
            (
                [
                    e.occurred_on.isoformat(),
                    _household(e.account.household),
                    e.account.household.grid.name,
                    e.get_kind_display(),
                    e.rule.name if e.rule_id else "",
                    e.points,
                    e.balance_after,
                    e.note or e.reason,
                ]
                for e in rows.iterator(chunk_size=2000)
            ),
        )
    )


def board_export(board: Board) -> bytes:
    """The board's red and black lists, a sheet each, as the staff page shows them (the
    black list too: its internal status is the village's choice for the public page)."""
    lines = list(board.lines.all())
    headers = [
        _("Order"),
        _("Household"),
        _("Public sees"),
        _("Grid"),
        _("Points"),
        _("Honours or violations"),
        _("Consequence"),
        _("Struck out"),
    ]

    def rows(side):
        return [
            [
                line.order,
                _household(line.account.household),
                public_initials(line.account.household),
                line.account.household.grid.name,
                line.points,
                line.reason,
                line.consequence,
                _("yes") if line.struck else "",
            ]
            for line in lines
            if line.side == side
        ]

    return workbook_bytes(
        Sheet(_("Red list (红榜)"), headers, rows(BoardSide.RED)),
        Sheet(_("Black list (黑榜)"), headers, rows(BoardSide.BLACK)),
    )


def ledger_filename(village, month=None) -> str:
    stamp = f"{month:%Y-%m}" if month else f"{timezone.localdate():%Y%m%d}"
    return f"points-ledger-{village.code}-{stamp}.xlsx"


def board_filename(board: Board) -> str:
    return f"red-black-board-{board.village.code}-{board.year}Q{board.quarter}.xlsx"
