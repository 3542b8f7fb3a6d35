"""Channel connectors. Importing this package registers every provider kind; the web chat registers
itself from its own app (webchat.apps), since its connector is the widget's socket."""

from . import api, messenger, telegram, whatsapp  # noqa: F401
from .base import registry

__all__ = ["registry"]
