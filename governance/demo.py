"""The demo's village affairs (村务公开): 七星村's accounts, one quarter posted and the current
one in draft, with dates that follow from today. Idempotent: a period already there is left."""

import datetime
import decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from governance import finance
from governance.models import FinancePeriod, FinanceStatement, VillageFinanceSettings
from grids.demo import QIXING
from grids.models import Village

# (day of the period, direction, item, category, amount, voucher)
LAST_QUARTER = [
    (3, "income", "村集体经营性收入：鱼塘承包费", "经营收入", "12000.00", "记-001"),
    (9, "income", "上级补助：人居环境整治奖补资金", "补助收入", "30000.00", "记-002"),
    (15, "expense", "一组山坪塘清淤整治：机械台班费", "公益事业", "18600.00", "记-003"),
    (22, "expense", "村道路灯维修材料费", "公益事业", "860.50", "记-004"),
    (35, "expense", "积分超市兑换物品采购（洗衣粉、食用油）", "积分超市", "2350.00", "记-005"),
    (48, "income", "集体林地流转租金", "经营收入", "6400.00", "记-006"),
    (61, "expense", "村委会办公用品", "管理费用", "420.00", "记-007"),
    (70, "expense", "逢十走访误工补贴（网格员）", "管理费用", "1800.00", "记-008"),
]
THIS_QUARTER = [
    (2, "income", "村集体经营性收入：鱼塘承包费", "经营收入", "12000.00", "记-009"),
    (6, "expense", "院坝会茶水及场地布置", "管理费用", "150.00", "记-010"),
]


def _fill(statement: FinanceStatement, lines, cadre) -> None:
    for offset, direction, item, category, amount, voucher in lines:
        day = min(statement.period_start + datetime.timedelta(days=offset), statement.period_end)
        if day > timezone.localdate():
            continue
        finance.finance_line_add(
            user=cadre,
            statement=statement,
            line=finance.LineInput(
                direction=direction,
                occurred_on=day,
                item=item,
                category=category,
                amount=decimal.Decimal(amount),
                voucher=voucher,
            ),
        )


def seed_affairs(log=print) -> None:
    """Add 七星村's accounts where missing."""
    village = Village.objects.get(code=QIXING)
    cadre = get_user_model().objects.get(username="qixing_cadre")
    today = timezone.localdate()
    this_start, _end = finance.period_bounds(FinancePeriod.QUARTER, today)
    last_start, _end = finance.period_bounds(FinancePeriod.QUARTER, this_start - datetime.timedelta(days=1))
    added = 0
    with transaction.atomic():
        VillageFinanceSettings.objects.get_or_create(
            village=village, defaults={"posting_since": last_start, "changed_by": cadre, "changed_at": timezone.now()}
        )
        for start, lines, post in [(last_start, LAST_QUARTER, True), (this_start, THIS_QUARTER, False)]:
            if FinanceStatement.objects.filter(village=village, period_start=start).exists():
                continue
            statement = finance.finance_statement_create(
                user=cadre,
                village=village,
                period=FinancePeriod.QUARTER,
                day=start,
                opening_balance=decimal.Decimal("85320.00") if post else None,
            )
            _fill(statement, lines, cadre)
            if post:
                finance.finance_statement_post(user=cadre, statement=statement)
            added += 1
    log(f"affairs: {added} statements of accounts added")
