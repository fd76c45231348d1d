# The content types of the moved models follow them (app label grids → visits), so the
# permissions, guardian's object permissions and the admin log that point at them by
# content type id keep pointing at them. On a new database there are none yet: Django
# creates them after migrating, under the new label.

from django.db import migrations

MOVED = ("visit", "visitphoto", "reminder")


def _relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if ContentType.objects.filter(app_label=new, model=model).exists():
            continue
        ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):
    _relabel(apps, "grids", "visits")


def backwards(apps, schema_editor):
    _relabel(apps, "visits", "grids")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('grids', '0006_visits_moved_out'),
        ('visits', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
