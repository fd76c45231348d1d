"""Demo matters: every state of every kind, from the cases in the source article.

Each matter is walked through the real services by the demo accounts, so its timeline is
genuine. Idempotent: a matter whose title already exists in its village is left alone.
Two public matters get fixed tracking codes so that the public status page can be tried.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from governance.models import Department
from grids.demo import COMMUNITY, HUALONG, JINSHAN, LIWAN, QIXING
from grids.models import Courtyard, Grid, Household, Village
from petitions import compact, deadlines
from petitions import services as s
from petitions.models import ClockLimit, DecisionRule, Kind, Matter, MatterCategory, Rating, Source

CATEGORIES = [
    ("neighbour_dispute", "邻里纠纷", Kind.CIVIL, 10),
    ("environment", "环境卫生", Kind.CIVIL, 20),
    ("public_facilities", "小区公共设施", Kind.CIVIL, 30),
    ("village_project", "村级项目建设", Kind.VILLAGE, 40),
    ("collective_assets", "集体资产与收益", Kind.VILLAGE, 50),
    ("village_rules", "村规民约修订", Kind.VILLAGE, 60),
    ("land_adjustment", "土地承包调整", Kind.VILLAGE, 65),
    ("legal_aid", "法律援助与调解", Kind.GOVERNMENT, 70),
    ("land_dispute", "土地承包与征地", Kind.GOVERNMENT, 80),
    ("social_security", "社会保障与救助", Kind.GOVERNMENT, 90),
    ("public_security", "社会治安", Kind.GOVERNMENT, 100),
    ("roads_water", "道路与水利", Kind.GOVERNMENT, 110),
]

# The rule each 村事 category is decided by (petitions.procedure); the rest are simple.
DECISION_RULES = {
    "collective_assets": DecisionRule.MEMBERS_MEETING,
    "village_rules": DecisionRule.COMPACT,
    "land_adjustment": DecisionRule.LAND,
}

DEMO_CODES = {"sifasuo": "demo-sifasuo-wage", "jinshan": "demo-jinshan-road", "review": "demo-qixing-sewage"}


def _user(username):
    return get_user_model().objects.get(username=username)


def _category(code) -> MatterCategory:
    return MatterCategory.objects.get(code=code)


def _grid(village_code, number) -> Grid:
    return Grid.objects.get(village__code=village_code, number=number)


def _household(grid: Grid, index: int = 0) -> Household:
    return Household.objects.filter(grid=grid).order_by("number")[index]


def _ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def _staff(actor, grid: Grid, title: str, description: str, category: str, index: int = 0, **extra) -> Matter:
    household = _household(grid, index)
    return s.matter_submit(
        actor=_user(actor),
        title=title,
        description=description,
        grid=grid,
        household=household,
        source=extra.pop("source", Source.VISIT),
        submitter_name=household.head_name,
        submitter_phone=household.phone,
        category=_category(category),
        **extra,
    )


def _public(village_code: str, title: str, description: str, name: str, phone: str, grid: int | None = None) -> Matter:
    return s.matter_submit_public(
        title=title,
        description=description,
        village=Village.objects.get(code=village_code),
        grid=_grid(village_code, grid) if grid else None,
        submitter_name=name,
        submitter_phone=phone,
    )


def _village_matter(title: str, description: str, category: str, *, grid: int) -> Matter:
    """A 七星村 村事 that its cadre records at the office (walk-in) for grid `grid` and classifies."""
    matter = _staff("qixing_cadre", _grid(QIXING, grid), title, description, category, source=Source.WALK_IN)
    s.matter_classify(matter=matter, actor=_user("qixing_cadre"), kind=Kind.VILLAGE, category=_category(category))
    return matter


def ensure_categories() -> None:
    for code, name, kind, order in CATEGORIES:
        rule = DECISION_RULES.get(code, DecisionRule.SIMPLE)
        MatterCategory.objects.get_or_create(
            code=code, defaults={"name": name, "default_kind": kind, "order": order, "decision_rule": rule}
        )


def street_lights() -> None:
    """方溪还房's stairwell lights, settled by a 院坝会 (civil, closed, satisfied)."""
    grid = _grid(COMMUNITY, 1)
    yard = Courtyard.objects.get(grid=grid, name="方溪还房")
    household = Household.objects.filter(courtyard=yard).order_by("number").first()
    helper, cadre = _user("fangxi_helper"), _user("weituo_community_cadre")
    matter = s.matter_submit(
        actor=helper,
        title="方溪还房楼道路灯停电不亮",
        description="小区内所有楼道路灯一直停电不亮，老人晚上出行不便。",
        grid=grid,
        household=household,
        source=Source.VISIT,
        submitter_name=household.head_name,
        submitter_phone=household.phone,
        on_behalf=True,
        category=_category("public_facilities"),
    )
    s.matter_classify(matter=matter, actor=cadre, kind=Kind.CIVIL, category=_category("public_facilities"))
    s.matter_deliberate(
        matter=matter,
        actor=cadre,
        kind="meeting",
        held_on=_ago(20),
        summary="社区书记池洪均、党员干部蔚海堂、协商议事团成员蔚东明到方溪还房召开院坝会：居民同意由物业先行垫付，"
        "社区协调供电所检修线路。",
        attendees=["池洪均", "蔚海堂", "蔚东明", "方溪还房居民代表 12 人"],
    )
    s.matter_handle(matter=matter, actor=cadre, handler=helper)
    s.matter_report(matter=matter, actor=helper, result="供电所检修了线路，更换 24 盏楼道灯，已全部恢复照明。")
    s.matter_verify(matter=matter, actor=cadre, passed=True, note="逐栋查看，照明正常。")
    # 回访 by the township, independent of the handler (the helper) and the verifier (the cadre).
    s.matter_evaluate(
        matter=matter,
        actor=_user("weituo_official"),
        rating=Rating.SATISFIED,
        comment="回访：居民很满意。",
        method="phone",
    )


