"""The matters a user reaches beyond their places (as handler, or by a grant) are written into
their matter queries as ids while there are few (petitions.selectors.BEYOND_INLINE); past that
the query asks for them itself: a handler of years is not a list of half a million literals."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from petitions import selectors
from petitions.models import Matter
from petitions.selectors import matters_visible_to

pytestmark = pytest.mark.django_db


def _handled_elsewhere(mw, n):
    """`n` matters in grid1's grid (q1) handled by grid2, whose own grid is q2."""
    matters = [mw.staff_matter() for _ in range(n)]
    Matter.objects.filter(pk__in=[m.pk for m in matters]).update(handler=mw.users.grid2)
    return {m.pk for m in matters}


@pytest.mark.parametrize("handled", [2, 3])
def test_a_handler_sees_every_matter_beyond_their_places_however_many(mw, monkeypatch, handled):
    monkeypatch.setattr(selectors, "BEYOND_INLINE", 2)
    ids = _handled_elsewhere(mw, handled)
    worker = mw.users.grid2
    with CaptureQueriesContext(connection) as queries:
        seen = set(matters_visible_to(worker).values_list("pk", flat=True))
    assert ids <= seen
    assert all(pk in seen for pk in Matter.objects.filter(grid=mw.q2).values_list("pk", flat=True))
    assert not seen & set(Matter.objects.filter(grid=mw.q1).exclude(pk__in=ids).values_list("pk", flat=True))
    listed = queries.captured_queries[-1]["sql"]
    if handled > 2:  # past BEYOND_INLINE: the handler's condition in the query itself
        assert '"handler_id" =' in listed and str(min(ids)) not in listed
    else:  # a few: their ids written in
        assert all(str(pk) in listed for pk in ids)
