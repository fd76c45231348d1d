"""The register's columns and words, shared by the import and the export.

The template's headers and widths, the names villages' own registers give each column
(ALIASES), and the words the register writes for relations (with GB/T 4761's family
relation codes), genders and statuses: one table each, read both ways.
"""

from governance.uploads import Column
from grids.models import Resident

SHEET_NAME = "户籍台账"
HEADER_SCAN_ROWS = 10  # a village's own 台账 often has title rows above its header


COLUMNS = [
    Column("village", "村（社区）", 12, True),
    Column("grid", "网格", 10, True),
    Column("courtyard", "院落", 12),
    Column("household_number", "户号", 14, True),
    Column("address", "家庭住址", 28),
    Column("name", "姓名", 10, True),
    Column("relation", "与户主关系", 10, True),
    Column("gender", "性别", 6, True),
    Column("birth_date", "出生日期", 12),
    Column("id_number", "公民身份号码", 21),
    Column("phone", "联系电话", 14),
    Column("ethnicity", "民族", 8),
    Column("status", "居住状态", 10),
    Column("household_tags", "户标签", 18),
    Column("resident_tags", "人员标签", 18),
    Column("notes", "备注", 20),
]
# The names villages' own registers give each column, beside the template's. A header is
# compared without spaces, "*" marks and with half-width brackets (see header_key).
ALIASES = {
    "village": ["村（社区）", "村(社区)", "村/社区", "村社区", "村", "村名", "社区", "所属村", "所属村（社区）"],
    "grid": ["网格", "网格号", "网格名称", "所属网格"],
    "courtyard": ["院落", "院落名称", "所属院落"],
    "household_number": ["户号", "户编号", "户口编号", "家庭户号"],
    "address": ["家庭住址", "住址", "地址", "家庭地址", "现住址", "居住地址"],
    "name": ["姓名", "名字", "成员姓名"],
    "relation": ["与户主关系", "与户主的关系", "关系", "家庭关系"],
    "gender": ["性别"],
    "birth_date": ["出生日期", "出生年月", "出生年月日", "生日"],
    "id_number": ["公民身份号码", "身份证号码", "身份证号", "身份证", "公民身份证号码", "公民身份证号", "身份号码"],
    "phone": ["联系电话", "电话", "电话号码", "手机", "手机号", "手机号码", "联系方式"],
    "ethnicity": ["民族"],
    "status": ["居住状态", "状态", "人员状态", "在家状态"],
    "household_tags": ["户标签", "户类别", "家庭标签"],
    "resident_tags": ["人员标签", "人员类别", "个人标签"],
    "notes": ["备注", "说明"],
}
# Columns that number the rows and say nothing about a person: recognised, and not read.
ROW_NUMBER_HEADERS = ["序号", "编号", "No", "No."]


def header_key(value) -> str:
    """A header as compared: without spaces or "*" marks, with half-width brackets."""
    text = "" if value is None else str(value)
    for old, new in (("（", "("), ("）", ")"), ("*", ""), ("＊", "")):
        text = text.replace(old, new)
    return "".join(text.split())


HEADERS = {header_key(alias): c for c in COLUMNS for alias in ALIASES[c.key]}
IGNORED_HEADERS = {header_key(h) for h in ROW_NUMBER_HEADERS}

