# Visits, their photos and the 逢十 reminders are the visits app's now (grids.visits,
# migration visits 0001 takes them into its state). Their tables stay: state only.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('grids', '0005_id_number_refusals'),
        ('visits', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(model_name='visit', name='author'),
                migrations.RemoveField(model_name='visit', name='courtyard'),
                migrations.RemoveField(model_name='visit', name='grid'),
                migrations.RemoveField(model_name='visit', name='household'),
                migrations.RemoveField(model_name='visit', name='matter'),
                migrations.RemoveField(model_name='visit', name='supersedes'),
                migrations.RemoveField(model_name='visit', name='township'),
                migrations.RemoveField(model_name='visit', name='village'),
                migrations.RemoveField(model_name='visitphoto', name='visit'),
                migrations.DeleteModel(name='Reminder'),
                migrations.DeleteModel(name='Visit'),
                migrations.DeleteModel(name='VisitPhoto'),
            ],
        ),
    ]
