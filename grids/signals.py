"""What grids announces for the apps built on it to act on (grids imports none of them).

`households_created` is sent inside the transaction that created the households, with
`households` (the new rows; from the register import, `village_ids` as well, since those
rows came from a bulk insert). The points bank opens each one's passbook (积分存折) in the
same transaction, so a household never exists without one.

`households_moved` is sent inside the transaction that moved households to another grid or
courtyard, with `moves` (the HouseholdMove rows: household, from and to grid and courtyard,
who and why). What belongs to a household follows it: petitions moves the household's open
matters to its new grid.

`grid_merged` is sent inside the transaction that merged a grid into another of its village,
after its households have moved (each announced by `households_moved`), with `grid` (now
retired), `into` and `actor`: what still points at the retired grid and must go on in use
follows it (petitions: its open matters that name no household).

`visit_targets_changed` is sent with `household_ids` whenever what sets those households'
visit target changed (their tags, their members' tags or statuses, a tag's
`visit_every_days`); grids.visits recomputes when each is next due.
"""

from django.dispatch import Signal

households_created = Signal()
households_moved = Signal()
grid_merged = Signal()
visit_targets_changed = Signal()
