"""What a public page may say of people: nothing that names them.

Free text that residents and staff typed (a matter's title, a resolution, a result) can name a
resident or carry a phone or ID number. `public_text` takes out what it can recognise: the full
names of the village's residents (and any other names given) become the surname and 某, and
phone and ID numbers are masked. It cannot know a name that is not in the register (a
relative in another township): the pages that publish text say so to the staff who write it.
"""

import re

from grids.models import Resident

_ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9Xx])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])0[0-9]{2,3}-?[0-9]{7,8}(?![0-9])")


def resident_names(village_id: int) -> list[str]:
    """Every full name of the village's register (two characters or more), longest first."""
    names = set(Resident.objects.filter(village_id=village_id).values_list("name", flat=True))
    return sorted((name for name in names if len(name) >= 2), key=len, reverse=True)


def name_pattern(names) -> re.Pattern | None:
    names = sorted({name for name in names if name and len(name) >= 2}, key=len, reverse=True)
    return re.compile("|".join(re.escape(name) for name in names)) if names else None


def public_text(text: str, names: re.Pattern | None) -> str:
    """`text` with the names `names` matches as 张某 and phone and ID numbers masked."""
    if not text:
        return ""
    text = _ID_NUMBER.sub(lambda m: m.group(0)[:4] + "*" * 10 + m.group(0)[-4:], text)
    text = _MOBILE.sub(
        lambda m: re.sub(r"[ -]", "", m.group(0))[:3] + "****" + re.sub(r"[ -]", "", m.group(0))[-4:], text
    )
    text = _LANDLINE.sub(lambda m: m.group(0)[:4] + "****", text)
    if names is not None:
        text = names.sub(lambda m: m.group(0)[0] + "某" * (len(m.group(0)) - 1), text)
    return text
