"""grids.public.public_text: what goes on a public page keeps no resident's full name, phone or ID
number, however it was typed, and every other number (amounts, dates, counts, votes, codes) as
written."""

import random
import re

import pytest

from grids.idnumbers import id_check_char
from grids.public import name_pattern, public_text

NAMES = name_pattern(["张三", "欧阳娜娜", "阿依古丽·买买提"])
FULL_WIDTH = str.maketrans("0123456789+-()X", "０１２３４５６７８９＋－（）Ｘ")
DIGITS_11 = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
DIGITS_18 = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")


def _plain_digits(text: str) -> str:
    """`text` with every Unicode digit as ASCII and the separators numbers are split by taken out."""
    return re.sub(r"[ .\-\u3000]", "", "".join(str(int(c)) if c.isdecimal() else c for c in text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # As before.
        ("张三（13812345678）", "张某（138****5678）"),
        ("身份证500117199001011234", "身份证5001**********1234"),
        ("身份证11010519491231002X", "身份证1101**********002X"),
        ("座机023-42812345", "座机023-****"),
        ("座机02342812345", "座机0234****"),
        ("138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        # 1. Full-width digits; the rest of the text stays as written.
        ("电话１３８１２３４５６７８，金额４８４００元", "电话138****5678，金额４８４００元"),
        ("身份证５１０１０２１９９００１０１１２３４", "身份证5101**********1234"),
        ("身份证１１０１０５１９４９１２３１００２Ｘ", "身份证1101**********002X"),
        ("１３８　１２３４　５６７８", "138****5678"),
        ("１３８－１２３４－５６７８", "138****5678"),
        ("第１２户 ５１０１０２１９９００１０１１２３４ 共７人", "第１２户 5101**********1234 共７人"),
        # 2. ID numbers split into groups by spaces, hyphens or dots.
        ("5101 0219 9001 0112 34", "5101**********1234"),
        ("510102 19900101 1234", "5101**********1234"),
        ("510102-19900101-1234", "5101**********1234"),
        ("510102.19900101.1234", "5101**********1234"),
        ("5101-0219-9001-0112-3X", "5101**********123X"),
        ("510102 1990 0101 1234号", "5101**********1234号"),
        ("身份证：５１０１ ０２１９ ９００１ ０１１２ ３４。", "身份证：5101**********1234。"),
        ("第12户 510102 19900101 1234", "第12户 5101**********1234"),
        # 3. Mobiles with the country code.
        ("+86 138 1234 5678", "138****5678"),
        ("+86-13812345678", "138****5678"),
        ("+8613812345678", "138****5678"),
        ("008613812345678", "138****5678"),
        ("0086 138 1234 5678", "138****5678"),
        ("86-13812345678", "138****5678"),
        ("（+86）138 1234 5678", "138****5678"),
        ("(+86) 13812345678", "138****5678"),
        ("＋８６ １３８ １２３４ ５６７８", "138****5678"),
        # Mobiles split 3-4-4 by dots; landlines with the area code in brackets.
        ("138.1234.5678", "138****5678"),
        ("电话：138.1234.5678。", "电话：138****5678。"),
        ("(023)12345678", "(023)****"),
        ("(023) 4281 2345", "(023) ****"),
        ("（023）42812345", "（023）****"),
        ("0755-12345678", "0755-****"),
        ("010 1234 5678", "010 ****"),
        # 4. Names of the register with a space or a middle dot between the characters.
        ("张三来了", "张某来了"),
        ("张 三来了", "张某来了"),
        ("张　三来了", "张某来了"),
        ("张·三来了", "张某来了"),
        ("张・三来了", "张某来了"),
        ("张 · 三来了", "张某来了"),
        ("欧阳 娜娜", "欧某某某"),
        ("欧阳·娜娜", "欧某某某"),
        ("阿依古丽·买买提", "阿某某某某某某"),
        ("阿依古丽买买提", "阿某某某某某某"),
        # Several numbers in a row.
        ("13812345678 023-42812345", "138****5678 023-****"),
        ("023-42812345 13812345678", "023-**** 138****5678"),
        ("13812345678 500117199001011234", "138****5678 5001**********1234"),
        ("500117199001011234 13812345678", "5001**********1234 138****5678"),
        ("12 13812345678", "12 138****5678"),
        # Everything at once.
        (
            "张 三（＋86 139-0000-1234）与欧阳·娜娜，身份证5001 1719 9001 0112 34，座机（023）42812345",
            "张某（139****1234）与欧某某某，身份证5001**********1234，座机（023）****",
        ),
    ],
)
def test_masks(text, expected):
    assert public_text(text, NAMES) == expected


@pytest.mark.parametrize(
    "text",
    [
        "金额48400.00元",
        "收入１２０００．００元，支出48400.00元",
        "2026-12-06表决",
        "2026.12.06 至 2027.01.15",
        "2026-12-06 2026-12-07 2026.12.08",
        "2026年12月6日",
        "应到45人，实到40人，赞成37票，反对2票，弃权1票",
        "赞成 620 票",
        "共12户 38人",
        "第3组 第12户",
        "查询码 7K3M9P2Q4R8T6V5W",
        "查询码 ABCD2345EFGH6789",
        "2026年度",
        "1990年至2026年",
        "面积 1380.5 平方米",
        "账号 6222 0212 3456 7890 123",
        "13812345678901",
        "1234567890123456789",
        "张四、李三、张 四",
        "主张 分三步",
        "已修路灯 12 盏，涉及 2026 年 3 个项目",
        "",
    ],
)
def test_ordinary_numbers_and_other_words_survive(text):
    assert public_text(text, NAMES) == text


def test_without_names_only_numbers_are_masked():
    assert public_text("张三 13812345678", None) == "张三 138****5678"
    assert public_text("路灯", None) == "路灯"
    assert name_pattern([]) is None and name_pattern(["张", ""]) is None


def test_masking_twice_is_masking_once():
    text = "张 三（＋86 139-0000-1234）与欧阳·娜娜，身份证5001 1719 9001 0112 34，座机（023）42812345"
    once = public_text(text, NAMES)
    assert public_text(once, NAMES) == once
    assert public_text(once, name_pattern(["欧阳娜娜"])) == once


def _phone_forms(rng, number):
    a, b, c = number[:3], number[3:7], number[7:]
    sep = rng.choice([" ", "-", ".", "\u3000"])
    forms = [
        number,
        f"{a}{sep}{b}{sep}{c}",
        f"+86 {number}",
        f"+86-{a}{sep}{b}{sep}{c}",
        f"0086{number}",
        f"（+86）{number}",
    ]
    form = rng.choice(forms)
    return form.translate(FULL_WIDTH) if rng.random() < 0.4 else form


def _id_number(rng):
    region = rng.choice(["110105", "500117", "510102", "440524", "320106"])
    birth = f"{rng.randint(1930, 2015)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 = region + birth + f"{rng.randint(0, 999):03d}"
    return first17 + id_check_char(first17)


def _id_forms(rng, number):
    sep = rng.choice([" ", "-", ".", "\u3000"])
    forms = [
        number,
        sep.join(number[i : i + 4] for i in range(0, 18, 4)),
        f"{number[:6]}{sep}{number[6:14]}{sep}{number[14:]}",
        f"{number[:6]}{sep}{number[6:10]}{sep}{number[10:14]}{sep}{number[14:]}",
    ]
    form = rng.choice(forms)
    return form.translate(FULL_WIDTH) if rng.random() < 0.4 else form


def test_generated_phones_and_id_numbers_never_survive_and_their_context_does():
    rng = random.Random(20261206)
    for _ in range(300):
        phone = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"
        id_number = _id_number(rng)
        amount = f"{rng.randint(1, 9_999_999)}.{rng.randint(0, 99):02d}"
        votes = str(rng.randint(1, 999))
        before = f"张三电话{_phone_forms(rng, phone)}，身份证{_id_forms(rng, id_number)}，"
        after = f"金额{amount}元，赞成{votes}票。"
        cleaned = public_text(before + after, NAMES)
        masked_id = id_number[:4] + "*" * 10 + id_number[-4:]
        assert cleaned == f"张某电话{phone[:3]}****{phone[-4:]}，身份证{masked_id}，{after}"
        plain = _plain_digits(cleaned)
        assert not DIGITS_11.search(plain) and not DIGITS_18.search(plain), cleaned
        assert public_text(cleaned, NAMES) == cleaned


def test_generated_ordinary_numbers_survive():
    rng = random.Random(6122026)
    for _ in range(300):
        year = rng.randint(1990, 2040)
        text = (
            f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}表决，"
            f"金额{rng.randint(0, 9_999_999)}.{rng.randint(0, 99):02d}元，"
            f"赞成{rng.randint(0, 999)}票，反对{rng.randint(0, 99)}票，共{rng.randint(1, 500)}户，{year}年"
        )
        if rng.random() < 0.4:
            text = text.translate(FULL_WIDTH)
        assert public_text(text, NAMES) == text


