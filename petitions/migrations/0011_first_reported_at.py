"""Each matter keeps its first report's time (the on-time rate's question), filled in from the
`report` events of the matters reported before."""

from django.db import migrations, models
from django.db.models import Min, OuterRef, Subquery


def fill_first_reports(apps, schema_editor):
    Matter = apps.get_model("petitions", "Matter")
    MatterEvent = apps.get_model("petitions", "MatterEvent")
    reports = MatterEvent.objects.filter(action="report")
    first = (
        reports.filter(matter_id=OuterRef("pk")).values("matter_id").annotate(first=Min("created_at")).values("first")
    )
    Matter.objects.filter(pk__in=reports.values("matter_id")).update(first_reported_at=Subquery(first))


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0010_sweep_indexes_of_running_clocks"),
    ]

    operations = [
        migrations.AddField(
            model_name="matter",
            name="first_reported_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="first reported at"),
        ),
        migrations.RunPython(fill_first_reports, migrations.RunPython.noop),
    ]
