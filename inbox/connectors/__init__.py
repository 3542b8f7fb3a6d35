"""Channel connectors. Importing this package registers every kind."""

from . import api, messenger, telegram, webchat, whatsapp  # noqa: F401
from .base import registry

__all__ = ["registry"]
