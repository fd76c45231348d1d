"""What a public page may say of people: nothing that names them.

Free text that residents and staff typed (a matter's title, a resolution, a result) can name a
resident or carry a phone or ID number. `public_text` takes out what it can recognise: the full
names of the village's residents (and any other names given) become the surname and 某, also
when written with whitespace or a middle dot between the characters (张 三, 张·三), and phone and
ID numbers are masked, also when typed with other digits (full-width, circled, Arabic-Indic...),
split into groups or digit by digit (spaces, dots, dashes, slashes, commas, 、, brackets), or with +86
in front; names also written with Kangxi radicals, compatibility ideographs or traditional forms
(governance.law.TRADITIONAL) or split by 、 - _ * / (); the names of grids too small to name in
public (`grids`) become 某网格. It cannot know a name that is not in the register (a relative in
another township): the pages that publish text say so to the staff who write it.

Everything is matched on a copy of the text without its invisible characters (zero-width spaces
and joiners, soft hyphens, bidi controls, variation selectors: `_invisible`), so they split
neither a name nor a number; what is masked is replaced whole, the invisible characters inside
it too. Numbers are matched on that copy folded (full-width digits, brackets, plus, dots, dashes
and whitespace as ASCII, character for character), so the positions agree and everything that
is not masked stays as it was written.
"""

import bisect
import re
import unicodedata

from governance.law import TRADITIONAL
from grids.models import Resident

# Full-width X, plus, brackets, dot, slash, underscore and comma (what NFKC makes of them), dashes,
# wide spaces and the other whitespace (a tab or a new line splits a number as a space does).
_WHITESPACE = (
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
    "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029"
)
_PUNCTUATION = "Ｘｘ＋（）．／＿，－\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63"
# Every other digit (full-width, mathematical, circled, superscript, Arabic-Indic, Devanagari...)
# as its ASCII digit.
_DIGITS = {
    code: str(unicodedata.digit(char))
    for code, char in ((code, chr(code)) for code in range(0x80, 0x20000))
    if char.isdigit()
}
_FOLD = {
    **str.maketrans(_PUNCTUATION + _WHITESPACE, "Xx+()./_,---------" + " " * len(_WHITESPACE)),
    **_DIGITS,
}
# Only texts with something to fold pay for translate().
_FOLDABLE = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_FOLD)) + "]")
# Kangxi radicals (⽥ for 田) and CJK compatibility ideographs, as the ideographs NFKC makes of them.
_LOOK_ALIKE = re.compile("[\u2e80-\u2fdf\uf900-\ufaff\U0002f800-\U0002fa1f]")

# Invisible besides the format characters (category Cf, see `_invisible`): the combining
# grapheme joiner, the variation selectors and the Hangul fillers, which show nothing either.
_INVISIBLE_MORE = re.compile("[\u034f\ufe00-\ufe0f\U000e0100-\U000e01ef\u115f\u1160\u3164\uffa0]")

