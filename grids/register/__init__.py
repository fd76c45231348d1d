"""The household register (台账) in Excel: the blank template, the import and the export.

`columns` holds what both directions share (headers, aliases, the words for relations,
genders and statuses), `imports` reads, checks and applies a file, `exports` writes one.
"""

from grids.register.columns import COLUMNS, GB_T_4761, RELATIONS
from grids.register.exports import register_export, register_template
from grids.register.imports import ImportResult, RegisterImportError, RowError, register_import

__all__ = [
    "COLUMNS",
    "GB_T_4761",
    "RELATIONS",
    "ImportResult",
    "RegisterImportError",
    "RowError",
    "register_export",
    "register_import",
    "register_template",
]