# Characters that show nothing (format characters, variation selectors, the combining grapheme
# joiner, a Hangul filler): between the characters of a name or a number they must not save it.
INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u2060",  # word joiner
    "\u2061",
    "\u2062",
    "\u2063",
    "\u2064",
    "\u00ad",  # soft hyphen
    "\u034f",  # combining grapheme joiner
    "\u180e",  # Mongolian vowel separator
    "\ufe00",  # variation selectors
    "\ufe0f",
    "\u202a",  # bidi embedding and overrides
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",  # bidi isolates
    "\ufeff",  # zero-width no-break space (BOM)
    "\u3164",  # Hangul filler
]
_SHOWS_NOTHING = re.compile("[" + "".join(INVISIBLE) + "]")


@pytest.mark.parametrize("invisible", INVISIBLE)
@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("张{}三来了", "张某来了"),
        ("欧{0}阳{0}娜{0}娜", "欧某某某"),
        ("阿依古丽{0}·{0}买买提", "阿某某某某某某"),
        ("张 {} 三", "张某"),
        ("电话138{0}1234{0}5678", "电话138****5678"),
        ("1{0}3{0}8{0}1{0}2{0}3{0}4{0}5{0}6{0}7{0}8", "138****5678"),
        ("+86{0}13812345678", "138****5678"),
        ("身份证5001{0}1719{0}9001{0}0112{0}34", "身份证5001**********1234"),
        ("身份证50011719900101123{0}4", "身份证5001**********1234"),
        ("座机023-4281{0}2345", "座机023-****"),
    ],
)
def test_invisible_characters_split_neither_a_name_nor_a_number_and_go_with_the_mask(written, expected, invisible):
    text = written.format(invisible)
    cleaned = public_text(text, NAMES)
    assert cleaned == expected, (text, cleaned)
    assert not _SHOWS_NOTHING.search(cleaned)


