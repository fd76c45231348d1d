from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from petitions.workflow_doc import markdown

DOC = Path(settings.BASE_DIR) / "docs" / "workflow.md"


class Command(BaseCommand):
    help = "Write docs/workflow.md, the workflow's reference page, from the transition table."

    def handle(self, *args, **options):
        DOC.write_text(markdown(), encoding="utf-8")
        self.stdout.write(f"wrote {DOC}")
