"""Channel connectors. Importing this package registers every kind."""

from . import api, webchat  # noqa: F401
from .base import registry

__all__ = ["registry"]
