"""Untrusted text hygiene: control characters dropped, lengths limited with the limit named."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from .errors import InboxError

MESSAGE_MAX_CHARS = 4096
PREVIEW_CHARS = 140

# Every C0/C1 control character except tab, newline and carriage return; and NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(value: str | None, *, limit: int | None = None, field: str = "text") -> str:
    """Drop control characters and surrounding whitespace; refuse (InboxError) past `limit`."""
    text = _CONTROL.sub("", value or "").replace("\r\n", "\n").strip()
    if limit is not None and len(text) > limit:
        raise InboxError(
            _("The %(field)s is too long (at most %(limit)d characters).") % {"field": field, "limit": limit}
        )
    return text


def clean_line(value: str | None, *, limit: int) -> str:
    """A single-line value (names, ids): control characters and newlines dropped, cut at `limit`."""
    return " ".join(_CONTROL.sub("", value or "").split())[:limit]


def preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"