def road_dispute() -> None:
    """李湾村: a neighbour's hardened path on farmland, mediated by the 老兵说法营 (civil, evaluating)."""
    grid = _grid(LIWAN, 1)
    veteran, cadre = _user("liwan_veteran"), _user("liwan_cadre")
    matter = _staff(
        "liwan_veteran",
        grid,
        "张某硬化便道占用马某耕地",
        "张某硬化自家便道，邻居马某认为道路侵占了自己的耕地，要求解释和补偿，否则阻挠施工。",
        "neighbour_dispute",
        index=1,
    )
    s.matter_classify(matter=matter, actor=veteran, kind=Kind.CIVIL, category=_category("neighbour_dispute"))
    s.matter_deliberate(
        matter=matter,
        actor=veteran,
        kind="mediation",
        held_on=_ago(12),
        summary="老兵说法营从情、理、法三方面劝导双方。",
        attendees=["老兵说法营 5 名老兵党员"],
        parties=["张某", "马某"],
        facts="便道约 30 米，其中约 8 米经过马某承包地边沿。",
        agreed_terms="张某一次性补偿马某 1200 元；马某不再阻挠施工；便道建成后两户共同使用。",
        signed_by=["张某", "马某", "李湾村老兵说法营"],
    )
    s.matter_handle(matter=matter, actor=veteran, handler=veteran)
    s.matter_report(matter=matter, actor=veteran, result="补偿款已当面交付，便道已完工，双方握手言和。")
    s.matter_verify(matter=matter, actor=cadre, passed=True, note="双方确认协议已履行。")


