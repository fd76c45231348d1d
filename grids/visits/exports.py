"""逢十 compliance as .xlsx: one 逢十 day, or the three of a month, over the places the caller
sees (grids.visits.fengshi.compliance_for), a sheet per grid and a sheet per person on duty."""

import datetime

from django.utils.translation import gettext as _

from governance.xlsx import Sheet, workbook_bytes
from grids.visits.fengshi import Compliance


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _grids(rolls: list[Compliance]):
    for roll in rolls:
        for township in roll.townships:
            for village in township["villages"]:
                for grid in village["grids"]:
                    yield roll.cycle, township, village, grid


def grid_rows(rolls: list[Compliance]) -> list[list]:
    return [
        [
            cycle.isoformat(),
            township["name"],
            village["name"],
            grid["name"],
            _yes_no(grid["visited"]),
            grid["visits"],
            grid["households"],
            grid["households_covered"],
            grid["people_total"],
            grid["people_visited"],
        ]
        for cycle, township, village, grid in _grids(rolls)
    ]


def person_rows(rolls: list[Compliance]) -> list[list]:
    return [
        [
            cycle.isoformat(),
            village["name"],
            grid["name"],
            person["name"],
            _yes_no(person["visited"]),
            person["visits"],
            person["households_covered"],
        ]
        for cycle, _township, village, grid in _grids(rolls)
        for person in grid["people"]
    ]


def compliance_export(rolls: list[Compliance]) -> bytes:
    """The roll-ups of one or more 逢十 days, in the order given."""
    by_grid = Sheet(
        _("Grids"),
        [
            _("逢十 day"),
            _("Township"),
            _("Village"),
            _("Grid"),
            _("Visited"),
            _("Visits"),
            _("Households"),
            _("Households covered"),
            _("People on duty"),
            _("People who went"),
        ],
        grid_rows(rolls),
    )
    by_person = Sheet(
        _("People"),
        [_("逢十 day"), _("Village"), _("Grid"), _("Name"), _("Went"), _("Visits"), _("Households covered")],
        person_rows(rolls),
    )
    return workbook_bytes(by_grid, by_person)


def export_filename(day: datetime.date | None = None, month: datetime.date | None = None) -> str:
    if month is not None:
        return f"fengshi-compliance-{month:%Y-%m}.xlsx"
    return f"fengshi-compliance-{day:%Y-%m-%d}.xlsx"
