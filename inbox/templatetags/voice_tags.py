"""The voice recorder's limit, read from settings so the browser and the server agree on it."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def voice_max_seconds() -> int:
    """settings.VOICE_NOTE_MAX_SECONDS (the server refuses longer recordings, see media.voice)."""
    return int(settings.VOICE_NOTE_MAX_SECONDS)
