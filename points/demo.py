"""Demo points bank: settings, the 积分细则 catalogue, the shops, passbooks and some history.

Built through the real services by the demo accounts (qixing_grid1 proposes, qixing_cadre
approves, qixing_clerk redeems), so every balance is explained by its ledger. Idempotent:
settings, rules and items are looked up by their natural keys, passbooks are opened only
where missing, and a village's history is written once (skipped when it has proposals).
Works on SQLite (the row locks are no-ops there).
"""

import datetime
import io

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from governance import law
from grids.demo import COMMUNITY, HUALONG, JINSHAN, LIWAN, QIXING
from grids.models import Grid, Household, Village
from points import services as s
from points.models import Account, Award, Board, Category, Item, Objection, Rule, VillagePointsSettings

# Lawful consequences only (governance.law): what the village itself grants, never collective
# dividends, land-contract rights or statutory benefits (村民委员会组织法 Art. 27).
BLACK_LIST = "取消当年评先评优资格，本季度暂停积分超市兑换"
FLOOR = "暂停积分超市兑换，不参加村集体自办的评优评先和奖励"
# village code: (starting balance, redeemable threshold, benefit floor, objection days, black list consequence)
SETTINGS = {
    QIXING: (100, 100, 60, 3, BLACK_LIST),
    HUALONG: (100, 100, 60, 3, "取消当年评先评优资格"),
    JINSHAN: (100, 100, 60, 3, "取消当年评先评优资格"),
    COMMUNITY: (100, 100, 60, 5, "取消当年评先评优资格"),
    LIWAN: (100, 80, 60, 5, BLACK_LIST),
}
BLACK_LIST_THRESHOLD = -10
# The 村事 whose 村民会议 vote adopted 七星村's 积分细则 (the demo's rules name it).
RESOLUTION_TITLE = "积分细则"

GRID = ["grid_worker", "grid_leader", "courtyard_helper"]
SELECTION = ["village_cadre", "grid_leader"]  # titles awarded by the village's selection
MEETING = [*GRID, "village_cadre"]  # whoever ran the meeting proposes its attendance

# (category, name, points, evidence, cap count, cap period, proposer roles)
CATALOGUE = [
    (Category.PATRIOTISM, "按时参加村民会议", 1, False, 2, "month", MEETING),
    (Category.PATRIOTISM, "参加村民会议迟到", -1, False, 2, "month", MEETING),
    (Category.PATRIOTISM, "参加主题党日、升国旗等活动", 2, False, 2, "month", MEETING),
    (Category.PATRIOTISM, "子女应征入伍", 20, True, 1, "year", SELECTION),
    (Category.CIVILITY, "评为“最美家庭”", 50, True, 1, "year", SELECTION),
    (Category.CIVILITY, "清家六齐·房前屋后清扫整洁", 2, False, 1, "month", GRID),
    (Category.CIVILITY, "清家六齐·室内物品摆放整齐", 2, False, 1, "month", GRID),
    (Category.CIVILITY, "清家六齐·柴草堆放整齐", 2, False, 1, "month", GRID),
    (Category.CIVILITY, "清家六齐·农具归放整齐", 2, False, 1, "month", GRID),
    (Category.CIVILITY, "清家六齐·衣被叠放整齐", 2, False, 1, "month", GRID),
    (Category.CIVILITY, "清家六齐·厨具餐具整齐", 2, False, 1, "month", GRID),
    (Category.CIVILITY, "清家六齐检查不达标", -2, False, 1, "month", GRID),
    (Category.CIVILITY, "孝老爱亲、邻里互助事迹", 10, False, 2, "year", GRID),
    (Category.CIVILITY, "红白喜事简办", 5, False, 2, "year", GRID),
    (Category.CIVILITY, "红白喜事大操大办、铺张浪费", -5, False, None, "none", GRID),
    (Category.LAW, "参加普法宣传活动（老兵说法营）", 2, False, 2, "month", GRID),
    (Category.LAW, "协助调解邻里纠纷", 5, False, 2, "month", GRID),
    (Category.LAW, "违反村规民约", -10, False, None, "none", GRID),
    (Category.LAW, "乱倒垃圾、乱搭乱建", -5, False, None, "none", GRID),
    (Category.LAW, "参与赌博、封建迷信活动", -20, False, None, "none", GRID),
    (Category.PUBLIC_GOOD, "志愿服务（每次）", 5, False, 4, "month", GRID),
    (Category.PUBLIC_GOOD, "参加环境卫生大扫除", 2, False, 4, "month", GRID),
    (Category.PUBLIC_GOOD, "为村集体建设义务出工", 3, False, 4, "month", GRID),
    (Category.PUBLIC_GOOD, "爱心捐赠", 5, False, 2, "month", GRID),
    (Category.PUBLIC_GOOD, "见义勇为", 30, True, None, "none", SELECTION),
]

