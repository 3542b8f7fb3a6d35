"""Untrusted text hygiene: control characters dropped, lone surrogates replaced, lengths limited with the limit named.

Everything that stores text from outside (webhooks, the widget, the composer) goes through `scrub`, directly or
through `clean_text` / `clean_line`: PostgreSQL refuses NUL and strings that are not valid UTF-8 (a lone UTF-16
surrogate, which JSON's "\\ud800" escape can carry), so neither may ever reach a query.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from .errors import ParleyError as InboxError

MESSAGE_MAX_CHARS = 4096
PREVIEW_CHARS = 140
REPLACEMENT = "\ufffd"

# Every C0/C1 control character except tab, newline and carriage return; and NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A Python str holds code points, so any surrogate in one is a lone half that UTF-8 cannot encode.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def scrub(value: str | None) -> str:
    """Control characters (but tab, newline, CR) dropped and lone surrogates turned into U+FFFD."""
    if not value:
        return ""
    return _SURROGATE.sub(REPLACEMENT, _CONTROL.sub("", value))


def has_lone_surrogate(value: str) -> bool:
    return _SURROGATE.search(value) is not None


def clean_text(value: str | None, *, limit: int | None = None, field: str = "text") -> str:
    """Scrubbed, surrounding whitespace stripped, CRLF as LF; refuse (InboxError) past `limit`."""
    text = scrub(value).replace("\r\n", "\n").strip()
    if limit is not None and len(text) > limit:
        raise InboxError(
            _("The %(field)s is too long (at most %(limit)d characters).") % {"field": field, "limit": limit}
        )
    return text


def clean_line(value: str | None, *, limit: int) -> str:
    """A single-line value (names, ids): scrubbed, runs of whitespace (newlines too) as one space, cut at `limit`."""
    return " ".join(scrub(value).split())[:limit]


def preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"
