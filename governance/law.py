"""What a village's own rules may not take away (村民委员会组织法 Art. 27).

A village compact or a points rule "may not contravene the Constitution, laws, regulations
and national policies, nor infringe the villagers' personal rights, democratic rights or
lawful property rights". A points bank may therefore only withhold what the village itself
grants (积分超市兑换, 评优评先, rewards the village collective runs on its own); never a
member's share of the collective's income, land-contract rights, or benefits the state
grants by law. `check_consequence` refuses wording that names any of them (a consequence is
only ever something taken away); `check_rule` refuses a points rule that takes one away (its
name or description); `compact_flags` finds the compact's articles that name one of
them next to a word that takes it away, for the cadres drafting and the township filing (备案)
to see: an article may well name 宅基地 or 集体收益 to regulate them lawfully, so it is a warning
there, and the township decides.
"""

import itertools
import re
import unicodedata
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from pypinyin import lazy_pinyin

# (what the words name, the words in Chinese, English and pinyin). Matched as substrings of the text
# normalised (`_normalised`: case, width, tone marks, traditional forms, punctuation, symbols, gaps and
# invisible characters), each Chinese word of four characters or fewer also half in pinyin (低bao, di保).
PROTECTED = [
    (
        _("collective dividends (集体分红/集体收益分配)"),
        (
            "集体分红",
            "分红",
            "集体收益",
            "收益分配",
            "股份分红",
            "股份收益",
            "成员收益",
            "集体经济组织成员",
            "dividend",
            "fenhong",
            "shouyifenpei",
            "collective income",
            "collective revenue",
        ),
    ),
    (
        _("land-contract rights (土地承包经营权, 承包地, 宅基地)"),
        (
            "土地承包",
            "承包经营权",
            "承包地",
            "宅基地",
            "土地流转",
            "承包田",
            "责任田",
            "口粮田",
            "收回土地",
            "征地补偿",
            "土地征收",
            "征收补偿",
            "安置补助",
            "青苗补偿",
            "land contract",
            "contracted land",
            "homestead",
            "land-contract",
            "zhaijidi",
            "chengbaodi",
            "tudichengbao",
        ),
    ),
    (
        _("statutory benefits (低保, 特困供养, 医保, 养老, 残疾人补贴, 临时救助)"),
        (
            "低保",
            "最低生活保障",
            "特困",
            "五保",
            "医保",
            "医疗保险",
            "医疗救助",
            "养老",
            "残疾",
            "高龄",
            "临时救助",
            "救助金",
            "优抚",
            "抚恤",
            "耕地地力保护补贴",
            "种粮补贴",
            "种粮直补",
            "直补",
            "新农合",
            "新农保",
            "农保",
            "合作医疗",
            "社保",
            "社会保险",
            "参保",
            "minimum living",
            "dibao",
            "wubao",
            "tekun",
            "yibao",
            "yanglao",
            "shebao",
            "xinnonghe",
            "canji",
            "subsistence allowance",
            "medical insurance",
            "health insurance",
            "pension",
            "disability",
            "social assistance",
            "temporary assistance",
        ),
    ),
]


# Traditional characters folded to simplified (a cadre's IME may write either; a name typed as
# 陳春豔 is the register's 陈春艳): OpenCC's one-character table (governance/t2s_characters.txt),
# and the Japanese forms that differ from both (経営権), folded to the simplified ones.
_JAPANESE = dict(zip("収営権済発経転険髪齢", "收营权济发经转险发龄", strict=True))