def test_invisible_characters_outside_what_is_masked_stay_as_written():
    text = "\u200b张三\u200b说：金额4840\u200b0.00元，2026-12\u200b-06表决"
    assert public_text(text, NAMES) == "\u200b张某\u200b说：金额4840\u200b0.00元，2026-12\u200b-06表决"
    for ordinary in ("金额48\u200b400.00元", "赞成\u200d620票", "主\u200b张 分三步", "查询码 7K3M\u200b9P2Q4R8T6V5W"):
        assert public_text(ordinary, NAMES) == ordinary


@pytest.mark.parametrize("gap", ["\t", "\n", "\r\n", "\u2028", "   ", "\u3000\u3000\u3000", " \u200b\t"])
def test_any_whitespace_between_the_characters_of_a_name_is_a_gap(gap):
    assert public_text(f"张{gap}三来了", NAMES) == "张某来了"
    assert public_text(f"欧阳{gap}娜娜", NAMES) == "欧某某某"


def test_a_tab_or_a_new_line_splits_a_number_as_a_space_does():
    assert public_text("138\t1234\t5678", NAMES) == "138****5678"
    assert public_text("电话：\n138\n1234\n5678", NAMES) == "电话：\n138****5678"
    assert public_text("510102\n19900101\n1234", NAMES) == "5101**********1234"
    assert public_text("赞成\n620\n票", NAMES) == "赞成\n620\n票"


def test_a_registered_name_with_an_invisible_character_is_masked_as_written_without_it():
    names = name_pattern(["李\u200b四"])
    assert public_text("李四来了", names) == "李某来了"


def test_generated_names_and_numbers_split_by_invisible_characters_never_survive():
    rng = random.Random(120626)
    for _ in range(300):
        phone = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"
        id_number = _id_number(rng)

        def scatter(text):
            """`text` with invisible characters between some of its characters."""
            return text[0] + "".join((rng.choice(INVISIBLE) if rng.random() < 0.5 else "") + char for char in text[1:])

        text = f"{scatter('欧阳娜娜')}电话{scatter(phone)}，身份证{scatter(id_number)}，赞成{rng.randint(1, 999)}票"
        cleaned = public_text(text, NAMES)
        masked_id = id_number[:4] + "*" * 10 + id_number[-4:]
        assert cleaned.startswith(f"欧某某某电话{phone[:3]}****{phone[-4:]}，身份证{masked_id}，"), (text, cleaned)
        assert public_text(cleaned, NAMES) == cleaned


def test_the_names_of_small_grids_become_a_grid():
    grids = name_pattern(["第一网格"])
    assert public_text("第一网格张三", NAMES, grids) == "某网格张某"
    assert public_text("第 一\u200b网格的党员", NAMES, grids) == "某网格的党员"
    assert public_text("第二网格", NAMES, grids) == "第二网格"
    assert public_text("第一网格", NAMES) == "第一网格"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("137/3560/3949", "137****3949"),
        ("137_3560_3949", "137****3949"),
        ("137,3560,3949", "137****3949"),
        ("137、3560、3949", "137****3949"),
        ("电话137 - 3560 - 3949", "电话137****3949"),
        ("①③⑦③⑤⑥⓪③⑨④⑨", "137****3949"),
        ("¹³⁷³⁵⁶⁰³⁹⁴⁹", "137****3949"),
        ("١٣٧٣٥٦٠٣٩٤٩", "137****3949"),
        ("१३७३५६०३९४९", "137****3949"),
        ("510102/19900101/1234", "5101**********1234"),
        ("张、三来了", "张某来了"),
        ("张-三、欧阳*娜/娜", "张某、欧某某某"),
        ("张（三）来了", "张某）来了"),  # the bracket after the name is not in it
    ],
)
def test_numbers_and_names_split_by_other_separators_or_written_in_other_digits_are_masked(text, expected):
    assert public_text(text, NAMES) == expected


@pytest.mark.parametrize("text", ["12,000.00元", "1、3、5号", "2026/12/07 至 2027/01/15", "第1_3组"])
def test_commas_slashes_and_enumerations_keep_ordinary_numbers(text):
    assert public_text(text, NAMES) == text


def test_a_name_typed_in_traditional_characters_is_the_registers_simplified_one():
    names = name_pattern(["陈春艳", "欧阳娜娜"])
    assert public_text("找陳春豔說說，歐陽娜娜也在", names) == "找陈某某說說，欧某某某也在"