def renovation_plan() -> None:
    """七星村's 风貌改造续建 plan: a 村事 part-way through the seven steps (steps 1 to 4)."""
    cadre = _user("qixing_cadre")
    matter = _village_matter(
        "风貌改造续建项目方案",
        "续建风貌改造，需协商调剂群众土地 10 余亩，涉及群众 50 余户。",
        "village_project",
        grid=1,
    )
    minutes = {
        1: "收集群众意见 56 条，形成续建方案草案。",
        2: "村党支部提议将续建方案提交两委会商议。",
        3: "两委会商议通过方案，明确土地调剂办法。",
        4: "党员大会审议，党员 32 人到会，一致同意提交村民代表会议表决。",
    }
    _first_four_steps(matter, cadre, minutes, first=30, every=5, present=32)


def land_adjustment() -> None:
    """七星村 二组's land contract adjustment (土地承包调整): the villagers' meeting carried it with
    two thirds of all its members, announced 12 days ahead; it waits for 渭沱镇's approval."""
    matter = _village_matter(
        "二组土地承包调整方案",
        "风貌改造续建需调剂二组群众土地 10 余亩，涉及 50 余户，按人口变化小调整承包地。",
        "land_adjustment",
        grid=2,
    )
    minutes = {
        1: "逐户走访二组 52 户，收集调整意见，形成调整方案草案。",
        2: "村党支部提议将土地承包调整方案提交两委会商议。",
        3: "两委会商议方案，明确调整面积与补偿办法。",
        4: "党员大会审议方案，同意提交村民会议表决。",
    }
    vote = {
        "summary": "二组村民会议表决土地承包调整方案：应到 150 人，实到 132 人，赞成 108 人。",
        "body": "villagers_meeting",
        "announced_on": _ago(22),
        "entitled": 150,
        "present": 132,
        "in_favour": 108,
        "against": 16,
        "abstain": 8,
    }
    seven_steps(
        matter,
        _user("qixing_cadre"),
        minutes,
        vote=vote,
        days=(40, 3, 10, 8),
        present=30,
        published="表决结果在村务公开栏张贴公示 7 天。",
    )


def _first_four_steps(matter: Matter, cadre, minutes: dict[int, str], *, first: int, every: int, present: int) -> None:
    """The minutes of steps 1 to 4 of the 七步走, step n held `first - n * every` days ago; step 4
    (the 党员大会) records that `present` of the 35 party members came."""
    for step, summary in minutes.items():
        attendance = {"entitled": 35, "present": present} if step == 4 else {}
        held_on = _ago(first - step * every)
        s.matter_deliberate(
            matter=matter, actor=cadre, kind="step", step=step, held_on=held_on, summary=summary, **attendance
        )


def seven_steps(
    matter: Matter,
    cadre,
    minutes: dict[int, str],
    *,
    vote: dict,
    days: tuple[int, int, int, int],
    present: int = 31,
    published: str = "表决结果在村务公开栏张贴公示。",
) -> None:
    """Steps 1 to 6 of the 七步走 of a 村事 (also the points demo's 积分细则): the minutes of steps 1
    to 4, the vote of step 5 (`vote`: its summary, body, counts and announcement) and the
    resolution published (step 6, `published`). `days` = (first, every, voted, published): step n
    of 1 to 4 held `first - n * every` days ago, the vote `voted` days ago, the publication
    `published` days ago."""
    first, every, voted, published_ago = days
    _first_four_steps(matter, cadre, minutes, first=first, every=every, present=present)
    s.matter_deliberate(matter=matter, actor=cadre, kind="step", step=5, held_on=_ago(voted), **vote)
    s.matter_deliberate(matter=matter, actor=cadre, kind="step", step=6, held_on=_ago(published_ago), summary=published)