def _traditional_table() -> dict:
    pairs = {}
    for line in Path(__file__).with_name("t2s_characters.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            traditional, simplified = line.split("\t")
            pairs[traditional] = simplified
    return str.maketrans({**pairs, **_JAPANESE})


TRADITIONAL = _traditional_table()
# Invisible characters that Unicode counts as letters: the Hangul fillers.
_INVISIBLE = re.compile("[\u115f\u1160\u3164\uffa0]")
# Everything but letters and digits: whitespace, punctuation and symbols a word may be split with
# (分/红, 分*红, (分)(红)), the format characters (zero-width, soft hyphen, bidi controls) and the
# combining marks (variation selectors, and the tone marks of pinyin once NFKD has taken them off).
_NOT_WORD = re.compile(r"[\W_]+")


def _normalised(text: str) -> str:
    """Compatibility forms folded and accents taken off (NFKD: full-width letters, dībǎo, Kangxi
    radicals), traditional characters simplified, lower case, and nothing left but letters and
    digits."""
    text = unicodedata.normalize("NFKD", text or "")
    if not text.isascii():
        text = _INVISIBLE.sub("", text).translate(TRADITIONAL)
    return _NOT_WORD.sub("", text.lower())


def _half_in_pinyin(word: str) -> list[str]:
    """`word` with some of its characters written in pinyin (低保: 低bao, di保), when it is
    Chinese of four characters or fewer (sixteen forms at most)."""
    if not 2 <= len(word) <= 4 or not all("\u4e00" <= char <= "\u9fff" for char in word):
        return []
    spelled = lazy_pinyin(word)
    forms = ("".join(form) for form in itertools.product(*zip(word, spelled, strict=True)))
    return [form for form in forms if form not in (word, "".join(spelled))]


def forbidden_in(text: str) -> list[str]:
    """What `text` would withhold that a village may not (labels), in PROTECTED's order. The
    text is normalised first ("集 體 分 紅", full-width letters, zero-width spaces are caught)."""
    return _named(_normalised(text))


def _named(folded: str) -> list[str]:
    return [str(label) for label, words in _PROTECTED if any(word in folded for word in words)]


def refusal(text: str):
    """The reason `text` is refused, or None when the village may write it."""
    return _reason(forbidden_in(text))


def _reason(found: list[str]):
    if not found:
        return None
    return _(
        "A village may not withhold %(what)s: a compact or a points rule may not infringe the villagers' "
        "personal, democratic or property rights (村民委员会组织法 Art. 27). Name only what the village itself "
        "grants, e.g. 积分超市兑换, 评优评先 or rewards the village collective runs itself."
    ) % {"what": "; ".join(found)}


def check_consequence(text: str, field: str) -> None:
    """Raise a ValidationError on `field` when the consequence withholds what the law protects."""
    reason = refusal(text)
    if reason is not None:
        raise ValidationError({field: ValidationError(reason, code="unlawful_consequence")})


# Words that take something away ("取消其集体分红", "停发低保"), matched as the protected words are.
WITHHOLDING = (
    "取消",
    "停发",
    "停止",
    "暂停",
    "扣发",
    "扣减",
    "扣除",
    "扣留",
    "减发",
    "缓发",
    "少发",
    "不发",
    "不予",
    "不享受",
    "不得享受",
    "不再享受",
    "不能享受",
    "剥夺",
    "收回",
    "冻结",
    "限制",
    "降低",
    "降档",
    "调减",
    "核减",
    "削减",
    "减半",
    "没收",
    "收缴",
    "扣押",
    "暂扣",
    "暂缓",
    "停领",
    "停办",
    "注销",
    "quxiao",
    "tingfa",
    "tingzhi",
    "zanting",
    "koufa",
    "kouchu",
    "bufa",
    "buyu",
    "shouhui",
    "dongjie",
    "withhold",
    "suspend",
    "cancel",
    "deny",
    "revoke",
    "forfeit",
    "stop",
)
# Or said as not giving or not letting have ("不再发放集体分红", "无权领取", "不得办理低保").
_NOT = ("不", "不再", "不得", "不能", "不准", "不予", "无权", "禁止")
_GIVE = ("发放", "发给", "给予", "领取", "享受", "享有", "参与", "分配")
# 办理 only as a refusal to handle ("不得办理"): "不办理宅基地审批手续乱建" is what a villager did.
NOT_GIVING = (*(no + verb for no in _NOT for verb in _GIVE), *(no + "办理" for no in _NOT[1:]))


# The words as they are matched.
_PROTECTED = [
    (label, tuple(_normalised(form) for word in words for form in (word, *_half_in_pinyin(word))))
    for label, words in PROTECTED
]
_WITHHOLDING = tuple(_normalised(word) for word in (*WITHHOLDING, *NOT_GIVING))


def withholds(text: str) -> list[str]:
    """What `text` names that the law protects, when it also says something is taken away."""
    folded = _normalised(text)
    if not any(word in folded for word in _WITHHOLDING):
        return []
    return _named(folded)


def check_rule(name: str, description: str) -> None:
    """Raise a ValidationError on the field of a points rule (积分细则) whose name or description
    withholds what the law protects. A rule may name it ("按时缴纳医保 +2", "照顾残疾人 +5"): only
    taking it away is refused ("拒不参加义务劳动者停发集体分红")."""
    for field, text in (("name", name), ("description", f"{name} {description}")):
        reason = _reason(withholds(text))
        if reason is not None:
            raise ValidationError({field: ValidationError(reason, code="unlawful_rule")})


def compact_flags(articles) -> list[dict]:
    """The articles that may withhold what the law protects: {number, title, what, reason}."""
    flags = []
    for article in articles:
        found = withholds(f"{article.title} {article.text}")
        if found:
            flags.append(
                {
                    "number": article.number,
                    "title": article.title,
                    "what": "; ".join(found),
                    "reason": _(
                        "Article %(number)d may withhold %(what)s, which a village compact may not (村民委员会组织法 "
                        "Art. 27): the township returns such a compact for correction."
                    )
                    % {"number": article.number, "what": "; ".join(found)},
                }
            )
    return flags
