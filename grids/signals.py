"""What grids announces for the apps built on it to act on (grids imports none of them).

`households_created` is sent inside the transaction that created the households, with
`households` (the new rows; from the register import, `village_ids` as well, since those
rows came from a bulk insert). The points bank opens each one's passbook (积分存折) in the
same transaction, so a household never exists without one.

`visit_targets_changed` is sent with `household_ids` whenever what sets those households'
visit target changed (their tags, their members' tags or statuses, a tag's
`visit_every_days`); grids.visits recomputes when each is next due.
"""

from django.dispatch import Signal

households_created = Signal()
visit_targets_changed = Signal()