def pond_repair() -> None:
    """七星村's 山坪塘 repair: a 村事 decided by the 村民代表会议, done and reported (step 7); it waits
    for its check (督) by the 村务监督委员会 or 渭沱镇 (verifying)."""
    cadre = _user("qixing_cadre")
    matter = _village_matter(
        "一组山坪塘清淤整治", "一组山坪塘淤积严重，蓄水不足，影响 30 余户灌溉。", "village_project", grid=1
    )
    minutes = {
        1: "走访一组 34 户，收集清淤整治意见。",
        2: "村党支部提议实施山坪塘清淤整治。",
        3: "两委会商议整治方案和经费来源（一事一议）。",
        4: "党员大会审议整治方案，同意提交村民代表会议表决。",
    }
    vote = {
        "summary": "村民代表会议表决山坪塘清淤整治方案：应到 45 人，实到 40 人，赞成 37 人。",
        "body": "representatives_meeting",
        "entitled": 45,
        "present": 40,
        "in_favour": 37,
        "against": 2,
        "abstain": 1,
    }
    seven_steps(matter, cadre, minutes, vote=vote, days=(40, 2, 30, 28))
    s.matter_handle(matter=matter, actor=cadre, handler=_user("qixing_grid1"))
    s.matter_report(
        matter=matter,
        actor=_user("qixing_grid1"),
        result="清淤约 2000 立方米，加固塘堤 60 米，费用 3.2 万元已在村务公开栏公示。",
    )


# 七星村's compact, version 1: the 村民公约 the article describes (环境治理, the “十不” rules, 红白喜事
# 倡议, 移风易俗, 邻里和睦, 孝老爱亲, 俭以养德 ...), in short articles.
COMPACT_TITLE = "七星村村规民约"
COMPACT_PREAMBLE = (
    "为推进村民自治，建设文明和谐、美丽宜居的七星村，经村民会议讨论通过，制定本村规民约，全体村民共同遵守。"
)
COMPACT_ARTICLES = [
    ("爱党爱国", "热爱祖国，拥护党的领导，遵守国家法律法规，依法行使权利、履行义务。"),
    ("环境卫生", "爱护村容村貌，房前屋后保持整洁，垃圾分类投放到指定地点，不乱倒乱堆、不焚烧秸秆。"),
    ("“十不”行为规范（一）", "不乱搭乱建，不乱占耕地，不在公路和沟渠边堆放杂物，不损坏道路、水利等公共设施。"),
    ("“十不”行为规范（二）", "不赌博、不吸毒、不酗酒滋事，不参与封建迷信和非法宗教活动，不信谣不传谣。"),
    ("“十不”行为规范（三）", "不打架斗殴，不高空抛物，不乱放家禽家畜，不在河沟电鱼毒鱼。"),
    ("移风易俗", "倡导喜事新办、丧事简办、其他事不办，反对铺张浪费和人情攀比。"),
    ("邻里和睦", "邻里之间互谅互让、守望相助；发生纠纷先协商，协商不成请网格员、调解员调解，不激化矛盾。"),
    ("孝老爱亲", "尊老爱幼，赡养老人，关爱留守儿童和独居老人，不虐待、不遗弃家庭成员。"),
    ("俭以养德", "勤俭持家，文明就餐，节约用水用电，践行节俭健康文明的生活方式。"),
    ("平安建设", "安全用火用电用气，配合做好防汛、防火和疫情防控，发现隐患及时报告网格员。"),
    ("村民议事", "积极参加村民会议和院坝会，对村务提出意见建议，监督村务公开。"),
    ("奖惩", "遵守本公约的户按积分细则给予积分奖励；违反本公约的，由村民委员会批评教育、责令改正。"),
]
SIMPLE_CEREMONIES = (
    "红白喜事简办",
    "红白喜事提前向村红白理事会报备；婚事宴席不超过 15 桌，丧事办理不超过 3 天，不大操大办、不燃放大型烟花，"
    "不借机收受人情。",
)
COMPACT_V1 = "制定七星村村规民约"


