"""Small pieces of the interface every app's templates share: initials avatars."""

from __future__ import annotations

import zlib

from django import template
from django.utils.html import format_html

register = template.Library()

# static/css/workspace.css has one background per class .avatar-c0 … .avatar-c11, each with at least
# 4.5:1 contrast against the white initials (WCAG AA; tests/kernel/test_ui_tags.py measures it).
AVATAR_COLOURS = 12
AVATAR_SIZES = frozenset({"sm", "md", "lg"})


def initials(name: str) -> str:
    """ "Ana García" → "AG", "agent1@demo.test" → "A", "" → "?" (first letters of the first and last word)."""
    words = [w for w in (name or "").replace("@", " @").split() if not w.startswith("@")]
    letters = [next((ch for ch in w if ch.isalnum()), "") for w in words]
    letters = [ch for ch in letters if ch]
    if not letters:
        return "?"
    picked = letters[0] + (letters[-1] if len(letters) > 1 else "")
    return picked.upper()


def colour_index(name: str) -> int:
    """The same name gets the same colour on every page and in every process (CRC-32, not hash())."""
    return zlib.crc32((name or "").strip().casefold().encode("utf-8")) % AVATAR_COLOURS


@register.simple_tag
def avatar(name: str, size: str = "md") -> str:
    """A decorative initials badge: aria-hidden, so the name next to it is what a screen reader says."""
    size = size if size in AVATAR_SIZES else "md"
    return format_html('<span class="avatar avatar-{} avatar-c{}" aria-hidden="true">{}</span>',
                       size, colour_index(name), initials(name))
