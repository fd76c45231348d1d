"""逢十 compliance as .xlsx: one 逢十 day, or the three of a month, over the places the caller
sees (grids.visits.fengshi.compliance_for), a sheet per grid, a sheet per person on grid duty,
and a sheet of the village cadres and the township's staff sent down (包村, 包片), apart."""

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


def sent_down_rows(rolls: list[Compliance]) -> list[list]:
    return [
        [
            roll.cycle.isoformat(),
            person["name"],
            "、".join(dict.fromkeys(duty["role_display"] for duty in person["duties"])),
            "；".join(" ".join(filter(None, [duty["area"], "、".join(duty["villages"])])) for duty in person["duties"]),
            _yes_no(person["visited"]),
            person["visits"],
            person["households_covered"],
            person["month_visits"],
            person["month_households_covered"],
        ]
        for roll in rolls
        for person in roll.sent_down.get("people", [])
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
    sent_down = Sheet(
        _("Cadres, 包村 and 包片"),
        [
            _("逢十 day"),
            _("Name"),
            _("Role"),
            _("Villages"),
            _("Went"),
            _("Visits"),
            _("Households covered"),
            _("Visits in the month"),
            _("Households covered in the month"),
        ],
        sent_down_rows(rolls),
    )
    return workbook_bytes(by_grid, by_person, sent_down)


def export_filename(day: datetime.date | None = None, month: datetime.date | None = None) -> str:
    if month is not None:
        return f"fengshi-compliance-{month:%Y-%m}.xlsx"
    return f"fengshi-compliance-{day:%Y-%m-%d}.xlsx"