def _compact_matter(title: str, description: str, *, grid: int, articles) -> Matter:
    """A 村事 on 七星村's compact: its cadre records it and drafts the next version of the
    compact, with `articles` added (to the copy of the articles in force), proposed by the matter."""
    cadre = _user("qixing_cadre")
    matter = _village_matter(title, description, "village_rules", grid=grid)
    version = compact.compact_version_draft(village=Village.objects.get(code=QIXING), actor=cadre)
    compact.compact_version_edit(version=version, actor=cadre, title=COMPACT_TITLE, preamble=COMPACT_PREAMBLE)
    for article_title, text in articles:
        compact.compact_article_add(version=version, actor=cadre, title=article_title, text=text)
    compact.compact_version_propose(version=version, actor=cadre, matter=matter)
    return matter


def compact_first_version() -> None:
    """七星村's compact, version 1: adopted by the 村民会议 a year ago, filed (备案) by 渭沱镇 and in
    force; its 村事 carried out, checked and closed."""
    cadre, official = _user("qixing_cadre"), _user("weituo_official")
    matter = _compact_matter(
        COMPACT_V1,
        "村党支部牵头订立村民公约，把环境治理、“十不”行为规范、红白喜事倡议纳入公约，形成治理共识。",
        grid=1,
        articles=COMPACT_ARTICLES,
    )
    minutes = {
        1: "开展“村民公约大家说”主题党日活动，各网格收集意见 86 条。",
        2: "村党支部提议订立村规民约。",
        3: "两委会商议公约草案，征求镇司法所意见。",
        4: "党员大会审议公约草案，同意提交村民会议表决。",
    }
    vote = {
        "summary": "村民会议表决村规民约：应到 615 人，实到 452 人，赞成 430 人。",
        "body": "villagers_meeting",
        "announced_on": _ago(400),
        "entitled": 615,
        "present": 452,
        "in_favour": 430,
        "against": 12,
        "abstain": 10,
    }
    seven_steps(matter, cadre, minutes, vote=vote, days=(398, 2, 388, 386))
    s.matter_record_filing(matter=matter, actor=official, filed=True, filed_on=_ago(380), reason="镇民政办备案")
    s.matter_handle(matter=matter, actor=cadre, handler=_user("qixing_grid1"))
    s.matter_report(
        matter=matter,
        actor=_user("qixing_grid1"),
        result="村规民约印发到户，张贴在村务公开栏和各院落，党员分网格宣讲。",
    )
    s.matter_verify(matter=matter, actor=official, passed=True, note="抽查三个院落，公约已上墙、村民知晓。")
    s.matter_evaluate(
        matter=matter,
        actor=_user("qixing_supervisor"),
        rating=Rating.SATISFIED,
        comment="回访：村民认可公约内容。",
        method="visit",
    )


def compact_revision() -> None:
    """七星村's 村规民约 revision (version 2: 红白喜事简办): adopted by the 村民会议 (announced 12 days
    ahead), waiting to be filed (备案) by 渭沱镇."""
    matter = _compact_matter(
        "修订村规民约（红白喜事简办）",
        "群众反映红白喜事大操大办、人情攀比负担重，提议在村规民约中增加简办条款。",
        grid=2,
        articles=[SIMPLE_CEREMONIES],
    )
    minutes = {
        1: "召开院坝会 6 场，收集修订意见 41 条。",
        2: "村党支部提议修订村规民约，增加红白喜事简办条款。",
        3: "两委会商议修订稿，征求镇司法所意见。",
        4: "党员大会审议修订稿，同意提交村民会议表决。",
    }
    vote = {
        "summary": "村民会议表决村规民约修订稿：应到 620 人，实到 468 人，赞成 431 人。",
        "body": "villagers_meeting",
        "announced_on": _ago(40),
        "entitled": 620,
        "present": 468,
        "in_favour": 431,
        "against": 22,
        "abstain": 15,
    }
    seven_steps(matter, _user("qixing_cadre"), minutes, vote=vote, days=(38, 2, 28, 26))


