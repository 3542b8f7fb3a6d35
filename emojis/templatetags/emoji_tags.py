"""{% emoji_data_version %}: part of the emoji list's URL, so browsers may cache the list for long."""

import emoji
from django import template

from emojis.data import DATA_REVISION

register = template.Library()


@register.simple_tag
def emoji_data_version() -> str:
    """Changes when the emoji data changes."""
    return f"{emoji.__version__}.{DATA_REVISION}"