_R = Resident.Relation
# The template's words, and the family relations of GB/T 4761 (家庭关系代码) as every
# 户口簿 writes them, by name or by code, mapped onto the register's coarser relations.
RELATIONS = {
    "户主": _R.HEAD,
    "本人": _R.HEAD,
    "配偶": _R.SPOUSE,
    "妻": _R.SPOUSE,
    "夫": _R.SPOUSE,
    "妻子": _R.SPOUSE,
    "丈夫": _R.SPOUSE,
    "子女": _R.CHILD,
    "儿媳女婿": _R.CHILD_IN_LAW,
    "孙子女": _R.GRANDCHILD,
    "祖父母": _R.GRANDPARENT,
    "兄弟姐妹": _R.SIBLING,
    "其他": _R.OTHER,
}
GB_T_4761 = {
    "01": ("本人", _R.HEAD),
    "02": ("户主", _R.HEAD),
    "10": ("配偶", _R.SPOUSE),
    "11": ("夫", _R.SPOUSE),
    "12": ("妻", _R.SPOUSE),
    "20": ("子", _R.CHILD),
    "21": ("独生子", _R.CHILD),
    "22": ("长子", _R.CHILD),
    "23": ("次子", _R.CHILD),
    "24": ("三子", _R.CHILD),
    "25": ("四子", _R.CHILD),
    "26": ("五子", _R.CHILD),
    "27": ("养子或继子", _R.CHILD),
    "28": ("女婿", _R.CHILD_IN_LAW),
    "29": ("其他儿子", _R.CHILD),
    "30": ("女", _R.CHILD),
    "31": ("独生女", _R.CHILD),
    "32": ("长女", _R.CHILD),
    "33": ("次女", _R.CHILD),
    "34": ("三女", _R.CHILD),
    "35": ("四女", _R.CHILD),
    "36": ("五女", _R.CHILD),
    "37": ("养女或继女", _R.CHILD),
    "38": ("儿媳", _R.CHILD_IN_LAW),
    "39": ("其他女儿", _R.CHILD),
    "40": ("孙子、孙女或外孙子、外孙女", _R.GRANDCHILD),
    "41": ("孙子", _R.GRANDCHILD),
    "42": ("孙女", _R.GRANDCHILD),
    "43": ("外孙子", _R.GRANDCHILD),
    "44": ("外孙女", _R.GRANDCHILD),
    "45": ("孙媳妇或外孙媳妇", _R.GRANDCHILD),
    "46": ("孙女婿或外孙女婿", _R.GRANDCHILD),
    "47": ("曾孙子或外曾孙子", _R.GRANDCHILD),
    "48": ("曾孙女或外曾孙女", _R.GRANDCHILD),
    "49": ("其他孙子、孙女或外孙子、外孙女", _R.GRANDCHILD),
    "50": ("父母", _R.PARENT),
    "51": ("父亲", _R.PARENT),
    "52": ("母亲", _R.PARENT),
    "53": ("公公", _R.PARENT),
    "54": ("婆婆", _R.PARENT),
    "55": ("岳父", _R.PARENT),
    "56": ("岳母", _R.PARENT),
    "57": ("继父或养父", _R.PARENT),
    "58": ("继母或养母", _R.PARENT),
    "59": ("其他父母关系", _R.PARENT),
    "60": ("祖父母或外祖父母", _R.GRANDPARENT),
    "61": ("祖父", _R.GRANDPARENT),
    "62": ("祖母", _R.GRANDPARENT),
    "63": ("外祖父", _R.GRANDPARENT),
    "64": ("外祖母", _R.GRANDPARENT),
    "65": ("配偶的祖父母或外祖父母", _R.GRANDPARENT),
    "66": ("曾祖父", _R.GRANDPARENT),
    "67": ("曾祖母", _R.GRANDPARENT),
    "68": ("配偶的曾祖父母或外曾祖父母", _R.GRANDPARENT),
    "69": ("其他祖父母或外祖父母关系", _R.GRANDPARENT),
    "70": ("兄弟姐妹", _R.SIBLING),
    "71": ("兄", _R.SIBLING),
    "72": ("嫂", _R.SIBLING),
    "73": ("弟", _R.SIBLING),
    "74": ("弟媳", _R.SIBLING),
    "75": ("姐姐", _R.SIBLING),
    "76": ("姐夫", _R.SIBLING),
    "77": ("妹妹", _R.SIBLING),
    "78": ("妹夫", _R.SIBLING),
    "79": ("其他兄弟姐妹", _R.SIBLING),
    "80": ("其他", _R.OTHER),
    "81": ("伯父", _R.OTHER),
    "82": ("伯母", _R.OTHER),
    "83": ("叔父", _R.OTHER),
    "84": ("婶母", _R.OTHER),
    "85": ("舅父", _R.OTHER),
    "86": ("舅母", _R.OTHER),
    "87": ("姨父", _R.OTHER),
    "88": ("姨母", _R.OTHER),
    "89": ("姑父", _R.OTHER),
    "90": ("姑母", _R.OTHER),
    "91": ("堂兄弟、堂姐妹", _R.OTHER),
    "92": ("表兄弟、表姐妹", _R.OTHER),
    "93": ("侄子", _R.OTHER),
    "94": ("侄女", _R.OTHER),
    "95": ("外甥", _R.OTHER),
    "96": ("外甥女", _R.OTHER),
    "97": ("其他亲属", _R.OTHER),
    "99": ("非亲属", _R.OTHER),
}
for _code, (_name, _relation) in GB_T_4761.items():
    RELATIONS.setdefault(_name, _relation)
    RELATIONS.setdefault(_code, _relation)
    for _part in _name.replace("或", "、").split("、"):
        RELATIONS.setdefault(_part, _relation)
# Everyday words for the same relations, as registers are written by hand.
RELATIONS.update(
    {
        w: r
        for r, words in (
            (_R.CHILD, ["儿子", "女儿", "长男", "次男", "养子", "养女", "继子", "继女"]),
            (_R.GRANDCHILD, ["孙", "外孙", "长孙", "孙媳", "孙女婿", "曾孙", "曾孙女"]),
            (_R.PARENT, ["父", "母", "父母亲"]),
            (_R.SIBLING, ["哥哥", "弟弟", "姐", "妹", "兄弟", "姐妹"]),
            (_R.OTHER, ["侄儿", "亲属", "非亲属", "朋友"]),
        )
        for w in words
        if w not in RELATIONS
    }
)
RELATION_LABELS = {
    Resident.Relation.HEAD: "户主",
    Resident.Relation.SPOUSE: "配偶",
    Resident.Relation.CHILD: "子女",
    Resident.Relation.CHILD_IN_LAW: "儿媳女婿",
    Resident.Relation.PARENT: "父母",
    Resident.Relation.GRANDCHILD: "孙子女",
    Resident.Relation.GRANDPARENT: "祖父母",
    Resident.Relation.SIBLING: "兄弟姐妹",
    Resident.Relation.OTHER: "其他",
}
GENDERS = {"男": Resident.Gender.MALE, "女": Resident.Gender.FEMALE}
GENDER_LABELS = {v: k for k, v in GENDERS.items()}
STATUSES = {
    "在家": Resident.Status.RESIDENT,
    "常住": Resident.Status.RESIDENT,
    "外出": Resident.Status.AWAY,
    "迁出": Resident.Status.MOVED_OUT,
    "死亡": Resident.Status.DECEASED,
}
STATUS_LABELS = {
    Resident.Status.RESIDENT: "在家",
    Resident.Status.AWAY: "外出",
    Resident.Status.MOVED_OUT: "迁出",
    Resident.Status.DECEASED: "死亡",
}
TAG_SEPARATORS = ("、", ",", "，", ";", "；", " ")

HEADERS_BY_KEY = {c.key: c.header for c in COLUMNS}