def wage_arrears() -> None:
    """化龙村: a 政事 from the public form, accepted by 渭沱镇 and assigned to 司法所, which has
    not signed for it yet (handling, awaiting sign-off: 签收)."""
    matter = _public(
        HUALONG,
        "务工工资被拖欠，请求法律援助",
        "在镇上工地务工三个月，工资 1.8 万元至今未结。",
        "吴某",
        "15923456781",
        grid=1,
    )
    Matter.objects.filter(pk=matter.pk).update(tracking_code=DEMO_CODES["sifasuo"])
    official = _user("weituo_official")
    s.matter_classify(
        matter=matter, actor=_user("hualong_cadre"), kind=Kind.GOVERNMENT, category=_category("legal_aid")
    )
    s.matter_deliberate(
        matter=matter, actor=official, kind="review", held_on=_ago(3), summary="镇综治中心受理，转司法所限时承办。"
    )
    s.matter_handle(
        matter=matter,
        actor=official,
        department=Department.objects.get(township__code="500117101", name="司法所"),
        deadline=timezone.now() + datetime.timedelta(days=10),
    )
    # 司法所 asks the township for a week more (the employer is away); the decision is pending.
    matter.refresh_from_db()
    s.matter_request_extension(
        matter=matter,
        actor=_user("weituo_sifasuo"),
        deadline=matter.deadline + datetime.timedelta(days=7),
        reason="包工头外出务工，需等其返乡后组织调解。",
    )


def sewage_review() -> None:
    """七星村: a burst sewage pipe, handled and verified, the resident not satisfied: under
    review one level up (复查), by code; the cadre verified it, so 渭沱镇 decides the review."""
    matter = _public(QIXING, "村道边排污管破裂", "二组村道边排污管破裂，污水漫到路面。", "陈某", "15734567890", grid=2)
    Matter.objects.filter(pk=matter.pk).update(tracking_code=DEMO_CODES["review"])
    cadre, worker2 = _user("qixing_cadre"), _user("qixing_grid2")
    s.matter_classify(matter=matter, actor=cadre, kind=Kind.CIVIL, category=_category("environment"))
    s.matter_deliberate(
        matter=matter, actor=worker2, kind="meeting", held_on=_ago(6), summary="院坝会：先临时封堵，再换管。"
    )
    s.matter_handle(matter=matter, actor=worker2, handler=worker2)
    s.matter_report(matter=matter, actor=worker2, result="已用管箍临时封堵破裂处。")
    s.matter_verify(matter=matter, actor=cadre, passed=True, note="现场查看，已不漏水。")
    s.matter_request_review(matter=matter, actor=None, reason="只是临时封堵，下雨又漏，没有换管。")


def late_acceptance() -> None:
    """七星村: a public matter nobody classified in time (submitted, acceptance overdue: 受理 督办)."""
    matter = _public(
        QIXING, "村道边护栏被撞坏", "二组村道急弯处护栏被货车撞坏，晚上很危险。", "周某", "15812345670", grid=2
    )
    submitted = timezone.now() - datetime.timedelta(days=20)
    clock = deadlines.start_acceptance(matter, ClockLimit.Clock.VILLAGE_ACCEPTANCE, now=submitted)
    Matter.objects.filter(pk=matter.pk).update(created_at=submitted, **{f: getattr(matter, f) for f in clock})
    matter.events.update(created_at=submitted)
    # The sweep's mark, as the periodic task would have made it once the limit ended.
    deadlines.sweep_one(matter, "accept_overdue")