_ANY_DIGIT = re.compile("[0-9]")
_SEP = r"[ .\-]"
# What may stand between the digits of a mobile or an ID number: up to three spaces, dots, dashes,
# slashes, underscores, commas, 、 or brackets (137 - 3560 - 3949, (137)3560/3949, 1 3 7 3 5 6 ...).
_GAP_CHARS = r" .\-/_,、()"
_GAP = rf"[{_GAP_CHARS}]{{1,3}}"
# A run of digit groups joined by such gaps; an ID number is 18 of its digits.
_DIGIT_RUN = re.compile(rf"(?<![0-9])(?=[0-9{_GAP_CHARS}]{{17}})[0-9]+(?:{_GAP}[0-9]+)*[Xx]?(?![0-9Xx])")
_GROUP = re.compile(r"[0-9]+[Xx]?")
_MOBILE = re.compile(
    rf"(?<![0-9])(?:(?:\+|00)86{_SEP}?|86-|\(\+?86\){_SEP}?)?"
    rf"(?P<number>1(?:{_GAP})?[3-9](?:(?:{_GAP})?[0-9]){{9}})(?![0-9])"
)
# Not the middle of a longer grouped number (a bank account: 6222 0212 3456 7890).
_LANDLINE = re.compile(
    rf"(?<![0-9])(?<![0-9]{_SEP})"
    rf"(?P<area>\(0[0-9]{{2,3}}\) ?|0[0-9]{{2,3}}{_SEP}|0[0-9]{{2,3}}(?=[0-9]{{7,8}}(?![0-9])))"
    rf"(?P<number>[0-9]{{3,4}}{_SEP}?[0-9]{{4}})(?![0-9])"
)
_DOTS = "\u00b7\u2022\u2027\u2219\u30fb\uff65"
# What may stand between the characters of a name: whitespace, middle dots, 、 - _ * / and brackets
# (张 三, 张·三, 张、三, 张(三)), in the folded copy.
_NAME_GAP = re.compile(rf"[\s{_DOTS}、\-_*＊/()]+")
# What a masked number or name leaves in the matched copy: no digit or letter for what comes after.
_HIDDEN = "\x00"
SMALL_GRID = "某网格"


def _invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf" or _INVISIBLE_MORE.match(char) is not None


def _without_invisible(text: str) -> tuple[str, list[int] | None]:
    """`text` without its invisible characters, and where each character left is in `text`
    (None when nothing was taken out)."""
    # Cf characters are never printable: most texts are, and have none of the others either.
    if text.isprintable() and not _INVISIBLE_MORE.search(text):
        return text, None
    where = [at for at, char in enumerate(text) if not _invisible(char)]
    if len(where) == len(text):
        return text, None
    return "".join(text[at] for at in where), where


def resident_names(village_id: int) -> list[str]:
    """Every full name of the village's register (two characters or more), longest first."""
    names = set(Resident.objects.filter(village_id=village_id).values_list("name", flat=True))
    return sorted((name for name in names if len(name) >= 2), key=len, reverse=True)


def name_pattern(names) -> re.Pattern | None:
    """The names (as registered, a middle dot or not) for `public_text`; None if there are none.
    Also the small grids' names for its `grids`."""
    bare = {_NAME_GAP.sub("", _as_matched(_without_invisible(name)[0].translate(_FOLD))) for name in names if name}
    names = sorted((name for name in bare if len(name) >= 2), key=len, reverse=True)
    return re.compile("|".join(re.escape(name) for name in names)) if names else None


def _plausible_birth(digits: str) -> bool:
    year, month, day = int(digits[6:10]), int(digits[10:12]), int(digits[12:14])
    return 1800 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


def _id_in_run(run: str) -> tuple[int, int] | None:
    """Where the ID number in `run` starts and ends, or None. One unbroken group of 18 is always
    one (as before); 18 digits across groups only with a birth date in place."""
    groups = list(_GROUP.finditer(run))
    for first in range(len(groups)):
        digits = ""
        for last in range(first, len(groups)):
            digits += groups[last].group(0)
            if len(digits) > 18 or "X" in digits[:-1].upper():
                break
            if len(digits) == 18 and digits[0] != "0" and (first == last or _plausible_birth(digits)):
                return groups[first].start(), groups[last].end()
    return None


def _mask_id(match: re.Match) -> tuple[int, int, str] | None:
    """The ID number in the run; what else is in the run stays as it was written."""
    span = _id_in_run(match.group(0))
    if span is None:
        return None
    start, end = match.start() + span[0], match.start() + span[1]
    digits = re.sub(r"[^0-9Xx]", "", match.string[start:end])
    return start, end, digits[:4] + "*" * 10 + digits[-4:]


def _mask_mobile(match: re.Match) -> tuple[int, int, str]:
    digits = re.sub(r"[^0-9]", "", match.group("number"))
    return match.start(), match.end(), digits[:3] + "****" + digits[-4:]


