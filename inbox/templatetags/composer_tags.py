"""What the composer needs to know about a channel before the server checks again: file limits."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from connectors import registry
from connectors.base import Capabilities, SendError
from media.uploads import MAX_FILES, size_label

register = template.Library()

_ACCEPT = {"image": "image/*", "audio": "audio/*"}


@dataclass(frozen=True)
class FileLimits:
    max_bytes: int
    max_label: str
    kinds: str  # space-separated: "image audio file"
    max_files: int
    accept: str  # for <input type=file accept>; empty when any file goes


def limits_for(kind: str) -> FileLimits:
    try:
        caps = registry.get(kind).capabilities
    except SendError:
        caps = Capabilities(image=False, audio=False, file=False)
    kinds = [k for k in ("image", "audio", "file") if getattr(caps, k)]
    accept = "" if "file" in kinds else ",".join(_ACCEPT[k] for k in kinds)
    return FileLimits(max_bytes=caps.max_file_bytes, max_label=size_label(caps.max_file_bytes), kinds=" ".join(kinds),
                      max_files=MAX_FILES, accept=accept)


@register.simple_tag
def composer_limits(channel) -> FileLimits:
    """{% composer_limits conversation.channel as limits %}: the channel kind's file limits (no query)."""
    return limits_for(getattr(channel, "kind", ""))