def machine_road() -> None:
    """金山村: a collapsed farm road, handled by 农业服务中心 and verified (evaluating, by code)."""
    matter = _public(
        JINSHAN, "机耕道塌方影响春耕", "二组机耕道雨后塌方约 5 米，农机无法通行。", "郑某", "15823456782", grid=2
    )
    Matter.objects.filter(pk=matter.pk).update(tracking_code=DEMO_CODES["jinshan"])
    official = _user("weituo_official")
    s.matter_classify(
        matter=matter, actor=_user("jinshan_cadre"), kind=Kind.GOVERNMENT, category=_category("roads_water")
    )
    s.matter_deliberate(matter=matter, actor=official, kind="review", held_on=_ago(9), summary="受理，交农业服务中心。")
    s.matter_handle(
        matter=matter,
        actor=official,
        department=Department.objects.get(township__code="500117101", name="农业服务中心"),
    )
    s.matter_report(matter=matter, actor=_user("weituo_nongye"), result="已清理塌方并浇筑挡墙 5 米，机耕道恢复通行。")
    s.matter_verify(matter=matter, actor=_user("weituo_leader"), passed=True, note="现场查看，质量合格。")


def qixing_queue() -> None:
    """七星村's everyday queue: one to classify, one classified, one to verify, a duplicate, a withdrawal."""
    grid1, grid2 = _grid(QIXING, 1), _grid(QIXING, 2)
    cadre, worker1, worker2 = _user("qixing_cadre"), _user("qixing_grid1"), _user("qixing_grid2")
    _public(QIXING, "河沟垃圾堆积发臭", "一组河沟里垃圾堆积，天热发臭。", "李某", "15712345678", grid=1)
    noisy = _staff("qixing_grid2", grid2, "邻居夜间施工噪音扰民", "邻居晚上十点后还在装修。", "neighbour_dispute")
    s.matter_classify(matter=noisy, actor=cadre, kind=Kind.CIVIL, category=_category("neighbour_dispute"))
    drain = _staff("qixing_grid1", grid1, "院坝排水沟堵塞", "院坝排水沟被泥沙堵塞，下雨积水。", "environment", index=2)
    s.matter_classify(matter=drain, actor=cadre, kind=Kind.CIVIL, category=_category("environment"))
    s.matter_deliberate(matter=drain, actor=worker1, kind="meeting", held_on=_ago(4), summary="院坝会：各户出工清淤。")
    s.matter_handle(matter=drain, actor=worker1, handler=worker1)
    s.matter_report(matter=drain, actor=worker1, result="组织 8 户出工，排水沟已清通。")
    again = _staff("qixing_grid1", grid1, "排水沟堵了没人管", "同一条排水沟。", "environment", index=3)
    s.matter_reject(matter=again, actor=cadre, reason="与“院坝排水沟堵塞”是同一件事。", duplicate_of=drain)
    _ = worker2
    gone = _public(JINSHAN, "想咨询低保政策", "家里老人生病，想了解低保怎么申请。", "杨某", "15612345679")
    s.matter_withdraw(matter=gone, actor=None, reason="已到村便民服务中心问清楚了。")


BUILDERS = [
    (COMMUNITY, "方溪还房楼道路灯停电不亮", street_lights),
    (LIWAN, "张某硬化便道占用马某耕地", road_dispute),
    (QIXING, "风貌改造续建项目方案", renovation_plan),
    (QIXING, "二组土地承包调整方案", land_adjustment),
    (HUALONG, "务工工资被拖欠，请求法律援助", wage_arrears),
    (JINSHAN, "机耕道塌方影响春耕", machine_road),
    (QIXING, "村道边护栏被撞坏", late_acceptance),
    (QIXING, "河沟垃圾堆积发臭", qixing_queue),
    (QIXING, "村道边排污管破裂", sewage_review),
    (QIXING, "一组山坪塘清淤整治", pond_repair),
    (QIXING, COMPACT_V1, compact_first_version),
    (QIXING, "修订村规民约（红白喜事简办）", compact_revision),
]


def seed_matters(log=print) -> None:
    """Add the category catalogue and the demo matters that are missing."""
    with transaction.atomic():
        ensure_categories()
    created = 0
    for village_code, title, build in BUILDERS:
        if Matter.objects.filter(village__code=village_code, title=title).exists():
            continue
        with transaction.atomic():
            build()
        created += 1
    log(f"matters: {created} stories added, {Matter.objects.count()} matters in all")
