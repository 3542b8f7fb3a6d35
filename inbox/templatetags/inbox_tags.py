from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from inbox.selectors import COUNT_CAP

register = template.Library()

CHANNEL_ABBR = {"webchat": "WEB", "telegram": "TG", "whatsapp": "WA", "messenger": "FB", "api": "API"}


@register.filter
def short_time(value):
    """Today: the language's TIME_FORMAT (English 9:18 PM, Spanish 21:18). This year: 3 Nov. Older: 3 Nov 2025."""
    if not value:
        return ""
    local = timezone.localtime(value)
    now = timezone.localtime(timezone.now())
    if local.date() == now.date():
        return date_format(local, "TIME_FORMAT")
    if local.year == now.year:
        return date_format(local, "j M")
    return date_format(local, "j M Y")


@register.filter
def channel_abbr(kind: str) -> str:
    return CHANNEL_ABBR.get(kind, kind[:3].upper())


@register.filter
def filesize(num) -> str:
    num = float(num or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if num < 1024 or unit == "GB":
            return f"{num:.0f} {unit}" if unit == "B" else f"{num:.1f} {unit}"
        num /= 1024
    return ""


@register.simple_tag
def count_label(n) -> str:
    return f"{COUNT_CAP - 1}+" if n >= COUNT_CAP else str(n)


@register.filter
def unassigned_label(member) -> str:
    return member.display_name if member else _("Unassigned")


@register.filter
def duration(seconds) -> str:
    """62.4 → 1:02"""
    total = int(round(float(seconds or 0)))
    return f"{total // 60}:{total % 60:02d}"


INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@register.filter
def is_inline_image(content_type: str) -> bool:
    """Raster images we show as thumbnails (SVG and everything else are download cards)."""
    return (content_type or "").split(";")[0].strip().lower() in INLINE_IMAGE_TYPES
