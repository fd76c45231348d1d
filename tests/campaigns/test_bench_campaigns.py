"""The campaigns bench (`manage.py bench_campaigns`) on a tiny `generate_scale` data set: it
starts the township's and the district's campaigns, answers through the service, reads every
page it times with a 200, exports, and leaves no campaign of its own behind (a run that was
told to keep them, or died, has them deleted by the next)."""

import io

from django.core.management import call_command

from grids.campaigns.models import Campaign, Task
from grids.models import Household


def test_the_bench_runs_and_cleans_up_after_itself(db, tmp_path):
    call_command("generate_scale", townships=2, villages_per=2, grids_per=2, households_per=5, stdout=io.StringIO())
    call_command("bench_campaigns", requests=1, answers=1, township_only=True, keep=True, stdout=io.StringIO())
    assert Campaign.objects.filter(title__startswith="bench-").count() == 2  # the township's, the district's one
    out = io.StringIO()
    report = tmp_path / "bench.md"
    call_command("bench_campaigns", requests=1, answers=6, output=str(report), stdout=out)
    text = report.read_text(encoding="utf-8")
    assert "deleted 2 campaigns a previous run left" in out.getvalue()
    assert text in out.getvalue()
    # One township (20 households) and the district (2 townships), each household once.
    assert "| one township's campaign (规模镇001): create / start | 20 | 20 |" in text
    assert "| the district's: 2 township campaigns" in text and "| 40 | 40 |" in text
    assert "| the township's tasks written again (ON CONFLICT DO NOTHING) | 20 | 0 |" in text
    assert "A household twice in one campaign: 0." in text
    assert "6 tasks of the township's campaign answered" in text
    assert "| grid worker | visit form /visits/new/" in text and "| superuser | progress API ?by=grid |" in text
    assert "Export of the township's answers as .xlsx" in text and "6 rows in" in text
    assert "20 rows in" in text  # the whole township answered, rolled back
    assert "The bench's 3 campaigns deleted" in text
    assert not Campaign.objects.exists() and not Task.objects.exists()
    assert Household.objects.count() == 40