# (name, unit, price, stock)
SHOP = [
    ("洗衣粉", "袋", 10, 50),
    ("香皂", "块", 5, 100),
    ("毛巾", "条", 8, 80),
    ("牙膏", "支", 8, 60),
    ("洗洁精", "瓶", 10, 40),
    ("卫生纸", "提", 15, 40),
    ("挂面", "把", 6, 60),
    ("酱油", "瓶", 10, 40),
    ("大米", "袋（10斤）", 40, 30),
    ("食用油", "桶（5升）", 60, 20),
]
SHOP_VILLAGES = [QIXING, HUALONG, JINSHAN, LIWAN]


def _user(username):
    return get_user_model().objects.get(username=username)


def _rule(village: Village, name: str) -> Rule:
    return Rule.objects.get(village=village, name=name)


def _accounts(village_code: str, grid_number: int) -> list[Account]:
    grid = Grid.objects.get(village__code=village_code, number=grid_number)
    households = Household.objects.filter(grid=grid).values("pk")
    rows = Account.objects.filter(household__in=households).select_related("household")
    return list(rows.order_by("household__number"))


def _certificate() -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), (180, 30, 30))
    ImageDraw.Draw(image).rectangle((20, 20, 460, 300), outline=(240, 200, 80), width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile("certificate.png", out.getvalue(), content_type="image/png")


def _ensure_settings() -> None:
    for code, (start, threshold, floor, days, consequence) in SETTINGS.items():
        village = Village.objects.filter(code=code).first()
        if village is not None:
            row, _created = VillagePointsSettings.objects.get_or_create(
                village=village,
                defaults={
                    "starting_balance": start,
                    "redeem_threshold": threshold,
                    "benefit_floor": floor,
                    "objection_days": days,
                    "black_list_consequence": consequence,
                    "black_list_threshold": BLACK_LIST_THRESHOLD,
                    "floor_consequence": FLOOR,
                },
            )
            # An older demo database's wording withheld 集体分红: replaced with the lawful one.
            if law.refusal(row.black_list_consequence) or not row.floor_consequence:
                row.black_list_consequence, row.floor_consequence = consequence, FLOOR
                row.save(update_fields=["black_list_consequence", "floor_consequence"])


def _resolution():
    """七星村's 村事 "积分细则": steps 1 to 6 of the 七步走 with the 村民会议's vote carried, filed
    with 渭沱镇 (备案), carried out, checked and evaluated: closed. Made once, through the
    petitions services."""
    from petitions import services as ps
    from petitions.demo import seven_steps
    from petitions.models import Kind, Matter, MatterCategory, Rating, Source

    village = Village.objects.get(code=QIXING)
    found = Matter.objects.filter(village=village, title=RESOLUTION_TITLE).first()
    if found is not None:
        return found
    cadre, official, grid1 = _user("qixing_cadre"), _user("weituo_official"), _user("qixing_grid1")
    grid = Grid.objects.get(village=village, number=1)
    category = MatterCategory.objects.get(code="village_rules")
    today = timezone.localdate()

    def ago(days):
        return today - datetime.timedelta(days=days)

    matter = ps.matter_submit(
        actor=cadre,
        title=RESOLUTION_TITLE,
        description="制定七星村积分细则（家国情怀、文明习俗、遵纪守法、公益行动四类加减分项目），与积分超市配套实施。",
        grid=grid,
        source=Source.WALK_IN,
        submitter_name="七星村两委",
        category=category,
    )
    ps.matter_classify(matter=matter, actor=cadre, kind=Kind.VILLAGE, category=category)
    minutes = {
        1: "召开院坝会 8 场，收集积分项目建议 63 条。",
        2: "村党支部提议制定积分细则，惩戒只限村集体自行给予的奖励和评优，不涉及分红、承包地和法定待遇。",
        3: "两委会商议积分细则草案，征求镇司法所合法性审查意见。",
        4: "党员大会审议积分细则草案，同意提交村民会议表决。",
    }
    vote = {
        "summary": "村民会议表决积分细则：应到 620 人，实到 452 人，赞成 418 人。",
        "body": "villagers_meeting",
        "announced_on": ago(72),
        "entitled": 620,
        "present": 452,
        "in_favour": 418,
        "against": 21,
        "abstain": 13,
    }
    seven_steps(matter, cadre, minutes, vote=vote, days=(80, 3, 60, 58), published="表决结果在村务公开栏公示。")
    ps.matter_record_filing(matter=matter, actor=official, filed=True, filed_on=ago(55), reason="渭沱镇备案。")
    ps.matter_handle(matter=matter, actor=cadre, handler=grid1)
    ps.matter_report(matter=matter, actor=grid1, result="积分细则印发到户，积分存折全部开户，积分超市开业。")
    ps.matter_verify(matter=matter, actor=official, passed=True, note="抽查 20 户存折，登记规范。")
    ps.matter_evaluate(
        matter=matter,
        actor=_user("weituo_leader"),
        rating=Rating.SATISFIED,
        comment="回访：群众认可。",
        method="phone",
    )
    return matter


def _ensure_catalogue() -> None:
    resolution = _resolution() if Village.objects.filter(code=QIXING).exists() else None
    if resolution is not None:
        Rule.objects.filter(village__code=QIXING, adopted_by__isnull=True).update(adopted_by=resolution)
    for village in Village.objects.filter(code__in=list(SETTINGS)):
        for order, (category, name, points, evidence, cap, period, roles) in enumerate(CATALOGUE, start=1):
            Rule.objects.get_or_create(
                village=village,
                name=name,
                defaults={
                    "category": category,
                    "points": points,
                    "requires_evidence": evidence,
                    "cap_count": cap,
                    "cap_period": period,
                    "proposer_roles": list(roles),
                    "order": order * 10,
                    "adopted_by": resolution if village.code == QIXING else None,
                },
            )
    _cite_compact()
    for village in Village.objects.filter(code__in=SHOP_VILLAGES):
        for order, (name, unit, price, stock) in enumerate(SHOP, start=1):
            Item.objects.get_or_create(
                village=village, name=name, defaults={"unit": unit, "price": price, "stock": stock, "order": order * 10}
            )


# 七星村's rules that enforce an article of its compact in force: (rule, the article's title).
CITED_ARTICLES = [("违反村规民约", "“十不”行为规范（一）")]


def _cite_compact() -> None:
    from petitions.models import CompactArticle, CompactStatus

    for rule_name, article_title in CITED_ARTICLES:
        article = CompactArticle.objects.filter(
            version__village__code=QIXING, version__status=CompactStatus.IN_FORCE, title=article_title
        ).first()
        if article is not None:
            Rule.objects.filter(village__code=QIXING, name=rule_name, compact_article__isnull=True).update(
                compact_article=article
            )


def _qixing_history() -> None:
    """七星村 grid 1: approved awards (one with evidence, one batch from a clean-up day), a
    deduction, a redemption, a reversal, one proposal still in its 公示 and one past it."""
    village = Village.objects.get(code=QIXING)
    grid1, leader, cadre, clerk = (
        _user("qixing_grid1"),
        _user("qixing_leader1"),
        _user("qixing_cadre"),
        _user("qixing_clerk"),
    )
    accounts = _accounts(QIXING, 1)
    now = timezone.now()
    today = timezone.localdate()

    def ago(days):
        return now - datetime.timedelta(days=days)

    def day(days):
        return today - datetime.timedelta(days=days)

    def award(account, name, days, note="", actor=grid1, evidence=None):
        rule = _rule(village, name)
        return s.award_propose(
            actor=actor, account=account, rule=rule, note=note, occurred_on=day(days), now=ago(days), evidence=evidence
        )

    first, second, third, fourth, fifth = accounts[:5]
    for name, days, note in [
        ("志愿服务（每次）", 12, "在渭沱镇敬老院做志愿服务"),
        ("志愿服务（每次）", 11, "“网格580”帮独居老人代购药品"),
        ("按时参加村民会议", 10, "七星村院坝会"),
    ]:
        s.award_approve(award=award(first, name, days, note), actor=cadre)
    family = award(first, "评为“最美家庭”", 9, "获评渭沱镇“最美家庭”", actor=leader, evidence=_certificate())
    s.award_approve(award=family, actor=cadre, note="核对荣誉证书原件")
    cleanup = s.award_propose_batch(
        actor=grid1,
        rule=_rule(village, "参加环境卫生大扫除"),
        accounts=accounts[:6],
        occurred_on=day(8),
        note="一网格“清洁家园”大扫除",
        now=ago(8),
    )
    for proposed in cleanup.awards.order_by("pk"):
        s.award_approve(award=proposed, actor=cadre)
    breach = award(second, "违反村规民约", 7, "在河沟边倾倒建筑垃圾，劝导后仍未清理")
    s.award_approve(award=breach, actor=cadre)
    duplicate = award(third, "志愿服务（每次）", 6, "敬老院志愿服务")
    s.award_approve(award=duplicate, actor=cadre)
    s.award_reverse(award=duplicate, actor=cadre, reason="与上一条重复登记，予以冲正")
    s.points_redeem(
        actor=clerk,
        account=first,
        item=Item.objects.get(village=village, name="洗衣粉"),
        quantity=2,
        member=first.household.members.order_by("pk").first(),
    )
    award(fourth, "清家六齐·房前屋后清扫整洁", 5, "入户检查：房前屋后干净整洁")  # past its 公示: ready
    # An objection during the 公示, recorded for a resident by the grid leader and dismissed by the cadre.
    objected = award(third, "协助调解邻里纠纷", 4, "协助调解两户宅前排水沟纠纷")
    objection = s.objection_raise(
        award=objected,
        actor=leader,
        reason="邻居反映调解是村调解员主持的，该户只是到场。",
        contact_name="王大姐",
        contact_phone="15800001234",
        now=ago(3),
    )
    s.objection_rule(
        objection=objection, actor=cadre, upheld=False, note="核实调解记录：该户主动联系双方并促成协议，异议不成立。"
    )
    s.award_approve(award=objected, actor=_user("qixing_cadre"))
    s.award_propose(
        actor=grid1,
        account=fifth,
        rule=_rule(village, "志愿服务（每次）"),
        note="参加防汛值守",
        now=now,
    )  # still in its 公示
    for account in (first, third):  # agreed to be named on the published red list
        s.account_consent(actor=cadre, account=account, consent=True)
    quarter = (today.month - 1) // 3 + 1
    if not Board.objects.filter(village=village, year=today.year, quarter=quarter).exists():
        s.board_compile(actor=cadre, village=village, year=today.year, quarter=quarter)


def _liwan_history() -> None:
    """李湾村: last quarter's awards and deductions, and its 道德红黑榜 compiled, decided by the
    道德评议会 and published (the black list stays internal)."""
    village = Village.objects.get(code=LIWAN)
    veteran, cadre = _user("liwan_veteran"), _user("liwan_cadre")
    accounts = _accounts(LIWAN, 1)
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    year, last = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
    held = datetime.date(year, 3 * (last - 1) + 2, 15)  # the middle month of last quarter
    moment = timezone.make_aware(datetime.datetime.combine(held, datetime.time(10)))
    entries = [
        (accounts[0], "协助调解邻里纠纷", "老兵说法营调解张某、马某便道纠纷"),
        (accounts[0], "志愿服务（每次）", "法治广场普法志愿服务"),
        (accounts[1], "孝老爱亲、邻里互助事迹", "照顾独居老人三年"),
        (accounts[2], "参加普法宣传活动（老兵说法营）", "参加老兵说法团普法宣讲会"),
        (accounts[3], "红白喜事大操大办、铺张浪费", "办酒席超过村规民约规定桌数"),
    ]
    for account, name, note in entries:
        proposed = s.award_propose(
            actor=veteran, account=account, rule=_rule(village, name), note=note, occurred_on=held, now=moment
        )
        s.award_approve(award=proposed, actor=cadre)
    s.account_consent(actor=cadre, account=accounts[0], consent=True)
    board = s.board_compile(actor=cadre, village=village, year=year, quarter=last)
    s.board_decide(
        board=board,
        actor=cadre,
        decision="道德评议会评议通过：红榜予以公开褒扬；黑榜按村规民约约束，取消当年评先评优资格。",
        meeting_date=min(today, datetime.date(year, 3 * last, 28)),
    )
    s.board_publish(board=board, actor=cadre)


def seed_points(log=print) -> None:
    """Add the points bank's demo data that is missing."""
    with transaction.atomic():
        _ensure_settings()
        _ensure_catalogue()
    opened = s.accounts_open_missing()
    stories = 0
    for code, build in [(QIXING, _qixing_history), (LIWAN, _liwan_history)]:
        if Award.objects.filter(village__code=code).exists():
            continue
        with transaction.atomic():
            build()
        stories += 1
    log(
        f"points: {opened} passbooks opened, {Account.objects.count()} in all, {Rule.objects.count()} rules, "
        f"{Item.objects.count()} shop items, {Objection.objects.count()} objections, {stories} village histories added"
    )
