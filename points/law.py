"""What a village's own rules may not take away (村民委员会组织法 Art. 27).

A village compact or a points rule "may not contravene the Constitution, laws, regulations
and national policies, nor infringe the villagers' personal rights, democratic rights or
lawful property rights". A points bank may therefore only withhold what the village itself
grants (积分超市兑换, 评优评先, rewards the village collective runs on its own); never a
member's share of the collective's income, land-contract rights, or benefits the state
grants by law. `check_consequence` refuses wording that names any of them.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# (what the words name, the words in Chinese and English). Matched as substrings, case-insensitive.
PROTECTED = [
    (
        _("collective dividends (集体分红/集体收益分配)"),
        (
            "集体分红",
            "分红",
            "集体收益",
            "收益分配",
            "股份分红",
            "dividend",
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
            "land contract",
            "contracted land",
            "homestead",
            "land-contract",
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
            "残疾人",
            "残疾补贴",
            "临时救助",
            "救助金",
            "优抚",
            "抚恤",
            "高龄津贴",
            "耕地地力保护补贴",
            "种粮补贴",
            "minimum living",
            "dibao",
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


def forbidden_in(text: str) -> list[str]:
    """What `text` would withhold that a village may not (labels), in PROTECTED's order."""
    lowered = (text or "").lower()
    return [str(label) for label, words in PROTECTED if any(word.lower() in lowered for word in words)]


def refusal(text: str):
    """The reason `text` is refused, or None when the village may write it."""
    found = forbidden_in(text)
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
