from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class TrigramExtensionOnPostgres(TrigramExtension):
    """pg_trgm for the duplicate suggestions (petitions.services.possible_duplicates). Django's
    operation already does nothing on SQLite going forwards; going back it keeps the extension
    (grids' name indexes use it too) and never asks SQLite about extensions."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0007_supervision"),
    ]

    operations = [
        TrigramExtensionOnPostgres(),
    ]
