"""The demo's 最美家庭 selection and 邻里节 of 李湾村 (governance.civic.selection_demo.seed)."""

import pytest

from governance.civic.models import Activity, Selection, SelectionStatus
from governance.civic.selection_demo import LIWAN_CODE, seed
from points.models import AwardStatus
from tests.demo_snapshot import load_demo

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_a_family_selection_with_its_points_and_a_festival_once(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    load_demo()
    lines = []
    seed(lines.append)
    seed(lines.append)  # a second run adds nothing
    selection = Selection.objects.get(village__code=LIWAN_CODE)
    assert selection.status == SelectionStatus.PUBLISHED
    assert selection.nominations.filter(selected=True).count() == 2
    awards = list(selection.award_batch.awards.select_related("decided_by", "entry"))
    # Approved after its 公示 by the 村委会主任, not by the secretary who proposed it: on the ledger.
    assert len(awards) == 2 and {a.status for a in awards} == {AwardStatus.APPROVED}
    assert {a.decided_by.username for a in awards} == {"liwan_director"}
    assert all(a.proposed_by_id != a.decided_by_id and a.entry.points == 50 for a in awards)
    festival = Activity.objects.get(village__code=LIWAN_CODE)
    assert festival.held_on.month == 5 and festival.participants.exists() and festival.photos.count() == 1
    assert lines[-1].startswith("civic selections: 0 new")
