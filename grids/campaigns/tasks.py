from celery import shared_task

from grids.campaigns.services import campaigns_delete_expired_answers


@shared_task
def delete_expired_answers() -> dict:
    """Run by beat every night: the answers of campaigns past their retention, and photos no
    answer claimed (the counts stay on the campaign)."""
    return campaigns_delete_expired_answers()
