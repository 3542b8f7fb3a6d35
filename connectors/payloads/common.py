"""The validating layer every inbound payload goes through: a capped body, safe JSON, typed models, named fields.

A provider (or the widget) may send anything. Here the body is read with a size cap, decoded as strict JSON
(deep nesting and NaN refused, lone surrogates kept for the cleaning step), then validated into a frozen
pydantic model whose string types already clean their value (kernel.text). Any validation error becomes one
BadPayload naming the first wrong field as a dotted path ("message.id", "entry[0].messaging[1].sender.id").
Unknown fields are ignored; a hint that does not parse (a size, a timestamp out of range) is dropped.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from django.utils.translation import gettext as _
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, WrapValidator
from pydantic_core import PydanticCustomError

from kernel.text import clean_line, clean_text, has_lone_surrogate, scrub

from ..base import BadPayload

if TYPE_CHECKING:
    from django.http import HttpRequest

ID_MAX_CHARS = 255
URL_MAX_CHARS = 1000
READ_CHUNK = 64 * 1024
EARLIEST = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp())
LEEWAY_SECONDS = 24 * 3600  # a provider's clock may run ahead; a day ahead is a bogus value


class Payload(BaseModel):
    """Base of every provider model: unknown fields ignored, values immutable, inputs never echoed in errors."""

    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)


# ---- the body -------------------------------------------------------------------------------------


class BodyTooLarge(Exception):
    """The request body is over `limit` bytes (answered 413)."""

    def __init__(self, limit: int):
        super().__init__(f"The body is larger than {limit} bytes.")
        self.limit = limit


def read_body(request: HttpRequest, *, limit: int) -> bytes:
    """The raw body, at most `limit` bytes; BodyTooLarge past it, whatever Content-Length says or omits.

    It reads the stream itself (never `request.body`), so Django's DATA_UPLOAD_MAX_MEMORY_SIZE never
    answers first with its HTML 400, and a chunked body without Content-Length is cut at the limit.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        declared = 0
    if declared > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            chunk = request.read(min(READ_CHUNK, limit + 1 - size))
        except (OSError, ValueError) as exc:  # the client went away mid-body (ASGI closes the spooled file)
            raise BadPayload(_("The body could not be read to its end."), field="body") from exc
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode_json(body: bytes) -> Any:
    """Strict JSON (UTF-8, no NaN/Infinity); BadPayload(field="body") otherwise, deep nesting included."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadPayload(_("The body is not valid JSON."), field="body") from None


def validate[P: BaseModel](model: type[P], data: Any) -> P:
    """`data` as `model`, or BadPayload naming the first wrong field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise bad_payload(exc) from None
    except RecursionError:  # a nested value deeper than the schema can walk
        raise BadPayload(_("The body is nested too deeply."), field="body") from None


def parse[P: BaseModel](model: type[P], body: bytes) -> P:
    """Decode and validate a raw JSON body."""
    return validate(model, decode_json(body))


# ---- errors ---------------------------------------------------------------------------------------


