"""The emoji picker's data, built once per language from the `emoji` package's EMOJI_DATA.

Only fully-qualified emoji without skin-tone modifiers are listed (the base emoji covers search).
EMOJI_DATA carries no groups, so each emoji is placed in the CLDR group it belongs to by its name
and code point: good enough to browse; search by name is the main way in.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

import emoji
from django.utils import translation
from django.utils.translation import gettext_lazy as _

DATA_REVISION = 1  # bump when the shape or the grouping below changes

GROUPS: list[tuple[str, str]] = [
    ("smileys", _("Smileys & emotion")),
    ("people", _("People & body")),
    ("nature", _("Animals & nature")),
    ("food", _("Food & drink")),
    ("travel", _("Travel & places")),
    ("activities", _("Activities")),
    ("objects", _("Objects")),
    ("symbols", _("Symbols")),
    ("flags", _("Flags")),
]

# Where each group's browsing order starts (the familiar ones first); earlier code points follow.
_LEAD = {"smileys": 0x1F600, "people": 0x1F44B, "nature": 0x1F400, "food": 0x1F347, "travel": 0x1F30D,
         "activities": 0x1F383, "objects": 0x1F453, "symbols": 0, "flags": 0x1F3C1}
_SKIN_TONES = {chr(c) for c in range(0x1F3FB, 0x1F400)}
_VS16 = "\ufe0f"

# (first code point, last code point, group), searched in order after the name rules below.
_RANGES: list[tuple[int, int, str]] = [
    # single code points inside blocks that mostly belong elsewhere
    (0x1F4A0, 0x1F4A0, "symbols"), (0x1F4A1, 0x1F4A1, "objects"), (0x1F4A7, 0x1F4A7, "travel"),
    (0x1F4AA, 0x1F4AA, "people"), (0x1F4AE, 0x1F4AE, "nature"), (0x1F47B, 0x1F47B, "smileys"),
    (0x1F479, 0x1F47A, "smileys"), (0x1F47D, 0x1F480, "smileys"), (0x1F590, 0x1F590, "people"),
    (0x1F595, 0x1F596, "people"), (0x1F90C, 0x1F90C, "people"), (0x1F90F, 0x1F90F, "people"),
    (0x1F3F8, 0x1F3F8, "activities"), (0x1F6C2, 0x1F6C5, "symbols"), (0x1F6B2, 0x1F6B2, "travel"),
    (0x1F549, 0x1F549, "symbols"), (0x1F54A, 0x1F54A, "nature"), (0x1F54B, 0x1F54D, "travel"),
    (0x1F940, 0x1F940, "nature"), (0x1F941, 0x1F941, "objects"), (0x1F942, 0x1F944, "food"),
    (0x1FA90, 0x1FA90, "travel"), (0x1FAA8, 0x1FAA8, "travel"), (0x1FAB5, 0x1FAB5, "travel"),
    (0x1F396, 0x1F397, "activities"), (0x1F39F, 0x1F39F, "activities"), (0x1F6D1, 0x1F6D1, "travel"),
    (0x1F1E6, 0x1F1FF, "flags"),
    (0x1F600, 0x1F644, "smileys"), (0x1F645, 0x1F647, "people"), (0x1F648, 0x1F64A, "smileys"),
    (0x1F64B, 0x1F64F, "people"),
    (0x1F910, 0x1F917, "smileys"), (0x1F918, 0x1F91F, "people"), (0x1F920, 0x1F925, "smileys"),
    (0x1F926, 0x1F926, "people"), (0x1F927, 0x1F92F, "smileys"), (0x1F930, 0x1F93A, "people"),
    (0x1F93B, 0x1F93B, "activities"), (0x1F93C, 0x1F93E, "people"), (0x1F93F, 0x1F945, "activities"),
    (0x1F946, 0x1F946, "objects"), (0x1F947, 0x1F94F, "activities"), (0x1F950, 0x1F96F, "food"),
    (0x1F970, 0x1F976, "smileys"), (0x1F977, 0x1F977, "people"), (0x1F978, 0x1F97A, "smileys"),
    (0x1F97B, 0x1F97F, "objects"), (0x1F980, 0x1F9AE, "nature"), (0x1F9AF, 0x1F9AF, "objects"),
    (0x1F9B0, 0x1F9B9, "people"), (0x1F9BA, 0x1F9BA, "objects"), (0x1F9BB, 0x1F9BB, "people"),
    (0x1F9BC, 0x1F9BD, "travel"), (0x1F9BE, 0x1F9BF, "people"), (0x1F9C0, 0x1F9CB, "food"),
    (0x1F9CC, 0x1F9CC, "smileys"), (0x1F9CD, 0x1F9CF, "people"), (0x1F9D0, 0x1F9D0, "smileys"),
    (0x1F9D1, 0x1F9DF, "people"), (0x1F9E0, 0x1F9E0, "people"), (0x1F9E1, 0x1F9E1, "smileys"),
    (0x1F9E2, 0x1F9E6, "objects"), (0x1F9E7, 0x1F9E9, "activities"), (0x1F9EA, 0x1F9EC, "objects"),
    (0x1F9ED, 0x1F9ED, "travel"), (0x1F9EE, 0x1F9F0, "objects"), (0x1F9F1, 0x1F9F1, "travel"),
    (0x1F9F2, 0x1F9F4, "objects"), (0x1F9F5, 0x1F9F8, "activities"), (0x1F9F9, 0x1F9FE, "objects"),
    (0x1F9FF, 0x1F9FF, "activities"),
    (0x1FA70, 0x1FA7C, "objects"), (0x1FA80, 0x1FA8F, "activities"), (0x1FA90, 0x1FAAF, "objects"),
    (0x1FAB0, 0x1FABF, "nature"), (0x1FAC0, 0x1FAC6, "people"), (0x1FACE, 0x1FACF, "nature"),
    (0x1FAD0, 0x1FADF, "food"), (0x1FAE0, 0x1FAEF, "smileys"), (0x1FAF0, 0x1FAFF, "people"),
    (0x1F400, 0x1F43F, "nature"), (0x1F440, 0x1F450, "people"), (0x1F451, 0x1F462, "objects"),
    (0x1F463, 0x1F487, "people"), (0x1F488, 0x1F488, "travel"), (0x1F489, 0x1F48A, "objects"),
    (0x1F48B, 0x1F48C, "smileys"), (0x1F48D, 0x1F48E, "objects"), (0x1F48F, 0x1F48F, "people"),
    (0x1F490, 0x1F490, "nature"), (0x1F491, 0x1F491, "people"), (0x1F492, 0x1F492, "travel"),
    (0x1F493, 0x1F4AF, "smileys"), (0x1F4B0, 0x1F4FF, "objects"),
    (0x1F300, 0x1F320, "travel"), (0x1F321, 0x1F32C, "travel"), (0x1F32D, 0x1F32F, "food"),
    (0x1F330, 0x1F335, "nature"), (0x1F336, 0x1F336, "food"), (0x1F337, 0x1F343, "nature"),
    (0x1F344, 0x1F37F, "food"), (0x1F380, 0x1F393, "activities"), (0x1F394, 0x1F39F, "objects"),
    (0x1F3A0, 0x1F3A2, "travel"), (0x1F3A3, 0x1F3B4, "activities"), (0x1F3B5, 0x1F3BC, "objects"),
    (0x1F3BD, 0x1F3C2, "activities"), (0x1F3C3, 0x1F3C4, "people"), (0x1F3C5, 0x1F3C6, "activities"),
    (0x1F3C7, 0x1F3C7, "people"), (0x1F3C8, 0x1F3C9, "activities"), (0x1F3CA, 0x1F3CC, "people"),
    (0x1F3CD, 0x1F3CE, "travel"), (0x1F3CF, 0x1F3D3, "activities"), (0x1F3D4, 0x1F3F0, "travel"),
    (0x1F3F1, 0x1F3F4, "flags"), (0x1F3F5, 0x1F3F5, "nature"), (0x1F3F7, 0x1F3FA, "objects"),
    (0x1F500, 0x1F509, "symbols"), (0x1F50A, 0x1F517, "objects"), (0x1F518, 0x1F524, "symbols"),
    (0x1F525, 0x1F525, "travel"), (0x1F526, 0x1F52D, "objects"), (0x1F52E, 0x1F52E, "activities"),
    (0x1F52F, 0x1F53D, "symbols"), (0x1F549, 0x1F54E, "symbols"), (0x1F550, 0x1F567, "travel"),
    (0x1F56F, 0x1F570, "objects"), (0x1F573, 0x1F573, "smileys"), (0x1F574, 0x1F575, "people"),
    (0x1F576, 0x1F576, "objects"), (0x1F577, 0x1F578, "nature"), (0x1F579, 0x1F579, "activities"),
    (0x1F57A, 0x1F57A, "people"), (0x1F587, 0x1F5E2, "objects"), (0x1F5E3, 0x1F5E3, "people"),
    (0x1F5E8, 0x1F5EF, "smileys"), (0x1F5F3, 0x1F5F3, "objects"), (0x1F5FA, 0x1F5FF, "travel"),
    (0x1F680, 0x1F6A2, "travel"), (0x1F6A3, 0x1F6A3, "people"), (0x1F6A4, 0x1F6A9, "travel"),
    (0x1F6AA, 0x1F6AA, "objects"), (0x1F6AB, 0x1F6AB, "symbols"),
    (0x1F6AC, 0x1F6AC, "objects"), (0x1F6AD, 0x1F6B3, "symbols"), (0x1F6B4, 0x1F6B6, "people"),
    (0x1F6B7, 0x1F6BF, "symbols"), (0x1F6C0, 0x1F6C0, "people"), (0x1F6C1, 0x1F6C2, "objects"),
    (0x1F6C3, 0x1F6C5, "symbols"), (0x1F6CB, 0x1F6CB, "objects"), (0x1F6CC, 0x1F6CC, "people"),
    (0x1F6CD, 0x1F6D2, "objects"), (0x1F6D5, 0x1F6DF, "travel"), (0x1F6E0, 0x1F6E0, "objects"),
    (0x1F6E1, 0x1F6E1, "objects"), (0x1F6E2, 0x1F6FF, "travel"), (0x1F7E0, 0x1F7F0, "symbols"),
    (0x1F004, 0x1F0CF, "activities"), (0x1F170, 0x1F251, "symbols"),
    (0x231A, 0x231B, "travel"), (0x23F0, 0x23F3, "travel"), (0x2328, 0x2328, "objects"),
    (0x23CF, 0x23FA, "symbols"), (0x2600, 0x2604, "travel"), (0x260E, 0x260E, "objects"),
    (0x2614, 0x2615, "travel"), (0x2618, 0x2618, "nature"), (0x261D, 0x261D, "people"),
    (0x2620, 0x2620, "smileys"), (0x2639, 0x263A, "smileys"), (0x2660, 0x2667, "activities"),
    (0x2692, 0x2697, "objects"), (0x2699, 0x269C, "objects"), (0x26A1, 0x26A1, "travel"),
    (0x26B0, 0x26B1, "objects"), (0x26BD, 0x26BE, "activities"), (0x26C4, 0x26C8, "travel"),
    (0x26CF, 0x26CF, "objects"), (0x26D1, 0x26D1, "objects"), (0x26D3, 0x26D3, "objects"),
    (0x26E9, 0x26EA, "travel"), (0x26F0, 0x26F5, "travel"), (0x26F7, 0x26F7, "activities"),
    (0x26F8, 0x26F8, "activities"), (0x26F9, 0x26F9, "people"), (0x26FA, 0x26FD, "travel"),
    (0x2702, 0x2702, "objects"), (0x2708, 0x2708, "travel"), (0x2709, 0x2709, "objects"),
    (0x270A, 0x270D, "people"), (0x270F, 0x2712, "objects"), (0x2728, 0x2728, "activities"),
    (0x2744, 0x2744, "travel"), (0x2763, 0x2764, "smileys"), (0x1F30D, 0x1F310, "travel"),
]


@dataclass(frozen=True)
class Payload:
    body: bytes
    gzipped: bytes
    etag: str


def _by_code_point(cp: int) -> str | None:
    for first, last, group in _RANGES:
        if first <= cp <= last:
            return group
    return None


def _group(char: str, name: str) -> str:
    words = name.split()
    if "mailbox" in words:
        return "objects"
    if name == "flag in hole":
        return "activities"
    if "flag" in words or name.startswith("flag"):
        return "flags"
    if words[0] == "keycap":
        return "symbols"
    cp = ord(char[0])
    by_code_point = _by_code_point(cp)
    if by_code_point in {"nature", "travel", "flags", "food"}:
        return by_code_point  # "mouse face", "sun with face", "wind face"
    if words[0] in {"man", "woman", "person", "family", "couple"} or (words[0] == "kiss" and name != "kiss mark"):
        return "people"
    if words[-1] == "face" and "clock" not in words:
        return "smileys"
    if ("heart" in words or "hearts" in words) and not {"suit", "hands"} & set(words):
        return "smileys"
    return by_code_point or ("symbols" if cp < 0x1F000 else "objects")


def _words(shortcode: str) -> str:
    return shortcode.strip(":").replace("_", " ")


def entries(language: str) -> list[dict]:
    """[{"e": "👍", "n": "thumbs up", "s": "thumbs_up", "a": ["thumbsup", "+1"], "l": localized name, "g": group}]"""
    if language != "en":
        try:
            emoji.config.load_language(language)
        except (NotImplementedError, ValueError, KeyError, OSError):
            language = "en"
    order = {group: i for i, (group, _label) in enumerate(GROUPS)}
    items = []
    for char, data in emoji.EMOJI_DATA.items():
        if data.get("status") != emoji.STATUS["fully_qualified"] or _SKIN_TONES & set(char):
            continue
        shortcode = data["en"].strip(":")
        name = _words(shortcode)
        item = {"e": char, "n": name, "s": shortcode, "g": _group(char.replace(_VS16, ""), name)}
        aliases = [a.strip(":") for a in data.get("alias", []) if a.strip(":") != shortcode]
        if aliases:
            item["a"] = aliases
        if language != "en" and data.get(language):
            local = _words(data[language])
            if local != name:
                item["l"] = local
        items.append(item)
    items.sort(key=lambda i: (order[i["g"]], ord(i["e"][0]) < _LEAD[i["g"]],
                              [ord(c) for c in i["e"].replace(_VS16, "")]))
    return items


@lru_cache(maxsize=8)
def payload(language: str) -> Payload:
    """The JSON body (and its gzip) for one language, computed once per process."""
    items = entries(language)
    with translation.override(language):
        groups = [{"id": gid, "name": str(label)} for gid, label in GROUPS]
    body = json.dumps({"version": f"{emoji.__version__}.{DATA_REVISION}", "language": language,
                       "groups": groups, "emoji": items},
                      ensure_ascii=False, separators=(",", ":")).encode()
    return Payload(body=body, gzipped=gzip.compress(body, mtime=0),
                   etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"')