def _mask_landline(match: re.Match) -> tuple[int, int, str]:
    return match.start("number"), match.end(), "****"


def _find_numbers(pattern: re.Pattern, mask, folded: str, spans: list) -> str:
    """Add what `mask` makes of `pattern`'s matches in `folded` to `spans` (start, end,
    replacement); `folded` is returned with them hidden from the patterns that come after."""
    hidden, last = [], 0
    for match in pattern.finditer(folded):
        masked = mask(match)
        if masked is None:
            continue
        start, end, _replacement = masked
        spans.append(masked)
        hidden += [folded[last:start], _HIDDEN * (end - start)]
        last = end
    return "".join(hidden) + folded[last:] if hidden else folded


def _as_matched(text: str) -> str:
    """`text` as names are matched, character for character: Kangxi radicals and compatibility
    ideographs as the ideographs they look like, traditional characters as simplified."""
    if _LOOK_ALIKE.search(text):
        text = _LOOK_ALIKE.sub(lambda match: unicodedata.normalize("NFKC", match.group()), text)
    return text.translate(TRADITIONAL)


def _mask_name(matched: str) -> str:
    chars = _NAME_GAP.sub("", matched)
    return chars[0] + "某" * (len(chars) - 1)


def _find_names(names: re.Pattern, mask, text: str, spans: list) -> str:
    """Add `names`' matches in `text` (folded, `_as_matched`) to `spans`, masked as `mask` makes
    what matched, also with gaps (张 三, 张·三): they are matched on the text without its gaps, and
    each match is mapped back. `text` is returned with them hidden from the names that come after."""
    gaps = list(_NAME_GAP.finditer(text))
    # The squeezed text's segments: where each starts there and in `text`.
    pieces, starts, origins, at, squeezed_at = [], [], [], 0, 0
    for gap in [*gaps, None]:
        end = gap.start() if gap else len(text)
        pieces.append(text[at:end])
        starts.append(squeezed_at)
        origins.append(at)
        squeezed_at += end - at
        at = gap.end() if gap else at

    def where(position: int) -> int:
        segment = bisect.bisect_right(starts, position) - 1
        return origins[segment] + position - starts[segment]

    hidden, last = [], 0
    for match in names.finditer("".join(pieces)):
        start, end = where(match.start()), where(match.end() - 1) + 1
        spans.append((start, end, mask(text[start:end])))
        hidden += [text[last:start], _HIDDEN * (end - start)]
        last = end
    return "".join(hidden) + text[last:] if hidden else text


def public_text(text: str, names: re.Pattern | None, grids: re.Pattern | None = None) -> str:
    """`text` with the names `names` matches as 张某, the grids `grids` matches (the names of
    grids too small to name in public) as 某网格, and phone and ID numbers masked."""
    if not text:
        return ""
    visible, where = _without_invisible(text)
    folded = visible.translate(_FOLD) if _FOLDABLE.search(visible) else visible
    spans = []  # (start, end, replacement) in `visible`
    if _ANY_DIGIT.search(folded):
        for pattern, mask in ((_DIGIT_RUN, _mask_id), (_MOBILE, _mask_mobile), (_LANDLINE, _mask_landline)):
            folded = _find_numbers(pattern, mask, folded, spans)
    # A grid's name first: a resident's name inside it is the grid's.
    if grids is not None or names is not None:
        folded = _as_matched(folded)
    for pattern, mask in ((grids, lambda matched: SMALL_GRID), (names, _mask_name)):
        if pattern is not None:
            folded = _find_names(pattern, mask, folded, spans)
    if not spans:
        return text
    kept, last = [], 0
    for start, end, replacement in sorted(spans):
        # Back to `text`'s positions: the invisible characters inside go with what is masked.
        start, end = (where[start], where[end - 1] + 1) if where else (start, end)
        kept += [text[last:start], replacement]
        last = end
    return "".join(kept) + text[last:]
