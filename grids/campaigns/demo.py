"""The demo's campaign (专项排查): 渭沱镇's winter visits to 化龙村's elderly living alone, under way.

So the demo's campaign pages, boards and to-do have figures behind them without touching
七星村, where the campaigns' own walk (tests/browser/test_campaigns_demo.py) makes its own.
Made and started by `weituo_official` from the library's 独居老人冬季走访 over the households
tagged 独居老人; a few answered by `hualong_cadre`, one of them asking for help (a matter of
社会保障与救助 and a follow-up). Dates follow from the day it is seeded; idempotent.
"""

import datetime
import uuid

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from grids.campaigns.library import ELDERLY
from grids.campaigns.models import Campaign, Task
from grids.campaigns.services import campaign_create, campaign_start, task_answer
from grids.demo import HUALONG
from grids.models import Tag, Village

ANSWERS = [
    {"age": 78, "heating": "yes", "medicine": "yes", "contact": "yes", "needs_help": "no"},
    {"age": 83, "heating": "no", "medicine": "yes", "contact": "no", "needs_help": "yes",
     "help_detail": "冬天缺棉被，想申请临时救助"},
    {"age": 71, "heating": "yes", "medicine": "no", "contact": "yes", "needs_help": "no"},
]  # fmt: skip


def seed_campaigns(log=print) -> None:
    village = Village.objects.get(code=HUALONG)
    if Campaign.objects.filter(village__isnull=True, township=village.township, title=ELDERLY.title).exists():
        log(f"campaigns: nothing to add, {Campaign.objects.count()} in all")
        return
    users = get_user_model().objects
    official, cadre = users.get(username="weituo_official"), users.get(username="hualong_cadre")
    today = timezone.localdate()
    with transaction.atomic():
        campaign = campaign_create(
            actor=official,
            township=village.township,
            title=ELDERLY.title,
            purpose=ELDERLY.purpose,
            starts_on=today - datetime.timedelta(days=7),
            due_on=today + datetime.timedelta(days=21),
            villages=[village],
            tags=[Tag.objects.get(code="elderly_alone")],
            form=ELDERLY.form,
            form_source=f"template:{ELDERLY.code}",
        )
        campaign = campaign_start(campaign=campaign, actor=official)
        tasks = Task.objects.filter(campaign=campaign).select_related("household").order_by("household__number")
        for task, answers in zip(tasks, ANSWERS, strict=False):
            task_answer(actor=cadre, task=task, client_uuid=uuid.uuid4(), answers=answers)
    log(f"campaigns: {ELDERLY.title} for {village.name}, {campaign.task_count} households, {len(ANSWERS)} answered")
