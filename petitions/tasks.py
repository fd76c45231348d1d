from celery import shared_task

from petitions.deadlines import sweep


@shared_task
def sweep_overdue_matters() -> dict:
    return sweep().as_dict()
