"""What a public page may say of people: nothing that names them.

Free text that residents and staff typed (a matter's title, a resolution, a result) can name a
resident or carry a phone or ID number. `public_text` takes out what it can recognise: the full
names of the village's residents (and any other names given) become the surname and 某, also
when written with a space or a middle dot between the characters (张 三, 张·三), and phone and ID
numbers are masked, also when typed with full-width digits, spaced or dotted into groups, or with
+86 in front. It cannot know a name that is not in the register (a relative in another
township): the pages that publish text say so to the staff who write it.

Numbers are matched on a folded copy of the text (full-width digits, brackets, plus, dots,
dashes and spaces as ASCII, character for character), so the positions agree and everything
that is not masked stays as it was written.
"""

import bisect
import re

from grids.models import Resident

# Full-width digits, X, plus, brackets and dot (what NFKC makes of them), dashes and wide spaces.
_FOLD = str.maketrans(
    "０１２３４５６７８９Ｘｘ＋（）．－\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\u00a0\u2002\u2003\u2009\u202f\u3000",
    "0123456789Xx+().---------      ",
)
# Only texts with something to fold pay for translate().
_FOLDABLE = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_FOLD)) + "]")

_ANY_DIGIT = re.compile("[0-9]")
_SEP = r"[ .\-]"
# A run of digit groups joined by one space, dot or hyphen each; an ID number is 18 of its digits.
_DIGIT_RUN = re.compile(rf"(?<![0-9])(?=[0-9 .\-]{{17}})[0-9]+(?:{_SEP}[0-9]+)*[Xx]?(?![0-9Xx])")
_GROUP = re.compile(r"[0-9]+[Xx]?")
_MOBILE = re.compile(
    rf"(?<![0-9])(?:(?:\+|00)86{_SEP}?|86-|\(\+?86\){_SEP}?)?"
    rf"(?P<number>1[3-9][0-9](?:{_SEP}?[0-9]{{4}}){{2}})(?![0-9])"
)
_MASKED = re.compile(r"[0-9Xx]*\*+[0-9Xx]*")
# Not the middle of a longer grouped number (a bank account: 6222 0212 3456 7890).
_LANDLINE = re.compile(
    rf"(?<![0-9])(?<![0-9]{_SEP})"
    rf"(?P<area>\(0[0-9]{{2,3}}\) ?|0[0-9]{{2,3}}{_SEP}|0[0-9]{{2,3}}(?=[0-9]{{7,8}}(?![0-9])))"
    rf"[0-9]{{3,4}}{_SEP}?[0-9]{{4}}(?![0-9])"
)
_SPACES = "[ \u00a0\u3000]"
_DOTS = "[\u00b7\u2022\u2027\u2219\u30fb\uff65]"
# What may stand between the characters of a name: one or two spaces, or a middle dot.
_NAME_GAP = re.compile(f"{_SPACES}{{1,2}}(?!{_SPACES})|{_SPACES}?{_DOTS}{_SPACES}?")
_NAME_SEP_CHARS = re.compile(r"[\s\u00b7\u2022\u2027\u2219\u30fb\uff65]")


def resident_names(village_id: int) -> list[str]:
    """Every full name of the village's register (two characters or more), longest first."""
    names = set(Resident.objects.filter(village_id=village_id).values_list("name", flat=True))
    return sorted((name for name in names if len(name) >= 2), key=len, reverse=True)


def name_pattern(names) -> re.Pattern | None:
    """The names (as registered, a middle dot or not) for `public_text`; None if there are none."""
    bare = {_NAME_SEP_CHARS.sub("", name) for name in names if name}
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
            if len(digits) > 18 or not digits[:-1].isdigit():
                break
            if len(digits) == 18 and digits[0] != "0" and (first == last or _plausible_birth(digits)):
                return groups[first].start(), groups[last].end()
    return None


def _mask_id(match: re.Match, text: str) -> str | None:
    span = _id_in_run(match.group(0))
    if span is None:
        return None
    start, end = match.start() + span[0], match.start() + span[1]
    digits = re.sub(r"[^0-9Xx]", "", match.string[start:end])
    # What else is in the run stays as it was written (full-width digits too).
    return text[match.start() : start] + digits[:4] + "*" * 10 + digits[-4:] + text[end : match.end()]


def _mask_mobile(match: re.Match, text: str) -> str:
    digits = re.sub(r"[^0-9]", "", match.group("number"))
    return digits[:3] + "****" + digits[-4:]


def _mask_landline(match: re.Match, text: str) -> str:
    return text[match.start("area") : match.end("area")] + "****"


def _sub(pattern: re.Pattern, mask, text: str, folded: str) -> tuple[str, str]:
    """Replace `pattern`'s matches in `folded` by `mask` (None: leave it) in both texts."""
    kept, kept_folded, last = [], [], 0
    for match in pattern.finditer(folded):
        masked = mask(match, text)
        if masked is None:
            continue
        kept += [text[last : match.start()], masked]
        # The masked number itself is no digits to the patterns that come after.
        hidden = _MASKED.sub(lambda m: "\x00" * len(m.group(0)), masked.translate(_FOLD))
        kept_folded += [folded[last : match.start()], hidden]
        last = match.end()
    if not last:
        return text, folded
    kept.append(text[last:])
    kept_folded.append(folded[last:])
    return "".join(kept), "".join(kept_folded)


def _mask_name(written: str) -> str:
    chars = _NAME_SEP_CHARS.sub("", written)
    return chars[0] + "某" * (len(chars) - 1)


def _mask_names(text: str, names: re.Pattern) -> str:
    """The names masked, also written with gaps (张 三, 张·三): they are matched on the text
    without its gaps, and each match is mapped back to what was written."""
    gaps = list(_NAME_GAP.finditer(text))
    if not gaps:
        return names.sub(lambda m: _mask_name(m.group(0)), text)
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

    kept, last = [], 0
    for match in names.finditer("".join(pieces)):
        start, end = where(match.start()), where(match.end() - 1) + 1
        kept += [text[last:start], _mask_name(text[start:end])]
        last = end
    return "".join(kept) + text[last:] if kept else text


def public_text(text: str, names: re.Pattern | None) -> str:
    """`text` with the names `names` matches as 张某 and phone and ID numbers masked."""
    if not text:
        return ""
    folded = text.translate(_FOLD) if _FOLDABLE.search(text) else text
    if _ANY_DIGIT.search(folded):
        text, folded = _sub(_DIGIT_RUN, _mask_id, text, folded)
        text, folded = _sub(_MOBILE, _mask_mobile, text, folded)
        text, folded = _sub(_LANDLINE, _mask_landline, text, folded)
    if names is not None:
        text = _mask_names(text, names)
    return text
