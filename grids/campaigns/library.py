"""The small library of campaign forms a township starts from (in Chinese, as they are used).

Each is a form in questionnaire's JSON; `Form.from_json` checks it like any other (a test
loads every one). The findings name the demo catalogue's categories; a township whose catalogue
has other codes changes them in the builder before starting (starting says which is missing).
"""

from dataclasses import dataclass

from grids.campaigns.questionnaire import Form


@dataclass(frozen=True)
class Template:
    code: str
    title: str
    purpose: str
    form: list


def _q(name, kind, label, *, required=True, **extra) -> dict:
    """One question; `extra` adds relevant, choices, constraint, findings, hint."""
    return {"name": name, "kind": kind, "label": label, "required": required, **extra}


def _yes_no(name, label, **extra) -> dict:
    return _q(name, "yes_no", label, **extra)


def _one_of(name, label, choices, **extra) -> dict:
    return _q(name, "select_one", label, choices=choices, **extra)


def _note(name, label, relevant) -> dict:
    return _q(name, "text", label, relevant=relevant)


GAS = Template(
    code="gas_safety",
    title="燃气安全排查",
    purpose="入户检查燃气使用安全，发现隐患当场告知并登记整改。",
    form=[
        _yes_no("uses_gas", "是否使用燃气（管道气或液化气）"),
        _one_of(
            "gas_kind",
            "燃气类型",
            [["pipe", "管道天然气"], ["lpg", "瓶装液化气"], ["both", "两者都有"]],
            relevant="${uses_gas} = 'yes'",
        ),
        _yes_no("hose_ok", "软管是否完好、未超期（不超过2年）", relevant="${uses_gas} = 'yes'"),
        _yes_no("alarm", "是否安装燃气报警器", relevant="${uses_gas} = 'yes'"),
        _yes_no(
            "hazard",
            "是否发现安全隐患",
            relevant="${uses_gas} = 'yes'",
            findings=[{"when": "yes", "category": "public_security", "follow_up_days": 7}],
        ),
        _note("hazard_detail", "隐患情况", "${hazard} = 'yes'"),
        _q("photo", "photo", "现场照片", required=False, relevant="${hazard} = 'yes'"),
    ],
)

FLOOD = Template(
    code="flood_hazards",
    title="防汛隐患排查",
    purpose="汛前排查房屋、山坡、河沟周边的隐患，登记需转移的人员。",
    form=[
        {
            "name": "house",
            "kind": "select_one",
            "label": "房屋结构",
            "required": True,
            "choices": [["brick", "砖混"], ["frame", "框架"], ["earth", "土木"], ["other", "其他"]],
        },
        {
            "name": "risks",
            "kind": "select_multiple",
            "label": "周边隐患（可多选）",
            "choices": [["slope", "背靠陡坡"], ["river", "临河临沟"], ["low", "地势低洼"], ["crack", "墙体开裂"]],
        },
        _yes_no(
            "must_move",
            "汛期是否需要转移",
            findings=[{"when": "yes", "category": "roads_water"}],
        ),
        {
            "name": "people",
            "kind": "integer",
            "label": "需转移人数",
            "required": True,
            "relevant": "${must_move} = 'yes'",
            "constraint": ". >= 1 and . <= 30",
            "constraint_message": "1到30人",
        },
        {"name": "place", "kind": "geopoint", "label": "房屋位置"},
    ],
)

ELDERLY = Template(
    code="elderly_winter",
    title="独居老人冬季走访",
    purpose="入冬走访独居、空巢老人，了解取暖、用药和照护情况。",
    form=[
        {
            "name": "age",
            "kind": "integer",
            "label": "老人年龄",
            "required": True,
            "constraint": ". >= 50 and . <= 120",
        },
        _yes_no("heating", "取暖是否有保障"),
        _yes_no("medicine", "常用药是否充足"),
        _yes_no("contact", "子女或亲属是否定期联系"),
        _yes_no(
            "needs_help",
            "是否需要帮扶",
            findings=[{"when": "yes", "category": "social_security", "follow_up_days": 14}],
        ),
        _note("help_detail", "需要哪些帮扶", "${needs_help} = 'yes'"),
    ],
)

DISPUTES = Template(
    code="dispute_check",
    title="矛盾纠纷排查",
    purpose="逐户了解邻里、家庭、土地等矛盾纠纷，早发现早化解。",
    form=[
        _yes_no("has_dispute", "是否存在矛盾纠纷"),
        _one_of(
            "dispute_kind",
            "纠纷类型",
            [
                ["neighbour", "邻里纠纷"],
                ["family", "婚姻家庭"],
                ["land", "土地山林"],
                ["wage", "劳资欠薪"],
                ["other", "其他"],
            ],
            relevant="${has_dispute} = 'yes'",
        ),
        _yes_no(
            "needs_mediation",
            "是否需要调解",
            relevant="${has_dispute} = 'yes'",
            findings=[{"when": "yes", "category": "neighbour_dispute"}],
        ),
        _note("dispute_detail", "纠纷情况", "${has_dispute} = 'yes'"),
    ],
)

CENSUS = Template(
    code="population_check",
    title="人口信息核对",
    purpose="逐户核对常住人口、外出人员和联系电话，更新台账。",
    form=[
        {
            "name": "living",
            "kind": "integer",
            "label": "常住人数",
            "required": True,
            "constraint": ". >= 0 and . <= 30",
        },
        {"name": "away", "kind": "integer", "label": "外出务工人数", "constraint": ". >= 0 and . <= 30"},
        _yes_no("register_ok", "台账信息是否与实际一致"),
        _note("changes", "需更正的信息", "${register_ok} = 'no'"),
        {"name": "phone_checked", "kind": "date", "label": "电话核实日期"},
    ],
)

TEMPLATES = {template.code: template for template in (GAS, FLOOD, ELDERLY, DISPUTES, CENSUS)}


def template_form(code: str) -> Form:
    return Form.from_json(TEMPLATES[code].form)


def template_input(code: str) -> dict:
    """A template's form as the campaign's input: the questions, where they came from, its title
    and purpose (to start from)."""
    template = TEMPLATES[code]
    return {
        "form": template.form,
        "form_source": f"template:{code}",
        "title": template.title,
        "purpose": template.purpose,
    }
