import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

app = Celery("cunzhi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The monthly report's task lives in the project's own module that reads every app.
app.autodiscover_tasks(lambda: ["governance"], related_name="reports")
