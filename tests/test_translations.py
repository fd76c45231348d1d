"""The Chinese catalogue is complete and compiled: every string the code marks for translation
has a Chinese translation that is not fuzzy, and the committed .mo holds it (so nobody ships an
English button in the Chinese UI because `make messages` was not run or a translation was left out).

It reads the committed files only; `make messages` (xgettext) is what brings new strings into the
.po, and a string it has not seen yet is caught by review, not here.
"""

import ast
import gettext
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def _entries(po_text: str):
    """(flags, msgctxt, msgid, msgid_plural, [msgstr...]) for each live entry of a .po file."""
    for block in po_text.split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#~")]
        if not lines:
            continue
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields, key = {}, None
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                fields[key] += ast.literal_eval(line)
                continue
            key, _, value = line.partition(" ")
            fields[key] = ast.literal_eval(value)
        if "msgid" not in fields:
            continue
        strs = [value for name, value in fields.items() if name.startswith("msgstr")]
        yield flags, fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"), strs


def test_every_string_has_a_chinese_translation_that_is_not_fuzzy():
    entries = [e for e in _entries((CATALOGUE / "django.po").read_text(encoding="utf-8")) if e[2]]
    assert len(entries) > 1000
    missing = [msgid for flags, _, msgid, _, strs in entries if "fuzzy" in flags or not all(strs)]
    assert missing == []


def test_the_compiled_catalogue_holds_every_translation():
    with open(CATALOGUE / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for _, context, msgid, plural, strs in _entries((CATALOGUE / "django.po").read_text(encoding="utf-8")):
        if not msgid:
            continue
        if plural:
            got = compiled.npgettext(context, msgid, plural, 1) if context else compiled.ngettext(msgid, plural, 1)
        else:
            got = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
        if got != strs[0]:
            stale.append(msgid)
    assert stale == []