def field_path(loc: tuple[int | str, ...]) -> str:
    """('entry', 0, 'messaging', 1, 'sender', 'id') → 'entry[0].messaging[1].sender.id'; () → 'body'."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def bad_payload(exc: ValidationError) -> BadPayload:
    error = exc.errors(include_url=False, include_input=False)[0]
    field = field_path(tuple(error["loc"]))
    return BadPayload(explain(error["type"], field, error.get("ctx") or {}), field=field)


def explain(kind: str, field: str, ctx: dict) -> str:
    """One plain sentence for a validation error type."""
    if field == "body" and kind in {"model_type", "dict_type", "model_attributes_type"}:
        return _("The body must be a JSON object.")
    values = {"field": field, "limit": ctx.get("max_length") or 0, "value": ctx.get("expected", "")}
    if kind in {"missing", "parley_required"}:
        return _("%(field)s is required.") % values
    if kind == "parley_blank":
        return _("%(field)s is empty once control characters and spaces are removed.") % values
    if kind == "parley_surrogate":
        return _("%(field)s is not valid Unicode text.") % values
    if kind == "parley_url":
        return _("%(field)s must be an http(s) URL.") % values
    if kind in {"string_too_long", "parley_too_long"}:
        return _("%(field)s is too long (at most %(limit)d characters).") % values
    if kind == "too_long":
        return _("%(field)s must be a list of at most %(limit)d items.") % values
    if kind in {"string_type", "parley_string"}:
        return _("%(field)s must be a string.") % values
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return _("%(field)s must be a whole number.") % values
    if kind in {"bool_type", "bool_parsing"}:
        return _("%(field)s must be true or false.") % values
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return _("%(field)s must be an object.") % values
    if kind == "list_type":
        return _("%(field)s must be a list.") % values
    if kind == "literal_error":
        return _("%(field)s must be %(value)s.") % values
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        return _("%(field)s is out of range.") % values
    return _("%(field)s is not valid.") % values


# ---- value types ----------------------------------------------------------------------------------


def _external_id(value: Any) -> str:
    if value is None or value == "":
        raise PydanticCustomError("parley_required", "required")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PydanticCustomError("parley_string", "must be a string")
    text = str(value)
    if has_lone_surrogate(text):
        raise PydanticCustomError("parley_surrogate", "not valid Unicode")
    cleaned = clean_line(text, limit=ID_MAX_CHARS + 1)
    if not cleaned:
        raise PydanticCustomError("parley_blank", "blank")
    if len(cleaned) > ID_MAX_CHARS:
        raise PydanticCustomError("parley_too_long", "too long", {"max_length": ID_MAX_CHARS})
    return cleaned


def _optional_id(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PydanticCustomError("parley_string", "must be a string")
    return clean_line(str(value), limit=ID_MAX_CHARS)


# A contact's or a message's id (a string or a whole number): cleaned like every stored line; 400 when it is
# missing, holds a lone surrogate, is over 255 characters, or is empty once cleaned (two such ids would dedupe
# into one).
ExternalId = Annotated[str, BeforeValidator(_external_id)]
# An id we only look things up by (receipts): cleaned, possibly empty, never refused for its content.
OptionalId = Annotated[str, BeforeValidator(_optional_id)]


def text(limit: int | None = None, *, cut: bool = True) -> Any:
    """A free text (message body, caption): must be a string; control characters dropped, surrogates replaced.

    Past `limit` it is cut (`cut`, for providers: storage keeps the first MESSAGE_MAX_CHARS anyway) or refused.
    """

    def check(value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise PydanticCustomError("parley_string", "must be a string")
        cleaned = clean_text(value)
        if limit is not None and len(cleaned) > limit:
            if not cut:
                raise PydanticCustomError("parley_too_long", "too long", {"max_length": limit})
            cleaned = cleaned[:limit]
        return cleaned

    return Annotated[str, BeforeValidator(check)]


def line(limit: int, *, cut: bool = True) -> Any:
    """A one-line value (a name, a phone, a type): a string or a number, cleaned, cut or refused past `limit`."""

    def check(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise PydanticCustomError("parley_string", "must be a string")
        cleaned = clean_line(str(value), limit=limit + 1)
        if len(cleaned) > limit:
            if not cut:
                raise PydanticCustomError("parley_too_long", "too long", {"max_length": limit})
            cleaned = cleaned[:limit]
        return cleaned

    return Annotated[str, BeforeValidator(check)]


_URL_START = re.compile(r"https?://[^/?#\s]", re.IGNORECASE)


def _link(value: Any) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise PydanticCustomError("parley_string", "must be a string")
    if (len(value) > URL_MAX_CHARS or scrub(value) != value or any(c.isspace() for c in value)
            or not _URL_START.match(value)):
        raise PydanticCustomError("parley_url", "must be an http(s) URL")
    return value


def _required_link(value: Any) -> str:
    if value is None or value == "":
        raise PydanticCustomError("parley_required", "required")
    return _link(value)


# An http(s) URL we store and later download: no spaces, control characters or surrogates, at most 1000
# characters; "" when absent (Link) or refused when absent (RequiredLink).
Link = Annotated[str, BeforeValidator(_link)]
RequiredLink = Annotated[str, BeforeValidator(_required_link)]


def _lenient(value: Any, handler: Callable[[Any], Any]) -> Any:
    try:
        return handler(value)
    except ValidationError:
        return None


# A number we only use as a hint (a file size, a width, a Unix time): None when absent or not a number.
HintInt = Annotated[int | None, WrapValidator(_lenient)]
HintFloat = Annotated[float | None, WrapValidator(_lenient)]


def _none_is_empty(value: Any) -> Any:
    return [] if value is None else value


# `list[...]` fields where a JSON null means "none" (Meta and API integrators send either).
NoneIsEmpty = BeforeValidator(_none_is_empty)


def moment(value: int | float | None, *, per_second: int = 1) -> datetime | None:
    """A provider's Unix time (in seconds, or milliseconds with per_second=1000) as a UTC datetime.

    None when absent or implausible (before 2000, or more than a day ahead): such a value is dropped, not
    refused, so a provider with an odd clock is not made to retry its webhook for days.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    latest = int(time.time()) + LEEWAY_SECONDS
    if not EARLIEST * per_second <= value <= latest * per_second:
        return None
    return datetime.fromtimestamp(value / per_second, tz=UTC)


def require(value: str, field: str) -> str:
    """`value`, or BadPayload naming `field` when it is empty (ids that only some event kinds need)."""
    if not value:
        raise BadPayload(_("%(field)s is required.") % {"field": field}, field=field)
    return value
