"""Matters follow what grids announces (grids does not know matters).

An open matter is its grid's work: when its household moves to another grid, or its grid is
merged into another, it goes there too, with a `move` event on its timeline (staff only). A
closed matter stays where it was handled, as the record of that grid's work.

A reply of TD to our SMS (governance.messaging.inbound) withdraws a resident's consent to SMS
about their matters (petitions.resident_sms).
"""

from django.dispatch import receiver

from governance.messaging.inbound import sms_received
from grids.signals import grid_merged, households_moved


@receiver(households_moved, dispatch_uid="petitions.follow_households")
def follow_households(sender, *, moves, **kwargs):
    from petitions.services import matters_follow_household_moves

    matters_follow_household_moves(moves)


@receiver(grid_merged, dispatch_uid="petitions.follow_merged_grid")
def follow_merged_grid(sender, *, grid, into, actor, **kwargs):
    from grids.places import GRID_MERGE_REASON
    from petitions.services import matters_move_grid

    matters_move_grid(from_grid=grid, to_grid=into, actor=actor, reason=GRID_MERGE_REASON)


@receiver(sms_received, dispatch_uid="petitions.resident_sms_reply")
def resident_replied(sender, *, phone, text, sent_at=None, **kwargs):
    from petitions.resident_sms import resident_sms_reply

    resident_sms_reply(phone=phone, text=text, sent_at=sent_at)
