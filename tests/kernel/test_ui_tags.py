"""Initials avatars: the same colour for the same name everywhere, readable (WCAG AA), decorative, escaped."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.template import Context, Template

from kernel.templatetags.ui_tags import AVATAR_COLOURS, avatar, colour_index, initials

CSS = Path(settings.BASE_DIR) / "static" / "css" / "workspace.css"


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_initials_take_the_first_letters_of_the_first_and_last_words():
    assert initials("Ana García") == "AG"
    assert initials("María José de la Cruz") == "MC"
    assert initials("émile") == "É"
    assert initials("agent1@demo.test") == "A"  # an email as the name: its local part
    assert initials("  ") == "?" and initials("") == "?" and initials("🙂 🙂") == "?"


def test_the_same_name_gets_the_same_colour_and_names_spread_over_the_palette():
    assert colour_index("Ana García") == colour_index("ana garcía ")  # case and surrounding space do not matter
    names = [f"Contact {n}" for n in range(200)]
    assert len({colour_index(n) for n in names}) == AVATAR_COLOURS


def test_every_avatar_colour_has_aa_contrast_with_its_white_initials():
    css = CSS.read_text(encoding="utf-8")
    colours = dict(re.findall(r"\.avatar-c(\d+) \{ background: (#[0-9a-fA-F]{6}); \}", css))
    assert sorted(map(int, colours)) == list(range(AVATAR_COLOURS))
    assert re.search(r"\.avatar \{[^}]*color: #fff;", css)
    for index, colour in colours.items():
        assert _contrast(colour, "#ffffff") >= 4.5, f".avatar-c{index} {colour}"


def test_the_avatar_is_hidden_from_screen_readers_and_escapes_the_name():
    hostile = "<img src=x onerror=alert(1)> Zed"
    html = Template('{% load ui_tags %}{% avatar name "lg" %}').render(Context({"name": hostile}))
    assert html.startswith('<span class="avatar avatar-lg avatar-c') and 'aria-hidden="true"' in html
    assert "<img" not in html and ">IZ</span>" in html
    assert 'avatar-md' in str(avatar("Ana", "huge"))  # an unknown size falls back to the default
