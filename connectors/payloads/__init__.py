"""Typed schemas for every inbound payload (one module per provider) and the layer that parses them (common)."""

from .common import BodyTooLarge, decode_json, parse, read_body, validate

__all__ = ["BodyTooLarge", "decode_json", "parse", "read_body", "validate"]
