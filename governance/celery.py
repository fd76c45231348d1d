import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

app = Celery("cunzhi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The monthly report's and the tallies' tasks live in the project's own modules that read every app.
app.autodiscover_tasks(lambda: ["governance"], related_name="reports")
app.autodiscover_tasks(lambda: ["governance"], related_name="tallies")
