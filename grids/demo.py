"""The demo world: 合川区's 渭沱镇 and 小沔镇, their villages, grids, households and staff.

Built through the same services the app uses, deterministically (a fixed random seed), and
idempotently: every place, account and household is looked up by its natural key first.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction

from governance.models import Assignment, Department, Notification, Role, StaffAccount
from governance.services import assignment_create, department_create, notify
from grids.idnumbers import hash_id_number, id_check_char
from grids.models import Courtyard, Grid, Household, Resident, Tag, Township, Village
from grids.services import courtyard_create, grid_create, household_create, resident_create

# bandit: the published demo password (seed_demo refuses DEBUG off).
DEMO_PASSWORD = "demo12345"  # nosec B105
AREA_CODE = "500117"  # 重庆市合川区
DISTRICT = "合川区"

TAGS = [
    ("elderly_alone", "独居老人", True),
    ("hardship", "困难户", True),
    ("left_behind_child", "留守儿童", True),
    ("disabled", "残疾人", True),
    ("subsistence", "低保户", True),
    ("veteran", "退役军人", False),
    ("party_member", "党员", False),
    ("five_guarantees", "五保户", True),
]

# The demo villages' codes, which the other apps' demo data name too.
QIXING, HUALONG, JINSHAN, COMMUNITY, LIWAN = (
    "500117101001",
    "500117101002",
    "500117101003",
    "500117101004",
    "500117102001",
)

# (township code, name, [(village code, name, is_community, grid count, [courtyards in grid 1])])
PLACES = [
    (
        "500117101",
        "渭沱镇",
        [
            (QIXING, "七星村", False, 3, []),
            (HUALONG, "化龙村", False, 2, []),
            (JINSHAN, "金山村", False, 2, []),
            (COMMUNITY, "渭沱社区", True, 2, ["方溪还房"]),
        ],
    ),
    ("500117102", "小沔镇", [(LIWAN, "李湾村", False, 3, [])]),
]

DEPARTMENTS = {
    "500117101": ["司法所", "派出所", "农业服务中心", "综治中心"],
    "500117102": ["司法所", "派出所"],
}

# username, name, role, place key, email
ACCOUNTS = [
    ("weituo_leader", "李镇长", Role.TOWNSHIP_LEADER, ("township", "500117101"), ""),
    ("weituo_official", "黄园园", Role.TOWNSHIP_OFFICIAL, ("township", "500117101"), "weituo_official@example.com"),
    ("weituo_sifasuo", "司法所 周所长", Role.DEPARTMENT_HANDLER, ("department", "500117101", "司法所"), ""),
    ("qixing_cadre", "七星村 陈书记", Role.VILLAGE_CADRE, ("village", "500117101001"), "qixing_cadre@example.com"),
    ("qixing_clerk", "七星村 积分超市 刘姐", Role.SHOP_CLERK, ("village", "500117101001"), ""),
    ("qixing_supervisor", "七星村 村务监督委员会 何主任", Role.VILLAGE_SUPERVISOR, ("village", "500117101001"), ""),
    ("qixing_grid1", "七星村一网格 王网格员", Role.GRID_WORKER, ("grid", "500117101001", 1), ""),
    ("qixing_grid2", "七星村二网格 杨网格员", Role.GRID_WORKER, ("grid", "500117101001", 2), ""),
    ("hualong_cadre", "化龙村 吴书记", Role.VILLAGE_CADRE, ("village", "500117101002"), ""),
    ("liwan_cadre", "李湾村 马书记", Role.VILLAGE_CADRE, ("village", "500117102001"), ""),
    ("xiaomian_official", "小沔镇 干部", Role.TOWNSHIP_OFFICIAL, ("township", "500117102"), ""),
    # The township administrator (镇街管理员): staff accounts, assignments, places, catalogues.
    ("weituo_admin", "渭沱镇 镇街管理员 唐主任", Role.TOWNSHIP_ADMIN, ("township", "500117101"), ""),
    # Beyond the contract's accounts: the people of the source article.
    ("weituo_community_cadre", "池洪均", Role.VILLAGE_CADRE, ("village", "500117101004"), ""),
    ("fangxi_helper", "蔚东明", Role.COURTYARD_HELPER, ("courtyard", "500117101004", 1, "方溪还房"), ""),
    ("qixing_leader1", "七星村一网格 网格长", Role.GRID_LEADER, ("grid", "500117101001", 1), ""),
    ("jinshan_cadre", "金山村 郑书记", Role.VILLAGE_CADRE, ("village", "500117101003"), ""),
    ("liwan_veteran", "李湾村 老兵说法营 网格长", Role.GRID_LEADER, ("grid", "500117102001", 1), ""),
    # 李湾村's second cadre (村委会主任): a points proposal of the secretary needs another
    # cadre's approval (maker-checker), so a village needs two.
    ("liwan_director", "李湾村 村委会 蔡主任", Role.VILLAGE_CADRE, ("village", "500117102001"), ""),
    ("weituo_nongye", "渭沱镇 农业服务中心", Role.DEPARTMENT_HANDLER, ("department", "500117101", "农业服务中心"), ""),
]

# Mobile numbers of the staff who are told of 督办 and escalations, so that `make run` prints
# their SMS on the console (governance.messaging). 1990000xxxx numbers: never anyone's.
DEMO_PHONES = {
    "weituo_leader": "19900000101",
    "weituo_official": "19900000102",
    "weituo_sifasuo": "19900000103",
    "qixing_cadre": "19900000201",
    "qixing_grid1": "19900000211",
    "qixing_grid2": "19900000212",
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢蔚池"
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华建国志文斌波成康德福贵林海"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀桂英玉兰梅琴燕萍红莲凤春菊"
STREETS = ["大院", "湾", "坡", "沟", "坝", "塆", "岭"]
HOUSEHOLDS_PER_GRID = 12


def _name(rng: random.Random, surname: str, gender: str) -> str:
    pool = GIVEN_MALE if gender == "male" else GIVEN_FEMALE
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.6 else "")
    return surname + given


def _id_number(rng: random.Random, birth: datetime.date, gender: str) -> str:
    seq = rng.randrange(0, 500) * 2 + (1 if gender == "male" else 0)  # odd = male (GB 11643)
    first17 = f"{AREA_CODE}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def _birth(rng: random.Random, low_age: int, high_age: int) -> datetime.date:
    year = 2026 - rng.randint(low_age, high_age)
    return datetime.date(year, rng.randint(1, 12), rng.randint(1, 28))


def _members(rng: random.Random, surname: str) -> list[dict]:
    """A plausible household: a head, often a spouse, children, sometimes an elder parent."""
    head_gender = "male" if rng.random() < 0.8 else "female"
    members = [
        {"relation": Resident.Relation.HEAD, "gender": head_gender, "birth": _birth(rng, 35, 78), "surname": surname}
    ]
    if rng.random() < 0.8:
        other = "female" if head_gender == "male" else "male"
        members.append(
            {
                "relation": Resident.Relation.SPOUSE,
                "gender": other,
                "birth": _birth(rng, 33, 76),
                "surname": rng.choice(SURNAMES),
            }
        )
    for _i in range(rng.choice([0, 1, 1, 2, 2, 3])):
        members.append(
            {
                "relation": Resident.Relation.CHILD,
                "gender": rng.choice(["male", "female"]),
                "birth": _birth(rng, 3, 30),
                "surname": surname,
            }
        )
    if rng.random() < 0.2:
        members.append(
            {
                "relation": Resident.Relation.PARENT,
                "gender": rng.choice(["male", "female"]),
                "birth": _birth(rng, 75, 92),
                "surname": surname,
            }
        )
    return members


def _place(key) -> object:
    kind = key[0]
    if kind == "township":
        return Township.objects.get(code=key[1])
    if kind == "village":
        return Village.objects.get(code=key[1])
    if kind == "grid":
        return Grid.objects.get(village__code=key[1], number=key[2])
    if kind == "courtyard":
        return Courtyard.objects.get(grid__village__code=key[1], grid__number=key[2], name=key[3])
    raise ValueError(kind)


def _ensure_places(log) -> None:
    for code, name, villages in PLACES:
        township, _created = Township.objects.get_or_create(code=code, defaults={"name": name, "district": DISTRICT})
        for dept in DEPARTMENTS.get(code, []):
            if not Department.objects.filter(township=township, name=dept).exists():
                department_create(township=township, name=dept)
        for vcode, vname, community, grid_count, courtyards in villages:
            village, _created = Village.objects.get_or_create(
                code=vcode, defaults={"township": township, "name": vname, "is_community": community}
            )
            for number in range(1, grid_count + 1):
                grid = Grid.objects.filter(village=village, number=number).first()
                if grid is None:
                    grid = grid_create(
                        village=village, number=number, name=f"第{'一二三四五六七八九十'[number - 1]}网格"
                    )
                if number == 1:
                    for yard in courtyards:
                        if not Courtyard.objects.filter(grid=grid, name=yard).exists():
                            courtyard_create(grid=grid, name=yard)
    townships, villages, grids = Township.objects.count(), Village.objects.count(), Grid.objects.count()
    log(f"places: {townships} townships, {villages} villages, {grids} grids")


def _ensure_tags() -> dict[str, Tag]:
    tags = {}
    for code, name, key in TAGS:
        # Key groups are visited at least monthly; everyone else twice a year (the default).
        tags[code], _created = Tag.objects.get_or_create(
            code=code, defaults={"name": name, "is_key_group": key, "visit_every_days": 30 if key else None}
        )
    return tags


def _ensure_households(log, tags: dict[str, Tag]) -> None:
    # bandit: demo data, not security; the source article's date.
    rng = random.Random(20220906)  # nosec B311
    created = 0
    for grid in Grid.objects.select_related("village").order_by("village__code", "number"):
        courtyard = Courtyard.objects.filter(grid=grid).first()
        for index in range(1, HOUSEHOLDS_PER_GRID + 1):
            # Draw every random value even for existing households, so the sequence (and so
            # the demo) is the same whichever households already exist.
            surname = rng.choice(SURNAMES)
            members = _members(rng, surname)
            for member in members:
                member["name"] = _name(rng, member["surname"], member["gender"])
                member["id_number"] = _id_number(rng, member["birth"], member["gender"])
                member["phone"] = (
                    f"1{rng.choice('3589')}{rng.randrange(10**9):09d}" if member["relation"] == "head" else ""
                )
                member["tags"] = []
                if member["relation"] == Resident.Relation.PARENT and rng.random() < 0.5:
                    member["tags"].append(tags["elderly_alone"])
                if member["relation"] == Resident.Relation.HEAD and rng.random() < 0.15:
                    member["tags"].append(tags["party_member"])
            household_tags = [tags[code] for code, _n, _k in TAGS if rng.random() < 0.08]
            street = rng.choice(STREETS)
            number = f"{grid.village.code[-3:]}-{grid.number:02d}-{index:03d}"
            if Household.objects.filter(village=grid.village, number=number).exists():
                continue
            with transaction.atomic():
                household = household_create(
                    grid=grid,
                    number=number,
                    courtyard=courtyard if courtyard and index <= 6 else None,
                    address=f"{grid.village.name}{grid.number}组{surname}家{street}{index}号",
                    phone=members[0]["phone"],
                    tags=household_tags,
                )
                for member in members:
                    if Resident.objects.filter(id_number_hash=hash_id_number(member["id_number"])).exists():
                        member["id_number"] = ""
                    resident_create(
                        household=household,
                        name=member["name"],
                        relation_to_head=member["relation"],
                        gender=member["gender"],
                        birth_date=member["birth"],
                        id_number=member["id_number"],
                        phone=member["phone"],
                        tags=member["tags"],
                    )
            created += 1
    log(f"households: {created} created, {Household.objects.count()} in all, {Resident.objects.count()} residents")


def _ensure_accounts(log) -> None:
    User = get_user_model()
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        User.objects.create_superuser("admin", "admin@example.com", DEMO_PASSWORD, first_name="管理员")
    start = datetime.date(2026, 1, 1)
    for username, name, role, key, email in ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username, email, DEMO_PASSWORD, first_name=name)
        if username in DEMO_PHONES:
            StaffAccount.objects.get_or_create(user=user, defaults={"phone": DEMO_PHONES[username]})
        if Assignment.objects.filter(user=user, role=role).exists():
            continue
        if key[0] == "department":
            department = Department.objects.get(township__code=key[1], name=key[2])
            assignment_create(user=user, role=role, department=department, valid_from=start)
        else:
            assignment_create(user=user, role=role, place=_place(key), valid_from=start)
        if not Notification.objects.filter(user=user).exists():
            notify(
                user=user,
                title="欢迎使用村治",
                body="这是演示账号。首页显示您负责的地方；右上角可以切换语言。",
                url="/",
            )
    log(f"accounts: {User.objects.count()} users, {Assignment.objects.count()} assignments")


def seed_demo(log=print) -> None:
    """Load (or complete) the demo world. Safe to run again: it adds only what is missing."""
    with transaction.atomic():
        _ensure_places(log)
        tags = _ensure_tags()
        _ensure_accounts(log)
    _ensure_households(log, tags)
